//! [`RigError`]: the rig could not do what was asked — never a verdict on the firmware.

use hil_report::ExitCode;
use mv_proto::Reply;

/// The rig could not do what was asked: not a verdict on the firmware.
#[derive(Clone, Debug, thiserror::Error)]
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
    /// The firmware images could not be built (the message carries the
    /// compiler's last lines).
    #[error("{0}")]
    Build(String),
    /// The toolchain lacks what the build needs (the firmware target) and it
    /// could not be installed; the message names the command to run.
    #[error("{0}")]
    Toolchain(String),
}

impl RigError {
    /// A rig that fails stops a command with exit code 3: the results are
    /// incomplete, which says nothing about the firmware.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::RigError
    }
}
