//! How a firmware image ends a QEMU run: the semihosting exit codes.
//!
//! QEMU (`-semihosting-config enable=on`) exits with the code an image passes
//! to `SYS_EXIT_EXTENDED`, so the harness tells a secure fault from a panic
//! from an exact power cut without parsing logs. The secure image uses
//! 70–79 and 90–99, the agent 80–89. Both images and the harness use this one
//! table; a new code is only ever added.

/// The exit status QEMU reports when an image stops the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ExitCode {
    /// The kernel itself took a SecureFault (not the app: an app fault is a crash it survives).
    SecureFault = 70,
    HardFault = 71,
    MemManage = 72,
    BusFault = 73,
    UsageFault = 74,
    /// The secure image panicked.
    Panic = 75,
    /// A secure exception or IRQ without a handler.
    UnexpectedException = 76,
    /// No valid app image at the NS code base, or an install that cannot complete.
    NoAgent = 77,
    /// The security controllers did not look like an AN505.
    SecurityConfig = 78,
    /// The agent panicked.
    AgentPanic = 80,
    /// The agent took a HardFault of its own.
    AgentHardFault = 81,
    /// An agent exception without a handler.
    AgentUnexpectedException = 82,
    /// The secure image left no valid handoff block.
    NoHandoff = 83,
    /// An armed power cut fired (the harness restarts QEMU on the same NVM).
    PowerCut = 90,
    /// The OTA flash reported an error a correct kernel never provokes.
    FlashError = 91,
}

impl ExitCode {
    /// Every code, for tables and lookups.
    pub const ALL: [ExitCode; 15] = [
        ExitCode::SecureFault,
        ExitCode::HardFault,
        ExitCode::MemManage,
        ExitCode::BusFault,
        ExitCode::UsageFault,
        ExitCode::Panic,
        ExitCode::UnexpectedException,
        ExitCode::NoAgent,
        ExitCode::SecurityConfig,
        ExitCode::AgentPanic,
        ExitCode::AgentHardFault,
        ExitCode::AgentUnexpectedException,
        ExitCode::NoHandoff,
        ExitCode::PowerCut,
        ExitCode::FlashError,
    ];

    /// The code for a process exit status, if an image chose it.
    pub fn from_status(status: i32) -> Option<ExitCode> {
        ExitCode::ALL.into_iter().find(|c| *c as i32 == status)
    }

    /// What the code means, for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            ExitCode::SecureFault => "the kernel took a SecureFault",
            ExitCode::HardFault => "the kernel took a HardFault",
            ExitCode::MemManage => "the kernel took a MemManage fault",
            ExitCode::BusFault => "the kernel took a BusFault",
            ExitCode::UsageFault => "the kernel took a UsageFault",
            ExitCode::Panic => "the secure image panicked",
            ExitCode::UnexpectedException => "an unexpected secure exception",
            ExitCode::NoAgent => "no app to start",
            ExitCode::SecurityConfig => "the security bring-up failed",
            ExitCode::AgentPanic => "the agent panicked",
            ExitCode::AgentHardFault => "the agent took a HardFault",
            ExitCode::AgentUnexpectedException => "an unexpected agent exception",
            ExitCode::NoHandoff => "the agent found no handoff block",
            ExitCode::PowerCut => "an armed power cut fired",
            ExitCode::FlashError => "the OTA flash failed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_found_by_status() {
        for (i, a) in ExitCode::ALL.iter().enumerate() {
            assert_eq!(ExitCode::from_status(*a as i32), Some(*a));
            for b in &ExitCode::ALL[i + 1..] {
                assert_ne!(*a as u8, *b as u8);
            }
        }
        assert_eq!(ExitCode::from_status(90), Some(ExitCode::PowerCut));
        assert_eq!(ExitCode::from_status(134), None);
    }
}
