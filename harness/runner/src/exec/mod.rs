//! Run one case on one rig session: steps → primitives → verdict + transcript.
//!
//! The executor owns no rig knowledge: it only speaks agent primitives. After
//! every step that can make the kernel act (a call, a cloud action, a delay)
//! it reads back every readable allocation in the same batch and records,
//! in the transcript, what changed. Verdicts are decided here from data the
//! agent returned — never from log text.
//!
//! Writes that answer nothing but `Done` (an allocation's initial
//! contents, a `write` step) wait and go to the device at the front of the
//! next request the case sends, in order, so a case's set-up costs the link
//! no round trips of its own ([`pieces`]). A step that talks to the rig any
//! other way first sends what waits; one that fails is reported at the step
//! that wrote it.
//!
//! The executor is synchronous, like the sessions. A case's time limit is a
//! deadline handed to the session (no wait of the rig goes past it) and
//! checked between steps; a case that runs out of time is an error that says
//! so, never a hang.

mod attack;
mod batch;
mod broker;
mod interrupted;
mod memory;
mod net;
mod pieces;
mod render;
mod restart;
mod rings;
mod steps;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use hil_cases::{Case, StepAt};
use hil_report::{LogLine, Outcome};
use hil_rig::{RigError, RigSession};

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
    /// Either, at an earlier step (its index), found later: that step's
    /// writes went with a later step's request.
    At(usize, Box<StepError>),
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
    /// The app's reader of each notification ring.
    readers: std::collections::HashMap<String, rings::Reader>,
    /// Server-log messages received and not yet checked.
    server_log: Vec<String>,
    /// The case turned application-test mode on: the provisioning console
    /// may hold messages for the evidence.
    app_test_mode: bool,
    /// Requests the lab's HTTP server received and no step checked yet.
    pending_requests: Vec<hil_rig::ReceivedRequest>,
    /// Messages the lab's MQTT broker received that no step has checked yet.
    pending_broker: Vec<hil_rig::BrokerMessage>,
    transcript: String,
    logs: Vec<LogLine>,
    /// The case's time limit, and the instant it runs out.
    timeout: Duration,
    deadline: Instant,
    /// The step running (its index in the case).
    step_index: usize,
    /// Writes not sent yet ([`pieces`]), and whether they wait at all.
    deferred: Vec<pieces::Deferred>,
    writes: Writes,
}

/// When a step's writes go to the device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Writes {
    /// At the front of the case's next request (how cases run).
    #[default]
    WithNextRequest,
    /// In a request of their own, at once: the previous way, kept so that
    /// `hil bench` can time both side by side in one run.
    OnTheirOwn,
}

/// Run `case` on a freshly reset device within `timeout`. A rig failure
/// (reset, link, time out) gives `Outcome::Error`, never a panic: the run
/// goes on.
pub fn run_case(session: &mut dyn RigSession, case: &Case, timeout: Duration) -> CaseRun {
    run_case_with(session, case, timeout, Writes::default())
}

