//! Rigs: what the engine drives. One trait, one implementation per fidelity.
//!
//! A [`RigSession`] is a connection to one device that executes agent
//! primitives, plays the cloud towards it and hands back what the device
//! logged. The engine runs one case at a time per session and asks for a
//! fresh device (reset) before each case, so cases are isolated.

mod config;
mod defmt_log;
pub mod qemu;
mod sim;

pub use config::{load_rigs, RigConfig, RigConfigError, RigKind};
pub use sim::SimSession;

use async_trait::async_trait;
pub use hil_cases::CloudAction;
use hil_report::LogLine;
use mv_proto::{Hello, Primitive, Reply};

/// The rig could not do what was asked: not a verdict on the firmware.
#[derive(Debug, thiserror::Error)]
pub enum RigError {
    #[error("the device did not answer within {0} ms")]
    Timeout(u64),
    #[error("the device faulted: {0}")]
    Fault(String),
    /// The device raised a fault it reported with its registers (an app
    /// access the hardware refused, or a fault in the secure world).
    #[error("the device raised a {}: {}", .0.kind.name(), .0.registers.iter().map(|(n, v)| format!("{n}={v:#010x}")).collect::<Vec<_>>().join(" "))]
    DeviceFault(mv_proto::FaultReport),
    #[error("the link to the device failed: {0}")]
    Link(String),
    #[error("the agent refused {what}: {why:?}")]
    Refused {
        what: String,
        why: mv_proto::Refusal,
    },
    #[error("the agent answered {got:?} to {what}")]
    Protocol { what: String, got: Box<Reply> },
}

/// A connection to one device.
#[async_trait]
pub trait RigSession: Send {
    /// The rig's name (the `rigs/<name>.yaml` it came from).
    fn name(&self) -> &str;

    /// Bring up a fresh device (power-on state) and return the agent's hello.
    async fn reset(&mut self) -> Result<Hello, RigError>;

    /// Execute primitives in order; one reply per primitive.
    async fn exec(&mut self, primitives: Vec<Primitive>) -> Result<Vec<Reply>, RigError>;

    /// Act as the cloud towards the device.
    async fn cloud(&mut self, action: &CloudAction) -> Result<(), RigError>;

    /// Application log messages (`mvServerLog`) the cloud received since the
    /// last call.
    async fn take_server_log(&mut self) -> Result<Vec<Vec<u8>>, RigError>;

    /// Device-side evidence since the last call (decoded defmt lines, fault
    /// dumps). The sim has none.
    async fn take_device_log(&mut self) -> Vec<LogLine>;
}

/// Open a session on the rig a config describes.
pub fn connect(config: &RigConfig) -> Result<Box<dyn RigSession>, RigError> {
    match &config.kind {
        RigKind::Sim(sim) => Ok(Box::new(SimSession::new(&config.name, sim.clone()))),
        RigKind::Qemu(qemu) => Ok(Box::new(qemu::QemuSession::new(&config.name, qemu.clone()))),
    }
}
