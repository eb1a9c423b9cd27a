//! Blessed baselines: what a release is compared with, as a versioned JSON file under `reports/baselines/`.
//!
//! `hil baseline bless <run>...` records, per rig, every case's status and
//! every campaign figure of the runs given. The file is reviewed and
//! committed like code: a change of baseline is a decision someone signs.

use std::collections::BTreeMap;
use std::path::Path;

use hil_report::{ExitCode, Outcome};
use serde::{Deserialize, Serialize};

use crate::runset::RunSet;

/// The format of the baseline file; bumped on a breaking change.
pub const BASELINE_SCHEMA: &str = "hil-baseline/1";

/// A case's status as a baseline keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    Error,
    Skipped,
}

impl Status {
    pub fn of(outcome: &Outcome) -> Status {
        match outcome {
            Outcome::Passed => Status::Passed,
            Outcome::Failed { .. } => Status::Failed,
            Outcome::Error { .. } => Status::Error,
            Outcome::Skipped { .. } => Status::Skipped,
        }
    }

    /// Ran to a verdict (passed or failed) rather than erroring or skipping.
    pub fn ran(self) -> bool {
        matches!(self, Status::Passed | Status::Failed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Error => "error",
            Status::Skipped => "skipped",
        }
    }
}

/// A blessed baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// [`BASELINE_SCHEMA`].
    pub schema: String,
    /// RFC 3339 UTC.
    pub blessed_at: String,
    /// The run ids it was made from.
    pub runs: Vec<String>,
    pub hil_version: String,
    /// Rig → case id → status.
    pub results: BTreeMap<String, BTreeMap<String, Status>>,
    /// `<campaign>.<rig>.<figure>` → value.
    pub figures: BTreeMap<String, f64>,
}

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error(
        "cannot read the baseline {path}: {message}; make one with `hil baseline bless <run>`"
    )]
    Read { path: String, message: String },
    #[error(
        "the baseline {path} is `{found}`, this hil reads `{BASELINE_SCHEMA}`; bless a new one"
    )]
    Schema { path: String, found: String },
    #[error("cannot write the baseline {path}: {message}")]
    Write { path: String, message: String },
}

impl BaselineError {
    /// A missing or unreadable baseline is bad input (2); a baseline that
    /// cannot be written is a failure while running (3).
    pub fn exit_code(&self) -> ExitCode {
        match self {
            BaselineError::Write { .. } => ExitCode::RigError,
            _ => ExitCode::BadInput,
        }
    }
}

/// The key of a figure in a baseline.
pub fn figure_key(campaign: &str, rig: &str, name: &str) -> String {
    format!("{campaign}.{rig}.{name}")
}

impl Baseline {
    /// Blesses the results and figures of `set`, made at `now` (RFC 3339).
    pub fn bless(set: &RunSet, now: &str) -> Baseline {
        let mut results: BTreeMap<String, BTreeMap<String, Status>> = BTreeMap::new();
        for case in set.cases() {
            results
                .entry(case.rig.clone())
                .or_default()
                .insert(case.case_id.clone(), Status::of(&case.outcome));
        }
        let figures = set
            .figures()
            .map(|f| (figure_key(&f.campaign, &f.rig, &f.name), f.value))
            .collect();
        Baseline {
            schema: BASELINE_SCHEMA.to_owned(),
            blessed_at: now.to_owned(),
            runs: set
                .runs
                .iter()
                .map(|r| r.report.run.run_id.clone())
                .collect(),
            hil_version: set
                .runs
                .first()
                .map(|r| r.report.run.hil_version.clone())
                .unwrap_or_default(),
            results,
            figures,
        }
    }

    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| BaselineError::Read {
            path: label.clone(),
            message: e.to_string(),
        })?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| BaselineError::Read {
                path: label.clone(),
                message: format!("not JSON: {e}"),
            })?;
        let found = value["schema"].as_str().unwrap_or("").to_owned();
        if found != BASELINE_SCHEMA {
            return Err(BaselineError::Schema { path: label, found });
        }
        serde_json::from_value(value).map_err(|e| BaselineError::Read {
            path: label,
            message: format!("not a baseline: {e}"),
        })
    }

    /// Writes the baseline as pretty JSON (stable key order, for review).
    pub fn save(&self, path: &Path) -> Result<(), BaselineError> {
        let write = |message: String| BaselineError::Write {
            path: path.display().to_string(),
            message,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| write(e.to_string()))?;
        }
        let mut json = serde_json::to_string_pretty(self).map_err(|e| write(e.to_string()))?;
        json.push('\n');
        std::fs::write(path, json).map_err(|e| write(e.to_string()))
    }

    /// Every case id the baseline knows, on any rig.
    pub fn case_ids(&self) -> std::collections::BTreeSet<&str> {
        self.results
            .values()
            .flat_map(|cases| cases.keys().map(String::as_str))
            .collect()
    }
}
