//! [`ProbeError`]: what the probe layer could not do, each message naming what to do next.

use crate::RigError;

/// The probe layer could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// A probe selector that is not `VID:PID[:serial]`.
    #[error("`{given}` is not a probe selector: {why} (write VID:PID[:serial] in hex, e.g. 0483:374e; `hil probe list` shows this host's probes)")]
    Selector { given: String, why: String },
    /// No probe on this host matches the selector.
    #[error("no probe matches {selector}: is the ST-LINK connected? `hil probe list` shows what this host sees")]
    NotFound { selector: String },
    /// The probe is there but could not be opened (permissions, another program holds it).
    #[error("cannot open the probe {selector}: {why} (another program such as probe-rs or STM32CubeProgrammer may hold it; on Linux the udev rules must let this user open it)")]
    Open { selector: String, why: String },
    /// probe-rs knows no such chip.
    #[error("probe-rs knows no chip `{chip}`: {why} (the B-U585I-IOT02A's is STM32U585AIIx)")]
    UnknownChip { chip: String, why: String },
    /// The probe could not attach to the chip.
    #[error("cannot attach to {chip} through {selector}: {why} (is the board powered, TZEN set and RDP at level 0? see the README, \"Boards\")")]
    Attach {
        chip: String,
        selector: String,
        why: String,
    },
    /// An image that cannot be read or is not an ELF.
    #[error("{image}: {why}")]
    Image { image: String, why: String },
    /// An image whose bytes do not all go where its role says.
    #[error("{image}: {why}")]
    Placement { image: String, why: String },
    /// probe-rs refused the flash plan, or flashing failed.
    #[error("flashing {image}: {why}")]
    Flash { image: String, why: String },
    /// A debug access to the core failed.
    #[error("{what}: {why}")]
    Core { what: String, why: String },
    /// RTT could not be attached or read.
    #[error("RTT: {0}")]
    Rtt(String),
    /// The secure kernel faulted; the probe caught it at the handler (vector catch).
    #[error("the device faulted: {}", super::fault::describe(.0))]
    Fault(mv_proto::FaultReport),
}

impl ProbeError {
    pub(crate) fn core(what: impl Into<String>, why: impl std::fmt::Display) -> ProbeError {
        ProbeError::Core {
            what: what.into(),
            why: why.to_string(),
        }
    }
}

impl From<ProbeError> for RigError {
    fn from(error: ProbeError) -> RigError {
        match error {
            // A device fault is a finding about the firmware, reported with
            // its registers, not a broken link.
            ProbeError::Fault(report) => RigError::DeviceFault(report),
            other => RigError::Link(other.to_string()),
        }
    }
}

/// An error and its sources, one sentence each: probe-rs's outer errors
/// ("An error with the flashing procedure has occurred.") say little, the
/// address is in the inner ones.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        // thiserror's `{0}` messages repeat their source: keep it once.
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts
        .iter()
        .map(|p| p.trim_end_matches('.'))
        .collect::<Vec<_>>()
        .join(": ")
}
