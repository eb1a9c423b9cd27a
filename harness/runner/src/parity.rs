//! `parity.md`: a sink that compares every case's transcripts across the run's rigs.
//!
//! The same case must produce the same redacted transcript on every rig; a
//! difference is a bug in one of them. [`ParitySink`] collects the results
//! and, when more than one rig ran, writes every difference
//! ([`hil_report::parity`]) next to the run's summary.

use std::path::{Path, PathBuf};

pub use hil_report::parity::{compare, render, Difference};
use hil_report::{CaseResult, Event, ReportError, Sink};

/// Writes `<dir>/parity.md` when a run with more than one rig finishes.
pub struct ParitySink {
    path: PathBuf,
    rigs: Vec<String>,
    results: Vec<CaseResult>,
}

impl ParitySink {
    pub fn new(dir: &Path) -> Self {
        ParitySink {
            path: dir.join("parity.md"),
            rigs: Vec::new(),
            results: Vec::new(),
        }
    }
}

impl Sink for ParitySink {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        match event {
            Event::RunStarted(info) => {
                self.rigs = info.rigs.clone();
                self.results.clear();
            }
            Event::CaseFinished(result) => self.results.push(result.clone()),
            Event::RunFinished { .. } if self.rigs.len() > 1 => {
                let text = render(&compare(&self.results), &self.rigs);
                std::fs::write(&self.path, text).map_err(|source| ReportError::Write {
                    path: self.path.clone(),
                    source,
                })?;
            }
            _ => {}
        }
        Ok(())
    }
}
