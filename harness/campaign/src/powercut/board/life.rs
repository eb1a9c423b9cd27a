//! One life of a board, on its links: come up and be checked, take the update, resume what was cut — on its own thread while the power switch is held elsewhere.
//!
//! Every check is made over the links, because nothing else reaches a
//! board's flash: the app start the device announces on the cloud link
//! (version, wake reason), the agent's digest of the whole app region (one
//! image, never a mix, and the announced one), `mvGetWakeReason` (the
//! kernel answers the app what it announced), and the chunk the download
//! resumes at. When the power goes (the other thread sets `power_gone`),
//! every wait ends at once and the life ends as [`LifeEnd::PowerLost`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use hil_cloud::{deliver, DeliveryEnd, Deployment, LinkDown, OtaLink};
use hil_rig::qemu::FrameLink;
use hil_rig::RigError;
use mv_abi::MvWakeReason;
use mv_proto::{AppStarted, CloudToDevice, DeviceToCloud, OtaReply, Response};

use super::timeline::{SharedStage, Stage};
use super::Expect;
use crate::powercut::agent::Agent;
use crate::powercut::plan::Outcome;

/// A point's failure: what it came to, and what happened.
pub type Failure = (Outcome, String);

/// How long the device's app start may trail the agent's hello.
const STARTED_WAIT: Duration = Duration::from_secs(2);
/// How often a wait looks whether the power went.
const POLL: Duration = Duration::from_millis(20);

/// A device that came up and passed the checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Booted {
    /// The app version it announced, which its app region holds.
    pub version: u32,
    pub wake_reason: u8,
}

/// How a life ended (a failure is a [`Failure`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifeEnd {
    /// The power went before the new app was up.
    PowerLost,
    /// The new app runs, checked.
    Updated(Booted),
}

/// The download as the cloud saw it, over every life of a point.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Chunks the device said it holds (the highest chunk it asked for).
    pub acked: u32,
    /// Chunks sent (the highest index sent, plus one).
    pub sent: u32,
}

/// What the life tells the power switch's thread.
#[derive(Clone, Copy, Debug)]
pub enum Note {
    /// A stage of the update began at this instant (the offer first).
    Stage(Stage, Instant),
    /// The life is over (its thread is about to return).
    Ended,
}

/// The links of one life and what the two threads share.
pub struct Life<'a> {
    agent: FrameLink,
    cloud: FrameLink,
    boot_timeout: Duration,
    exec_timeout: Duration,
    expect: &'a Expect,
    stage: &'a SharedStage,
    power_gone: &'a AtomicBool,
    notes: Option<Sender<Note>>,
    offered: bool,
    chunks: u32,
    pub progress: Progress,
    /// When each stage began.
    pub marks: Vec<(Stage, Instant)>,
}

