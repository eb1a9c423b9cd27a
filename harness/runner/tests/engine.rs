//! The engine with rigs that misbehave (one dies mid-case, one hangs past the case's time), a run stopped by Ctrl-C, and parity.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hil_report::{ExitCode, FanOut, LogLine, Outcome, ReportDir};
use hil_rig::{load_rigs, CloudAction, RigConfig, RigError, RigKind, RigSession, SimSession};
use hil_runner::{run_case, run_with, Connector, ParitySink, Plan, RunSummary};
use mv_proto::{Hello, Primitive, Reply};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const GOOD: &str = r#"id: device.noop
title: mvNoOp returns OKAY
spec: { quote: "mvNoOp", source: "mv_syscalls.h" }
steps:
  - call: mvNoOp
    expect: OKAY
"#;

fn case(id: &str) -> hil_cases::Case {
    let text = GOOD.replace("device.noop", id);
    hil_cases::parse_case(Path::new("x.yaml"), "device", &text).unwrap()
}

fn sim_rig() -> RigConfig {
    load_rigs(&repo().join("rigs"))
        .unwrap()
        .into_iter()
        .find(|r| r.name == "sim")
        .expect("rigs/sim.yaml")
}

fn sim(rig: &RigConfig) -> SimSession {
    let RigKind::Sim(config) = &rig.kind else {
        unreachable!("the plans here hold only sim rigs")
    };
    SimSession::new(&rig.name, config.clone())
}

fn plan(rigs: Vec<RigConfig>, ids: &[&str]) -> Plan {
    Plan::new(
        rigs,
        ids.iter().map(|id| case(id)).collect(),
        repo(),
        "test".into(),
    )
}

fn run(plan: Plan, sinks: FanOut, connector: Connector, stop: Arc<AtomicBool>) -> RunSummary {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(run_with(plan, "t".into(), sinks, connector, stop))
}

/// A sim session that misbehaves during the `on`-th exec: its link dies,
/// it hangs (waiting out the deadline, as a real rig's timeout would), or
/// it raises the stop flag (Ctrl-C while the case runs).
struct Misbehaving {
    inner: SimSession,
    execs: usize,
    on: usize,
    how: How,
    deadline: Option<Instant>,
}

#[derive(Clone)]
enum How {
    Die,
    Hang,
    Interrupt(Arc<AtomicBool>),
    /// From the `on`-th exec on, every status the device returns reads
    /// UNAVAILABLE, `times` times (a device that misreports, then recovers).
    WrongStatus(Arc<AtomicUsize>),
}

impl RigSession for Misbehaving {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }
    fn reset(&mut self) -> Result<Hello, RigError> {
        self.inner.reset()
    }
    fn exec(&mut self, p: Vec<Primitive>) -> Result<Vec<Reply>, RigError> {
        self.execs += 1;
        if self.execs == self.on {
            match &self.how {
                How::Die => return Err(RigError::Link("the serial port went away".into())),
                How::Hang => {
                    let deadline = self.deadline.expect("a case sets a deadline");
                    std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
                    return Err(RigError::Timeout(0));
                }
                How::Interrupt(stop) => stop.store(true, Ordering::SeqCst),
                How::WrongStatus(_) => {}
            }
        }
        let mut replies = self.inner.exec(p)?;
        if let How::WrongStatus(times) = &self.how {
            let statuses = replies.iter().any(|r| matches!(r, Reply::Status(_)));
            if self.execs >= self.on && statuses && times.load(Ordering::SeqCst) > 0 {
                times.fetch_sub(1, Ordering::SeqCst);
                for reply in &mut replies {
                    if let Reply::Status(status) = reply {
                        *status = 0xa;
                    }
                }
            }
        }
        Ok(replies)
    }
    fn cloud(&mut self, a: &CloudAction) -> Result<hil_rig::CloudOutcome, RigError> {
        self.inner.cloud(a)
    }
    fn take_server_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
        self.inner.take_server_log()
    }
    fn take_test_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
        self.inner.take_test_log()
    }
    fn take_device_log(&mut self) -> Vec<LogLine> {
        Vec::new()
    }
}

fn misbehaving(on: usize, how: How) -> Connector {
    Arc::new(move |rig| {
        Ok(Box::new(Misbehaving {
            inner: sim(rig),
            execs: 0,
            on,
            how: how.clone(),
            deadline: None,
        }) as Box<dyn RigSession>)
    })
}

