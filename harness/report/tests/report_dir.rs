//! End-to-end: scripted events through `ReportDir::file_sinks`, then read the files back.

mod common;

use std::fs;
use std::path::Path;

use common::{failed, full_run, passed, run_info, scratch_dir, RUN_ID};
use hil_report::{
    complete_from_journal, Event, FanOut, JournalSink, ReportDir, ReportError, RunReport,
    RunStatus, Sink, SCHEMA_VERSION,
};

fn read_results(dir: &Path) -> RunReport {
    let text = fs::read_to_string(dir.join("results.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn full_run_writes_every_file() {
    let tmp = scratch_dir("full");
    let root = tmp.path();
    let dir = ReportDir::create(root, RUN_ID).unwrap();
    assert_eq!(dir.path(), root.join(RUN_ID));
    let mut sinks = dir.file_sinks();
    for event in full_run() {
        sinks.on_event(&event).unwrap();
    }

    let report = read_results(dir.path());
    assert_eq!(report.schema_version, SCHEMA_VERSION);
    assert_eq!(report.status, RunStatus::Complete);
    assert_eq!(report.exit_code, Some(1));
    assert_eq!(report.finished_at.as_deref(), Some("2026-11-20T22:15:09Z"));
    assert_eq!(report.cases.len(), 4);
    let s = &report.summary;
    assert_eq!(
        (s.total, s.passed, s.failed, s.errors, s.skipped),
        (4, 1, 1, 1, 1)
    );
    let sim = &s.per_rig["sim"];
    assert_eq!((sim.total, sim.passed, sim.failed), (2, 1, 1));
    let qemu = &s.per_rig["qemu"];
    assert_eq!((qemu.total, qemu.errors, qemu.skipped), (2, 1, 1));
    assert_eq!(report.cases[1], failed());

    let junit = fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.starts_with("<?xml"), "{junit}");
    assert!(
        junit.contains(r#"<testsuite name="sim" tests="2""#),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<testsuite name="qemu" tests="2""#),
        "{junit}"
    );
    assert!(
        junit.contains(
            "steps[3] (line 12): expected status MV_STATUS_UNALIGNED, got MV_STATUS_OKAY"
        ),
        "{junit}"
    );
    assert!(
        junit.contains(r#"<skipped message="quarantined: flaky on qemu (issue 42)"/>"#),
        "{junit}"
    );
    assert!(junit.contains("<error "), "{junit}");
    assert!(
        junit.contains("[defmt:secure] read 4 bytes at 0x2000_0001 (src/main.rs:82)"),
        "{junit}"
    );
    assert!(junit.trim_end().ends_with("</testsuites>"), "{junit}");

    let md = fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        md.starts_with(&format!("# hil run `{RUN_ID}`: complete")),
        "{md}"
    );
    assert!(
        md.contains("`mem-unaligned` on `sim` at `conformance/memory/mem-unaligned.yaml:12`"),
        "{md}"
    );
    assert!(
        md.contains("[transcript](transcripts/sim/mem-unaligned.txt)"),
        "{md}"
    );
    assert!(md.contains("quarantined: flaky on qemu (issue 42)"), "{md}");

    for (rig, case_id) in [
        ("sim", "mem-read-ok"),
        ("sim", "mem-unaligned"),
        ("qemu", "mem-read-ok"),
        ("qemu", "mem-unaligned"),
    ] {
        let path = dir
            .path()
            .join("transcripts")
            .join(rig)
            .join(format!("{case_id}.txt"));
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(&format!("# {case_id} on {rig}: ")),
            "{text}"
        );
    }
    let sim_failed =
        fs::read_to_string(dir.path().join("transcripts/sim/mem-unaligned.txt")).unwrap();
    assert!(
        sim_failed.contains("> call mem-unaligned\n"),
        "{sim_failed}"
    );
    assert!(sim_failed.contains("\n## logs\n[defmt:secure] read 4 bytes at 0x2000_0001 (src/main.rs:82)\n[server-log] hello\n"), "{sim_failed}");

    // No temporary files are left behind.
    let mut names: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "events.jsonl",
            "junit.xml",
            "report.html",
            "results.json",
            "summary.md",
            "transcripts"
        ]
    );

    // `latest` resolves to this run.
    assert_eq!(
        fs::canonicalize(root.join("latest")).unwrap(),
        fs::canonicalize(dir.path()).unwrap()
    );
}