impl<'a> Life<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        (agent, cloud): (FrameLink, FrameLink),
        (boot_timeout, exec_timeout): (Duration, Duration),
        expect: &'a Expect,
        stage: &'a SharedStage,
        power_gone: &'a AtomicBool,
        notes: Option<Sender<Note>>,
        progress: Progress,
    ) -> Life<'a> {
        Life {
            agent,
            cloud,
            boot_timeout,
            exec_timeout,
            expect,
            stage,
            power_gone,
            notes,
            offered: false,
            chunks: 0,
            progress,
            marks: Vec::new(),
        }
    }

    fn gone(&self) -> bool {
        self.power_gone.load(Ordering::SeqCst)
    }

    /// A new stage begins (a repeated one is no new mark).
    fn mark(&mut self, stage: Stage) {
        if self.marks.last().is_some_and(|&(s, _)| s == stage) {
            return;
        }
        let now = Instant::now();
        self.stage.set(stage);
        self.marks.push((stage, now));
        self.note(Note::Stage(stage, now));
    }

    fn note(&self, note: Note) {
        if let Some(notes) = &self.notes {
            let _ = notes.send(note);
        }
    }

    /// Life `life` of a point: come up (checked), take the update from
    /// where the last life left it, and come up on the new app (checked).
    pub fn run(&mut self, life: usize, deployment: &Deployment) -> Result<LifeEnd, Failure> {
        let end = self.run_inner(life, deployment);
        self.note(Note::Ended);
        end
    }

    fn run_inner(&mut self, life: usize, deployment: &Deployment) -> Result<LifeEnd, Failure> {
        let Some(booted) = self.come_up()? else {
            return Ok(LifeEnd::PowerLost);
        };
        if booted.version == self.expect.new_version {
            let reason = booted.wake_reason;
            if life > 0
                && reason != MvWakeReason::ApplicationUpdate as u8
                && reason != MvWakeReason::ColdBoot as u8
            {
                return Err((
                    Outcome::NotConverged,
                    format!("wake reason {reason} on the new app after a cut"),
                ));
            }
            return Ok(LifeEnd::Updated(booted));
        }
        self.chunks = deployment.chunks();
        let before = self.progress;
        let delivery = deliver(self, deployment);
        if before.sent > 0 {
            if let Some(first) = delivery.first_chunk {
                if first < before.acked || first > before.sent {
                    return Err((
                        Outcome::NoResume,
                        format!(
                            "after the cut the device asked for chunk {first}; it had acknowledged {} chunk(s) and been sent {}",
                            before.acked, before.sent
                        ),
                    ));
                }
            }
        }
        match delivery.end {
            DeliveryEnd::Installing => {}
            DeliveryEnd::LinkDown if self.gone() => return Ok(LifeEnd::PowerLost),
            DeliveryEnd::LinkDown => {
                return Err((
                    Outcome::NoBoot,
                    format!(
                    "the device stopped answering on the cloud link ({} chunk(s) sent) with no cut",
                    delivery.chunks_sent
                ),
                ))
            }
            other => {
                return Err((
                    Outcome::NotUpdated,
                    format!("the device answered the verified bundle with {other:?}"),
                ))
            }
        }
        // Installing: the device tears the app down, installs and starts it.
        self.mark(Stage::Install);
        let Some(booted) = self.come_up()? else {
            return Ok(LifeEnd::PowerLost);
        };
        self.mark(Stage::Done);
        if booted.version != self.expect.new_version {
            return Err((
                Outcome::NotUpdated,
                format!(
                    "the restart after Installing came up on version {}",
                    booted.version
                ),
            ));
        }
        if booted.wake_reason != MvWakeReason::ApplicationUpdate as u8 {
            return Err((
                Outcome::NotUpdated,
                format!(
                    "wake reason {} after the install, expected APPLICATIONUPDATE",
                    booted.wake_reason
                ),
            ));
        }
        Ok(LifeEnd::Updated(booted))
    }

    /// Waits for the agent's hello and the device's app start, then checks
    /// the app region and the kernel. `None`: the power went first.
    pub fn come_up(&mut self) -> Result<Option<Booted>, Failure> {
        if !self.hello()? {
            return Ok(None);
        }
        let Some(started) = self.started()? else {
            return Ok(None);
        };
        let (base, len) = self.expect.region;
        let mut agent = Agent {
            link: &mut self.agent,
            ring: None,
            timeout: self.exec_timeout,
        };
        let asked = agent
            .digest(base, len)
            .and_then(|d| Ok((d, agent.wake_reason()?)));
        let (digest, reason) = match asked {
            Ok(answers) => answers,
            Err(_) if self.gone() => return Ok(None),
            Err(e) => return Err((Outcome::NoBoot, format!("the agent did not answer: {e}"))),
        };
        let Some(held) = self.expect.version_of(&digest) else {
            return Err((
                Outcome::WrongImage,
                format!(
                    "the app ({len} bytes at {base:#x}) hashes to neither image (a mix): {}",
                    hex(&digest)
                ),
            ));
        };
        if held != started.app_version {
            return Err((
                Outcome::WrongImage,
                format!(
                    "the device announces app version {}, its app region holds version {held}",
                    started.app_version
                ),
            ));
        }
        if reason != started.wake_reason {
            return Err((
                Outcome::NoBoot,
                format!(
                    "mvGetWakeReason answers {reason}, the device announced wake reason {}",
                    started.wake_reason
                ),
            ));
        }
        Ok(Some(Booted {
            version: held,
            wake_reason: reason,
        }))
    }

    /// The agent's hello (`false`: the power went first).
    fn hello(&mut self) -> Result<bool, Failure> {
        let deadline = Instant::now() + self.boot_timeout;
        loop {
            if self.gone() {
                return Ok(false);
            }
            if Instant::now() > deadline {
                return Err((
                    Outcome::NoBoot,
                    format!("no hello from the agent within {:?}", self.boot_timeout),
                ));
            }
            match self.agent.receive::<Response>(POLL) {
                Ok(Response::Hello(_) | Response::Ready { .. }) => return Ok(true),
                Ok(_) | Err(RigError::Timeout(_)) => {}
                Err(_) if self.gone() => return Ok(false),
                Err(e) => return Err((Outcome::NoBoot, format!("agent link: {e}"))),
            }
        }
    }

    /// The app start the device announces on the cloud link.
    fn started(&mut self) -> Result<Option<AppStarted>, Failure> {
        let deadline = Instant::now() + STARTED_WAIT;
        while Instant::now() < deadline {
            if self.gone() {
                return Ok(None);
            }
            match self.cloud.receive::<DeviceToCloud>(POLL) {
                Ok(DeviceToCloud::Started(s)) => return Ok(Some(s)),
                Ok(_) | Err(RigError::Timeout(_)) => {}
                Err(_) if self.gone() => return Ok(None),
                Err(e) => return Err((Outcome::NoBoot, format!("cloud link: {e}"))),
            }
        }
        if self.gone() {
            return Ok(None);
        }
        Err((
            Outcome::NoBoot,
            format!("the agent said hello but the device announced no app start within {STARTED_WAIT:?}"),
        ))
    }
}

impl OtaLink for Life<'_> {
    fn exchange(&mut self, message: CloudToDevice) -> Result<OtaReply, LinkDown> {
        if self.gone() {
            return Err(LinkDown);
        }
        match &message {
            CloudToDevice::OtaOffer { .. } if !self.offered => {
                self.offered = true;
                self.mark(Stage::Offer);
            }
            CloudToDevice::OtaChunk { index, .. } => {
                let last = index + 1 >= self.chunks;
                self.mark(if last { Stage::Verify } else { Stage::Download });
                self.progress.sent = self.progress.sent.max(index + 1);
            }
            _ => {}
        }
        self.cloud.send(&message).map_err(|_| LinkDown)?;
        let deadline = Instant::now() + self.exec_timeout;
        loop {
            if self.gone() || Instant::now() > deadline {
                return Err(LinkDown);
            }
            match self.cloud.receive::<DeviceToCloud>(POLL) {
                Ok(DeviceToCloud::Ota(reply)) => {
                    if let OtaReply::Fetch { from_chunk } = reply {
                        self.progress.acked = self.progress.acked.max(from_chunk);
                        if self.stage.get() == Stage::Offer {
                            self.mark(Stage::Download);
                        }
                    }
                    return Ok(reply);
                }
                Ok(_) | Err(RigError::Timeout(_)) => {}
                Err(_) => return Err(LinkDown),
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
