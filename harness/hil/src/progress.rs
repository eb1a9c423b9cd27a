//! The terminal sink: a progress bar, failures as they happen, a summary.

use hil_report::{Event, Outcome, ReportError, Sink};
use indicatif::{ProgressBar, ProgressStyle};

/// Shows live progress on stderr (hidden when stderr is not a terminal).
pub struct Progress {
    bar: ProgressBar,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    pub fn new() -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
            )
            .expect("the template is valid"),
        );
        Progress { bar }
    }
}

impl Sink for Progress {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        match event {
            Event::RunStarted(info) => self.bar.set_length(info.planned as u64),
            Event::CaseStarted { rig, case_id } => {
                self.bar.set_message(format!("{rig}: {case_id}"))
            }
            Event::CaseFinished(r) => {
                self.bar.inc(1);
                let line = match &r.outcome {
                    Outcome::Failed {
                        field,
                        line,
                        message,
                        ..
                    } => Some(format!(
                        "FAIL  {} on {}: {}:{line} {field}: {message}",
                        r.case_id, r.rig, r.file
                    )),
                    Outcome::Error { message } => {
                        Some(format!("ERROR {} on {}: {message}", r.case_id, r.rig))
                    }
                    _ => None,
                };
                if let Some(line) = line {
                    self.bar.suspend(|| eprintln!("{line}"));
                }
            }
            Event::Point(_) => {}
            Event::RunFinished { .. } => self.bar.finish_and_clear(),
        }
        Ok(())
    }
}