#[test]
fn a_rig_that_dies_mid_case_marks_that_case_as_error_and_the_run_goes_on() {
    let summary = run(
        plan(vec![sim_rig()], &["device.a", "device.b", "device.c"]),
        FanOut::new(),
        misbehaving(2, How::Die),
        Arc::default(),
    );
    let outcomes: Vec<&Outcome> = summary.results.iter().map(|r| &r.outcome).collect();
    assert!(matches!(outcomes[0], Outcome::Passed));
    assert!(
        matches!(outcomes[1], Outcome::Error { message } if message.contains("serial port went away"))
    );
    assert!(
        matches!(outcomes[2], Outcome::Passed),
        "the run went on: {outcomes:?}"
    );
    assert_eq!(summary.exit_code, ExitCode::RigError);
}

#[test]
fn a_case_that_runs_out_of_time_is_an_error_saying_so_and_the_run_goes_on() {
    let mut rig = sim_rig();
    rig.case_timeout_ms = 200;
    let started = Instant::now();
    let summary = run(
        plan(vec![rig], &["device.a", "device.b"]),
        FanOut::new(),
        misbehaving(1, How::Hang),
        Arc::default(),
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the hang was cut at the case's deadline"
    );
    let first = &summary.results[0];
    assert_eq!(
        first.outcome,
        Outcome::Error {
            message: "the case did not finish within 200 ms".into()
        }
    );
    assert!(
        first.transcript.ends_with("TIMED OUT after 200 ms\n"),
        "{}",
        first.transcript
    );
    assert_eq!(summary.results[1].outcome, Outcome::Passed);
    assert_eq!(summary.exit_code, ExitCode::RigError);
}

#[test]
fn a_session_is_given_the_case_deadline_and_it_is_lifted_afterwards() {
    struct Recorder(SimSession, Vec<Option<Instant>>);
    impl RigSession for Recorder {
        fn name(&self) -> &str {
            self.0.name()
        }
        fn set_deadline(&mut self, deadline: Option<Instant>) {
            self.1.push(deadline);
        }
        fn reset(&mut self) -> Result<Hello, RigError> {
            self.0.reset()
        }
        fn exec(&mut self, p: Vec<Primitive>) -> Result<Vec<Reply>, RigError> {
            self.0.exec(p)
        }
        fn cloud(&mut self, a: &CloudAction) -> Result<hil_rig::CloudOutcome, RigError> {
            self.0.cloud(a)
        }
        fn take_server_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
            self.0.take_server_log()
        }
        fn take_test_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
            self.0.take_test_log()
        }
        fn take_device_log(&mut self) -> Vec<LogLine> {
            Vec::new()
        }
    }
    let mut session = Recorder(sim(&sim_rig()), Vec::new());
    let before = Instant::now();
    let run = run_case(&mut session, &case("device.a"), Duration::from_secs(7));
    assert_eq!(run.outcome, Outcome::Passed);
    let [Some(deadline), None] = session.1[..] else {
        panic!("deadlines set: {:?}", session.1);
    };
    assert!(deadline >= before + Duration::from_secs(7));
}

#[test]
fn an_interrupted_run_finishes_the_case_under_way_and_reports_interrupted() {
    let stop = Arc::new(AtomicBool::new(false));
    let tmp = scratch("interrupt");
    let root = tmp.path();
    let dir = ReportDir::create(root, "run").unwrap();
    let summary = run(
        plan(vec![sim_rig()], &["device.a", "device.b", "device.c"]),
        dir.file_sinks(),
        misbehaving(1, How::Interrupt(stop.clone())),
        stop,
    );
    assert_eq!(summary.results.len(), 1, "the case under way finished");
    assert_eq!(summary.results[0].outcome, Outcome::Passed);
    assert!(summary.interrupted);
    assert_eq!(summary.exit_code, ExitCode::Interrupted);
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.json")).unwrap())
            .unwrap();
    assert_eq!(results["status"], "interrupted");
    assert_eq!(results["exit_code"], 130);
    assert_eq!(results["cases"].as_array().unwrap().len(), 1);
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn the_parity_sink_writes_parity_md_only_when_several_rigs_ran() {
    let tmp = scratch("parity");
    let root = tmp.path();
    let mut other = sim_rig();
    other.name = "sim-b".into();
    let connector: Connector = Arc::new(|rig| Ok(Box::new(sim(rig)) as Box<dyn RigSession>));
    for (name, rigs) in [("one", vec![sim_rig()]), ("two", vec![sim_rig(), other])] {
        let dir = ReportDir::create(root, name).unwrap();
        let mut sinks = FanOut::new();
        sinks.add(Box::new(ParitySink::new(dir.path())));
        let summary = run(
            plan(rigs, &["device.a"]),
            sinks,
            connector.clone(),
            Arc::default(),
        );
        assert!(summary.parity().is_empty());
        let parity = std::fs::read_to_string(dir.path().join("parity.md"));
        if name == "one" {
            assert!(parity.is_err(), "one rig, nothing to compare");
        } else {
            let parity = parity.unwrap();
            assert!(
                parity.starts_with("# Parity between sim, sim-b\n"),
                "{parity}"
            );
            assert!(parity.contains("same redacted transcript"), "{parity}");
        }
    }
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn parity_names_the_case_and_the_first_differing_line() {
    let result = |rig: &str, transcript: &str| hil_report::CaseResult {
        rig: rig.into(),
        case_id: "device.x".into(),
        title: String::new(),
        area: "device".into(),
        file: String::new(),
        tags: vec![],
        spec: hil_report::SpecCitation {
            quote: String::new(),
            source: String::new(),
        },
        outcome: Outcome::Passed,
        duration_ms: 0.0,
        transcript: transcript.into(),
        logs: vec![],
        attempts: Vec::new(),
        flaky: false,
        quarantine: None,
    };
    let d = hil_runner::parity::compare(&[result("sim", "a\nb\nc\n"), result("qemu", "a\nB\nc\n")]);
    assert_eq!(d.len(), 1);
    assert_eq!(
        (d[0].line, d[0].left.as_str(), d[0].right.as_str()),
        (2, "b", "B")
    );
}

/// An empty folder, removed when the value is dropped.
fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("hil-runner-{name}-"))
        .tempdir()
        .unwrap()
}

