//! Malformed case files: each is rejected with the exact field path and line, and a
//! message that names what is wrong.

mod support;

use support::{assert_error, with_steps, HEADER};

#[test]
fn yaml_syntax_error() {
    let error = assert_error(
        &with_steps("  - call: mvNoOp\n    args: [1, 2\n    expect: OKAY\n"),
        "",
        9,
        &["YAML syntax"],
    );
    assert!(error.column.is_some());
}

#[test]
fn unknown_top_level_key() {
    let text = format!("{HEADER}colour: red\nsteps:\n  - delay_us: 1\n");
    assert_error(&text, "colour", 6, &["unknown key `colour`"]);
}

#[test]
fn misspelt_top_level_key_gets_a_hint() {
    let text = format!("{HEADER}tag: [a]\nsteps:\n  - delay_us: 1\n");
    assert_error(
        &text,
        "tag",
        6,
        &["unknown key `tag`", "did you mean `tags`?"],
    );
}

#[test]
fn missing_id() {
    let text = with_steps("  - delay_us: 1\n").replace("id: notifications.bad\n", "");
    assert_error(&text, "id", 1, &["missing key `id`"]);
}

#[test]
fn id_with_the_wrong_area() {
    let text = with_steps("  - delay_us: 1\n").replace("notifications.bad", "time.bad");
    assert_error(&text, "id", 1, &["`time`", "folder `notifications`"]);
}

#[test]
fn id_with_a_bad_name() {
    let text =
        with_steps("  - delay_us: 1\n").replace("notifications.bad", "notifications.Bad_Case");
    assert_error(&text, "id", 1, &["`Bad_Case`", "[a-z0-9][a-z0-9-]*"]);
}

#[test]
fn missing_spec_quote() {
    let text =
        with_steps("  - delay_us: 1\n").replace("  quote: \"the buffer is too small\"\n", "");
    assert_error(&text, "spec.quote", 3, &["missing key `quote`"]);
}

#[test]
fn empty_title() {
    let text = with_steps("  - delay_us: 1\n").replace("A malformed case", "\"  \"");
    assert_error(&text, "title", 2, &["must not be empty"]);
}

#[test]
fn unknown_syscall_with_did_you_mean() {
    let error = assert_error(
        &with_steps(
            "  - delay_us: 1\n  - call: mvSetupNotification\n    args: [0, 0]\n    expect: OKAY\n",
        ),
        "steps[1].call",
        8,
        &["unknown syscall `mvSetupNotification`; did you mean `mvSetupNotifications`?"],
    );
    assert_eq!(error.column, Some(5));
    assert_eq!(
        error.to_string(),
        "conformance/notifications/bad.yaml:8:5: steps[1].call: unknown syscall `mvSetupNotification`; did you mean `mvSetupNotifications`?"
    );
}

#[test]
fn unknown_status() {
    assert_error(
        &with_steps("  - call: mvNoOp\n    expect: MV_STATUS_OKAYY\n"),
        "steps[0].expect",
        8,
        &["unknown status `MV_STATUS_OKAYY`", "did you mean `OKAY`?"],
    );
}

#[test]
fn call_without_expect() {
    assert_error(
        &with_steps("  - delay_us: 1\n  - call: mvNoOp\n"),
        "steps[1].expect",
        8,
        &["needs `expect:`"],
    );
}

#[test]
fn five_args() {
    assert_error(
        &with_steps("  - call: mvNoOp\n    args: [1, 2, 3, 4, 5]\n    expect: OKAY\n"),
        "steps[0].args[4]",
        8,
        &["5 arguments", "at most 4"],
    );
}

#[test]
fn slot_out_of_range() {
    assert_error(
        &with_steps("  - slot: 128\n    expect: OKAY\n"),
        "steps[0].slot",
        7,
        &["slot 128 has no entry", "entries 0 to 127", "slots 0 to 73"],
    );
}

#[test]
fn expect_one_of_names_the_bad_status() {
    assert_error(
        &with_steps("  - call: mvNoOp\n    expect: { one_of: [OKAY, LATEFAUT] }\n"),
        "steps[0].expect.one_of[1]",
        8,
        &["unknown status `LATEFAUT`", "did you mean `LATEFAULT`?"],
    );
}

