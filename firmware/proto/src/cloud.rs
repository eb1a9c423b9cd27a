//! The cloud link: what the (emulated) Microvisor cloud and the secure kernel
//! say to each other.
//!
//! On the sim the kernel is called directly; on a target the kernel owns a
//! secure UART and exchanges these messages in the same frames as the agent
//! link. Every cloud message is acknowledged once applied, so a harness step
//! like "the server sets the wall time" has taken effect before the next
//! step runs. New variants are only ever appended (postcard encodes the
//! variant index), so old images keep decoding what they know.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// Cloud to device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CloudToDevice {
    /// The server's wall clock, µs since the Unix epoch (non-leap).
    SyncTime { wall_us: u64 },
    /// The connection came up or went down (queued log messages flush when up).
    Link { online: bool },
    /// The server enabled or disabled application logging.
    Logging { enabled: bool },
    /// A deployment: the bundle's signed manifest and the length of its one
    /// layer. Answered with [`DeviceToCloud::Ota`].
    OtaOffer { manifest: Vec<u8>, rom_len: u32 },
    /// Chunk `index` of the layer (one flash page, the last one shorter).
    /// Answered with [`DeviceToCloud::Ota`].
    OtaChunk { index: u32, data: Vec<u8> },
    /// The cloud's protocol version (`crate::PROTOCOL_VERSION`), sent when it
    /// connects. Answered with `Ack`, or [`DeviceToCloud::VersionMismatch`].
    Hello { protocol_version: u32 },
    /// A barrier: answered with `Ack` once everything the device had to say
    /// before it is on the link (the cloud then knows it has read all of it).
    Flush,
    /// The cloud has room for `bytes` more of a channel's send data.
    ChannelWindow { channel: u32, bytes: u32 },
    /// Bytes for a channel's receive buffer (never more than the room the
    /// device announced).
    ChannelData { channel: u32, data: Vec<u8> },
    /// The cloud's end of a channel closed; `reason` is an `MvClosureReason`.
    ChannelClosed { channel: u32, reason: u32 },
    /// The head of an HTTP response (`result`: `MvHttpResult`; each header
    /// `name: value`); `body_len` bytes follow in [`CloudToDevice::HttpBody`].
    HttpResponse {
        channel: u32,
        result: u32,
        status_code: u32,
        headers: Vec<Vec<u8>>,
        body_len: u32,
    },
    /// The next chunk of an HTTP response body.
    HttpBody { channel: u32, data: Vec<u8> },
    /// A config fetch's answer (`result`: `MvConfigFetchResult`), one item
    /// per requested key, in request order.
    ConfigResponse {
        channel: u32,
        result: u32,
        items: Vec<ConfigItem>,
    },
    /// The device runs the factory's application test from now on (or no
    /// longer): `mvTestingComplete` and `mvTestLog*` answer only then.
    AppTestMode { on: bool },
    /// An MQTT channel's answer to a request, or a message for it.
    Mqtt { channel: u32, down: crate::MqttDown },
}

/// One item of a [`CloudToDevice::ConfigResponse`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigItem {
    /// `MvConfigKeyFetchResult`.
    pub result: u32,
    pub value: Vec<u8>,
}

/// The kernel's answer to an OTA message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtaReply {
    /// Send chunks from this index on (0 for a new download, more on a resume).
    Fetch { from_chunk: u32 },
    /// Downloaded and verified; the install waits for the app (polite) or runs now.
    Staged,
    /// The offered version is the one installed.
    UpToDate,
    /// Refused with a stable reason code (`mv_update::RejectCode`); the old app stays.
    Rejected { code: u16 },
    /// Not the chunk expected; `expected` is the one to send, if any download is under way.
    Unexpected { expected: Option<u32> },
    /// Downloaded and verified, and the app did not opt into polite
    /// deployment: the device restarts it now to install the update (a
    /// `Started` follows). `Staged` means the app was told and the device waits.
    Installing,
}

