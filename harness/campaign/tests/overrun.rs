//! The overrun campaign on `sim`: every point passes, its table is a reviewed snapshot, its report goes through the sinks.
//!
//! Also when interrupted. (The same sweep runs on QEMU in
//! `harness/runner/tests/qemu.rs`.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use hil_campaign::overrun::{self, default_sweep, run_point};
use hil_campaign::Setup;
use hil_report::{ExitCode, FanOut};
use hil_rig::{load_rigs, SimSession};

#[test]
fn the_whole_sweep_passes_on_sim() {
    let mut session = SimSession::new("sim", hil_sim::SimConfig::default());
    let sweep = default_sweep();
    let mut failures = Vec::new();
    let mut observations = Vec::new();
    for point in &sweep {
        let obs = run_point(&mut session, *point).expect("the sim runs every point");
        if !obs.problems().is_empty() {
            failures.push(format!("{}: {:?}", point.id(), obs.problems()));
        }
        observations.push(obs);
    }
    assert!(
        sweep.len() > 500,
        "the sweep shrank to {} points",
        sweep.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // A change in what the reader detects is a snapshot diff to review.
    let by_rig = BTreeMap::from([("sim".to_owned(), observations)]);
    insta::assert_snapshot!(
        "overrun_table_on_sim",
        hil_campaign::overrun::markdown(&by_rig)
    );
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn campaign(name: &str, stop: bool) -> (overrun::OverrunSummary, tempfile::TempDir) {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("hil-overrun-{name}-"))
        .tempdir()
        .unwrap();
    let reports = tmp.path().to_path_buf();
    let rigs: Vec<_> = load_rigs(&repo().join("rigs"))
        .unwrap()
        .into_iter()
        .filter(|r| r.name == "sim")
        .collect();
    let summary = overrun::run(
        &rigs,
        None,
        Setup {
            reports: reports.clone(),
            command: "test".into(),
            sinks: FanOut::new(),
            stop: Arc::new(AtomicBool::new(stop)),
        },
    )
    .unwrap();
    (summary, tmp)
}

#[test]
fn the_campaign_writes_its_table_and_plot_through_the_sinks() {
    let (summary, _reports) = campaign("sinks", false);
    assert_eq!(summary.exit_code, ExitCode::Passed);
    assert_eq!(summary.results.len(), default_sweep().len());
    let table = std::fs::read_to_string(summary.table()).unwrap();
    let mut session = SimSession::new("sim", hil_sim::SimConfig::default());
    let observations = default_sweep()
        .into_iter()
        .map(|p| run_point(&mut session, p).unwrap())
        .collect();
    assert_eq!(
        table,
        overrun::markdown(&BTreeMap::from([("sim".to_owned(), observations)])),
        "the sink's table is the campaign's table"
    );
    let svg = std::fs::read_to_string(summary.dir.join("overrun.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(summary.dir.join("results.json")).unwrap())
            .unwrap();
    assert_eq!(results["status"], "complete");
    assert_eq!(
        results["cases"].as_array().unwrap().len(),
        default_sweep().len()
    );
}

#[test]
fn an_interrupted_campaign_writes_a_valid_report_marked_interrupted() {
    let (summary, _reports) = campaign("interrupted", true);
    assert!(summary.interrupted && summary.results.is_empty());
    assert_eq!(summary.exit_code, ExitCode::Interrupted);
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(summary.dir.join("results.json")).unwrap())
            .unwrap();
    assert_eq!(results["status"], "interrupted");
    assert_eq!(results["exit_code"], 130);
    assert!(summary.table().is_file());
}