#[test]
fn expect_takes_one_of_or_not_only() {
    assert_error(
        &with_steps("  - call: mvNoOp\n    expect: { none_of: [OKAY] }\n"),
        "steps[0].expect",
        8,
        &["unknown key `none_of`", "one_of", "not"],
    );
    assert_error(
        &with_steps("  - call: mvNoOp\n    expect: { not: [] }\n"),
        "steps[0].expect.not",
        8,
        &["non-empty list"],
    );
    assert_error(
        &with_steps("  - call: mvNoOp\n    expect: 7\n"),
        "steps[0].expect",
        8,
        &["found a number"],
    );
}

#[test]
fn a_restart_that_may_succeed_must_say_so_alone() {
    assert_error(
        &with_steps("  - call: mvRestart\n    expect: { one_of: [OKAY, MICROVISORBUSY] }\n"),
        "steps[0].expect",
        8,
        &["restarts the app", "expect OKAY alone"],
    );
}

#[test]
fn a_call_is_from_an_irq_or_unprivileged_not_both() {
    assert_error(
        &with_steps(
            "  - call: mvNoOp\n    from_irq: 40\n    unprivileged: true\n    expect: OKAY\n",
        ),
        "steps[0].unprivileged",
        9,
        &["handler mode", "not both"],
    );
    assert_error(
        &with_steps("  - call: mvNoOp\n    from_irq: 480\n    expect: OKAY\n"),
        "steps[0].from_irq",
        8,
        &["IRQ 480 does not exist"],
    );
}

#[test]
fn call_keys_need_a_call() {
    assert_error(
        &with_steps("  - delay_us: 5\n    from_irq: 40\n"),
        "steps[0].from_irq",
        8,
        &["belongs to a `call`"],
    );
}

#[test]
fn at_least_nothing_checks_nothing() {
    assert_error(
        &with_steps(
            "  - alloc: { name: ring, type: notifications, size: 32 }\n  - expect_notifications: { buffer: ring, at_least: [] }\n",
        ),
        "steps[1].expect_notifications.at_least",
        8,
        &["checks nothing"],
    );
}

#[test]
fn a_deref_addend_is_a_number() {
    assert_error(
        &with_steps(
            "  - alloc: { name: h, type: handle }\n  - call: mvTempTriggerNotification\n    args: [\"*h+x\"]\n    expect: OKAY\n",
        ),
        "steps[1].args[0]",
        9,
        &["in `*h+x`", "`x` is not a number"],
    );
}

#[test]
fn call_and_slot_together() {
    assert_error(
        &with_steps("  - call: mvNoOp\n    slot: 27\n    expect: OKAY\n"),
        "steps[0].slot",
        8,
        &["not both"],
    );
}

#[test]
fn reference_to_an_undefined_allocation() {
    assert_error(
        &with_steps(
            "  - alloc: { name: handle, type: handle }\n  - call: mvCloseNotifications\n    args: [\"@handel\"]\n    expect: OKAY\n",
        ),
        "steps[1].args[0]",
        9,
        &["no allocation named `handel`", "did you mean `handle`?"],
    );
}

#[test]
fn reference_before_its_alloc() {
    assert_error(
        &with_steps(
            "  - call: mvCloseNotifications\n    args: [\"*handle\"]\n    expect: OKAY\n  - alloc: { name: handle, type: handle }\n",
        ),
        "steps[0].args[0]",
        8,
        &["`handle` is made later, by steps[1]"],
    );
}

#[test]
fn deref_of_a_u64_allocation() {
    assert_error(
        &with_steps("  - alloc: { name: t0, type: time_us }\n  - call: mvCloseNotifications\n    args: [\"*t0\"]\n    expect: OKAY\n"),
        "steps[1].args[0]",
        9,
        &["`t0` is of type time_us"],
    );
}

#[test]
fn duplicate_alloc_name() {
    assert_error(
        &with_steps("  - alloc: { name: ring, type: notifications, size: 32 }\n  - alloc:\n      name: ring\n      type: u32\n"),
        "steps[1].alloc.name",
        9,
        &["`ring` already exists"],
    );
}

#[test]
fn unknown_struct_type() {
    assert_error(
        &with_steps("  - alloc: { name: setup, type: MvNotificationSetUp }\n"),
        "steps[0].alloc.type",
        7,
        &[
            "unknown type `MvNotificationSetUp`",
            "did you mean `MvNotificationSetup`?",
        ],
    );
}

