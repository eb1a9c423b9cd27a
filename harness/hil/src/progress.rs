//! The terminal: the run's progress bar and failures as they happen (a sink), and the campaigns' lines and sweep bar.

use hil_campaign::Observer;
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
            Event::Point(_) | Event::Figure(_) => {}
            Event::RunFinished { .. } => self.bar.finish_and_clear(),
        }
        Ok(())
    }
}

/// A campaign's voice on the terminal: lines on stdout and, for the sim
/// sweep, a bar of cut points on stderr.
pub struct Terminal {
    bar: Option<ProgressBar>,
}

impl Terminal {
    /// Lines only (the QEMU campaign).
    pub fn lines() -> Self {
        Terminal { bar: None }
    }

    /// Lines and a bar of cut points (the sim sweep).
    pub fn with_bar() -> Self {
        Self::with_bar_of("cut points")
    }

    /// Lines and a bar counting `unit` (`calls` for the fuzzer).
    pub fn with_bar_of(unit: &str) -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(&format!(
                "{{msg:>8}} [{{bar:40}}] {{pos}}/{{len}} {unit} ({{per_sec}}, {{eta}} left)"
            ))
            .expect("a valid template")
            .progress_chars("=> "),
        );
        Terminal { bar: Some(bar) }
    }

    /// Clears the bar (before the summary is printed).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Terminal {
    fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{text}")),
            None => println!("{text}"),
        }
    }

    fn progress(&self, what: &str, done: usize, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_message(what.to_owned());
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }
}
