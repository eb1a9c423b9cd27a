//! The cloud link of a QEMU session as the emulated cloud's two ports: the OTA link (`deliver`) and the network relay's port.

use hil_cloud::{LinkDown, OtaLink};
use mv_proto::{CloudToDevice, DeviceToCloud, OtaReply};

use super::way_in::To;
use super::QemuSession;
use crate::net::CloudPort;
use crate::RigError;

/// The cloud link to QEMU, for the emulator's `deliver`.
pub(super) struct QemuLink<'a> {
    pub(super) session: &'a mut QemuSession,
    pub(super) failed: Option<RigError>,
}

impl OtaLink for QemuLink<'_> {
    fn exchange(&mut self, message: CloudToDevice) -> Result<OtaReply, LinkDown> {
        let s = &mut *self.session;
        let timeout = s.wait(s.config.exec_timeout);
        let way = s.way_in;
        let sent = match s.running.as_mut() {
            Some(r) => r.send(To::Cloud, &message, way, timeout),
            None => Err(RigError::Link("no device".into())),
        };
        let answered = sent.and_then(|()| s.cloud_receive(timeout, |i| !i.ota.is_empty()));
        match answered {
            Ok(true) => s.inbox.ota.pop_front().ok_or(LinkDown),
            Ok(false) => {
                self.failed = Some(RigError::Timeout(timeout.as_millis() as u64));
                Err(LinkDown)
            }
            Err(e) => {
                self.failed = Some(e);
                Err(LinkDown)
            }
        }
    }
}

/// The cloud UART as the network relay's port.
pub(super) struct QemuPort<'a> {
    pub(super) session: &'a mut QemuSession,
}

impl CloudPort for QemuPort<'_> {
    fn send(&mut self, message: CloudToDevice) -> Result<(), RigError> {
        match self.session.cloud_ack(&message) {
            Ok(()) => Ok(()),
            Err(e @ RigError::Version { .. }) => Err(e),
            Err(e) => Err(self.session.device_lost(e)),
        }
    }

    /// The device sends its channel messages from inside the call that
    /// caused them, before the app's reply: a `Flush` answered means every
    /// one of them has been read.
    fn collect(&mut self) -> Result<Vec<DeviceToCloud>, RigError> {
        self.send(CloudToDevice::Flush)?;
        Ok(std::mem::take(&mut self.session.inbox.net))
    }
}
