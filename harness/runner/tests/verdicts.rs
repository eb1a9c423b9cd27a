//! What the executor says about a case: failures quote what was seen once, status sets and `at_least` judge as documented, large allocations travel in pieces.

use std::path::Path;
use std::time::Duration;

use hil_report::Outcome;
use hil_rig::SimSession;
use hil_runner::{run_case, CaseRun};

fn run(steps: &str) -> CaseRun {
    let text =
        format!("id: device.verdict\ntitle: t\nspec: {{ quote: q, source: s }}\nsteps:\n{steps}");
    let case = hil_cases::parse_case(Path::new("x.yaml"), "device", &text)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut session = SimSession::new("sim", hil_sim::SimConfig::default());
    run_case(&mut session, &case, Duration::from_secs(10))
}

fn failure(run: &CaseRun) -> &str {
    match &run.outcome {
        Outcome::Failed { message, .. } => message,
        other => panic!("expected a failure, got {other:?}\n{}", run.transcript),
    }
}

fn passed(run: &CaseRun) {
    assert!(
        matches!(run.outcome, Outcome::Passed),
        "{:?}\n{}",
        run.outcome,
        run.transcript
    );
}

#[test]
fn a_server_log_mismatch_quotes_each_message_once() {
    let run = run(r#"
  - alloc: { name: logbuf, type: bytes, size: 512, align: 512 }
  - alloc: { name: msg, type: ascii, size: 5, init: "hello" }
  - call: mvServerLoggingInit
    args: ["@logbuf", 512]
    expect: OKAY
  - call: mvServerLog
    args: ["@msg", 5]
    expect: OKAY
  - expect_server_log: { messages: ["bye"] }
"#);
    assert_eq!(failure(&run), r#"received ["hello"], expected ["bye"]"#);
    assert!(run.transcript.contains(r#"server log received: ["hello"]"#));
}

#[test]
fn status_sets_judge_the_status_and_say_what_was_expected() {
    passed(&run(
        "  - call: mvNoOp\n    expect: { one_of: [LATEFAULT, OKAY] }\n  - slot: 100\n    expect: { not: OKAY }\n",
    ));
    let run = run("  - call: mvNoOp\n    expect: { not: [OKAY, LATEFAULT] }\n");
    assert_eq!(
        failure(&run),
        "mvNoOp returned OKAY, expected not OKAY, LATEFAULT"
    );
}

#[test]
fn at_least_finds_records_in_order_among_others() {
    let steps = r#"
  - alloc: { name: ring, type: notifications, size: 128 }
  - alloc: { name: setup, type: MvNotificationSetup, init: { irq: 40, buffer: "@ring", buffer_size: 128 } }
  - alloc: { name: h, type: handle }
  - call: mvSetupNotifications
    args: ["@setup", "@h"]
    expect: OKAY
  - repeat:
      count: 4
      steps:
        - call: mvTempTriggerNotification
          args: ["*h", 2, "{i}"]
          expect: OKAY
"#;
    passed(&run(&format!(
        "{steps}  - expect_notifications: {{ buffer: ring, at_least: [{{ tag: 1 }}, {{ tag: 3 }}] }}\n"
    )));
    let out_of_order = run(&format!(
        "{steps}  - expect_notifications: {{ buffer: ring, at_least: [{{ tag: 3 }}, {{ tag: 1 }}] }}\n"
    ));
    assert_eq!(
        failure(&out_of_order),
        "record pattern 1 ({ tag 0x1 }) is not among the records read after the ones before it"
    );
}

#[test]
fn an_allocation_larger_than_one_read_is_written_and_read_back_in_pieces() {
    // 10 KiB: three reads of at most 4096 bytes, in two requests.
    let run = run(r#"
  - alloc: { name: big, type: bytes, size: 10240, fill: 0x5a }
  - write: { name: big, offset: 10000, value: "01 02 03" }
  - call: mvGetDeviceId
    args: ["@big+9000", 34]
    expect: OKAY
  - expect_memory: { name: big, offset: 9000, len: 2, equals: "55 56" }
  - expect_memory: { name: big, offset: 10000, len: 4, equals: "01 02 03 5a" }
  - expect_memory: { name: big, offset: 0, len: 4, equals: "5a 5a 5a 5a" }
"#);
    passed(&run);
    assert!(
        run.transcript.contains("big[9000..9034]: 5a 5a"),
        "{}",
        run.transcript
    );
}
