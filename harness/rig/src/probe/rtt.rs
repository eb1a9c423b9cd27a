//! An image's log over RTT: attach at its control block (`_SEGGER_RTT`, from the ELF), read the "defmt" up channel, decode with the one defmt decoder.
//!
//! Each image has its own control block: the secure image's in secure SRAM
//! (0x3xxx_xxxx), which probe-rs's default scan (the 0x2000_0000 RAM) does
//! not cover, the agent's in app RAM. RTT attaches at the exact address the
//! ELF's symbol gives. The bytes go through
//! [`DefmtDecoder`], the decoder the QEMU rig uses for its UART logs, so
//! each line carries its source location the same way.

use std::path::Path;

use hil_report::LogLine;
use probe_rs::rtt::{find_rtt_control_block_in_raw_file, Rtt, ScanRegion};

use super::error::{chain, ProbeError};
use super::target::ProbeTarget;
use crate::defmt_log::DefmtDecoder;

/// The up channel the secure image logs on (`firmware/secure/src/u585/rtt.rs`).
pub const DEFMT_CHANNEL: &str = "defmt";

/// The RTT control block's address in an image (its `_SEGGER_RTT` symbol).
pub fn control_block(elf: &[u8]) -> Result<u64, ProbeError> {
    match find_rtt_control_block_in_raw_file(elf) {
        Ok(Some(address)) => Ok(address),
        Ok(None) => Err(ProbeError::Rtt(
            "the image has no RTT control block (symbol _SEGGER_RTT): is it the STM32U585 build?"
                .into(),
        )),
        Err(e) => Err(ProbeError::Rtt(format!("the image is not an ELF: {e}"))),
    }
}

/// Which up channel carries defmt: the one named so; the first if none is
/// named (an image whose names were not kept).
pub fn defmt_channel<'a>(names: impl IntoIterator<Item = Option<&'a str>>) -> Option<usize> {
    let names: Vec<Option<&str>> = names.into_iter().collect();
    names
        .iter()
        .position(|n| *n == Some(DEFMT_CHANNEL))
        .or_else(|| names.iter().all(Option::is_none).then_some(0))
        .filter(|&i| i < names.len())
}

/// An image's defmt log, read through the probe.
pub struct RttLog {
    rtt: Rtt,
    channel: usize,
    decoder: DefmtDecoder,
}

impl RttLog {
    /// Attaches to the control block of the running `elf`: call once the
    /// image has laid it out (after boot). `source` names its lines in
    /// reports (`defmt:secure`, `defmt:agent`, as on QEMU); `root` makes
    /// source locations relative.
    pub fn attach(
        target: &mut ProbeTarget,
        elf: &Path,
        source: &str,
        root: &Path,
    ) -> Result<RttLog, ProbeError> {
        let bytes = std::fs::read(elf).map_err(|e| ProbeError::Image {
            image: elf.display().to_string(),
            why: format!("cannot read it: {e}"),
        })?;
        let address = control_block(&bytes)?;
        let decoder = DefmtDecoder::new(source, &bytes, root)
            .map_err(|e| ProbeError::Rtt(format!("{}: {e}", elf.display())))?
            .ok_or_else(|| ProbeError::Rtt(format!("{} has no defmt table", elf.display())))?;
        let mut core = target.core()?;
        let mut rtt = Rtt::attach_region(&mut core, &ScanRegion::Exact(address)).map_err(|e| {
            ProbeError::Rtt(format!(
                "no control block at {address:#010x} (_SEGGER_RTT): {} (has the image booted? is the part at RDP 0, so secure memory can be read?)",
                chain(&e)
            ))
        })?;
        let channel =
            defmt_channel(rtt.up_channels().iter().map(|c| c.name())).ok_or_else(|| {
                ProbeError::Rtt(format!(
                "the control block at {address:#010x} has no up channel named \"{DEFMT_CHANNEL}\""
            ))
            })?;
        Ok(RttLog {
            rtt,
            channel,
            decoder,
        })
    }

    /// Every log line the image wrote since the last call.
    pub fn poll(&mut self, target: &mut ProbeTarget) -> Result<Vec<LogLine>, ProbeError> {
        let mut core = target.core()?;
        let channel = self
            .rtt
            .up_channel(self.channel)
            .ok_or_else(|| ProbeError::Rtt(format!("up channel {} is gone", self.channel)))?;
        let mut lines = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            let n = channel.read(&mut core, &mut buf).map_err(|e| {
                ProbeError::Rtt(format!("reading the defmt channel: {}", chain(&e)))
            })?;
            if n == 0 {
                break;
            }
            lines.extend(self.decoder.feed(&buf[..n]));
        }
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::defmt_channel;

    #[test]
    fn the_defmt_channel_is_found_by_name() {
        assert_eq!(defmt_channel([Some("defmt"), Some("cloud")]), Some(0));
        assert_eq!(defmt_channel([Some("cloud"), Some("defmt")]), Some(1));
        assert_eq!(defmt_channel([None, None]), Some(0));
        assert_eq!(defmt_channel([Some("cloud")]), None);
        assert_eq!(defmt_channel([]), None);
    }
}
