//! How a QEMU session's frames get into the device: through the links' shared-memory rings in the NVM file, or their UARTs.
//!
//! QEMU's CMSDK UART takes one byte per main-loop turn, so a request over
//! UART1 costs tens of microseconds a byte (milliseconds on a loaded
//! host); written into the agent's ring (`mv_proto::ring`, see
//! [`DownRing`]) it arrives at once, and a doorbell byte on UART1 wakes
//! the agent from its sleep. The agent answers the way the request came:
//! up its ring, with a doorbell on UART1 that the agent link turns into
//! the ring's bytes ([`crate::qemu::FrameLink::set_up_ring`]), or on
//! UART1. The secure image answers the cloud on its UART. The UARTs stay
//! the way in of a board rig, of a device that has not laid its ring out
//! (yet), and of [`WayIn::Uarts`], the previous way, kept so that
//! `hil bench` can time both side by side in one run.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::Running;
use crate::qemu::{DownRing, NvmFile};
use crate::RigError;

/// Which way the host's frames go in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WayIn {
    /// Into the rings, where the device has laid them out.
    #[default]
    Rings,
    /// On the UARTs (the way before the agent's ring).
    Uarts,
}

/// The two links' rings in one QEMU's NVM file.
pub(super) struct Rings {
    agent: DownRing,
    cloud: DownRing,
}

impl Rings {
    pub(super) fn open(nvm: &Path) -> Result<Rings, RigError> {
        Ok(Rings {
            agent: DownRing::agent(nvm)?,
            cloud: DownRing::cloud(nvm)?,
        })
    }
}

/// Tells the agent of the QEMU on `nvm` where to send its ready frame at
/// its next start: up its ring (`WayIn::Rings`: the session reads the up
/// channel at the doorbell) or on UART1 (`WayIn::Uarts`, the previous way).
pub(super) fn ready_frame_way(nvm: &Path, way: WayIn) -> Result<(), RigError> {
    NvmFile::new(nvm).set_ready_frame_up(way == WayIn::Rings)
}

/// One of the device's two links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum To {
    Agent,
    Cloud,
}

impl Running {
    /// Sends `message` on `to`'s link: into its ring when `way` is the
    /// rings and the device has laid that ring out, else on its UART.
    pub(super) fn send<T: Serialize>(
        &mut self,
        to: To,
        message: &T,
        way: WayIn,
        timeout: Duration,
    ) -> Result<(), RigError> {
        if let (WayIn::Rings, Some(rings)) = (way, self.rings.as_mut()) {
            let ring = match to {
                To::Agent => &mut rings.agent,
                To::Cloud => &mut rings.cloud,
            };
            if ring.laid_out()? {
                ring.send(message, timeout)?;
                // The agent sleeps until UART1 receives a byte; the secure
                // image polls its ring on its clock and needs none.
                return match to {
                    To::Agent => self.link.doorbell(),
                    To::Cloud => Ok(()),
                };
            }
        }
        match to {
            To::Agent => self.link.send(message),
            To::Cloud => self.cloud.send(message),
        }
    }
}
