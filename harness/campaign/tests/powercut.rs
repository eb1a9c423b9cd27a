//! The sim power-cut campaign on a small update: zero failures, exact replays, a report that survives an interrupt.
//!
//! Every single cut (before and inside every flash operation), nested and
//! random cuts, the eight tampered bundles; replays reproduce a point exactly.

use std::path::Path;

use hil_campaign::powercut::{self, chosen_plans, CampaignConfig, Outcome, Scenario};
use hil_campaign::{Quiet, Setup};
use hil_report::{ExitCode, FanOut};

/// Three chunks: resume has something to skip, install has pages to copy.
const APP: usize = 2 * 8192 + 1000;

fn setup(reports: &Path) -> Setup {
    Setup {
        reports: reports.to_owned(),
        command: "test".into(),
        sinks: FanOut::new(),
        stop: Default::default(),
    }
}

#[test]
fn the_exhaustive_sweep_of_a_small_update_has_no_failures() {
    let cfg = CampaignConfig {
        app_size: APP,
        nested_stride: 32,
        random: 50,
        seed: 7,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        full_replay: false,
    };
    let dir = tempfile::tempdir().unwrap();
    let summary = powercut::run_sim(&cfg, setup(dir.path()), &Quiet).unwrap();
    let cal = Scenario::synthetic(APP).unwrap().calibrate().unwrap();
    let of = |kind: &str| -> Vec<&powercut::PointResult> {
        summary
            .points
            .iter()
            .filter(|(k, _)| k == kind)
            .map(|(_, p)| p)
            .collect()
    };
    let (single, nested) = (of("single"), of("nested"));
    assert_eq!(
        single.len(),
        2 * cal.ops as usize,
        "every operation, before and inside"
    );
    assert!(!nested.is_empty() && of("random").len() == 50);
    assert_eq!(summary.points.len(), summary.planned, "the whole plan ran");
    let failures: Vec<String> = summary
        .points
        .iter()
        .filter(|(_, p)| p.outcome != Outcome::Ok)
        .map(|(_, p)| format!("{} {}: {}", p.id, p.outcome.name(), p.detail))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(of("tamper").len(), 8);
    // Every phase of the update was cut somewhere.
    for phase in powercut::Phase::ALL {
        assert!(
            single.iter().any(|p| p.phase == phase),
            "no cut in phase {}",
            phase.name()
        );
    }
    // Nested plans really cut twice.
    assert!(nested.iter().any(|p| p.cuts_fired == 2));
}

#[test]
fn a_replay_id_reproduces_its_point_exactly() {
    let s = Scenario::synthetic(APP).unwrap();
    let cal = s.calibrate().unwrap();
    for plan in chosen_plans(&cal) {
        let (a, b) = (s.run_plan(&plan, Some(&cal)), s.run_plan(&plan, Some(&cal)));
        assert_eq!(
            (a.outcome, &a.life_ops),
            (Outcome::Ok, &b.life_ops),
            "{}",
            a.id
        );
        assert_eq!(
            powercut::plan_id(&powercut::parse_plan(&a.id).unwrap()),
            a.id
        );
    }
}

#[test]
fn the_report_lists_phases_tamper_classes_and_the_plot() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = CampaignConfig {
        app_size: APP,
        nested_stride: 0,
        random: 0,
        seed: 1,
        threads: 1,
        full_replay: false,
    };
    let summary = powercut::run_sim(&cfg, setup(dir.path()), &Quiet).unwrap();
    assert_eq!(summary.exit_code, ExitCode::Passed);
    assert_eq!(summary.failures, 0);
    let run = summary.report.parent().unwrap().to_owned();
    let md = std::fs::read_to_string(run.join("powercut.md")).unwrap();
    for needle in [
        "| single | download |",
        "| single | install |",
        "measurement-mismatch",
        "## Failures: 0",
        &format!("{0} of {0} planned points ran", summary.planned),
    ] {
        assert!(md.contains(needle), "{needle} missing from\n{md}");
    }
    let svg = std::fs::read_to_string(run.join("powercut.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("#38761d"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("powercut.json")).unwrap()).unwrap();
    assert!(json["points"].as_array().unwrap().len() > 100);
    // Every point was also streamed, one line each, as it finished.
    let lines = std::fs::read_to_string(run.join("powercut.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), summary.points.len());
    let results: hil_report::RunReport =
        serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap()).unwrap();
    assert!(results
        .cases
        .iter()
        .any(|c| c.case_id == "ota.tamper.downgrade"));
    assert_eq!(
        results.run.planned,
        results.cases.len(),
        "one case per planned group"
    );
}

#[test]
fn an_interrupted_campaign_reports_what_ran_of_the_whole_plan() {
    let cfg = CampaignConfig {
        app_size: APP,
        nested_stride: 16,
        random: 20,
        seed: 1,
        threads: 1,
        full_replay: false,
    };
    // Ctrl-C before the first point: nothing runs, the report says so and
    // still knows the size of the plan.
    let dir = tempfile::tempdir().unwrap();
    let s = setup(dir.path());
    s.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let summary = powercut::run_sim(&cfg, s, &Quiet).unwrap();
    assert!(summary.interrupted && summary.points.is_empty());
    assert_eq!(summary.exit_code.code(), 130);
    let cal = Scenario::synthetic(APP).unwrap().calibrate().unwrap();
    assert!(
        summary.planned >= 2 * cal.ops as usize + 20 + 8,
        "{}",
        summary.planned
    );
    let run = summary.report.parent().unwrap().to_owned();
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["status"], "interrupted", "{results}");
    assert!(results["run"]["planned"].as_u64().unwrap() > 8, "{results}");
    let md = std::fs::read_to_string(run.join("powercut.md")).unwrap();
    assert!(
        md.contains(&format!(
            "**Interrupted** (Ctrl-C or SIGTERM): 0 of {} planned points ran",
            summary.planned
        )),
        "{md}"
    );
}

#[test]
fn a_replay_past_the_calibrated_update_is_refused() {
    let error = powercut::replay_sim(APP, "op99999999999i").err().unwrap();
    assert_eq!(error.exit_code(), ExitCode::BadInput);
    assert!(error.to_string().contains("never fires"), "{error}");
}

#[test]
fn every_failure_id_a_report_lists_replays() {
    // A 1-byte app: halving its layer empties it, which the device refuses
    // as out of range before any hash. That is a refusal, not an
    // acceptance, and its id must replay.
    let p = Scenario::synthetic(1)
        .unwrap()
        .run_tamper(hil_bundle::tamper::TamperClass::TruncatedLayer);
    assert_eq!(p.outcome, Outcome::RefusedOtherwise, "{}", p.detail);
    assert!(
        p.detail.contains("refused with RomTooLarge"),
        "{}",
        p.detail
    );
    let replayed = powercut::replay_sim(1, &p.id).unwrap();
    assert_eq!(replayed.point.outcome, Outcome::RefusedOtherwise);
}
