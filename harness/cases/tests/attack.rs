//! `attack:` steps: what the loader accepts and what it refuses, with the field, line and a message that says why.

mod support;

use hil_cases::{AttackExpect, Step};
use mv_proto::{Attack, AttackTarget, FaultKind};
use support::{assert_error, with_steps};

fn attack_of(steps: &str) -> hil_cases::AttackStep {
    let case = hil_cases::parse_case(
        std::path::Path::new(support::FILE),
        "notifications",
        &with_steps(steps),
    )
    .expect("a well-formed attack");
    match &case.steps[0].step {
        Step::Attack(a) => a.clone(),
        other => panic!("expected an attack step, got {other:?}"),
    }
}

#[test]
fn a_named_attack_at_a_named_target_with_its_fault_and_cause() {
    let a = attack_of(
        "  - attack: { kind: branch, target: veneer_skipping_sg, expect_fault: SecureFault, cause: INVEP }\n",
    );
    assert_eq!(a.attack, Attack::Branch(AttackTarget::VeneerSkippingSg));
    assert_eq!(
        a.expect,
        AttackExpect::Fault {
            kind: FaultKind::SecureFault,
            cause: Some("INVEP")
        }
    );
    let a = attack_of(
        "  - attack: { kind: forge_function_return, expect_fault: HardFault, cause: INVPC }\n",
    );
    assert_eq!(a.attack, Attack::ForgeFunctionReturn);
    let a = attack_of(
        "  - attack: { kind: load, target: secure_peripheral_ns_alias, expect_read: 0 }\n",
    );
    assert_eq!(a.expect, AttackExpect::Completes { read: 0 });
}

#[test]
fn an_attack_that_faults_loses_the_allocations_before_it() {
    assert_error(
        &with_steps(
            "  - alloc: { name: t, type: u32 }\n  - attack: { kind: store, target: secure_ram, expect_fault: SecureFault }\n  - expect_memory: { name: t, is: zero }\n",
        ),
        "steps[2].expect_memory.name",
        9,
        &["`t` was lost when the app restarted at steps[1]"],
    );
}

#[test]
fn a_cause_the_fault_kind_never_reports() {
    assert_error(
        &with_steps("  - attack: { kind: load, target: secure_ram, expect_fault: SecureFault, cause: INVPC }\n"),
        "steps[0].attack.cause",
        7,
        &["a SecureFault reports no cause `INVPC`", "`AUVIOL`"],
    );
}

#[test]
fn a_forged_return_takes_no_target_and_the_others_need_one() {
    assert_error(
        &with_steps("  - attack: { kind: forge_exception_return, target: secure_ram, expect_fault: SecureFault }\n"),
        "steps[0].attack.target",
        7,
        &["takes no `target`"],
    );
    assert_error(
        &with_steps("  - attack: { kind: vector_table, expect_fault: HardFault }\n"),
        "steps[0].attack.target",
        7,
        &["needs a `target`"],
    );
}

#[test]
fn an_attack_needs_one_expectation_and_only_a_load_reads() {
    assert_error(
        &with_steps("  - attack: { kind: load, target: secure_ram }\n"),
        "steps[0].attack",
        7,
        &["needs `expect_fault`"],
    );
    assert_error(
        &with_steps("  - attack: { kind: store, target: secure_ram, expect_read: 0 }\n"),
        "steps[0].attack.expect_read",
        7,
        &["only a `load` reads a word"],
    );
    assert_error(
        &with_steps("  - attack: { kind: load, target: secure_ram, expect_read: 0, expect_fault: SecureFault }\n"),
        "steps[0].attack.expect_read",
        7,
        &["not both"],
    );
}

#[test]
fn an_unknown_target_is_named() {
    let error = support::error_of(&with_steps(
        "  - attack: { kind: load, target: kernel_heap, expect_fault: SecureFault }\n",
    ));
    assert_eq!(error.line, Some(7));
    assert!(error.message.contains("kernel_heap"), "{error}");
}
