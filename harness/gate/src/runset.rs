//! A set of run folders judged as one: the shards of a suite from many hosts, or the parts of a nightly.
//!
//! Each folder holds a `results.json` (a run), or a `parts/` folder of runs
//! (a nightly). Shards (`--partition`) must be complete: every shard `k/n`
//! exactly once, the same `n` and kind everywhere, and no case × rig in two
//! runs. A duplicate or a missing shard is an error, never a smaller report.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hil_report::{
    CaseResult, ExitCode, Figure, Partition, RunInfo, RunReport, RunStatus, Summary, SCHEMA_VERSION,
};

/// Why a set of run folders cannot be judged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunSetError {
    #[error("{path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path}: results.json has schema version {found}, this hil reads {SCHEMA_VERSION}; use the hil that wrote it")]
    Schema { path: PathBuf, found: u32 },
    #[error("{path}: the run is {status}, not complete: its results are partial; rerun it")]
    Incomplete { path: PathBuf, status: &'static str },
    #[error("shard {shard} is given twice: {first} and {second}")]
    DuplicateShard {
        shard: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(
        "shard {shard} is missing (given: {given}); every shard of a partition must be merged"
    )]
    MissingShard { shard: String, given: String },
    #[error("the shards disagree on the partition: {first} ({a}) and {second} ({b})")]
    MixedPartitions {
        first: PathBuf,
        a: String,
        second: PathBuf,
        b: String,
    },
    #[error("case {case} on rig {rig} is in two runs: {first} and {second}")]
    Overlap {
        case: String,
        rig: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("the shards selected {got} cases, but the selection had {want}: the shards do not come from one selection")]
    CaseCount { got: usize, want: usize },
    #[error("no run folder given")]
    Empty,
}

impl RunSetError {
    /// A partial run is a rig problem (exit 3); anything else about the
    /// folders given is bad input (exit 2).
    pub fn exit_code(&self) -> ExitCode {
        match self {
            RunSetError::Incomplete { .. } => ExitCode::RigError,
            _ => ExitCode::BadInput,
        }
    }
}

/// One run read back from its folder.
#[derive(Debug, Clone)]
pub struct LoadedRun {
    pub dir: PathBuf,
    pub report: RunReport,
}

/// Runs judged together.
#[derive(Debug, Clone, Default)]
pub struct RunSet {
    pub runs: Vec<LoadedRun>,
}

impl RunSet {
    /// Reads every folder (a run, or a nightly's `parts/`) and checks the set.
    pub fn load(dirs: &[PathBuf]) -> Result<RunSet, Vec<RunSetError>> {
        if dirs.is_empty() {
            return Err(vec![RunSetError::Empty]);
        }
        let mut runs = Vec::new();
        let mut errors = Vec::new();
        for dir in dirs {
            for run_dir in run_dirs(dir, &mut errors) {
                match read_run(&run_dir) {
                    Ok(report) => runs.push(LoadedRun {
                        dir: run_dir,
                        report,
                    }),
                    Err(e) => errors.push(e),
                }
            }
        }
        let set = RunSet { runs };
        errors.extend(set.check());
        if errors.is_empty() {
            Ok(set)
        } else {
            Err(errors)
        }
    }

    /// The set's problems: partial runs, duplicate or missing shards, overlaps.
    pub fn check(&self) -> Vec<RunSetError> {
        let mut errors = Vec::new();
        for run in &self.runs {
            if run.report.status != RunStatus::Complete {
                errors.push(RunSetError::Incomplete {
                    path: run.dir.clone(),
                    status: run.report.status.as_str(),
                });
            }
        }
        let shards: Vec<(&LoadedRun, Partition)> = self
            .runs
            .iter()
            .filter_map(|r| r.report.run.partition.map(|p| (r, p)))
            .collect();
        if let Some((first, p0)) = shards.first() {
            let mut seen: BTreeMap<u32, &LoadedRun> = BTreeMap::new();
            for (run, p) in &shards {
                if (p.kind, p.total) != (p0.kind, p0.total) {
                    errors.push(RunSetError::MixedPartitions {
                        first: first.dir.clone(),
                        a: p0.to_string(),
                        second: run.dir.clone(),
                        b: p.to_string(),
                    });
                    continue;
                }
                if let Some(other) = seen.insert(p.shard, run) {
                    errors.push(RunSetError::DuplicateShard {
                        shard: p.to_string(),
                        first: other.dir.clone(),
                        second: run.dir.clone(),
                    });
                }
            }
            let given: Vec<String> = seen
                .keys()
                .map(|k| Partition { shard: *k, ..*p0 }.to_string())
                .collect();
            for k in 1..=p0.total {
                if !seen.contains_key(&k) {
                    errors.push(RunSetError::MissingShard {
                        shard: Partition { shard: k, ..*p0 }.to_string(),
                        given: given.join(", "),
                    });
                }
            }
            let want = shards
                .iter()
                .map(|(r, _)| r.report.run.suite_selected)
                .max()
                .unwrap_or(0);
            let got: BTreeSet<&String> = shards
                .iter()
                .flat_map(|(r, _)| &r.report.run.selected)
                .collect();
            if errors.is_empty() && want > 0 && got.len() != want {
                errors.push(RunSetError::CaseCount {
                    got: got.len(),
                    want,
                });
            }
        }
        let mut first_seen: BTreeMap<(&str, &str), &Path> = BTreeMap::new();
        for run in &self.runs {
            for case in &run.report.cases {
                let key = (case.case_id.as_str(), case.rig.as_str());
                if let Some(first) = first_seen.insert(key, &run.dir) {
                    errors.push(RunSetError::Overlap {
                        case: case.case_id.clone(),
                        rig: case.rig.clone(),
                        first: first.to_owned(),
                        second: run.dir.clone(),
                    });
                }
            }
        }
        errors
    }

