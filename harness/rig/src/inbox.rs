//! What the device sent the cloud, sorted for the session: log messages, crashes, app starts, OTA answers, channel traffic.
//!
//! One reader of `DeviceToCloud` for every rig: the sim's uplink and the
//! QEMU rig's cloud UART feed the same [`Inbox`].

use std::collections::VecDeque;

use mv_proto::{AppStarted, CrashReport, DeviceToCloud, FaultReport, OtaReply};

/// The device's messages not yet taken.
#[derive(Debug, Default)]
pub struct Inbox {
    /// `mvServerLog` messages, in order.
    pub server_log: Vec<Vec<u8>>,
    /// `mvTestLog` messages (the provisioning console), in order.
    pub test_log: Vec<Vec<u8>>,
    /// The last app crash reported.
    pub crash: Option<CrashReport>,
    /// The last app start announced, until a session takes it.
    pub started: Option<AppStarted>,
    /// The installed app's version, as the last start announced it.
    pub app_version: u32,
    /// OTA answers, in order.
    pub ota: VecDeque<OtaReply>,
    /// A fault of the kernel itself.
    pub kernel_fault: Option<FaultReport>,
    /// The device refused the cloud's protocol version (its own).
    pub version_mismatch: Option<u32>,
    /// `Ack`s received.
    pub acks: usize,
    /// Channel messages (opens, data, requests), in order, for the cloud's
    /// network services.
    pub net: Vec<DeviceToCloud>,
}

impl Inbox {
    /// Files one message.
    pub fn absorb(&mut self, message: DeviceToCloud) {
        match message {
            DeviceToCloud::Ack => self.acks += 1,
            DeviceToCloud::Log(m) => self.server_log.push(m),
            DeviceToCloud::TestLog(m) => self.test_log.push(m),
            DeviceToCloud::Ota(reply) => self.ota.push_back(reply),
            DeviceToCloud::Crash(report) => self.crash = Some(report),
            DeviceToCloud::Started(started) => {
                self.app_version = started.app_version;
                self.started = Some(started);
            }
            DeviceToCloud::KernelFault(fault) => self.kernel_fault = Some(fault),
            DeviceToCloud::VersionMismatch { device, .. } => self.version_mismatch = Some(device),
            m @ (DeviceToCloud::ChannelOpened { .. }
            | DeviceToCloud::ChannelData { .. }
            | DeviceToCloud::ChannelRead { .. }
            | DeviceToCloud::HttpRequest { .. }
            | DeviceToCloud::ConfigFetch { .. }
            | DeviceToCloud::ChannelGone { .. }
            | DeviceToCloud::MqttRequest { .. }
            | DeviceToCloud::MqttDelivered { .. }
            | DeviceToCloud::MqttRoom { .. }) => self.net.push(m),
        }
    }

    /// Forgets everything (a new device, or a reset).
    pub fn clear(&mut self) {
        *self = Inbox::default();
    }

    /// The restart the last messages describe: the app's start and, if the
    /// crash report came with it, the crash.
    pub fn take_restart(&mut self) -> Option<crate::AppRestart> {
        let started = self.started.take()?;
        Some(crate::AppRestart {
            wake_reason: started.wake_reason,
            crash: self.crash.take().map(|c| c.fault),
        })
    }
}
