//! The cloud link, device side: every `CloudToDevice` message applied, answered, and what it starts.

use mv_abi::{MvEventType, MvSystemNotificationSource};
use mv_flash::{Flash, FlashError};
use mv_kernel::board::Board;
use mv_kernel::logging::LinkState;
use mv_proto::{CloudToDevice, DeviceToCloud, OtaReply, PROTOCOL_VERSION};

use crate::{Device, Restart, Uplink, DEFAULT_POLITENESS_S};

impl<B: Board + Uplink, F: Flash> Device<B, F> {
    /// Applies one message from the cloud and answers it on the uplink
    /// (`Ack`, or the OTA engine's reply). `Some(restart)`: an update is
    /// staged and the app is not polite, so the board restarts it now.
    /// `Err(PowerLost)`: the device is off.
    pub fn on_cloud(&mut self, message: CloudToDevice) -> Result<Option<Restart>, FlashError> {
        // Channel messages: the kernel applies them, and what they let it
        // send (more data, a freed window) goes out before the `Ack`.
        if self.on_cloud_net(&message) {
            self.drain_net();
            self.kernel.board_mut().send(DeviceToCloud::Ack);
            return Ok(None);
        }
        let reply = match message {
            CloudToDevice::SyncTime { wall_us } => {
                self.kernel.set_wall_time(wall_us);
                DeviceToCloud::Ack
            }
            CloudToDevice::Link { online } => {
                let link = self.kernel.link();
                self.kernel.set_link(LinkState { online, ..link });
                DeviceToCloud::Ack
            }
            CloudToDevice::Logging { enabled } => {
                let link = self.kernel.link();
                self.kernel.set_link(LinkState {
                    logging_enabled: enabled,
                    ..link
                });
                DeviceToCloud::Ack
            }
            CloudToDevice::Hello { protocol_version } if protocol_version == PROTOCOL_VERSION => {
                DeviceToCloud::Ack
            }
            CloudToDevice::Hello { protocol_version } => DeviceToCloud::VersionMismatch {
                device: PROTOCOL_VERSION,
                cloud: protocol_version,
            },
            // Everything sent before was sent synchronously: the `Ack` is
            // the barrier.
            CloudToDevice::Flush => DeviceToCloud::Ack,
            CloudToDevice::OtaOffer { manifest, rom_len } => {
                let reply = match self.ota_parts() {
                    Some((updater, flash)) => updater.on_offer(flash, &manifest, rom_len)?,
                    None => OtaReply::Unexpected { expected: None },
                };
                return Ok(self.after_ota(reply));
            }
            CloudToDevice::OtaChunk { index, data } => {
                let reply = match self.ota_parts() {
                    Some((updater, flash)) => updater.on_chunk(flash, index, &data)?,
                    None => OtaReply::Unexpected { expected: None },
                };
                return Ok(self.after_ota(reply));
            }
            // **Choice** (ABI.md §20): the running app is the test app from
            // now on; the lab's factory image is the one app it has.
            CloudToDevice::AppTestMode { on } => {
                self.kernel.set_app_test_mode(on);
                DeviceToCloud::Ack
            }
            // The channel messages were applied above.
            _ => DeviceToCloud::Ack,
        };
        // A link change closes channels and posts to the app's centres.
        self.drain_net();
        self.kernel.board_mut().send(reply);
        Ok(None)
    }

    fn ota_parts(&mut self) -> Option<(&mut mv_update::Updater, &mut F)> {
        let ota = self.ota.as_mut()?;
        Some((ota.updater.as_mut()?, &mut ota.flash))
    }

    /// Answers an OTA message. Once an update is staged, either tells a
    /// polite app (`UPDATEDOWNLOADED` to its `UPDATE` subscriptions; the
    /// install waits for its `mvRestart` or the politeness time) and answers
    /// `Staged`, or answers `Installing` and asks for the restart now.
    fn after_ota(&mut self, reply: OtaReply) -> Option<Restart> {
        self.sync_update_state();
        let update = MvSystemNotificationSource::Update as u32;
        let restart = reply == OtaReply::Staged
            && self.polite_deadline_us.is_none()
            && !self.kernel.has_system_subscribers(update);
        if restart {
            self.kernel
                .board_mut()
                .send(DeviceToCloud::Ota(OtaReply::Installing));
            return Some(Restart::UpdateReady);
        }
        self.kernel.board_mut().send(DeviceToCloud::Ota(reply));
        if reply != OtaReply::Staged || self.polite_deadline_us.is_some() {
            return None;
        }
        self.kernel
            .post_system_event(update, MvEventType::UpdateDownloaded as u32);
        let seconds = match self.updater().map_or(0, |u| u.politeness_s()) {
            0 => DEFAULT_POLITENESS_S,
            s => u64::from(s),
        };
        let now = self.kernel.board().now_us();
        self.polite_deadline_us = Some(now + seconds * 1_000_000);
        self.kernel.set_update_waiting(true);
        None
    }
}
