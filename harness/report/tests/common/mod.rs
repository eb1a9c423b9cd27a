//! Shared fixtures: a scripted two-rig run with fixed times, and scratch directories.
#![allow(dead_code)]

use hil_report::{CaseResult, Event, LogLine, Outcome, RunInfo, SpecCitation};

pub const RUN_ID: &str = "20261120T221503Z-3f2a";

/// A fresh, empty directory under the system temp dir, removed when the value is dropped.
/// `name` may be a path (`transcripts/sim/x.txt`): its separators become `-`,
/// so the directory is always directly under the temp dir.
pub fn scratch_dir(name: &str) -> tempfile::TempDir {
    let name = name.replace(['/', '\\'], "-");
    tempfile::Builder::new()
        .prefix(&format!("hil-report-test-{name}-"))
        .tempdir()
        .unwrap()
}

pub fn run_info() -> RunInfo {
    RunInfo {
        run_id: RUN_ID.to_owned(),
        started_at: "2026-11-20T22:15:03Z".to_owned(),
        command: "hil run --rig sim --rig qemu".to_owned(),
        rigs: vec!["sim".to_owned(), "qemu".to_owned()],
        planned: 4,
        hil_version: "0.1.0".to_owned(),
        partition: None,
        host: "lab-host-1".to_owned(),
        selected: Vec::new(),
        suite_selected: 0,
    }
}

fn case(rig: &str, case_id: &str, outcome: Outcome, logs: Vec<LogLine>) -> CaseResult {
    CaseResult {
        rig: rig.to_owned(),
        case_id: case_id.to_owned(),
        title: format!("title of {case_id}"),
        area: "memory".to_owned(),
        file: format!("conformance/memory/{case_id}.yaml"),
        tags: vec!["abi".to_owned()],
        spec: SpecCitation {
            quote: "Calls with an unaligned pointer return MV_STATUS_UNALIGNED.".to_owned(),
            source: "microvisor-api#memory".to_owned(),
        },
        outcome,
        duration_ms: 12.5,
        transcript: format!("> call {case_id}\n< status 0\n"),
        logs,
        attempts: Vec::new(),
        flaky: false,
        quarantine: None,
    }
}

pub fn passed() -> CaseResult {
    case("sim", "mem-read-ok", Outcome::Passed, vec![])
}

pub fn failed() -> CaseResult {
    case(
        "sim",
        "mem-unaligned",
        Outcome::Failed {
            step: 3,
            field: "steps[3]".to_owned(),
            line: 12,
            message: "expected status MV_STATUS_UNALIGNED, got MV_STATUS_OKAY".to_owned(),
        },
        vec![
            LogLine {
                source: "defmt:secure".to_owned(),
                text: "read 4 bytes at 0x2000_0001".to_owned(),
                location: Some("src/main.rs:82".to_owned()),
            },
            LogLine {
                source: "server-log".to_owned(),
                text: "hello".to_owned(),
                location: None,
            },
        ],
    )
}

pub fn errored() -> CaseResult {
    case(
        "qemu",
        "mem-read-ok",
        Outcome::Error {
            message: "rig stopped answering after 5 s; check that QEMU is still running".to_owned(),
        },
        vec![LogLine {
            source: "fault".to_owned(),
            text: "HardFault at pc=0x0800_1234".to_owned(),
            location: None,
        }],
    )
}

pub fn skipped() -> CaseResult {
    case(
        "qemu",
        "mem-unaligned",
        Outcome::Skipped {
            reason: "quarantined: flaky on qemu (issue 42)".to_owned(),
        },
        vec![],
    )
}

/// The whole scripted run: two rigs, one passed, one failed, one error, one skipped.
pub fn full_run() -> Vec<Event> {
    let mut events = vec![Event::RunStarted(run_info())];
    for result in [passed(), failed(), errored(), skipped()] {
        events.push(Event::CaseStarted {
            rig: result.rig.clone(),
            case_id: result.case_id.clone(),
        });
        events.push(Event::CaseFinished(result));
    }
    events.push(Event::RunFinished {
        finished_at: "2026-11-20T22:15:09Z".to_owned(),
        interrupted: false,
        exit_code: 1,
    });
    events
}