/// [`run_case`], with the writes sent `writes`.
pub fn run_case_with(
    session: &mut dyn RigSession,
    case: &Case,
    timeout: Duration,
    writes: Writes,
) -> CaseRun {
    let started = Instant::now();
    let deadline = started + timeout;
    session.set_deadline(Some(deadline));
    let mut ex = Executor {
        session,
        allocs: Allocations::default(),
        handles: HandleNames::default(),
        readers: Default::default(),
        server_log: Vec::new(),
        app_test_mode: false,
        pending_requests: Vec::new(),
        pending_broker: Vec::new(),
        transcript: String::new(),
        logs: Vec::new(),
        timeout,
        deadline,
        step_index: 0,
        deferred: Vec::new(),
        writes,
    };
    let outcome = ex.run(case);
    // The evidence is collected with the rig's own timeouts.
    ex.session.set_deadline(None);
    ex.collect_logs();
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

    fn out_of_time(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// The case ran out of time: said in the transcript and as the outcome.
    fn timed_out(&mut self) -> Outcome {
        let ms = self.timeout.as_millis();
        self.line(&format!("TIMED OUT after {ms} ms"));
        Outcome::Error {
            message: format!("the case did not finish within {ms} ms"),
        }
    }

    fn run(&mut self, case: &Case) -> Outcome {
        let hello = self.session.reset().and_then(|hello| {
            if hello.protocol_version == mv_proto::PROTOCOL_VERSION {
                Ok(hello)
            } else {
                Err(RigError::Version {
                    link: "agent link",
                    device: hello.protocol_version,
                    host: mv_proto::PROTOCOL_VERSION,
                })
            }
        });
        if let Err(e) = hello {
            if self.out_of_time() {
                return self.timed_out();
            }
            self.line(&format!("RIG ERROR during reset: {e}"));
            return Outcome::Error {
                message: format!("reset failed: {e}"),
            };
        }
        for (index, at) in case.steps.iter().enumerate() {
            if self.out_of_time() {
                return self.timed_out();
            }
            self.step_index = index;
            if let Err(e) = self.step(at) {
                return self.stopped(case, index, e);
            }
        }
        // Writes of the last steps go now: a write that fails fails its step.
        match self.send_deferred() {
            Ok(()) => Outcome::Passed,
            Err(e) => self.stopped(case, case.steps.len().saturating_sub(1), e),
        }
    }

    /// The outcome of a case that step `index` stopped with `e`.
    fn stopped(&mut self, case: &Case, index: usize, e: StepError) -> Outcome {
        let message = match e {
            StepError::Failed(message) => message,
            StepError::At(earlier, e) => return self.stopped(case, earlier, *e),
            // A wait the deadline cut short is the case's timeout, not the rig's.
            StepError::Rig(_) if self.out_of_time() => return self.timed_out(),
            StepError::Rig(e) => {
                let at = &case.steps[index];
                self.line(&format!("  RIG ERROR: {e}"));
                return Outcome::Error {
                    message: format!("{} (line {}): {e}", at.field, at.line),
                };
            }
        };
        let at = &case.steps[index];
        self.line(&format!("  FAILED: {message}"));
        Outcome::Failed {
            step: index,
            field: at.field.clone(),
            line: at.line,
            message,
        }
    }

    fn step(&mut self, at: &StepAt) -> StepResult {
        use hil_cases::{Caller, Step};
        // These steps talk to the device only through `exec_pieces`, which
        // sends the waiting writes first in the same request; every other
        // step sends them on their own before it acts.
        let carries_writes = match &at.step {
            Step::Alloc(_) | Step::Write(_) => true,
            Step::Call(c) => !c.restarts_app() && !matches!(c.caller, Caller::Interrupted(_)),
            _ => false,
        };
        if !carries_writes {
            self.send_deferred()?;
        }
        match &at.step {
            Step::Alloc(a) => self.alloc(a),
            Step::Write(w) => self.write(w),
            Step::Call(c) => self.call(c),
            Step::ExpectMemory(e) => self.expect_memory(e),
            Step::ExpectNotifications(e) => self.expect_notifications(e),
            Step::Irq(a) => self.irq(*a),
            Step::ExpectIrq(e) => self.expect_irq(e),
            Step::Compare(c) => self.compare(c),
            Step::Cloud(a) => self.cloud(a),
            Step::ExpectServerLog(e) => self.expect_server_log(e),
            Step::ExpectTestLog(e) => self.expect_test_log(e),
            Step::DelayUs(us) => self.delay(*us),
            Step::AppRead(r) => self.app_read(r),
            Step::Net(a) => self.net_action(a),
            Step::ExpectServerRequest(e) => self.expect_server_request(e),
            Step::ExpectRelay(e) => self.expect_relay(e),
            Step::Batch(calls) => self.batch(calls),
            Step::Attack(a) => self.attack(a),
            Step::ExpectBroker(e) => self.expect_broker(e),
        }
    }

    /// Drain what the device and the cloud logged into the case's evidence.
    fn collect_logs(&mut self) {
        if let Ok(messages) = self.session.take_server_log() {
            for m in messages {
                self.logs.push(server_log_line(&m));
            }
        }
        // Only a case in application-test mode can have test-log messages
        // (taking them costs a wait on a rig with a real link).
        if self.app_test_mode {
            if let Ok(messages) = self.session.take_test_log() {
                for m in messages {
                    self.logs.push(test_log_line(&m));
                }
            }
        }
        let device = self.session.take_device_log();
        self.logs.extend(device);
    }
}

/// An `mvTestLog` message (the provisioning console) as evidence.
fn test_log_line(message: &[u8]) -> LogLine {
    LogLine {
        source: "test-log".into(),
        text: String::from_utf8_lossy(message).into_owned(),
        location: None,
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
