//! `results.json`: the machine-readable run report, valid at every moment of the run.

use std::path::{Path, PathBuf};

use crate::atomic::write_atomic;
use crate::cadence::Cadence;
use crate::error::ReportError;
use crate::event::Event;
use crate::schema::{track, RunReport};
use crate::sink::Sink;

/// Rewrites `<dir>/results.json` on `RunStarted`, on `RunFinished`, and
/// between them after a finished case or a figure when a rewrite is due
/// ([`crate::cadence`]).
pub struct JsonSink {
    path: PathBuf,
    report: Option<RunReport>,
    cadence: Cadence,
}

impl JsonSink {
    pub fn new(dir: &Path) -> Self {
        JsonSink {
            path: dir.join("results.json"),
            report: None,
            cadence: Cadence::default(),
        }
    }
}

impl Sink for JsonSink {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        let Some(report) = track(&mut self.report, event)? else {
            return Ok(());
        };
        let path = &self.path;
        self.cadence.rewrite(event, || {
            let mut json =
                serde_json::to_string_pretty(report).map_err(|source| ReportError::Json {
                    what: "results.json",
                    source,
                })?;
            json.push('\n');
            write_atomic(path, json.as_bytes())
        })
    }
}
