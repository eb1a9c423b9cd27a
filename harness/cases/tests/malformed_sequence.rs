//! Malformed sequences of steps: repeats, allocations a restart or a crash loses, deployments, and the app-memory budget of each placement;
//! each is rejected with the exact field path and line, and a message that names what is wrong.

mod support;

use std::path::Path;

use hil_cases::parse_case;
use support::{assert_error, with_steps, FILE};

#[test]
fn repeat_with_count_zero() {
    assert_error(
        &with_steps(
            "  - delay_us: 1\n  - repeat:\n      count: 0\n      steps:\n        - delay_us: 1\n",
        ),
        "steps[1].repeat.count",
        9,
        &["count is 0", "1 to 1024"],
    );
}

#[test]
fn nested_repeat() {
    assert_error(
        &with_steps(
            "  - repeat:\n      count: 2\n      steps:\n        - repeat: { count: 2, steps: [ { delay_us: 1 } ] }\n",
        ),
        "steps[0].repeat.steps[0].repeat",
        10,
        &["cannot contain another repeat"],
    );
}

#[test]
fn error_inside_a_repeat_points_at_the_template_line() {
    // Only iteration 2 is wrong: IRQ 478+2 does not exist.
    let error = assert_error(
        &with_steps(
            "  - delay_us: 1\n  - repeat:\n      count: 3\n      steps:\n        - delay_us: 10\n        - irq: { enable: \"478+{i}\" }\n",
        ),
        "steps[1].repeat.steps[1].irq.enable",
        12,
        &["IRQ 480", "i = 2"],
    );
    assert_eq!(error.column, Some(18));
}

#[test]
fn serde_error_inside_a_repeat_points_at_the_template_line() {
    assert_error(
        &with_steps(
            "  - repeat:\n      count: 2\n      steps:\n        - alloc: { name: \"r{i}\", type: u32, colour: red }\n",
        ),
        "steps[0].repeat.steps[0].alloc.colour",
        10,
        &["unknown key `colour`", "i = 0"],
    );
}

#[test]
fn duplicate_alloc_across_repeat_iterations() {
    assert_error(
        &with_steps(
            "  - repeat:\n      count: 2\n      steps:\n        - alloc: { name: ring, type: notifications, size: 32 }\n",
        ),
        "steps[0].repeat.steps[0].alloc.name",
        10,
        &["`ring` already exists", "i = 1"],
    );
}

#[test]
fn a_file_that_is_not_a_map() {
    assert_error("- just\n- a list\n", "", 1, &["a case file is a map"]);
}

#[test]
fn an_allocation_used_after_the_app_read_that_crashed_the_app() {
    let text = "id: isolation.x\ntitle: t\nspec: { quote: q, source: s }\nsteps:\n  - alloc: { name: s, type: u32, in: secure_ram }\n  - app_read: { name: s, expect_fault: SecureFault }\n  - app_read: { name: s, expect_fault: SecureFault }\n";
    let e = hil_cases::parse_case(std::path::Path::new("x.yaml"), "isolation", text).unwrap_err();
    assert_eq!(e.field, "steps[2].app_read.name");
    assert_eq!(e.line, Some(7));
    assert!(
        e.message
            .contains("`s` was lost when the app restarted at steps[1]; allocate it again"),
        "{}",
        e.message
    );
}

#[test]
fn app_read_with_an_unknown_fault() {
    let text = "id: isolation.x\ntitle: t\nspec: { quote: q, source: s }\nsteps:\n  - alloc: { name: s, type: u32, in: secure_ram }\n  - app_read: { name: s, expect_fault: SegFault }\n";
    let e = hil_cases::parse_case(std::path::Path::new("x.yaml"), "isolation", text).unwrap_err();
    assert_eq!(e.line, Some(6));
    assert!(e.field.starts_with("steps[1].app_read"), "{}", e.field);
    assert!(e.message.contains("SegFault"), "{}", e.message);
}