#[test]
fn unknown_struct_field() {
    let error = assert_error(
        &with_steps(
            "  - alloc: { name: ring, type: notifications, size: 32 }\n  - alloc:\n      name: setup\n      type: MvNotificationSetup\n      init:\n        irqq: 40\n",
        ),
        "steps[1].alloc.init.irqq",
        12,
        &["MvNotificationSetup has no field `irqq`", "did you mean `irq`?"],
    );
    assert_eq!(error.column, Some(9));
}

#[test]
fn unknown_nested_struct_field() {
    assert_error(
        &with_steps(
            "  - alloc:\n      name: params\n      type: MvRequestNetworkParams\n      init: { version: 1, v1: { notification_tagg: 2 } }\n",
        ),
        "steps[0].alloc.init.v1.notification_tagg",
        10,
        &["MvRequestNetworkParamsV1 has no field `notification_tagg`", "did you mean `notification_tag`?"],
    );
}

#[test]
fn value_too_large_for_a_u8_field() {
    assert_error(
        &with_steps("  - alloc:\n      name: will\n      type: MvMqttWill\n      init: { qos: 1, retain: 256 }\n"),
        "steps[0].alloc.init.retain",
        10,
        &["`256`", "does not fit in a u8 field"],
    );
}

#[test]
fn value_too_large_for_a_u32_field() {
    assert_error(
        &with_steps("  - alloc:\n      name: setup\n      type: MvNotificationSetup\n      init:\n        irq: \"0xffffffff+1\"\n"),
        "steps[0].alloc.init.irq",
        11,
        &["`0xffffffff+1`", "does not fit in a u32 field"],
    );
}

#[test]
fn negative_number() {
    assert_error(
        &with_steps("  - delay_us: -5\n"),
        "steps[0].delay_us",
        7,
        &["`-5` is negative"],
    );
}

#[test]
fn init_on_a_secure_placement() {
    assert_error(
        &with_steps("  - alloc: { name: setup, type: MvNotificationSetup, in: secure_ram, init: { irq: 40 } }\n"),
        "steps[0].alloc.init",
        7,
        &["writable placement", "`secure_ram`"],
    );
}

#[test]
fn fill_on_flash() {
    assert_error(
        &with_steps("  - alloc: { name: blob, type: bytes, size: 8, in: ns_flash, fill: 0xff }\n"),
        "steps[0].alloc.fill",
        7,
        &["`ns_flash`"],
    );
}

#[test]
fn misalign_on_a_secure_placement() {
    assert_error(
        &with_steps(
            "  - alloc: { name: blob, type: bytes, size: 8, in: secure_flash, misalign: 1 }\n",
        ),
        "steps[0].alloc.misalign",
        7,
        &["non-secure placements", "`secure_flash`"],
    );
}

#[test]
fn unknown_placement() {
    assert_error(
        &with_steps("  - alloc: { name: blob, type: bytes, size: 8, in: ns_rom }\n"),
        "steps[0].alloc.in",
        7,
        &["unknown value `ns_rom`", "did you mean `ns_ram`?"],
    );
}

#[test]
fn align_not_a_power_of_two() {
    assert_error(
        &with_steps("  - alloc: { name: blob, type: bytes, size: 8, align: 12 }\n"),
        "steps[0].alloc.align",
        7,
        &["align 12", "power of two"],
    );
}

#[test]
fn bytes_without_size() {
    assert_error(
        &with_steps("  - alloc: { name: blob, type: bytes }\n"),
        "steps[0].alloc.size",
        7,
        &["type bytes needs a `size`"],
    );
}

#[test]
fn struct_size_below_the_struct() {
    assert_error(
        &with_steps("  - alloc: { name: setup, type: MvNotificationSetup, size: 8 }\n"),
        "steps[0].alloc.size",
        7,
        &["size 8 is smaller than a MvNotificationSetup (12 bytes)"],
    );
}

#[test]
fn bytes_init_longer_than_the_allocation() {
    assert_error(
        &with_steps("  - alloc: { name: blob, type: bytes, size: 2, init: \"de ad be\" }\n"),
        "steps[0].alloc.init",
        7,
        &["3 bytes do not fit", "2 bytes"],
    );
}

#[test]
fn write_to_flash() {
    assert_error(
        &with_steps(
            "  - alloc: { name: blob, type: bytes, size: 8, in: ns_flash }\n  - write: { name: blob, offset: 0, value: \"00\" }\n",
        ),
        "steps[1].write.name",
        8,
        &["`ns_flash`", "cannot be written"],
    );
}