#[test]
fn a_case_that_passes_on_retry_is_flaky_in_results_json_and_junit() {
    let mut plan = plan(vec![sim_rig()], &["device.a", "device.b"]);
    plan.policy = hil_runner::CasePolicy::default().with_retries(2);
    let tmp = scratch("flaky");
    let root = tmp.path();
    let dir = ReportDir::create(root, "run").unwrap();
    let once = Arc::new(AtomicUsize::new(1));
    let summary = run(
        plan,
        dir.file_sinks(),
        misbehaving(1, How::WrongStatus(once)),
        Arc::default(),
    );
    assert_eq!(
        summary.exit_code,
        ExitCode::Passed,
        "a flaky pass is a pass"
    );
    let a = &summary.results[0];
    assert!(a.flaky, "{a:?}");
    assert_eq!(a.outcome, Outcome::Passed);
    assert_eq!(a.attempts.len(), 1);
    assert!(
        matches!(&a.attempts[0].outcome, Outcome::Failed { message, .. } if message.contains("UNAVAILABLE")),
        "{:?}",
        a.attempts[0]
    );
    assert!(!summary.results[1].flaky);

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.json")).unwrap())
            .unwrap();
    assert_eq!(json["cases"][0]["flaky"], true);
    assert_eq!(
        json["cases"][0]["attempts"][0]["outcome"]["status"],
        "failed"
    );
    assert_eq!(json["summary"]["flaky"], 1);
    assert_eq!(json["summary"]["passed"], 2);
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<flakyFailure").count(), 1, "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("## Flaky (passed on a retry)"), "{md}");
}

#[test]
fn a_case_that_fails_every_try_keeps_each_try_as_a_rerun() {
    let mut plan = plan(vec![sim_rig()], &["device.a"]);
    plan.policy = hil_runner::CasePolicy::default().with_retries(2);
    let tmp = scratch("reruns");
    let root = tmp.path();
    let dir = ReportDir::create(root, "run").unwrap();
    let always = Arc::new(AtomicUsize::new(usize::MAX));
    let summary = run(
        plan,
        dir.file_sinks(),
        misbehaving(1, How::WrongStatus(always)),
        Arc::default(),
    );
    assert_eq!(summary.exit_code, ExitCode::CaseFailed);
    let a = &summary.results[0];
    assert!(!a.flaky);
    assert_eq!(a.attempts.len(), 2, "three tries: two kept as attempts");
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<rerunFailure").count(), 2, "{junit}");
    assert_eq!(junit.matches("<failure").count(), 1, "{junit}");
}

#[test]
fn jobs_sessions_share_a_rigs_cases_each_case_once() {
    let ids: Vec<String> = (0..9).map(|i| format!("device.c{i}")).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut plan = plan(vec![sim_rig()], &ids);
    plan.jobs = 3;
    let opened = Arc::new(AtomicUsize::new(0));
    let counter = opened.clone();
    let connector: Connector = Arc::new(move |rig| {
        counter.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(sim(rig)) as Box<dyn RigSession>)
    });
    let summary = run(plan, FanOut::new(), connector, Arc::default());
    let mut ran: Vec<&str> = summary.results.iter().map(|r| r.case_id.as_str()).collect();
    ran.sort();
    assert_eq!(ran, ids);
    assert!(summary.results.iter().all(|r| r.outcome == Outcome::Passed));
    let sessions = opened.load(Ordering::SeqCst);
    assert!((1..=3).contains(&sessions), "{sessions} sessions");
}
