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
    /// The rig is held by another run (a board's lock, a labgrid place).
    #[error("{0}")]
    Busy(String),
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
    /// The app restarted under the request (a crash, a successful
    /// `mvRestart`, an update): nothing after the primitive that stopped it
    /// ran. Not a failure by itself: a step that expects the restart takes it.
    #[error("{0}")]
    AppRestarted(AppRestart),
    /// The two ends speak different protocol versions.
    #[error("the {link} speaks protocol version {device}, this harness {host}; rebuild the firmware and the harness from one tree")]
    Version {
        link: &'static str,
        device: u32,
        host: u32,
    },
}

/// How the app came back after it stopped under a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppRestart {
    /// What `mvGetWakeReason` reports to the new app (`mv_abi::MvWakeReason`).
    pub wake_reason: u8,
    /// The crash that stopped it, if it crashed.
    pub crash: Option<mv_proto::FaultReport>,
}

impl std::fmt::Display for AppRestart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let reason = mv_abi::MvWakeReason::DESC
            .name_of(u32::from(self.wake_reason))
            .unwrap_or("an unknown wake reason");
        match &self.crash {
            Some(c) => write!(
                f,
                "the app crashed ({}) and restarted ({reason})",
                c.kind.name()
            ),
            None => write!(f, "the app restarted ({reason})"),
        }
    }
}

impl RigError {
    /// A rig that fails stops a command with exit code 3: the results are
    /// incomplete, which says nothing about the firmware.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::RigError
    }
}