    /// Every case result of every run, in run order.
    pub fn cases(&self) -> impl Iterator<Item = &CaseResult> {
        self.runs.iter().flat_map(|r| &r.report.cases)
    }

    /// Every campaign figure of every run.
    pub fn figures(&self) -> impl Iterator<Item = &Figure> {
        self.runs.iter().flat_map(|r| &r.report.figures)
    }

    /// The rigs of the set, in the order the runs name them.
    pub fn rigs(&self) -> Vec<String> {
        let mut rigs: Vec<String> = Vec::new();
        for run in &self.runs {
            for rig in run.report.rigs() {
                if !rigs.iter().any(|r| r == rig) {
                    rigs.push(rig.to_owned());
                }
            }
        }
        rigs
    }

    /// The set as one report, as if one run had done it all.
    pub fn merged(&self, run_id: &str, command: &str) -> RunReport {
        let cases: Vec<CaseResult> = self.cases().cloned().collect();
        let rigs = self.rigs();
        let infos: Vec<&RunInfo> = self.runs.iter().map(|r| &r.report.run).collect();
        let mut hosts: Vec<&str> = infos.iter().map(|i| i.host.as_str()).collect();
        hosts.dedup();
        let mut selected: Vec<String> = infos.iter().flat_map(|i| i.selected.clone()).collect();
        selected.sort();
        selected.dedup();
        let interrupted = self
            .runs
            .iter()
            .any(|r| r.report.status == RunStatus::Interrupted);
        let exit_code = if interrupted {
            ExitCode::Interrupted
        } else {
            ExitCode::from_results(&cases)
        };
        RunReport {
            schema_version: SCHEMA_VERSION,
            run: RunInfo {
                run_id: run_id.to_owned(),
                started_at: infos
                    .iter()
                    .map(|i| i.started_at.clone())
                    .min()
                    .unwrap_or_default(),
                command: command.to_owned(),
                rigs: rigs.clone(),
                planned: infos.iter().map(|i| i.planned).sum(),
                hil_version: infos
                    .first()
                    .map(|i| i.hil_version.clone())
                    .unwrap_or_default(),
                partition: None,
                host: hosts.join(", "),
                suite_selected: selected.len(),
                selected,
            },
            status: if interrupted {
                RunStatus::Interrupted
            } else {
                RunStatus::Complete
            },
            finished_at: self
                .runs
                .iter()
                .filter_map(|r| r.report.finished_at.clone())
                .max(),
            exit_code: Some(exit_code.code()),
            summary: Summary::tally(&rigs, &cases),
            cases,
            figures: self.figures().cloned().collect(),
        }
    }
}

/// The run folders in `dir`: itself, or its nightly `parts/*`.
fn run_dirs(dir: &Path, errors: &mut Vec<RunSetError>) -> Vec<PathBuf> {
    if dir.join("results.json").is_file() {
        return vec![dir.to_owned()];
    }
    let parts = dir.join("parts");
    let mut found: Vec<PathBuf> = match std::fs::read_dir(&parts) {
        // Not `latest` or any other symlink: each run is read once.
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .filter(|p| p.join("results.json").is_file())
            .collect(),
        Err(_) => Vec::new(),
    };
    found.sort();
    if found.is_empty() {
        errors.push(RunSetError::Read {
            path: dir.to_owned(),
            message: "no results.json here (nor in parts/*/): not a report folder of hil".into(),
        });
    }
    found
}

fn read_run(dir: &Path) -> Result<RunReport, RunSetError> {
    let path = dir.join("results.json");
    let text = std::fs::read_to_string(&path).map_err(|e| RunSetError::Read {
        path: path.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| RunSetError::Read {
        path: path.clone(),
        message: format!("not JSON: {e}"),
    })?;
    let found = value["schema_version"].as_u64().unwrap_or(0) as u32;
    if found != SCHEMA_VERSION {
        return Err(RunSetError::Schema { path, found });
    }
    let report = serde_json::from_value(value).map_err(|e| RunSetError::Read {
        path: path.clone(),
        message: format!("not a results.json of this schema: {e}"),
    })?;
    // A run killed between two rewrites of results.json: its journal has the rest.
    hil_report::complete_from_journal(dir, report).map_err(|e| RunSetError::Read {
        path,
        message: e.to_string(),
    })
}
