//! `hil run`: the conformance cases on the chosen rigs, reported to `reports/<run-id>/`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hil_report::{run_id_now, CaseResult, ExitCode, Outcome, ReportDir};
use hil_runner::{ParitySink, Plan, Selection};

use super::repo::{command_line, find_root, load_cases, pick_rigs, reports_dir};
use crate::failure::SystemFailure;
use crate::interrupt;
use crate::progress::Progress;

pub fn run(
    root: Option<PathBuf>,
    rigs: &[String],
    selection: &Selection,
    reports: &Path,
) -> Result<ExitCode> {
    let root = find_root(root)?;
    let cases = load_cases(&root, selection)?;
    let rigs = pick_rigs(&root, rigs)?;
    let reports = reports_dir(&root, reports);
    let (dir, run_id) =
        ReportDir::create_new(&reports, run_id_now).context("cannot create the report folder")?;
    let mut sinks = dir.file_sinks();
    sinks.add(Box::new(ParitySink::new(dir.path())));
    sinks.add(Box::new(Progress::new()));
    let rig_names: Vec<String> = rigs.iter().map(|r| r.name.clone()).collect();
    let plan = Plan {
        rigs,
        cases,
        root,
        command: command_line(),
    };
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| SystemFailure(format!("cannot start the async runtime: {e}")))?;
    let stop = interrupt::flag(None);
    let summary = runtime.block_on(hil_runner::run(plan, run_id, sinks, stop));
    print_summary(&summary.results, summary.interrupted, dir.path());
    if rig_names.len() > 1 {
        let differences = summary.parity();
        for d in &differences {
            println!(
                "parity: {} differs between {} and {} at line {}",
                d.case_id, d.left_rig, d.right_rig, d.line
            );
        }
        println!(
            "parity: {} case(s) differ between {}",
            differences.len(),
            rig_names.join(" and ")
        );
    }
    Ok(summary.exit_code)
}

/// Per rig and overall: passed, failed, errors, skipped; where the report is.
pub fn print_summary(results: &[CaseResult], interrupted: bool, dir: &Path) {
    let mut rigs: Vec<&str> = Vec::new();
    for r in results {
        if !rigs.contains(&r.rig.as_str()) {
            rigs.push(&r.rig);
        }
    }
    let (mut passed, mut failed, mut errors, mut skipped) = (0, 0, 0, 0);
    for rig in rigs {
        let (mut p, mut f, mut e, mut s) = (0, 0, 0, 0);
        for r in results.iter().filter(|r| r.rig == rig) {
            match r.outcome {
                Outcome::Passed => p += 1,
                Outcome::Failed { .. } => f += 1,
                Outcome::Error { .. } => e += 1,
                Outcome::Skipped { .. } => s += 1,
            }
        }
        println!("{rig}: {p} passed, {f} failed, {e} errors, {s} skipped");
        (passed, failed, errors, skipped) = (passed + p, failed + f, errors + e, skipped + s);
    }
    if interrupted {
        println!("interrupted: the report holds the cases that finished");
    }
    println!("report: {}", dir.display());
    println!("{passed} passed, {failed} failed, {errors} errors, {skipped} skipped");
}
