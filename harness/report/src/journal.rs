//! `events.jsonl`: every event that changes the report, one JSON line each, appended the moment it happens.
//!
//! This is what makes a run's record survive anything: the whole-file
//! reports (`results.json`, `junit.xml`, `summary.md`) are rewritten only
//! now and then during a run ([`crate::cadence`]), while each finished case
//! costs one appended line here, flushed to the disk before the next event
//! is handled. A run killed at any instant (SIGKILL, a crash, the host
//! losing power) leaves every case that finished before it in this file;
//! [`complete_from_journal`] folds it into a `results.json` that stopped
//! short, which is how `hil` reads such a folder. A run that ends (even an
//! interrupted one) writes every file whole, and the journal then adds
//! nothing.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::ReportError;
use crate::event::Event;
use crate::schema::{track, RunReport, RunStatus};
use crate::sink::Sink;

/// The journal's file name in a run folder.
pub const JOURNAL: &str = "events.jsonl";

/// A JSON Lines file that grows by whole lines: each value is serialized
/// first and then written with one `write`, and the data is flushed to the
/// disk (`fdatasync`) before `append` returns.
pub(crate) struct JsonLines {
    path: PathBuf,
    file: Option<File>,
}

impl JsonLines {
    /// A file at `path`, opened (created, or appended to) on the first line.
    pub(crate) fn new(path: PathBuf) -> Self {
        JsonLines { path, file: None }
    }

    /// Appends `value` as one line; `what` names it in an error.
    pub(crate) fn append(
        &mut self,
        value: &impl Serialize,
        what: &'static str,
    ) -> Result<(), ReportError> {
        let mut line =
            serde_json::to_vec(value).map_err(|source| ReportError::Json { what, source })?;
        line.push(b'\n');
        let write_error = |path: &Path| {
            let path = path.to_owned();
            move |source| ReportError::Write { path, source }
        };
        if self.file.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(write_error(&self.path))?;
            self.file = Some(file);
        }
        let file = self.file.as_mut().expect("opened above");
        file.write_all(&line).map_err(write_error(&self.path))?;
        file.sync_data().map_err(write_error(&self.path))
    }
}

/// Appends to `<dir>/events.jsonl` every event that changes the report:
/// `RunStarted`, `CaseFinished`, `Figure` and `RunFinished` (not
/// `CaseStarted`, nor a campaign's `Point`s, which have their own files).
pub struct JournalSink {
    lines: JsonLines,
}

impl JournalSink {
    pub fn new(dir: &Path) -> Self {
        JournalSink {
            lines: JsonLines::new(dir.join(JOURNAL)),
        }
    }
}

impl Sink for JournalSink {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        match event {
            Event::CaseStarted { .. } | Event::Point(_) => Ok(()),
            _ => self.lines.append(event, JOURNAL),
        }
    }
}

/// The report of the run folder `dir`, given the `report` its
/// `results.json` holds: when that run never finished (status `running`:
/// it was killed between two rewrites) and its journal holds more cases,
/// the report the journal rebuilds; otherwise `report` itself.
///
/// A journal whose last line is cut short (the kill came mid-write) is read
/// up to that line.
///
/// # Errors
/// An unreadable journal, or one with a line that is not an event (named
/// by file and line).
pub fn complete_from_journal(dir: &Path, report: RunReport) -> Result<RunReport, ReportError> {
    if report.status != RunStatus::Running {
        return Ok(report);
    }
    let path = dir.join(JOURNAL);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(report),
        Err(source) => return Err(ReportError::Read { path, source }),
    };
    let rebuilt = replay(&path, &text)?;
    Ok(match rebuilt {
        Some(rebuilt)
            if rebuilt.run.run_id == report.run.run_id
                && rebuilt.cases.len() > report.cases.len() =>
        {
            rebuilt
        }
        _ => report,
    })
}

/// The report the events in `text` (the journal at `path`) make; `None`
/// for a journal without a whole line.
fn replay(path: &Path, text: &str) -> Result<Option<RunReport>, ReportError> {
    let mut report = None;
    // Only whole lines: a last line without its newline was cut by a kill.
    let whole = text.rfind('\n').map_or("", |end| &text[..end]);
    for (index, line) in whole.lines().enumerate() {
        let bad = |message: String| ReportError::Journal {
            path: path.to_owned(),
            line: index + 1,
            message,
        };
        // Through a `Value`: read straight from text, a number inside the
        // tagged `Event` fails when serde_json's `arbitrary_precision` is on
        // (defmt-decoder turns it on in `hil`).
        let event = serde_json::from_str(line)
            .and_then(serde_json::from_value::<Event>)
            .map_err(|e| bad(e.to_string()))?;
        track(&mut report, &event).map_err(|e| bad(e.to_string()))?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::RunInfo;

    fn started() -> Event {
        Event::RunStarted(RunInfo {
            run_id: "r1".into(),
            started_at: "2026-12-03T18:00:00Z".into(),
            command: "hil run".into(),
            rigs: vec!["sim".into()],
            planned: 2,
            hil_version: "0".into(),
            partition: None,
            host: String::new(),
            selected: Vec::new(),
            suite_selected: 0,
        })
    }

    #[test]
    fn a_line_cut_short_is_left_out_and_a_bad_line_is_named() {
        let path = Path::new("run/events.jsonl");
        let first = serde_json::to_string(&started()).unwrap();
        let cut = format!("{first}\n{}", &first[..10]);
        let report = replay(path, &cut).unwrap().unwrap();
        assert_eq!(report.run.run_id, "r1");

        let bad = format!("{first}\nnot json\n");
        let error = replay(path, &bad).unwrap_err().to_string();
        assert!(error.contains("run/events.jsonl:2"), "{error}");
    }
}
