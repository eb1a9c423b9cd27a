//! The sim power-cut campaign on a small update: zero failures, exact replays, a report that survives an interrupt.
//!
//! Every single cut (before and inside every flash operation), nested and
//! random cuts, the eight tampered bundles; replays reproduce a point exactly.

use std::path::Path;
use std::sync::atomic::AtomicBool;

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
    };
    let result = powercut::run(&cfg, &|_, _, _| {}, &AtomicBool::new(false)).unwrap();
    let ops = result.calibration.ops as usize;
    assert_eq!(
        result.single.len(),
        2 * ops,
        "every operation, before and inside"
    );
    assert!(!result.nested.is_empty() && result.random.len() == 50);
    let failures: Vec<String> = result
        .failures()
        .map(|p| format!("{} {}: {}", p.id, p.outcome.name(), p.detail))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(result.tamper.len(), 8);
    // Every phase of the update was cut somewhere.
    for phase in powercut::Phase::ALL {
        assert!(
            result.single.iter().any(|p| p.phase == phase),
            "no cut in phase {}",
            phase.name()
        );
    }
    // Nested plans really cut twice.
    assert!(result.nested.iter().any(|p| p.cuts_fired == 2));
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
    let dir = std::env::temp_dir().join(format!("hil-ota-report-{}", std::process::id()));
    let cfg = CampaignConfig {
        app_size: APP,
        nested_stride: 0,
        random: 0,
        seed: 1,
        threads: 1,
    };
    let summary = powercut::run_sim(&cfg, setup(&dir), &Quiet).unwrap();
    assert_eq!(summary.exit_code, ExitCode::Passed);
    assert_eq!(summary.failures, 0);
    let run = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let md = std::fs::read_to_string(run.join("powercut.md")).unwrap();
    assert_eq!(std::fs::read_to_string(&summary.report).unwrap(), md);
    for needle in [
        "| single | download |",
        "| single | install |",
        "measurement-mismatch",
        "## Failures: 0",
    ] {
        assert!(md.contains(needle), "{needle} missing from\n{md}");
    }
    let svg = std::fs::read_to_string(run.join("powercut.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("#38761d"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("powercut.json")).unwrap()).unwrap();
    assert!(json["points"].as_array().unwrap().len() > 100);
    let results = std::fs::read_to_string(run.join("results.json")).unwrap();
    assert!(results.contains("ota.tamper.downgrade"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_interrupted_campaign_still_writes_a_valid_report() {
    let cfg = CampaignConfig {
        app_size: APP,
        nested_stride: 0,
        random: 0,
        seed: 1,
        threads: 1,
    };
    // Ctrl-C before the first point: nothing runs, the report says so.
    let result = powercut::run(&cfg, &|_, _, _| {}, &AtomicBool::new(true)).unwrap();
    assert!(result.interrupted && result.single.is_empty() && result.tamper.is_empty());
    let dir = std::env::temp_dir().join(format!("hil-ota-interrupted-{}", std::process::id()));
    let summary = powercut::write_report(
        setup(&dir),
        powercut::ReportInfo {
            rig: "sim",
            header: "test".into(),
            phases: &result.calibration.phases,
            extra: serde_json::json!({}),
            replay_hint: "replay",
            interrupted: true,
        },
        &[],
    )
    .unwrap();
    assert_eq!(summary.exit_code.code(), 130);
    let run = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["status"], "interrupted", "{results}");
    assert!(std::fs::read_to_string(run.join("powercut.md"))
        .unwrap()
        .contains("Interrupted"));
    let _ = std::fs::remove_dir_all(&dir);
}
