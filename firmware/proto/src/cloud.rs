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
}

/// Device to cloud.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceToCloud {
    /// The last [`CloudToDevice`] message has been applied.
    Ack,
    /// One application log message (`mvServerLog`).
    Log(Vec<u8>),
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
        ] {
            let mut f = encode_frame(&m).unwrap();
            assert_eq!(decode_frame::<CloudToDevice>(&mut f).unwrap(), m);
        }
        let mut f = encode_frame(&DeviceToCloud::Log(vec![b'h', 0, b'i'])).unwrap();
        assert_eq!(
            decode_frame::<DeviceToCloud>(&mut f).unwrap(),
            DeviceToCloud::Log(vec![b'h', 0, b'i'])
        );
    }
}