#[test]
fn interrupted_run_leaves_valid_results_at_every_step() {
    let tmp = scratch_dir("interrupted");
    let root = tmp.path();
    let dir = ReportDir::create(root, RUN_ID).unwrap();
    let mut sinks = dir.file_sinks();

    sinks.on_event(&Event::RunStarted(run_info())).unwrap();
    let report = read_results(dir.path());
    assert_eq!(report.status, RunStatus::Running);
    assert!(report.cases.is_empty());
    assert_eq!(
        report.summary.per_rig.len(),
        2,
        "every rig has a row from the start"
    );
    let md = fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        md.starts_with(&format!("# hil run `{RUN_ID}`: running")),
        "{md}"
    );

    sinks.on_event(&Event::CaseFinished(passed())).unwrap();
    let text = fs::read_to_string(dir.path().join("results.json")).unwrap();
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(raw["status"], "running");
    assert_eq!(raw["cases"].as_array().unwrap().len(), 1);
    assert_eq!(raw["finished_at"], serde_json::Value::Null);
    let junit = fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.contains(r#"<testcase name="mem-read-ok""#), "{junit}");

    sinks
        .on_event(&Event::RunFinished {
            finished_at: "2026-11-20T22:15:05Z".to_owned(),
            interrupted: true,
            exit_code: 130,
        })
        .unwrap();
    let text = fs::read_to_string(dir.path().join("results.json")).unwrap();
    let raw: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(raw["status"], "interrupted");
    assert_eq!(raw["exit_code"], 130);
    assert_eq!(read_results(dir.path()).cases, vec![passed()]);
    let md = fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        md.starts_with(&format!("# hil run `{RUN_ID}`: interrupted")),
        "{md}"
    );
}

#[test]
fn a_run_killed_between_rewrites_is_completed_from_its_journal() {
    let tmp = scratch_dir("killed");
    let root = tmp.path();
    let dir = ReportDir::create(root, RUN_ID).unwrap();
    let mut sinks = dir.file_sinks();
    sinks.on_event(&Event::RunStarted(run_info())).unwrap();
    sinks.on_event(&Event::CaseFinished(passed())).unwrap();
    // The next case reached the journal, and the kill came before the next
    // rewrite of results.json (which waits for its cadence anyway).
    JournalSink::new(dir.path())
        .on_event(&Event::CaseFinished(failed()))
        .unwrap();
    drop(sinks);

    let written = read_results(dir.path());
    assert_eq!(written.status, RunStatus::Running);
    assert_eq!(written.cases, vec![passed()]);
    let report = complete_from_journal(dir.path(), written).unwrap();
    assert_eq!(report.status, RunStatus::Running, "it never finished");
    assert_eq!(report.cases, vec![passed(), failed()]);
    assert_eq!((report.summary.passed, report.summary.failed), (1, 1));
}

#[test]
fn a_finished_run_is_read_as_written_and_rewrites_wait_for_their_cadence() {
    let tmp = scratch_dir("cadence");
    let root = tmp.path();
    let dir = ReportDir::create(root, RUN_ID).unwrap();
    let mut sinks = dir.file_sinks();
    sinks.on_event(&Event::RunStarted(run_info())).unwrap();
    let many = 200;
    for _ in 0..many {
        sinks.on_event(&Event::CaseFinished(passed())).unwrap();
    }
    let midway = read_results(dir.path());
    assert!(
        midway.cases.len() < many,
        "results.json was rewritten after every one of {many} cases that came in a burst"
    );
    sinks
        .on_event(&Event::RunFinished {
            finished_at: "2026-11-20T22:15:05Z".to_owned(),
            interrupted: false,
            exit_code: 0,
        })
        .unwrap();
    let done = read_results(dir.path());
    assert_eq!(done.cases.len(), many);
    let junit = fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testcase ").count(), many);
    assert_eq!(
        complete_from_journal(dir.path(), done.clone()).unwrap(),
        done
    );
}

#[test]
fn latest_moves_to_the_newest_run() {
    let tmp = scratch_dir("latest");
    let root = tmp.path();
    ReportDir::create(root, "20261120T000000Z-0001").unwrap();
    let second = ReportDir::create(root, "20261120T000001Z-0002").unwrap();
    assert_eq!(
        fs::canonicalize(root.join("latest")).unwrap(),
        fs::canonicalize(second.path()).unwrap()
    );
    assert!(
        root.join("20261120T000000Z-0001").is_dir(),
        "old run is kept"
    );
}

