//! `hil gate`: a run (or a merged set of runs) against the blessed baseline, the quarantine and the gate policy.
//!
//! Prints one verdict line and writes `gate.md` (and the gate section of
//! `report.html`) into the first folder. Exit codes: 0 the gate passes,
//! 1 it fails, 2 bad input (no or malformed baseline, policy or
//! quarantine; shards missing or given twice), 3 a run is partial.

use std::path::PathBuf;

use anyhow::Result;
use hil_report::ExitCode;

use super::repo::find_root;
use super::runs::{gate as judge, load_runs, publish, run_dirs, GateInputs};

pub fn gate(root: Option<PathBuf>, dirs: &[PathBuf], inputs: &GateInputs) -> Result<ExitCode> {
    let root = find_root(root)?;
    let dirs = run_dirs(&root, dirs);
    let set = load_runs(&dirs)?;
    let (report, baseline) = judge(&root, &set, inputs)?;
    publish(&dirs[0], &report, &baseline)?;
    super::html::rewrite(&root, &dirs[0], &set, Some((&report, baseline.as_str())))?;
    Ok(report.exit_code())
}
