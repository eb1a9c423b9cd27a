//! What the commands that read reports share: run folders (default `reports/latest`), the gate's inputs, and the gate itself.

use std::path::{Path, PathBuf};

use anyhow::Result;
use hil_gate::{judge, Baseline, GatePolicy, GateReport, RunSet, RunSetError};

use super::repo::{load_quarantine, load_suite, reports_dir};
use crate::failure::{BadInput, SystemFailure};

/// The baseline `hil baseline bless` writes and `hil gate` reads by default.
pub const DEFAULT_BASELINE: &str = "reports/baselines/baseline.json";
/// The gate policy read by default (the built-in policy when it is absent).
pub const DEFAULT_POLICY: &str = "reports/baselines/gate-policy.yaml";

/// The folders given (relative to the root), or `reports/latest`.
pub fn run_dirs(root: &Path, dirs: &[PathBuf]) -> Vec<PathBuf> {
    if dirs.is_empty() {
        vec![root.join("reports/latest")]
    } else {
        dirs.iter().map(|d| reports_dir(root, d)).collect()
    }
}

/// Reads a run set; a partial run is exit 3, anything else wrong exit 2.
pub fn load_runs(dirs: &[PathBuf]) -> Result<RunSet> {
    RunSet::load(dirs).map_err(|errors| {
        let problems: Vec<String> = errors.iter().map(ToString::to_string).collect();
        if errors
            .iter()
            .any(|e| matches!(e, RunSetError::Incomplete { .. }))
        {
            SystemFailure(problems.join("; ")).into()
        } else {
            BadInput {
                problems,
                note: Some(
                    "the report folders given are not one whole set; nothing was judged".into(),
                ),
            }
            .into()
        }
    })
}

/// The results.json of `dir`, whatever its status, completed from its
/// journal when the run was killed (None if unreadable).
pub fn read_report(dir: &Path) -> Option<hil_report::RunReport> {
    let text = std::fs::read_to_string(dir.join("results.json")).ok()?;
    hil_report::complete_from_journal(dir, serde_json::from_str(&text).ok()?).ok()
}

/// Where the gate's inputs are.
#[derive(Clone, Debug, Default)]
pub struct GateInputs {
    pub baseline: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub quarantine: Option<PathBuf>,
}

/// The baseline file to use: the one given, else the default.
pub fn baseline_path(root: &Path, inputs: &GateInputs) -> PathBuf {
    reports_dir(
        root,
        inputs
            .baseline
            .as_deref()
            .unwrap_or(Path::new(DEFAULT_BASELINE)),
    )
}

/// Judges `set` with the baseline, policy and quarantine of `inputs`.
pub fn gate(root: &Path, set: &RunSet, inputs: &GateInputs) -> Result<(GateReport, String)> {
    let baseline_file = baseline_path(root, inputs);
    let baseline = Baseline::load(&baseline_file)?;
    let policy_file = reports_dir(
        root,
        inputs
            .policy
            .as_deref()
            .unwrap_or(Path::new(DEFAULT_POLICY)),
    );
    let policy = if inputs.policy.is_some() || policy_file.exists() {
        GatePolicy::load(&policy_file).map_err(|errors| BadInput {
            problems: errors.iter().map(ToString::to_string).collect(),
            note: Some("the gate policy is malformed; nothing was judged".into()),
        })?
    } else {
        GatePolicy::default()
    };
    let suite = load_suite(root)?;
    let quarantine = load_quarantine(root, inputs.quarantine.as_deref(), &suite)?;
    let report = judge(set, &baseline, &quarantine, &policy, hil_gate::today());
    let label = baseline_file
        .strip_prefix(root)
        .unwrap_or(&baseline_file)
        .display()
        .to_string();
    Ok((report, label))
}

/// Writes `gate.md` into `dir` and prints the verdict line.
pub fn publish(dir: &Path, report: &GateReport, baseline: &str) -> Result<()> {
    let path = dir.join("gate.md");
    std::fs::write(&path, hil_gate::markdown(report, baseline))
        .map_err(|e| SystemFailure(format!("cannot write {}: {e}", path.display())))?;
    println!("{}", report.verdict_line());
    println!("gate: {}", path.display());
    Ok(())
}