/// Device to cloud.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceToCloud {
    /// The last [`CloudToDevice`] message has been applied.
    Ack,
    /// One application log message (`mvServerLog`).
    Log(Vec<u8>),
    /// The answer to an OTA offer or chunk.
    Ota(OtaReply),
    /// The app faulted; the kernel restarts it after `backoff_ms`.
    Crash(CrashReport),
    /// The app (re)started: at boot, and after every restart the kernel made
    /// (`mvRestart`, an update, a crash, the end of a polite wait).
    Started(AppStarted),
    /// The kernel itself faulted; the device stops (on QEMU: exits with the
    /// fault's `mv_abi::exit::ExitCode`).
    KernelFault(crate::FaultReport),
    /// The cloud's `Hello` named another protocol version.
    VersionMismatch { device: u32, cloud: u32 },
    /// An `OPAQUEBYTES` channel to `endpoint` opened; the cloud may send up
    /// to `rx_window` bytes until the device grants more.
    ChannelOpened {
        channel: u32,
        endpoint: alloc::string::String,
        rx_window: u32,
    },
    /// Bytes the app wrote to a channel (within the cloud's window).
    ChannelData { channel: u32, data: Vec<u8> },
    /// The app consumed `bytes` of a channel's receive buffer: room for more.
    ChannelRead { channel: u32, bytes: u32 },
    /// An app's HTTP request (`mvSendHttpRequest`).
    HttpRequest { channel: u32, request: HttpRequest },
    /// An app's config fetch (`mvSendConfigFetchRequest`).
    ConfigFetch { channel: u32, keys: Vec<ConfigKey> },
    /// The channel is gone (the app closed it, or restarted): the cloud
    /// drops its end.
    ChannelGone { channel: u32 },
    /// One `mvTestLog` message, for the provisioning console (application-test mode).
    TestLog(Vec<u8>),
    /// An app's MQTT request.
    MqttRequest {
        channel: u32,
        request: crate::MqttRequest,
    },
    /// What became of the message `delivery` the cloud sent a channel.
    MqttDelivered {
        channel: u32,
        delivery: u32,
        outcome: crate::MqttOutcome,
    },
    /// The app read from a channel that refused a message: send refused
    /// messages again.
    MqttRoom { channel: u32 },
}

/// What the app asked the cloud to fetch, as the app gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: Vec<u8>,
    pub url: Vec<u8>,
    /// Each header as the app wrote it (`name: value`).
    pub headers: Vec<Vec<u8>>,
    pub body: Vec<u8>,
    pub timeout_ms: u32,
}

/// One key of a [`DeviceToCloud::ConfigFetch`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigKey {
    /// `MvConfigKeyFetchScope`.
    pub scope: u32,
    /// `MvConfigKeyFetchStore`.
    pub store: u32,
    pub key: Vec<u8>,
}

/// What the device says when the app starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppStarted {
    /// The device's `crate::PROTOCOL_VERSION`.
    pub protocol_version: u32,
    /// What `mvGetWakeReason` reports to this app (`mv_abi::MvWakeReason`).
    pub wake_reason: u8,
    /// The installed app's version (0: the device has no OTA flash).
    pub app_version: u32,
}

