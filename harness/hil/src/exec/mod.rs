//! Run one case on one rig session: steps → primitives → verdict + transcript.
//!
//! The executor owns no rig knowledge: it only speaks agent primitives. After
//! every step that can make the kernel act (a call, a cloud action, a delay)
//! it reads back every readable allocation in the same batch and records,
//! in the transcript, what changed. Verdicts are decided here from data the
//! agent returned — never from log text.

mod memory;
mod render;
mod steps;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use hil_cases::{Case, StepAt};
use hil_report::{LogLine, Outcome};

use crate::rig::{RigError, RigSession};
use memory::Allocations;
use render::HandleNames;

/// What running one case produced.
pub struct CaseRun {
    pub outcome: Outcome,
    pub transcript: String,
    pub logs: Vec<LogLine>,
    pub duration: Duration,
}

/// Why a step stopped the case.
enum StepError {
    /// An expectation did not hold: a verdict on the firmware.
    Failed(String),
    /// The rig could not do what was asked.
    Rig(RigError),
}

impl From<RigError> for StepError {
    fn from(e: RigError) -> Self {
        StepError::Rig(e)
    }
}

type StepResult = Result<(), StepError>;

/// The state of one running case.
struct Executor<'a> {
    session: &'a mut dyn RigSession,
    allocs: Allocations,
    handles: HandleNames,
    /// Read index (in records) per notification ring.
    readers: std::collections::HashMap<String, u32>,
    /// Server-log messages received and not yet checked.
    server_log: Vec<String>,
    transcript: String,
    logs: Vec<LogLine>,
}

/// Run `case` on a freshly reset device. A rig failure (reset, link, time
/// out) gives `Outcome::Error`, never a panic: the run goes on.
pub async fn run_case(session: &mut dyn RigSession, case: &Case, timeout: Duration) -> CaseRun {
    let started = Instant::now();
    let mut ex = Executor {
        session,
        allocs: Allocations::default(),
        handles: HandleNames::default(),
        readers: Default::default(),
        server_log: Vec::new(),
        transcript: String::new(),
        logs: Vec::new(),
    };
    let outcome = match tokio::time::timeout(timeout, ex.run(case)).await {
        Ok(outcome) => outcome,
        Err(_) => {
            ex.line(&format!("TIMED OUT after {} ms", timeout.as_millis()));
            Outcome::Error {
                message: format!("the case did not finish within {} ms", timeout.as_millis()),
            }
        }
    };
    ex.collect_logs().await;
    CaseRun {
        outcome,
        transcript: ex.transcript,
        logs: ex.logs,
        duration: started.elapsed(),
    }
}

impl Executor<'_> {
    fn line(&mut self, text: &str) {
        let _ = writeln!(self.transcript, "{text}");
    }

    async fn run(&mut self, case: &Case) -> Outcome {
        if let Err(e) = self.session.reset().await {
            self.line(&format!("RIG ERROR during reset: {e}"));
            return Outcome::Error {
                message: format!("reset failed: {e}"),
            };
        }
        for (index, at) in case.steps.iter().enumerate() {
            match self.step(at).await {
                Ok(()) => {}
                Err(StepError::Failed(message)) => {
                    self.line(&format!("  FAILED: {message}"));
                    return Outcome::Failed {
                        step: index,
                        field: at.field.clone(),
                        line: at.line,
                        message,
                    };
                }
                Err(StepError::Rig(e)) => {
                    self.line(&format!("  RIG ERROR: {e}"));
                    return Outcome::Error {
                        message: format!("{} (line {}): {e}", at.field, at.line),
                    };
                }
            }
        }
        Outcome::Passed
    }

    async fn step(&mut self, at: &StepAt) -> StepResult {
        use hil_cases::Step;
        match &at.step {
            Step::Alloc(a) => self.alloc(a).await,
            Step::Write(w) => self.write(w).await,
            Step::Call(c) => self.call(c).await,
            Step::ExpectMemory(e) => self.expect_memory(e),
            Step::ExpectNotifications(e) => self.expect_notifications(e).await,
            Step::Irq(a) => self.irq(*a).await,
            Step::ExpectIrq(e) => self.expect_irq(e).await,
            Step::Compare(c) => self.compare(c),
            Step::Cloud(a) => self.cloud(a).await,
            Step::ExpectServerLog(e) => self.expect_server_log(e).await,
            Step::DelayUs(us) => self.delay(*us).await,
            Step::AppRead(r) => self.app_read(r).await,
        }
    }

    /// Drain what the device and the cloud logged into the case's evidence.
    async fn collect_logs(&mut self) {
        if let Ok(messages) = self.session.take_server_log().await {
            for m in messages {
                self.logs.push(server_log_line(&m));
            }
        }
        let device = self.session.take_device_log().await;
        self.logs.extend(device);
    }
}

/// A server-log message as evidence.
fn server_log_line(message: &[u8]) -> LogLine {
    LogLine {
        source: "server-log".into(),
        text: String::from_utf8_lossy(message).into_owned(),
        location: None,
    }
}