#[test]
fn an_allocation_used_after_mvrestart_is_lost() {
    assert_error(
        &with_steps(
            "  - alloc: { name: out, type: u32 }\n  - call: mvRestart\n    args: [0]\n    expect: OKAY\n  - call: mvGetWakeReason\n    args: [\"@out\"]\n    expect: OKAY\n",
        ),
        "steps[2].args[0]",
        12,
        &["`out` was lost when the app restarted at steps[1]"],
    );
}

#[test]
fn a_deploy_with_an_unknown_tamper_class() {
    assert_error(
        &with_steps(
            "  - cloud:\n      deploy: { app_version: 2, tamper: bad-signatur, expect: rejected }\n",
        ),
        "steps[0].cloud.deploy.tamper",
        8,
        &["unknown tamper class `bad-signatur`", "did you mean `bad-signature`?"],
    );
}

#[test]
fn a_tampered_deploy_must_be_rejected() {
    assert_error(
        &with_steps(
            "  - cloud:\n      deploy: { app_version: 2, tamper: downgrade, expect: installed }\n",
        ),
        "steps[0].cloud.deploy.expect",
        8,
        &["must be refused: `expect: rejected`"],
    );
}

#[test]
fn a_deploy_of_version_zero() {
    assert_error(
        &with_steps("  - cloud:\n      deploy: { app_version: 0, expect: installed }\n"),
        "steps[0].cloud.deploy.app_version",
        8,
        &["start at 1"],
    );
}

#[test]
fn a_deploy_without_an_expectation() {
    assert_error(
        &with_steps("  - cloud:\n      deploy: { app_version: 2 }\n"),
        "steps[0].cloud.deploy.expect",
        8,
        &["missing key `expect`"],
    );
}

#[test]
fn an_allocation_no_rig_can_give_is_bad_input_naming_the_size() {
    // Once a rig error at run time ("the agent refused alloc a: OutOfMemory").
    assert_error(
        &with_steps("  - alloc: { name: a, type: bytes, size: 0xFFFFFFFF }\n"),
        "steps[0].alloc.size",
        7,
        &["4294967295 bytes do not fit", "262144 bytes in ns_ram"],
    );
    assert_error(
        &with_steps("  - alloc: { name: a, type: bytes, size: 0x10000000, in: unmapped }\n"),
        "steps[0].alloc.size",
        7,
        &["65536 bytes in unmapped"],
    );
}

#[test]
fn allocations_share_their_placements_budget_until_a_restart() {
    let two = "  - alloc: { name: a, type: bytes, size: 0x30000 }\n  - alloc: { name: b, type: bytes, size: 0x10000 }\n";
    assert_error(
        &with_steps(two),
        "steps[1].alloc.size",
        8,
        &["65536 bytes do not fit", "196611 already allocated"],
    );
    // The top of app RAM, above the windows, has a budget of its own.
    let end = "  - alloc: { name: a, type: bytes, size: 0x30000 }\n  - alloc: { name: b, type: bytes, size: 0x3F00, in: ns_ram_end }\n  - alloc: { name: c, type: bytes, size: 0x100, in: ns_ram_end }\n";
    assert_error(
        &with_steps(end),
        "steps[2].alloc.size",
        9,
        &[
            "256 bytes do not fit",
            "16384 bytes in ns_ram_end",
            "16131 already allocated",
        ],
    );
    let window = "  - alloc: { name: a, type: bytes, size: 0x1001, in: privileged_only }\n";
    assert_error(
        &with_steps(window),
        "steps[0].alloc.size",
        7,
        &["4097 bytes do not fit", "4096 bytes in privileged_only"],
    );
    // The restart drops the app's allocations, and their budget with them.
    let restarted = "  - alloc: { name: a, type: bytes, size: 0x30000 }\n  - call: mvRestart\n    args: [MV_RESTARTMODE_AUTOAPPLYUPDATE]\n    expect: OKAY\n  - alloc: { name: b, type: bytes, size: 0x30000 }\n";
    parse_case(Path::new(FILE), "notifications", &with_steps(restarted))
        .unwrap_or_else(|e| panic!("{e}"));
}
