//! The history on a real SQLite file: queries over recorded runs, and many writers at once.

use std::path::PathBuf;

use hil_history::History;
use hil_report::{
    Attempt, CaseResult, Outcome, RunInfo, RunReport, RunStatus, SpecCitation, Summary,
    SCHEMA_VERSION,
};

/// A history file in a fresh folder; the folder goes when the value is dropped.
fn scratch(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("hil-history-{name}-"))
        .tempdir()
        .unwrap();
    let path = dir.path().join("history.sqlite");
    (dir, path)
}

fn result(case: &str, outcome: Outcome, flaky: bool, ms: f64) -> CaseResult {
    CaseResult {
        rig: "sim".into(),
        case_id: case.into(),
        title: String::new(),
        area: "device".into(),
        file: String::new(),
        tags: vec![],
        spec: SpecCitation {
            quote: String::new(),
            source: String::new(),
        },
        outcome,
        duration_ms: ms,
        transcript: String::new(),
        logs: vec![],
        attempts: if flaky {
            vec![Attempt {
                outcome: Outcome::Error {
                    message: "hang".into(),
                },
                duration_ms: 1.0,
                transcript: String::new(),
            }]
        } else {
            vec![]
        },
        flaky,
        quarantine: None,
    }
}

fn failed() -> Outcome {
    Outcome::Failed {
        step: 0,
        field: "steps[0]".into(),
        line: 5,
        message: "returned OKAY".into(),
    }
}

fn run(n: usize, cases: Vec<CaseResult>) -> RunReport {
    RunReport {
        schema_version: SCHEMA_VERSION,
        run: RunInfo {
            run_id: format!("20261201T0000{n:02}Z-0000"),
            started_at: format!("2026-12-01T00:00:{n:02}Z"),
            command: "hil run".into(),
            rigs: vec!["sim".into()],
            planned: cases.len(),
            hil_version: "0.1.0".into(),
            partition: None,
            host: "h".into(),
            selected: vec![],
            suite_selected: 0,
        },
        status: RunStatus::Complete,
        finished_at: None,
        exit_code: Some(0),
        summary: Summary::tally(&["sim".into()], &cases),
        cases,
        figures: vec![],
    }
}

#[test]
fn pass_rate_flakiness_first_failing_run_and_durations() {
    let (_dir, path) = scratch("queries");
    let mut h = History::open(&path).unwrap();
    // a: passes, passes (flaky), fails, fails -> failing since run 3.
    // b: fails, passes -> passing, no failing streak.
    let plan = [
        (1, Outcome::Passed, false, Outcome::Passed),
        (2, Outcome::Passed, true, failed()),
        (3, failed(), false, failed()),
        (4, failed(), false, Outcome::Passed),
    ];
    for (n, a, flaky, b) in plan {
        h.record(&run(
            n,
            vec![
                result("device.a", a, flaky, n as f64 * 10.0),
                result("device.b", b, false, 1.0),
            ],
        ))
        .unwrap();
    }
    let stats = h.cases(None, None, 10).unwrap();
    let a = stats.iter().find(|s| s.case_id == "device.a").unwrap();
    assert_eq!((a.runs, a.passed, a.failed, a.flaky), (4, 2, 2, 1));
    assert_eq!(a.pass_rate(), 0.5);
    assert_eq!(a.last_status, "failed");
    assert_eq!(a.failing_since.as_deref(), Some("20261201T000003Z-0000"));
    assert_eq!(a.durations, [10.0, 20.0, 30.0, 40.0]);
    let b = stats.iter().find(|s| s.case_id == "device.b").unwrap();
    assert_eq!(b.failing_since, None);
    // The last 2 runs only.
    let a2 = &h.cases(Some("device.a"), Some("sim"), 2).unwrap()[0];
    assert_eq!((a2.runs, a2.failed), (2, 2));
    assert_eq!(a2.durations, [30.0, 40.0]);
    let runs = h.runs(3).unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0].run_id, "20261201T000002Z-0000");
    assert_eq!((runs[2].passed, runs[2].failed), (1, 1));
}

#[test]
fn many_writers_at_once_lose_nothing_and_keep_the_file_sound() {
    let (_dir, path) = scratch("concurrent");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                // Each writer has its own connection, as separate hil processes do.
                let mut h = History::open(&path).unwrap();
                for i in 0..10 {
                    let n = t * 10 + i;
                    let cases = (0..20)
                        .map(|c| result(&format!("device.c{c}"), Outcome::Passed, false, 1.0))
                        .collect();
                    h.record(&run(n, cases)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let h = History::open(&path).unwrap();
    assert_eq!(h.integrity().unwrap(), "ok");
    assert_eq!(h.runs(1000).unwrap().len(), 80);
    let stats = h.cases(Some("device.c7"), None, 1000).unwrap();
    assert_eq!(stats[0].runs, 80);
}
