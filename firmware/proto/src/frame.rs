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

/// Why a request frame was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    Frame(FrameError),
    /// The host speaks another protocol version.
    Version {
        host: u32,
    },
}

/// Decode a request frame, checking its protocol version first: a request of
/// another version is reported as such even if the rest of it would not
/// decode as this version's `Request` (its version is the first field of
/// every variant, right after the variant index).
pub fn decode_request(frame: &mut [u8]) -> Result<crate::Request, RequestError> {
    if frame.len() > MAX_FRAME {
        return Err(RequestError::Frame(FrameError::TooLong));
    }
    let mut copy = frame.to_vec();
    let (_variant, host): (u32, u32) = postcard::from_bytes_cobs(&mut copy)
        .map_err(|_| RequestError::Frame(FrameError::Malformed))?;
    if host != crate::PROTOCOL_VERSION {
        return Err(RequestError::Version { host });
    }
    decode_frame(frame).map_err(RequestError::Frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Placement, Primitive, Reply, Request, Response};
    use alloc::vec;

    #[test]
    fn frames_round_trip_and_hold_no_inner_zero() {
        let req = Request::exec(vec![
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
    fn a_request_of_another_version_is_named_even_if_its_body_differs() {
        /// What a later version's request might look like: same head, other body.
        #[derive(serde::Serialize)]
        enum Later {
            #[allow(dead_code)]
            Hello { protocol_version: u32 },
            Exec {
                protocol_version: u32,
                something_new: [u64; 3],
            },
        }
        let mut f = encode_frame(&Later::Exec {
            protocol_version: crate::PROTOCOL_VERSION + 1,
            something_new: [u64::MAX; 3],
        })
        .unwrap();
        assert_eq!(
            decode_request(&mut f),
            Err(RequestError::Version {
                host: crate::PROTOCOL_VERSION + 1
            })
        );
        let mut ok = encode_frame(&Request::hello()).unwrap();
        assert_eq!(decode_request(&mut ok), Ok(Request::hello()));
        // An `Exec` of this version whose body is missing (COBS: two bytes).
        let mut junk = vec![3, 1, crate::PROTOCOL_VERSION as u8, 0];
        assert!(matches!(
            decode_request(&mut junk),
            Err(RequestError::Frame(_))
        ));
    }

    /// The ready frame is what every start costs on the agent link: a
    /// fraction of the hello it stands for, and its digest tells hellos apart.
    #[test]
    fn the_ready_frame_is_short_and_its_digest_tells_hellos_apart() {
        use crate::{Hello, Region, Response, PROTOCOL_VERSION};
        let region = |name: &str, base| Region {
            name: name.into(),
            base,
            size: 0x10_0000,
            secure: false,
            app_writable: true,
        };
        let hello = Hello {
            protocol_version: PROTOCOL_VERSION,
            board: "mps2-an505 (qemu)".into(),
            nsc_table_base: 0x100f_0000,
            regions: vec![region("ns-flash", 0), region("ns-ram", 0x2820_0000)],
        };
        let ready = Response::Ready {
            protocol_version: PROTOCOL_VERSION,
            hello_digest: hello.digest(),
        };
        let short = encode_frame(&ready).unwrap();
        let full = encode_frame(&Response::Hello(hello.clone())).unwrap();
        assert!(short.len() <= 10, "{} bytes", short.len());
        assert!(
            short.len() * 4 < full.len(),
            "{} vs {}",
            short.len(),
            full.len()
        );
        let mut short = short;
        assert_eq!(decode_frame::<Response>(&mut short), Ok(ready));
        let mut moved = hello.clone();
        moved.nsc_table_base += 0x20;
        assert_ne!(hello.digest(), moved.digest());
        assert_eq!(hello.digest(), hello.clone().digest());
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
