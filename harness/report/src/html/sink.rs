//! The sink that writes `report.html` when a run finishes (and an empty shell when it starts).

use std::path::{Path, PathBuf};

use crate::error::ReportError;
use crate::event::Event;
use crate::schema::{track, RunReport};
use crate::sink::Sink;

use super::page::write_html;

/// Writes `<dir>/report.html` on `RunStarted` and `RunFinished`. Not after
/// every case: the page holds every transcript, and rewriting it per case
/// would cost the square of the suite.
pub struct HtmlSink {
    dir: PathBuf,
    report: Option<RunReport>,
}

impl HtmlSink {
    pub fn new(dir: &Path) -> Self {
        HtmlSink {
            dir: dir.to_owned(),
            report: None,
        }
    }
}

impl Sink for HtmlSink {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        let Some(report) = track(&mut self.report, event)? else {
            return Ok(());
        };
        if matches!(event, Event::RunStarted(_) | Event::RunFinished { .. }) {
            write_html(&self.dir, report, &[])?;
        }
        Ok(())
    }
}
