//! Well-formed cases load into the model the engine runs.

use std::collections::BTreeMap;
use std::path::Path;

use hil_cases::{
    parse_case, Alloc, Call, Caller, Case, CloudAction, CmpOp, Compare, Entry, ExpectIrq,
    ExpectMemory, ExpectNotifications, ExpectServerLog, Expected, FieldInit, FieldRef, Init,
    IrqAction, MemCheck, MemType, Operand, Placement, RecordField, RecordPattern, RecordsCheck,
    StatusExpect, Step, Value, Write, WriteWhat,
};
use mv_abi::{FieldKind, MvChannelType, MvEventType, MvStatus, Slot};

fn parse(area: &str, text: &str) -> Case {
    let path = format!("conformance/{area}/case.yaml");
    parse_case(Path::new(&path), area, text).unwrap_or_else(|error| panic!("{error}"))
}

fn steps(case: &Case) -> Vec<Step> {
    case.steps.iter().map(|at| at.step.clone()).collect()
}

fn layout(name: &str) -> &'static mv_abi::StructLayout {
    mv_abi::struct_by_name(name).expect("ABI struct")
}

fn field(path: &[&'static str], offset: usize, kind: FieldKind) -> FieldRef {
    FieldRef {
        path: path.to_vec(),
        offset,
        kind,
    }
}

fn addr(name: &str, offset: u32) -> Value {
    Value::AddrOf {
        name: name.to_owned(),
        offset,
    }
}

/// The example at the top of `conformance/README.md`, verbatim.
const README_EXAMPLE: &str = r#"
id: notifications.setup-rejects-small-buffer   # <area>.<name>: the folder name, a dot, then [a-z0-9-]+
title: mvSetupNotifications rejects a 16-byte buffer
spec:
  quote: "MV_STATUS_INVALIDBUFFERSIZE: the buffer is too small (under 32 bytes) or not a whole number of Notification structures"
  source: "mv_syscalls.h (SDK 0.7.0), mvSetupNotifications @retval"
tags: [notifications, errors]
skip:                        # optional: the images a rig runs (sim, an505, stm32u585) -> reason a reviewer can judge
  an505: "needs a board with the IRQ free"
steps:
  - alloc: { name: ring, type: notifications, size: 16, align: 8 }
  - alloc: { name: setup, type: MvNotificationSetup, init: { irq: 40, buffer: "@ring", buffer_size: 16 } }
  - alloc: { name: handle, type: handle }
  - call: mvSetupNotifications
    args: ["@setup", "@handle"]
    expect: INVALIDBUFFERSIZE
  - expect_memory: { name: handle, is: zero }
"#;

#[test]
fn the_readme_example_loads() {
    let case = parse("notifications", README_EXAMPLE);
    assert_eq!(case.id, "notifications.setup-rejects-small-buffer");
    assert_eq!(case.area, "notifications");
    assert_eq!(case.title, "mvSetupNotifications rejects a 16-byte buffer");
    assert!(case.spec.quote.starts_with("MV_STATUS_INVALIDBUFFERSIZE: "));
    assert_eq!(
        case.spec.source,
        "mv_syscalls.h (SDK 0.7.0), mvSetupNotifications @retval"
    );
    assert_eq!(case.tags, ["notifications", "errors"]);
    assert_eq!(
        case.skip,
        BTreeMap::from([(
            "an505".to_owned(),
            "needs a board with the IRQ free".to_owned()
        )])
    );
    assert_eq!(case.timeout_ms, None);
    assert_eq!(case.path, Path::new("conformance/notifications/case.yaml"));

    let setup = layout("MvNotificationSetup");
    assert_eq!(
        steps(&case),
        [
            Step::Alloc(Alloc {
                name: "ring".into(),
                ty: MemType::Notifications,
                size: 16,
                align: 8,
                placement: Placement::NsRam,
                misalign: 0,
                fill: 0,
                init: None,
            }),
            Step::Alloc(Alloc {
                name: "setup".into(),
                ty: MemType::Struct(setup),
                size: 12,
                align: 4,
                placement: Placement::NsRam,
                misalign: 0,
                fill: 0,
                init: Some(Init::Struct(vec![
                    FieldInit {
                        field: field(&["irq"], 0, FieldKind::U32),
                        value: Value::Number(40)
                    },
                    FieldInit {
                        field: field(&["buffer"], 4, FieldKind::Ptr),
                        value: addr("ring", 0)
                    },
                    FieldInit {
                        field: field(&["buffer_size"], 8, FieldKind::U32),
                        value: Value::Number(16)
                    },
                ])),
            }),
            Step::Alloc(Alloc {
                name: "handle".into(),
                ty: MemType::Handle,
                size: 4,
                align: 4,
                placement: Placement::NsRam,
                misalign: 0,
                fill: 0,
                init: None,
            }),
            Step::Call(Call {
                slot: Entry::Slot(Slot::from_name("mvSetupNotifications").unwrap()),
                args: vec![addr("setup", 0), addr("handle", 0)],
                expect: StatusExpect::Is(MvStatus::InvalidBufferSize),
                caller: Caller::Thread,
            }),
            Step::ExpectMemory(ExpectMemory {
                name: "handle".into(),
                range: None,
                field: None,
                check: MemCheck::Zero,
            }),
        ]
    );
    let fields: Vec<&str> = case.steps.iter().map(|at| at.field.as_str()).collect();
    assert_eq!(
        fields,
        ["steps[0]", "steps[1]", "steps[2]", "steps[3]", "steps[4]"]
    );
    let lines: Vec<usize> = case.steps.iter().map(|at| at.line).collect();
    assert_eq!(lines, [11, 12, 13, 14, 17]);
}

#[test]
fn repeat_expands_with_i_substituted() {
    let case = parse(
        "notifications",
        r#"
id: notifications.many-buffers
title: Several rings
spec: { quote: "q", source: "s" }
steps:
  - alloc: { name: handle, type: handle }
  - repeat:
      count: 3
      steps:
        - alloc: { name: "ring{i}", type: notifications, size: 32 }
        - alloc: { name: "setup{i}", type: MvNotificationSetup, init: { irq: "40+{i}", buffer: "@ring{i}", buffer_size: 32 } }
  - delay_us: 5
"#,
    );
    assert_eq!(case.steps.len(), 1 + 3 * 2 + 1);
    let fields: Vec<&str> = case.steps.iter().map(|at| at.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "steps[0]",
            "steps[1].steps[0]#0",
            "steps[1].steps[1]#0",
            "steps[1].steps[0]#1",
            "steps[1].steps[1]#1",
            "steps[1].steps[0]#2",
            "steps[1].steps[1]#2",
            "steps[2]",
        ]
    );
    let lines: Vec<usize> = case.steps.iter().map(|at| at.line).collect();
    assert_eq!(lines, [6, 10, 11, 10, 11, 10, 11, 12]);
    let Step::Alloc(setup2) = &case.steps[6].step else {
        panic!("not an alloc: {:?}", case.steps[6]);
    };
    assert_eq!(setup2.name, "setup2");
    assert_eq!(
        setup2.init,
        Some(Init::Struct(vec![
            FieldInit {
                field: field(&["irq"], 0, FieldKind::U32),
                value: Value::Number(42)
            },
            FieldInit {
                field: field(&["buffer"], 4, FieldKind::Ptr),
                value: addr("ring2", 0)
            },
            FieldInit {
                field: field(&["buffer_size"], 8, FieldKind::U32),
                value: Value::Number(32)
            },
        ]))
    );
    assert_eq!(case.steps[7].step, Step::DelayUs(5));
}

