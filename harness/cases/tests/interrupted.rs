//! `interrupted:` and `vtor:` on a call: what the loader accepts and what it refuses, with the field, line and why.

mod support;

use hil_cases::{Caller, IsrHandler, Step};
use mv_proto::{AttackTarget, InterruptSource};
use support::{assert_error, with_steps};

fn caller_of(steps: &str) -> Caller {
    let case = hil_cases::parse_case(
        std::path::Path::new(support::FILE),
        "notifications",
        &with_steps(steps),
    )
    .expect("a well-formed call");
    match &case.steps.last().expect("a step").step {
        Step::Call(c) => c.caller.clone(),
        other => panic!("expected a call step, got {other:?}"),
    }
}

#[test]
fn a_call_interrupted_by_a_kernel_pended_irq_or_the_timer() {
    let Caller::Interrupted(i) = caller_of(
        "  - alloc: { name: t, type: u64 }\n  - call: mvTempTriggerNotification\n    args: [1, 2, 3]\n    expect: OKAY\n    interrupted:\n      irq: 41\n      handler: { call: mvGetMicroseconds, args: [\"@t\"], expect: MICROVISORBUSY }\n      preempts: kernel\n",
    ) else {
        panic!("expected an interrupted call");
    };
    assert_eq!(i.source, InterruptSource::KernelPends { irq: 41 });
    assert_eq!(i.preempts_kernel, Some(true));
    assert!(matches!(i.handler, IsrHandler::Call(_)));
    let Caller::Interrupted(i) = caller_of(
        "  - alloc: { name: s, type: u32 }\n  - call: mvGetMicroseconds\n    args: [\"@s\"]\n    expect: OKAY\n    interrupted: { after_ticks: 100, handler: { write: { name: s, value: 7 } } }\n",
    ) else {
        panic!("expected an interrupted call");
    };
    assert_eq!(i.source, InterruptSource::Timer { after_ticks: 100 });
    assert_eq!(i.preempts_kernel, None);
    assert!(matches!(i.handler, IsrHandler::Write(_)));
}

#[test]
fn a_call_with_vtor_names_an_attack_target() {
    assert_eq!(
        caller_of("  - call: mvSetFastInterrupt\n    args: [45]\n    expect: INVALIDVECTOR\n    vtor: secure_ram\n"),
        Caller::WithVtor(AttackTarget::SecureRam)
    );
}

#[test]
fn one_interrupt_source_and_one_handler_action() {
    assert_error(
        &with_steps(
            "  - call: mvNoOp\n    expect: OKAY\n    interrupted: { irq: 41, after_ticks: 5 }\n",
        ),
        "steps[0].interrupted.after_ticks",
        9,
        &["not both"],
    );
    assert_error(
        &with_steps("  - call: mvNoOp\n    expect: OKAY\n    interrupted: { preempts: kernel }\n"),
        "steps[0].interrupted",
        9,
        &["`irq`", "`after_ticks`"],
    );
    assert_error(
        &with_steps("  - call: mvNoOp\n    expect: OKAY\n    interrupted: { after_ticks: 0 }\n"),
        "steps[0].interrupted.after_ticks",
        9,
        &["at least 1 tick"],
    );
    assert_error(
        &with_steps(
            "  - call: mvNoOp\n    expect: OKAY\n    interrupted: { irq: 41, handler: {} }\n",
        ),
        "steps[0].interrupted.handler",
        9,
        &["needs `write` or `call`"],
    );
    assert_error(
        &with_steps("  - call: mvNoOp\n    expect: OKAY\n    interrupted: { irq: 41, handler: { call: mvNoOp } }\n"),
        "steps[0].interrupted.handler.expect",
        9,
        &["needs `expect:`"],
    );
}

#[test]
fn a_call_is_made_one_way() {
    assert_error(
        &with_steps("  - call: mvNoOp\n    expect: OKAY\n    from_irq: 45\n    vtor: secure_ram\n"),
        "steps[0].vtor",
        10,
        &["give `from_irq` or `vtor`, not both"],
    );
}