#[test]
fn two_verbs_in_one_step() {
    assert_error(
        &with_steps(
            "  - alloc: { name: blob, type: bytes, size: 8 }\n  - delay_us: 1\n    write: { name: blob, offset: 0, value: \"00\" }\n",
        ),
        "steps[1].write",
        9,
        &["exactly one verb", "`delay_us` and `write`"],
    );
}

#[test]
fn unknown_step_verb() {
    assert_error(
        &with_steps("  - delay_us: 1\n  - allocate: { name: blob, type: bytes, size: 8 }\n"),
        "steps[1].allocate",
        8,
        &["unknown step verb `allocate`", "did you mean `alloc`?"],
    );
}

#[test]
fn step_without_a_verb() {
    assert_error(
        &with_steps("  - delay_us: 1\n  - args: [1]\n"),
        "steps[1].args",
        8,
        &["`args` belongs to a `call`"],
    );
}

#[test]
fn key_without_a_value() {
    assert_error(
        &with_steps("  - delay_us: 1\n  - alloc:\n"),
        "steps[1].alloc",
        8,
        &["`alloc` has no value"],
    );
}

#[test]
fn empty_steps() {
    assert_error(&with_steps("  []\n"), "steps", 6, &["at least one step"]);
}

#[test]
fn bad_tag() {
    let text = format!("{HEADER}tags: [errors, Notifications]\nsteps:\n  - delay_us: 1\n");
    assert_error(&text, "tags[1]", 6, &["`Notifications`", "a-z, 0-9"]);
}

#[test]
fn empty_skip_reason() {
    let text = format!(
        "{HEADER}skip:\n  sim: \"needs a board\"\n  an505: \" \"\nsteps:\n  - delay_us: 1\n"
    );
    assert_error(&text, "skip.an505", 8, &["`an505` needs a reason"]);
}

#[test]
fn expect_notifications_on_a_non_notifications_buffer() {
    assert_error(
        &with_steps(
            "  - alloc: { name: ring, type: bytes, size: 32 }\n  - expect_notifications:\n      buffer: ring\n      records: []\n",
        ),
        "steps[1].expect_notifications.buffer",
        9,
        &["`ring` is of type bytes", "type notifications"],
    );
}

#[test]
fn expect_memory_with_two_checks() {
    assert_error(
        &with_steps("  - alloc: { name: hz, type: u32 }\n  - expect_memory: { name: hz, is: zero, equals: 1 }\n"),
        "steps[1].expect_memory.equals",
        8,
        &["only one of", "`is` and `equals`"],
    );
}

#[test]
fn unchanged_before_any_call() {
    assert_error(
        &with_steps(
            "  - alloc: { name: hz, type: u32 }\n  - expect_memory: { name: hz, is: unchanged }\n",
        ),
        "steps[1].expect_memory.is",
        8,
        &["no call comes before this step"],
    );
}

#[test]
fn expect_memory_range_past_the_end() {
    assert_error(
        &with_steps(
            "  - alloc: { name: ring, type: notifications, size: 32 }\n  - expect_memory: { name: ring, offset: 30, len: 4, is: zero }\n",
        ),
        "steps[1].expect_memory.len",
        8,
        &["30..34", "32 bytes"],
    );
}

#[test]
fn compare_record_past_the_ring() {
    assert_error(
        &with_steps(
            "  - alloc: { name: ring, type: notifications, size: 32 }\n  - alloc: { name: t0, type: time_us }\n  - compare: { left: \"ring[2].microseconds\", op: \">=\", right: t0 }\n",
        ),
        "steps[2].compare.left",
        9,
        &["holds 2 whole records", "record 2"],
    );
}

#[test]
fn compare_with_an_unknown_operator() {
    assert_error(
        &with_steps("  - alloc: { name: t0, type: time_us }\n  - compare: { left: t0, op: \"=>\", right: 0 }\n"),
        "steps[1].compare.op",
        8,
        &["unknown value `=>`"],
    );
}

#[test]
fn irq_number_out_of_range() {
    assert_error(
        &with_steps("  - irq: { enable: 480 }\n"),
        "steps[0].irq.enable",
        7,
        &["IRQ 480"],
    );
}

#[test]
fn cloud_with_two_actions() {
    assert_error(
        &with_steps("  - cloud: { link: offline, logging: disabled }\n"),
        "steps[0].cloud.logging",
        7,
        &["only one of"],
    );
}
