//! `hil baseline bless <run>...`: the runs' results and campaign figures become the baseline a release is gated on.

use std::path::{Path, PathBuf};

use anyhow::Result;
use hil_gate::Baseline;
use hil_report::ExitCode;

use super::repo::{find_root, reports_dir};
use super::runs::{load_runs, run_dirs, DEFAULT_BASELINE};

pub fn bless(root: Option<PathBuf>, dirs: &[PathBuf], out: Option<&Path>) -> Result<ExitCode> {
    let root = find_root(root)?;
    let set = load_runs(&run_dirs(&root, dirs))?;
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let baseline = Baseline::bless(&set, &now);
    let path = reports_dir(&root, out.unwrap_or(Path::new(DEFAULT_BASELINE)));
    baseline.save(&path)?;
    let results: usize = baseline.results.values().map(|r| r.len()).sum();
    println!(
        "blessed {} result(s) on {} rig(s) and {} figure(s) from {} run(s): {}",
        results,
        baseline.results.len(),
        baseline.figures.len(),
        baseline.runs.len(),
        path.display()
    );
    println!("review the diff and commit it: the release gate compares with this file");
    Ok(ExitCode::Passed)
}