#[test]
fn every_value_form() {
    let case = parse(
        "values",
        r#"
id: values.every-form
title: Every way to write a value
spec: { quote: "q", source: "s" }
steps:
  - alloc: { name: ring, type: notifications, size: 64 }
  - alloc: { name: handle, type: handle, init: 0x1234 }
  - call: mvTempTriggerNotification
    args: ["*handle", MV_EVENTTYPE_CHANNELDATAREADABLE, 0x1234, "@ring+16"]
    expect: MV_STATUS_OKAY
  - call: mvNoOp
    args: [40, "0x28", "40+3", "0x10 + 0x2"]
    expect: OKAY
  - slot: 20
    args: ["@ring", "MV_STATUS_TIMENOTSET+1"]
    expect: UNAVAILABLE
"#,
    );
    let calls: Vec<Call> = case
        .steps
        .iter()
        .filter_map(|at| match &at.step {
            Step::Call(call) => Some(call.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        [
            Call {
                slot: Entry::Slot(Slot::from_name("mvTempTriggerNotification").unwrap()),
                args: vec![
                    Value::Deref {
                        name: "handle".into(),
                        add: 0
                    },
                    Value::Number(u64::from(u32::from(MvEventType::ChannelDataReadable))),
                    Value::Number(0x1234),
                    addr("ring", 16),
                ],
                expect: StatusExpect::Is(MvStatus::Okay),
                caller: Caller::Thread,
            },
            Call {
                slot: Entry::Slot(Slot::from_name("mvNoOp").unwrap()),
                args: vec![
                    Value::Number(40),
                    Value::Number(40),
                    Value::Number(43),
                    Value::Number(18)
                ],
                expect: StatusExpect::Is(MvStatus::Okay),
                caller: Caller::Thread,
            },
            Call {
                slot: Entry::Slot(Slot::from_number(20).unwrap()),
                args: vec![addr("ring", 0), Value::Number(2)],
                expect: StatusExpect::Is(MvStatus::Unavailable),
                caller: Caller::Thread,
            },
        ]
    );
    let Step::Alloc(handle) = &case.steps[1].step else {
        panic!("not an alloc");
    };
    assert_eq!(handle.init, Some(Init::Scalar(Value::Number(0x1234))));
}

#[test]
fn struct_init_with_nested_v1_fields_and_enum_short_names() {
    let case = parse(
        "channels",
        r#"
id: channels.open-params
title: Nested struct fields
spec: { quote: "q", source: "s" }
steps:
  - alloc: { name: nh, type: handle }
  - alloc: { name: rx, type: bytes, size: 64, fill: 0xaa, init: "de ad be ef" }
  - alloc:
      name: params
      type: MvOpenChannelParams
      init:
        version: 1
        v1:
          notification_handle: "*nh"
          notification_tag: 7
          receive_buffer: "@rx"
          receive_buffer_len: 64
          channel_type: HTTP
          endpoint: { data: "@rx+4", length: 3 }
  - write: { name: params, field: v1.channel_type, value: MV_CHANNELTYPE_MQTT }
  - write: { name: rx, offset: 4, value: "00 ff" }
  - write: { name: nh, value: 5 }
"#,
    );
    let params = layout("MvOpenChannelParams");
    let v1 = layout("MvOpenChannelParamsV1");
    let at = |name: &str| 4 + v1.field(name).unwrap().offset;
    let channel_type = FieldKind::Enum(&MvChannelType::DESC);
    let Step::Alloc(alloc) = &case.steps[2].step else {
        panic!("not an alloc");
    };
    assert_eq!(alloc.ty, MemType::Struct(params));
    assert_eq!(alloc.size as usize, params.size);
    let endpoint = at("endpoint");
    assert_eq!(
        alloc.init,
        Some(Init::Struct(vec![
            FieldInit {
                field: field(&["version"], 0, FieldKind::U32),
                value: Value::Number(1)
            },
            FieldInit {
                field: field(&["v1", "notification_handle"], 4, FieldKind::Handle),
                value: Value::Deref {
                    name: "nh".into(),
                    add: 0,
                },
            },
            FieldInit {
                field: field(&["v1", "notification_tag"], 8, FieldKind::U32),
                value: Value::Number(7)
            },
            FieldInit {
                field: field(
                    &["v1", "receive_buffer"],
                    at("receive_buffer"),
                    FieldKind::Ptr
                ),
                value: addr("rx", 0)
            },
            FieldInit {
                field: field(
                    &["v1", "receive_buffer_len"],
                    at("receive_buffer_len"),
                    FieldKind::U32
                ),
                value: Value::Number(64),
            },
            FieldInit {
                field: field(&["v1", "channel_type"], at("channel_type"), channel_type),
                value: Value::Number(u64::from(u32::from(MvChannelType::Http))),
            },
            FieldInit {
                field: field(&["v1", "endpoint", "data"], endpoint, FieldKind::Ptr),
                value: addr("rx", 4)
            },
            FieldInit {
                field: field(&["v1", "endpoint", "length"], endpoint + 4, FieldKind::U32),
                value: Value::Number(3)
            },
        ]))
    );
    let Step::Alloc(rx) = &case.steps[1].step else {
        panic!("not an alloc");
    };
    assert_eq!((rx.fill, rx.align), (0xaa, 4));
    assert_eq!(rx.init, Some(Init::Bytes(vec![0xde, 0xad, 0xbe, 0xef])));
    assert_eq!(
        steps(&case)[3..],
        [
            Step::Write(Write {
                name: "params".into(),
                what: WriteWhat::Field(FieldInit {
                    field: field(&["v1", "channel_type"], at("channel_type"), channel_type),
                    value: Value::Number(u64::from(u32::from(MvChannelType::Mqtt))),
                }),
            }),
            Step::Write(Write {
                name: "rx".into(),
                what: WriteWhat::Bytes {
                    offset: 4,
                    bytes: vec![0x00, 0xff]
                },
            }),
            Step::Write(Write {
                name: "nh".into(),
                what: WriteWhat::Whole(Init::Scalar(Value::Number(5))),
            }),
        ]
    );
}

#[test]
fn checks_and_actions() {
    let case = parse(
        "notifications",
        r#"
id: notifications.checks
title: Every check
spec: { quote: "q", source: "s" }
timeout_ms: 5000
steps:
  - alloc: { name: ring, type: notifications, size: 32, in: ns_ram_end, misalign: 4 }
  - alloc: { name: setup, type: MvNotificationSetup }
  - alloc: { name: id, type: ascii, size: 8, init: "UV12" }
  - alloc: { name: t0, type: time_us }
  - alloc: { name: hz, type: u32 }
  - call: mvGetSysClk
    args: ["@hz"]
    expect: OKAY
  - expect_memory: { name: hz, equals: 160000000 }
  - expect_memory: { name: id, ascii_prefix: "UV" }
  - expect_memory: { name: ring, offset: 24, len: 4, is: zero }
  - expect_memory: { name: ring, offset: 0, len: 2, equals: "00 00" }
  - expect_memory: { name: setup, field: buffer_size, equals: 64 }
  - expect_memory: { name: setup, field: buffer, equals: "@ring" }
  - expect_memory: { name: t0, is: unchanged }
  - expect_notifications:
      buffer: ring
      records:
        - { type: CHANNELDATAREADABLE, tag: 0x1234 }
        - { type: MV_EVENTTYPE_UPDATEDOWNLOADED }
        - {}
  - expect_notifications: { buffer: ring, count: 0 }
  - irq: { enable: 40 }
  - irq: { clear_pending: "40+1" }
  - expect_irq: { irq: 40, pending: true, enabled: false, handled: 0 }
  - compare: { left: t0, op: ">=", right: "ring[1].microseconds" }
  - compare: { left: "setup.buffer_size", op: "!=", right: 0x20 }
  - compare: { left: "ring[0].event_type", op: "==", right: MV_EVENTTYPE_CHANNELDATAREADABLE }
  - cloud: { sync_time_us: 1700000000000000 }
  - cloud: { link: offline }
  - cloud: { logging: enabled }
  - expect_server_log: { messages: ["hello from the app"] }
  - expect_server_log: { count: 0 }
"#,
    );
    assert_eq!(case.timeout_ms, Some(5000));
    let Step::Alloc(ring) = &case.steps[0].step else {
        panic!("not an alloc");
    };
    assert_eq!(
        (ring.placement, ring.misalign, ring.align),
        (Placement::NsRamEnd, 4, 8)
    );
    let setup = layout("MvNotificationSetup");
    let buffer_size = setup.field("buffer_size").unwrap();
    let expect = |name: &str, range, field, check| {
        Step::ExpectMemory(ExpectMemory {
            name: name.into(),
            range,
            field,
            check,
        })
    };
    assert_eq!(
        steps(&case)[6..],
        [
            expect(
                "hz",
                None,
                None,
                MemCheck::Equals(Expected::Value(Value::Number(160_000_000)))
            ),
            expect("id", None, None, MemCheck::AsciiPrefix("UV".into())),
            expect("ring", Some((24, 4)), None, MemCheck::Zero),
            expect(
                "ring",
                Some((0, 2)),
                None,
                MemCheck::Equals(Expected::Bytes(vec![0, 0]))
            ),
            expect(
                "setup",
                None,
                Some(field(&["buffer_size"], buffer_size.offset, FieldKind::U32)),
                MemCheck::Equals(Expected::Value(Value::Number(64))),
            ),
            expect(
                "setup",
                None,
                Some(field(&["buffer"], 4, FieldKind::Ptr)),
                MemCheck::Equals(Expected::Value(addr("ring", 0))),
            ),
            expect("t0", None, None, MemCheck::Unchanged),
            Step::ExpectNotifications(ExpectNotifications {
                buffer: "ring".into(),
                check: RecordsCheck::Records(vec![
                    RecordPattern {
                        event_type: Some(2),
                        tag: Some(0x1234)
                    },
                    RecordPattern {
                        event_type: Some(5),
                        tag: None
                    },
                    RecordPattern {
                        event_type: None,
                        tag: None
                    },
                ]),
            }),
            Step::ExpectNotifications(ExpectNotifications {
                buffer: "ring".into(),
                check: RecordsCheck::Count(0),
            }),
            Step::Irq(IrqAction::Enable(40)),
            Step::Irq(IrqAction::ClearPending(41)),
            Step::ExpectIrq(ExpectIrq {
                irq: 40,
                pending: Some(true),
                enabled: Some(false),
                handled: Some(0)
            }),
            Step::Compare(Compare {
                left: Operand::Scalar("t0".into()),
                op: CmpOp::Ge,
                right: Operand::Record {
                    name: "ring".into(),
                    index: 1,
                    field: RecordField::Microseconds
                },
            }),
            Step::Compare(Compare {
                left: Operand::Field {
                    name: "setup".into(),
                    field: field(&["buffer_size"], 8, FieldKind::U32),
                },
                op: CmpOp::Ne,
                right: Operand::Number(32),
            }),
            Step::Compare(Compare {
                left: Operand::Record {
                    name: "ring".into(),
                    index: 0,
                    field: RecordField::EventType
                },
                op: CmpOp::Eq,
                right: Operand::Number(2),
            }),
            Step::Cloud(CloudAction::SyncTimeUs(1_700_000_000_000_000)),
            Step::Cloud(CloudAction::Link { online: false }),
            Step::Cloud(CloudAction::Logging { enabled: true }),
            Step::ExpectServerLog(ExpectServerLog::Messages(vec!["hello from the app".into()])),
            Step::ExpectServerLog(ExpectServerLog::Count(0)),
        ]
    );
}

#[test]
fn cmp_ops_hold_as_their_symbols_say() {
    let ops = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ];
    let symbols: Vec<&str> = ops.iter().map(|op| op.symbol()).collect();
    assert_eq!(symbols, ["==", "!=", "<", "<=", ">", ">="]);
    let holds = |l, r| ops.map(|op| op.holds(l, r));
    assert_eq!(holds(1, 2), [false, true, true, true, false, false]);
    assert_eq!(holds(2, 2), [true, false, false, true, false, true]);
    assert_eq!(holds(3, 2), [false, true, false, false, true, true]);
}

#[test]
fn placements_say_what_can_be_written() {
    let writable: Vec<&str> = [
        Placement::NsRam,
        Placement::NsRamEnd,
        Placement::NsFlash,
        Placement::SecureRam,
        Placement::SecureFlash,
        Placement::Unmapped,
        Placement::StraddleNsSecure,
        Placement::BusError,
        Placement::PrivilegedOnly,
    ]
    .into_iter()
    .filter(|placement| placement.is_writable())
    .map(Placement::name)
    .collect();
    assert_eq!(writable, ["ns_ram", "ns_ram_end", "privileged_only"]);
    assert!(
        !Placement::BusError.is_non_secure(),
        "the agent cannot read the bus-error window back"
    );
}

#[test]
fn calls_from_handlers_unprivileged_reserved_entries_and_status_sets() {
    let text = r#"
id: system.call-forms
title: Every way a call can be made and judged
spec:
  quote: "Calling from an interrupt."
  source: "mv_syscalls.h (SDK 0.7.0)"
steps:
  - alloc: { name: h, type: handle }
  - alloc: { name: ring, type: notifications, size: 32 }
  - call: mvGetWakeReason
    args: ["@h"]
    from_irq: 45
    expect: UNAVAILABLE
  - call: mvGetMicroseconds
    args: ["@ring"]
    unprivileged: true
    expect: { one_of: [OKAY, MV_STATUS_LATEFAULT] }
  - slot: 100
    expect: { not: OKAY }
  - call: mvTempTriggerNotification
    args: ["*h+1", "*h-0x10", 0]
    expect: { not: [OKAY, PARAMETERFAULT] }
  - irq: { pend: 45 }
  - expect_notifications: { buffer: ring, at_least: [{ type: NETWORKSTATUSCHANGED }] }
"#;
    let case = parse("system", text);
    let calls: Vec<&Call> = case
        .steps
        .iter()
        .filter_map(|at| match &at.step {
            Step::Call(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(calls[0].caller, Caller::Interrupt(45));
    assert_eq!(calls[0].expect, StatusExpect::Is(MvStatus::Unavailable));
    assert_eq!(calls[1].caller, Caller::Unprivileged);
    assert_eq!(
        calls[1].expect,
        StatusExpect::OneOf(vec![MvStatus::Okay, MvStatus::LateFault])
    );
    assert_eq!(calls[2].slot, Entry::Reserved(100));
    assert_eq!(calls[2].slot.name(), "reserved100");
    assert_eq!(calls[2].expect, StatusExpect::Not(vec![MvStatus::Okay]));
    assert!(calls[2].expect.admits(MvStatus::Unavailable as u32));
    assert!(!calls[2].expect.admits(MvStatus::Okay as u32));
    assert!(
        !calls[2].expect.admits(0xdead),
        "a non-status is never admitted"
    );
    assert_eq!(
        calls[3].args[..2],
        [
            Value::Deref {
                name: "h".into(),
                add: 1
            },
            Value::Deref {
                name: "h".into(),
                add: -16
            }
        ]
    );
    assert_eq!(case.steps[6].step, Step::Irq(IrqAction::Pend(45)));
    assert_eq!(
        case.steps[7].step,
        Step::ExpectNotifications(ExpectNotifications {
            buffer: "ring".into(),
            check: RecordsCheck::AtLeast(vec![RecordPattern {
                event_type: Some(MvEventType::NetworkStatusChanged as u32),
                tag: None
            }]),
        })
    );
}

/// The app memory budget a case may use must fit every board's agent pools,
/// or a case that loads could still run out of memory on some rig.
#[test]
fn every_board_holds_the_case_memory_budget() {
    use mv_boards::{an505, stm32u585};
    // The AN505 agent's own RAM (memory.x) comes off the front of the pool.
    let memory_x = include_str!("../../../firmware/agent/memory.x");
    let ram = memory_x
        .lines()
        .find(|l| l.trim_start().starts_with("RAM"))
        .expect("memory.x has a RAM region");
    let number = |key: &str| {
        let at = ram.find(key).expect("ORIGIN and LENGTH") + key.len();
        let text = ram[at..].trim_start_matches([' ', '=']);
        let hex = text.trim_start_matches("0x");
        let end = hex
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(hex.len());
        u32::from_str_radix(&hex[..end], 16).unwrap()
    };
    let an505_pool_start = number("ORIGIN") + number("LENGTH");
    for (board, ram_start) in [
        (&stm32u585::BOARD, stm32u585::BOARD.pools.ns_ram.0),
        (&an505::BOARD, an505_pool_start),
    ] {
        let pools = board.pools;
        let windows_start = pools.privileged_only.0.min(pools.bus_error.0);
        let windows_end = pools.privileged_only.1.max(pools.bus_error.1);
        let below = u64::from(windows_start - ram_start);
        let above = u64::from(pools.ns_ram.1 - windows_end);
        let flash = u64::from(pools.ns_flash.1 - pools.ns_flash.0);
        assert!(
            below >= hil_cases::APP_MEMORY_BUDGET && flash >= hil_cases::APP_MEMORY_BUDGET,
            "{}: ns_ram {below} bytes, flash pool {flash} bytes, budget {}",
            board.name,
            hil_cases::APP_MEMORY_BUDGET
        );
        // The straddle takes half its size below the NS/S boundary, where
        // ns_ram_end grows down from.
        assert!(
            above >= hil_cases::RAM_END_BUDGET + hil_cases::NO_MEMORY_BUDGET / 2,
            "{}: ns_ram_end {above} bytes",
            board.name
        );
        for window in [pools.privileged_only, pools.bus_error] {
            assert!(u64::from(window.1 - window.0) >= hil_cases::WINDOW_BUDGET);
        }
    }
}
