//! The `results.json` document: a run's info, status, counters and every case result.
//!
//! Versioned by [`SCHEMA_VERSION`]. Within a version fields are only ever added, so a
//! reader written for version N keeps working on any later file of version N; a
//! breaking change (rename, removal, changed meaning) bumps the version.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ReportError;
use crate::event::{CaseResult, Event, Figure, Outcome, RunInfo};

/// Version of the `results.json` schema; bumped on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole of `results.json`: written at the start and the end of a run, and
/// rewritten whole every so often in between, so an interrupted or killed run
/// still leaves a valid file (`events.jsonl` holds every case that came after).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct RunReport {
    /// Version of this schema; check it before reading any other field.
    pub schema_version: u32,
    pub run: RunInfo,
    pub status: RunStatus,
    /// RFC 3339, UTC; null until the run finished.
    pub finished_at: Option<String>,
    /// The process exit code; null until the run finished.
    pub exit_code: Option<i32>,
    pub summary: Summary,
    /// Finished cases, in the order they finished.
    pub cases: Vec<CaseResult>,
    /// What the run's campaigns measured, in the order they were reported.
    #[serde(default)]
    pub figures: Vec<Figure>,
}

/// Where a run is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still running, or killed before it could say otherwise.
    Running,
    /// Every planned case ran.
    Complete,
    /// Stopped early (Ctrl-C, fatal rig loss); `cases` holds what finished.
    Interrupted,
}

impl RunStatus {
    /// The serialized name: `running`, `complete` or `interrupted`.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Complete => "complete",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// Counters over all finished cases, and per rig.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
    /// Passed only on a retry (counted in `passed` too).
    #[serde(default)]
    pub flaky: usize,
    /// Failed or errored under a quarantine entry (counted in `failed` or
    /// `errors` too): reported, not held against the run.
    #[serde(default)]
    pub quarantined: usize,
    /// Every rig of the run, including those with no finished case yet.
    pub per_rig: BTreeMap<String, RigSummary>,
}

/// Counters of one rig.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct RigSummary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
    #[serde(default)]
    pub flaky: usize,
    #[serde(default)]
    pub quarantined: usize,
}

impl RigSummary {
    fn count(&mut self, case: &CaseResult) {
        self.total += 1;
        self.flaky += usize::from(case.flaky);
        self.quarantined += usize::from(
            case.quarantine.is_some()
                && matches!(case.outcome, Outcome::Failed { .. } | Outcome::Error { .. }),
        );
        match &case.outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Error { .. } => self.errors += 1,
            Outcome::Skipped { .. } => self.skipped += 1,
        }
    }
}

impl Summary {
    /// Counts `cases`; every name in `rigs` gets a row even with nothing counted.
    pub fn tally(rigs: &[String], cases: &[CaseResult]) -> Summary {
        let mut summary = Summary {
            per_rig: rigs
                .iter()
                .map(|rig| (rig.clone(), RigSummary::default()))
                .collect(),
            ..Summary::default()
        };
        for case in cases {
            summary.count(case);
        }
        summary
    }

    /// Counts one more case, overall and on its rig.
    pub fn count(&mut self, case: &CaseResult) {
        self.per_rig
            .entry(case.rig.clone())
            .or_default()
            .count(case);
        let mut all = RigSummary {
            total: self.total,
            passed: self.passed,
            failed: self.failed,
            errors: self.errors,
            skipped: self.skipped,
            flaky: self.flaky,
            quarantined: self.quarantined,
        };
        all.count(case);
        self.total = all.total;
        self.passed = all.passed;
        self.failed = all.failed;
        self.errors = all.errors;
        self.skipped = all.skipped;
        self.flaky = all.flaky;
        self.quarantined = all.quarantined;
    }
}

impl RunReport {
    /// The report as of `RunStarted`: running, nothing finished.
    pub fn started(run: RunInfo) -> RunReport {
        let summary = Summary::tally(&run.rigs, &[]);
        RunReport {
            schema_version: SCHEMA_VERSION,
            run,
            status: RunStatus::Running,
            finished_at: None,
            exit_code: None,
            summary,
            cases: Vec::new(),
            figures: Vec::new(),
        }
    }

    /// Folds one event into the report; returns whether anything changed.
    ///
    /// `RunStarted` is not handled here: it makes a report (see [`RunReport::started`]).
    pub fn record(&mut self, event: &Event) -> bool {
        match event {
            Event::RunStarted(_) | Event::CaseStarted { .. } | Event::Point(_) => false,
            Event::Figure(figure) => {
                self.figures.push(figure.clone());
                true
            }
            Event::CaseFinished(result) => {
                // Counted as it comes: a tally of every case per case would
                // cost the square of the suite.
                self.summary.count(result);
                self.cases.push(result.clone());
                true
            }
            Event::RunFinished {
                finished_at,
                interrupted,
                exit_code,
            } => {
                self.status = if *interrupted {
                    RunStatus::Interrupted
                } else {
                    RunStatus::Complete
                };
                self.finished_at = Some(finished_at.clone());
                self.exit_code = Some(*exit_code);
                true
            }
        }
    }

    /// Rig names in run order, then any rig only seen in results, for stable output.
    pub fn rigs(&self) -> Vec<&str> {
        let mut rigs: Vec<&str> = self.run.rigs.iter().map(String::as_str).collect();
        for case in &self.cases {
            if !rigs.contains(&case.rig.as_str()) {
                rigs.push(&case.rig);
            }
        }
        rigs
    }
}

/// The report a file sink keeps: absent until `RunStarted`.
///
/// Returns the report when `event` changed it (so the sink should rewrite its file),
/// `None` when there is nothing new to write.
pub(crate) fn track<'a>(
    state: &'a mut Option<RunReport>,
    event: &Event,
) -> Result<Option<&'a RunReport>, ReportError> {
    if let Event::RunStarted(run) = event {
        return Ok(Some(state.insert(RunReport::started(run.clone()))));
    }
    let report = state.as_mut().ok_or(ReportError::NotStarted {
        event: event.name(),
    })?;
    Ok(if report.record(event) {
        Some(report)
    } else {
        None
    })
}

/// The JSON Schema of `results.json` ([`RunReport`]), pretty-printed.
///
/// Committed as `reports/schema/results.schema.json`; a test fails when it is stale.
pub fn results_json_schema() -> String {
    let schema = schemars::schema_for!(RunReport);
    serde_json::to_string_pretty(&schema).expect("a JSON Schema always serializes")
}
