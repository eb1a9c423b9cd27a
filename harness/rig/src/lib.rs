//! Rigs: what the engine drives. One synchronous trait, one implementation per fidelity.
//!
//! A [`RigSession`] is a connection to one device that executes agent
//! primitives, plays the cloud towards it and hands back what the device
//! logged. The engine runs one case at a time per session and asks for a
//! fresh device (reset) before each case, so cases are isolated.
//!
//! Sessions block: a request returns when the device answered or its time
//! ran out. A session never waits past the deadline its caller set
//! ([`RigSession::set_deadline`]), so a case's time limit holds without an
//! async runtime; the engine runs each rig's session on its own thread.
//!
//! ```text
//! rigs/<name>.yaml ─▶ load_rigs ─▶ RigConfig ─▶ connect ─▶ SimSession | QemuSession
//!                                                             (qemu: Launch ─▶ Machine: QMP, UART links, defmt logs)
//! ```
// Denied, not forbidden: one module (`probe::quiet`) points stdout
// elsewhere for a moment and says why.
#![deny(unsafe_code)]

pub mod board;
mod config;
mod defmt_log;
mod error;
mod inbox;
pub mod labgrid;
pub mod lock;
mod net;
pub mod power;
pub mod probe;
pub mod qemu;
mod sim;
mod telnet;
pub mod u585_elf;

use std::time::{Duration, Instant};

pub use config::{load_rigs, RigConfig, RigConfigError, RigKind};
pub use defmt_log::{DefmtDecoder, DefmtError, DefmtLog};
pub use error::{AppRestart, RigError};
pub use hil_cases::{CloudAction, NetAction};
pub use hil_cloud::net::{
    broker_kind, mosquitto_path, mosquitto_required, BrokerAction, BrokerKind, BrokerMessage,
    CloudEvent, HttpOutcome, ReceivedRequest,
};
pub use hil_cloud::DeliveryEnd;
pub use inbox::Inbox;
pub use sim::SimSession;

use hil_report::LogLine;
use mv_proto::{Hello, Primitive, Reply};

/// A connection to one device. Every method blocks until the device answered
/// or the wait ran out (the rig's own timeouts, cut short by the deadline).
pub trait RigSession: Send {
    /// The rig's name (the `rigs/<name>.yaml` it came from).
    fn name(&self) -> &str;

    /// No wait of a later call goes past `deadline` (the end of a case's time);
    /// `None` leaves the rig's own timeouts alone. A wait cut short ends as
    /// [`RigError::Timeout`]. A rig whose calls cannot block (the sim) may
    /// ignore it.
    fn set_deadline(&mut self, deadline: Option<Instant>);

    /// Bring up a fresh device (power-on state) and return the agent's hello.
    fn reset(&mut self) -> Result<Hello, RigError>;

    /// Execute primitives in order; one reply per primitive.
    fn exec(&mut self, primitives: Vec<Primitive>) -> Result<Vec<Reply>, RigError>;

    /// Act as the cloud towards the device.
    fn cloud(&mut self, action: &CloudAction) -> Result<CloudOutcome, RigError>;

    /// Application log messages (`mvServerLog`) the cloud received since the
    /// last call.
    fn take_server_log(&mut self) -> Result<Vec<Vec<u8>>, RigError>;

    /// `mvTestLog` messages the provisioning console received since the
    /// last call (the cloud link plays the console in this lab).
    fn take_test_log(&mut self) -> Result<Vec<Vec<u8>>, RigError>;

    /// Device-side evidence since the last call (decoded defmt lines, fault
    /// dumps). The sim has none.
    fn take_device_log(&mut self) -> Vec<LogLine>;

    /// Changes the cloud's network services: the HTTP server's routes, the
    /// config store, the relay's TCP server. A rig without them refuses.
    fn network(&mut self, action: &NetAction) -> Result<(), RigError> {
        let _ = action;
        Err(RigError::Link(
            "this rig has no network services behind its cloud".into(),
        ))
    }

    /// Requests the lab's HTTP server received since the last call.
    fn server_requests(&mut self) -> Result<Vec<ReceivedRequest>, RigError> {
        Ok(Vec::new())
    }

    /// What the relay's TCP server received since the last call (waiting
    /// until `expected` bytes are there, and with `until_closed` until the
    /// cloud closed the connection), and whether the cloud closed it.
    fn relay_received(
        &mut self,
        expected: usize,
        until_closed: bool,
    ) -> Result<(Vec<u8>, bool), RigError> {
        let _ = (expected, until_closed);
        Ok((Vec::new(), false))
    }

    /// What the lab's MQTT broker routed to the harness's own subscriber
    /// since the last call; waits up to `wait` for the first if none came.
    fn broker_received(&mut self, wait: Duration) -> Result<Vec<BrokerMessage>, RigError> {
        let _ = wait;
        Err(RigError::Link(
            "this rig has no MQTT broker behind its cloud".into(),
        ))
    }

    /// Serves the device's channel traffic (requests, data, windows) until
    /// nothing moves, and says what the cloud did. Nothing happens before
    /// the case made a networking call.
    fn serve_network(&mut self) -> Result<Vec<CloudEvent>, RigError> {
        Ok(Vec::new())
    }

    /// Memory no call of the app may change, read from outside the device:
    /// secure memory other than the kernel's own state, app code, the NVM.
    /// The boundary fuzzer compares it between batches. `None` where the
    /// rig has none to read: the sim models no secure memory (a kernel
    /// access outside app memory is refused by its model, and the call
    /// answers `LATEFAULT`).
    fn guarded_memory(&mut self) -> Result<Option<Vec<GuardedRegion>>, RigError> {
        Ok(None)
    }
}

/// A region of [`RigSession::guarded_memory`] and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuardedRegion {
    /// What it is (`secure code (SSRAM1)`).
    pub name: String,
    /// The address of its first byte, as the device's map names it.
    pub base: u32,
    pub bytes: Vec<u8>,
}

impl GuardedRegion {
    /// The address of the first byte that differs from `earlier`, if any.
    pub fn changed_since(&self, earlier: &GuardedRegion) -> Option<u32> {
        // Megabytes after every batch: one memcmp first.
        if self.bytes == earlier.bytes {
            return None;
        }
        let at = self
            .bytes
            .iter()
            .zip(&earlier.bytes)
            .position(|(a, b)| a != b)
            .or_else(|| (self.bytes.len() != earlier.bytes.len()).then_some(0))?;
        Some(self.base.wrapping_add(at as u32))
    }
}

/// What a cloud action came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloudOutcome {
    /// The device applied the message (and acknowledged it).
    Applied,
    /// A deployment ended so; `restarted` says how the app came back if the
    /// device restarted it to install the update.
    Deployed {
        end: DeliveryEnd,
        restarted: Option<AppRestart>,
    },
}

/// Open a session on the rig a config describes. The firmware images of a
/// QEMU or board rig are built here, before any case's time limit starts
/// (a build failure is then the rig's error, not the first case's timeout).
pub fn connect(config: &RigConfig) -> Result<Box<dyn RigSession>, RigError> {
    let mut session = match &config.kind {
        RigKind::Sim(sim) => return Ok(Box::new(SimSession::new(&config.name, sim.clone()))),
        RigKind::Qemu(qemu) => qemu::QemuSession::new(&config.name, qemu.clone()),
        RigKind::Board(board) => qemu::QemuSession::board(&config.name, (**board).clone()),
    };
    session.build()?;
    Ok(Box::new(session))
}
