//! Frames on the agent link: postcard, COBS-encoded, ended by a zero byte.
//!
//! COBS leaves no zero byte inside a frame, so a reader that joins a stream
//! mid-frame (after a reset, or on a noisy UART) resynchronises at the next
//! zero. The same framing is used in both directions.

use alloc::vec::Vec;
use serde::{de::DeserializeOwned, Serialize};

/// Ends every frame.
pub const FRAME_DELIMITER: u8 = 0;

/// The largest frame either side accepts (bytes, delimiter included).
pub const MAX_FRAME: usize = 16 * 1024;

/// A frame that cannot be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    TooLong,
    /// Not valid COBS or not a valid message.
    Malformed,
}

/// Encode `message` as one frame, delimiter included.
pub fn encode_frame<T: Serialize>(message: &T) -> Result<Vec<u8>, FrameError> {
    let frame = postcard::to_allocvec_cobs(message).map_err(|_| FrameError::Malformed)?;
    if frame.len() > MAX_FRAME {
        return Err(FrameError::TooLong);
    }
    Ok(frame)
}

/// Decode one frame (with or without its delimiter). Decodes in place.
pub fn decode_frame<T: DeserializeOwned>(frame: &mut [u8]) -> Result<T, FrameError> {
    if frame.len() > MAX_FRAME {
        return Err(FrameError::TooLong);
    }
    postcard::from_bytes_cobs(frame).map_err(|_| FrameError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Placement, Primitive, Reply, Request, Response};
    use alloc::vec;

    #[test]
    fn frames_round_trip_and_hold_no_inner_zero() {
        let req = Request::Exec(vec![
            Primitive::Alloc {
                size: 64,
                align: 8,
                placement: Placement::NsRam,
                misalign: 0,
            },
            Primitive::Write {
                addr: 0x2820_0000,
                data: vec![0, 0, 0, 1],
            },
            Primitive::Call {
                slot: 27,
                args: [0; 4],
            },
        ]);
        let mut frame = encode_frame(&req).unwrap();
        assert_eq!(frame.last(), Some(&FRAME_DELIMITER));
        assert!(!frame[..frame.len() - 1].contains(&0));
        assert_eq!(decode_frame::<Request>(&mut frame).unwrap(), req);
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let mut junk = vec![3, 1, 2, 0];
        assert_eq!(
            decode_frame::<Response>(&mut junk),
            Err(FrameError::Malformed)
        );
        let mut ok = encode_frame(&Response::Replies(vec![Reply::Done])).unwrap();
        assert!(decode_frame::<Response>(&mut ok).is_ok());
    }
}