#[test]
fn reusing_a_run_id_is_refused() {
    let tmp = scratch_dir("reuse");
    let root = tmp.path();
    ReportDir::create(root, RUN_ID).unwrap();
    let error = ReportDir::create(root, RUN_ID).unwrap_err();
    assert!(matches!(error, ReportError::RunDirExists { .. }), "{error}");
    assert!(error.to_string().contains("already exists"), "{error}");
}

#[test]
fn a_new_run_whose_id_is_taken_draws_another() {
    // Two runs started in the same instant draw the same id: the second
    // must run under a fresh one, not stop as if its input were bad.
    let tmp = scratch_dir("collision");
    let root = tmp.path();
    ReportDir::create(root, RUN_ID).unwrap();
    let mut ids = [RUN_ID, RUN_ID, "20261120T221503Z-3f2b"].into_iter();
    let (dir, run_id) = ReportDir::create_new(root, || ids.next().unwrap().to_owned()).unwrap();
    assert_eq!(run_id, "20261120T221503Z-3f2b");
    assert_eq!(dir.path(), root.join(&run_id));
    assert_eq!(
        std::fs::read_link(root.join("latest")).unwrap(),
        Path::new(&run_id)
    );
}

#[test]
fn case_before_run_started_is_an_error() {
    let tmp = scratch_dir("order");
    let root = tmp.path();
    let dir = ReportDir::create(root, RUN_ID).unwrap();
    let mut sinks = dir.file_sinks();
    let error = sinks.on_event(&Event::CaseFinished(passed())).unwrap_err();
    assert!(
        error.to_string().contains("before `run_started`"),
        "{error}"
    );
}

/// Counts events; fails every one when `fail` is set.
struct Recorder {
    seen: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    fail: bool,
}

impl Sink for Recorder {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        self.seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.fail {
            Err(ReportError::NotStarted {
                event: event.name(),
            })
        } else {
            Ok(())
        }
    }
}

#[test]
fn fan_out_delivers_to_all_sinks_and_returns_every_error() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let counters: Vec<Arc<AtomicUsize>> = (0..3).map(|_| Arc::default()).collect();
    let mut fan = FanOut::new();
    for (i, seen) in counters.iter().enumerate() {
        fan.add(Box::new(Recorder {
            seen: seen.clone(),
            fail: i != 1,
        }));
    }
    let error = fan
        .on_event(&Event::CaseStarted {
            rig: "sim".to_owned(),
            case_id: "x".to_owned(),
        })
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("2 report files were not written"),
        "{error}"
    );
    assert_eq!(error.into_list().len(), 2);
    for seen in &counters {
        assert_eq!(seen.load(Ordering::Relaxed), 1);
    }
}

#[test]
fn events_round_trip_through_json_with_stable_tags() {
    for event in full_run() {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["event"], event.name());
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
    let json = serde_json::to_value(Event::CaseFinished(failed())).unwrap();
    assert_eq!(json["outcome"]["status"], "failed");
    assert_eq!(json["outcome"]["field"], "steps[3]");
}

fn point() -> Event {
    Event::Point(hil_report::CampaignPoint {
        campaign: "powercut".to_owned(),
        rig: "sim".to_owned(),
        group: "single".to_owned(),
        id: "op12i".to_owned(),
        outcome: "ok".to_owned(),
        detail: String::new(),
        data: serde_json::json!({ "phase": "download", "cuts_fired": 1 }),
    })
}

#[test]
fn campaign_points_leave_the_case_files_as_they_are() {
    let write = |with_points: bool| {
        let tmp = scratch_dir(&format!("points-{with_points}"));
        let root = tmp.path();
        let dir = ReportDir::create(root, RUN_ID).unwrap();
        let mut sinks = dir.file_sinks();
        for event in full_run() {
            let before_finish = matches!(event, Event::RunFinished { .. });
            if with_points && before_finish {
                sinks.on_event(&point()).unwrap();
            }
            sinks.on_event(&event).unwrap();
        }
        ["results.json", "junit.xml", "summary.md"]
            .map(|f| fs::read_to_string(dir.path().join(f)).unwrap())
    };
    assert_eq!(write(true), write(false));
    let json = serde_json::to_value(point()).unwrap();
    assert_eq!(json["event"], "point");
    assert_eq!(json["data"]["phase"], "download");
    assert_eq!(serde_json::from_value::<Event>(json).unwrap(), point());
}