/// What the kernel saw when the app crashed (sent before it restarts the app).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashReport {
    /// The fault and its registers (fault status, and the stacked PC, LR, xPSR).
    pub fault: crate::FaultReport,
    /// Where the app's exception frame was (its stack pointer).
    pub sp: u32,
    /// App stack bytes from `sp` up (the exception frame first).
    pub stack: Vec<u8>,
    /// Crashes since the kernel last started the app cleanly (1 = the first).
    pub crashes: u32,
    /// How long the kernel waits before starting the app again.
    pub backoff_ms: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode_frame, encode_frame};
    use alloc::vec;

    #[test]
    fn cloud_messages_round_trip_as_frames() {
        for m in [
            CloudToDevice::SyncTime {
                wall_us: 1_700_000_000_000_000,
            },
            CloudToDevice::Link { online: false },
            CloudToDevice::Logging { enabled: true },
            CloudToDevice::OtaOffer {
                manifest: vec![1, 2, 3],
                rom_len: 131_072,
            },
            CloudToDevice::OtaChunk {
                index: 15,
                data: vec![0xAB; 8192],
            },
            CloudToDevice::Hello {
                protocol_version: crate::PROTOCOL_VERSION,
            },
            CloudToDevice::Flush,
            CloudToDevice::ChannelWindow {
                channel: 0xDEAD_BEEF,
                bytes: 512,
            },
            CloudToDevice::ChannelData {
                channel: 1,
                data: vec![0; 700],
            },
            CloudToDevice::ChannelClosed {
                channel: 1,
                reason: 3,
            },
            CloudToDevice::HttpResponse {
                channel: 2,
                result: 0,
                status_code: 200,
                headers: vec![b"content-length: 2".to_vec()],
                body_len: 2,
            },
            CloudToDevice::HttpBody {
                channel: 2,
                data: b"ok".to_vec(),
            },
            CloudToDevice::ConfigResponse {
                channel: 3,
                result: 0,
                items: vec![ConfigItem {
                    result: 1,
                    value: Vec::new(),
                }],
            },
            CloudToDevice::Mqtt {
                channel: 4,
                down: crate::MqttDown::Message {
                    delivery: 1,
                    topic: b"a/b".to_vec(),
                    payload: vec![1; 300],
                    qos: 1,
                    retain: false,
                },
            },
        ] {
            let mut f = encode_frame(&m).unwrap();
            assert_eq!(decode_frame::<CloudToDevice>(&mut f).unwrap(), m);
        }
        let mut f = encode_frame(&DeviceToCloud::Log(vec![b'h', 0, b'i'])).unwrap();
        assert_eq!(
            decode_frame::<DeviceToCloud>(&mut f).unwrap(),
            DeviceToCloud::Log(vec![b'h', 0, b'i'])
        );
        for m in [
            DeviceToCloud::ChannelOpened {
                channel: 9,
                endpoint: "echo".into(),
                rx_window: 64,
            },
            DeviceToCloud::HttpRequest {
                channel: 9,
                request: HttpRequest {
                    method: b"GET".to_vec(),
                    url: b"https://lab.test/".to_vec(),
                    headers: vec![b"a: b".to_vec()],
                    body: Vec::new(),
                    timeout_ms: 5000,
                },
            },
            DeviceToCloud::ConfigFetch {
                channel: 9,
                keys: vec![ConfigKey {
                    scope: 0,
                    store: 1,
                    key: b"k".to_vec(),
                }],
            },
            DeviceToCloud::ChannelGone { channel: 9 },
            DeviceToCloud::MqttRequest {
                channel: 9,
                request: crate::MqttRequest::Publish {
                    correlation_id: 7,
                    topic: b"t".to_vec(),
                    payload: b"p".to_vec(),
                    qos: 1,
                    retain: true,
                },
            },
            DeviceToCloud::MqttDelivered {
                channel: 9,
                delivery: 3,
                outcome: crate::MqttOutcome::Refused,
            },
            DeviceToCloud::MqttRoom { channel: 9 },
        ] {
            let mut f = encode_frame(&m).unwrap();
            assert_eq!(decode_frame::<DeviceToCloud>(&mut f).unwrap(), m);
        }
        for reply in [
            OtaReply::Fetch { from_chunk: 3 },
            OtaReply::Staged,
            OtaReply::UpToDate,
            OtaReply::Rejected { code: 6 },
            OtaReply::Unexpected { expected: None },
            OtaReply::Installing,
        ] {
            let mut f = encode_frame(&DeviceToCloud::Ota(reply)).unwrap();
            assert_eq!(
                decode_frame::<DeviceToCloud>(&mut f).unwrap(),
                DeviceToCloud::Ota(reply)
            );
        }
    }

    /// Variants are only appended: a frame of an older message still
    /// decodes to the same message (its variant index did not move).
    #[test]
    fn older_variants_keep_their_index() {
        let mut f = encode_frame(&CloudToDevice::Hello {
            protocol_version: 2,
        })
        .unwrap();
        assert_eq!(f[1], 5, "Hello is variant 5 of CloudToDevice");
        assert!(matches!(
            decode_frame::<CloudToDevice>(&mut f),
            Ok(CloudToDevice::Hello { .. })
        ));
        let f = encode_frame(&DeviceToCloud::VersionMismatch {
            device: 1,
            cloud: 2,
        })
        .unwrap();
        assert_eq!(f[1], 6, "VersionMismatch is variant 6 of DeviceToCloud");
    }
}
