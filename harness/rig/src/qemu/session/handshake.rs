//! How a QEMU session learns that the agent is up (its ready frame) and that the device has said everything on the cloud link.

use std::time::Duration;

use mv_proto::{CloudToDevice, Hello, Request, Response, PROTOCOL_VERSION};

use super::way_in::To;
use super::QemuSession;
use crate::RigError;

/// How long the cloud link must stay quiet before a session that cannot
/// ask the device (or goes the previous way) takes what it sent.
const QUIET: Duration = Duration::from_millis(20);

/// How a session learns that the device is ready and has said everything.
/// `Ready` is the way cases run; `FullHello` is the way before issue 18,
/// kept so that `hil bench` can time both side by side in one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Handshake {
    /// The agent's ready frame stands for the hello the session holds; a
    /// `Flush` barrier before the logs are taken.
    #[default]
    Ready,
    /// The full hello after every start (asked for: the agent no longer
    /// sends it unasked, so this costs a 3-byte request more than it did);
    /// a 20 ms quiet wait before the logs are taken.
    FullHello,
}

impl QemuSession {
    /// Waits for the agent to start and returns its hello: the one held
    /// when the ready frame carries its digest, else asked for. A hello in
    /// place of the ready frame (an agent of protocol 9 or before) is
    /// taken as it comes, so the version check names both versions.
    pub(super) fn await_ready(&mut self) -> Result<Hello, RigError> {
        let timeout = self.wait(self.config.boot_timeout);
        let running = self
            .running
            .as_mut()
            .ok_or_else(|| RigError::Link("no device: reset first".into()))?;
        let digest = loop {
            match running.link.receive::<Response>(timeout)? {
                Response::Hello(hello) => return Ok(hello),
                Response::Ready {
                    protocol_version,
                    hello_digest,
                } if protocol_version == PROTOCOL_VERSION => break hello_digest,
                Response::Ready {
                    protocol_version, ..
                } => {
                    return Err(RigError::Version {
                        link: "agent link",
                        device: protocol_version,
                        host: PROTOCOL_VERSION,
                    })
                }
                // Left over from before the reset.
                Response::Replies(_) | Response::BadRequest | Response::VersionMismatch { .. } => {}
            }
        };
        let held = self.hello.as_ref().filter(|h| h.digest() == digest);
        if let (Handshake::Ready, Some(hello)) = (self.handshake, held) {
            return Ok(hello.clone());
        }
        let hello = self.ask_hello()?;
        self.hello = Some(hello.clone());
        Ok(hello)
    }

    /// Asks the agent for its full hello.
    fn ask_hello(&mut self) -> Result<Hello, RigError> {
        let timeout = self.wait(self.config.exec_timeout);
        let way = self.way_in;
        let running = self
            .running
            .as_mut()
            .ok_or_else(|| RigError::Link("no device: reset first".into()))?;
        running.send(To::Agent, &Request::hello(), way, timeout)?;
        self.in_flight = true;
        loop {
            match running.link.receive::<Response>(timeout)? {
                Response::Hello(hello) => {
                    self.in_flight = false;
                    return Ok(hello);
                }
                Response::VersionMismatch { agent, host } => {
                    self.in_flight = false;
                    return Err(RigError::Version {
                        link: "agent link",
                        device: agent,
                        host,
                    });
                }
                Response::Ready { .. } | Response::Replies(_) | Response::BadRequest => {}
            }
        }
    }

    /// Reads everything the device has sent on the cloud link so far. The
    /// device sends a log message synchronously, inside the call or the
    /// cloud message that let it go (`mv_kernel::Kernel::poll` runs in both,
    /// before the app's reply or the `Ack`), so one `Flush` answered is
    /// everything. A device that cannot answer (QEMU stopped, a request
    /// still unanswered) gets a short quiet wait instead, as does the
    /// previous way ([`Handshake::FullHello`]).
    pub(super) fn read_cloud_so_far(&mut self) -> Result<(), RigError> {
        let stopped = match self.running.as_mut() {
            Some(running) => running
                .machine
                .as_mut()
                .is_some_and(|m| m.exited().is_some()),
            None => true,
        };
        if self.handshake == Handshake::FullHello || self.in_flight || stopped {
            self.cloud_receive(self.wait(QUIET), |_| false)?;
            return Ok(());
        }
        match self.cloud_ack(&CloudToDevice::Flush) {
            Ok(()) => Ok(()),
            Err(e @ RigError::Version { .. }) => Err(e),
            Err(e) => Err(self.device_lost(e)),
        }
    }
}
