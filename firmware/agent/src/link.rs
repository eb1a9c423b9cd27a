//! The agent link on UART1: frames in, frames out, the hello.
//!
//! Frames are `mv_proto` frames (postcard + COBS + a zero byte). A frame too
//! long for [`MAX_FRAME`] is dropped up to its delimiter and answered with
//! `BadRequest`, like one that does not decode.

use alloc::vec::Vec;

use mv_ns::handoff::Handoff;
use mv_proto::{
    decode_frame, encode_frame, Hello, Request, Response, FRAME_DELIMITER, MAX_FRAME,
    PROTOCOL_VERSION,
};

use crate::exec::Executor;
use crate::uart::Uart;

/// What the agent calls itself in its hello.
const BOARD: &str = "mps2-an505 (qemu)";

/// The link and the state the requests act on.
pub struct Link {
    uart: Uart,
    hello: Hello,
    executor: Executor,
}

impl Link {
    pub fn new(uart: Uart, handoff: &Handoff) -> Link {
        uart.init(true);
        Link {
            uart,
            hello: Hello {
                protocol_version: PROTOCOL_VERSION,
                board: BOARD.into(),
                nsc_table_base: handoff.nsc_table_base,
                regions: crate::memory_map::regions(handoff),
            },
            executor: Executor::new(),
        }
    }

    /// Greet the host, then answer requests forever.
    pub fn serve(&mut self) -> ! {
        self.send(&Response::Hello(self.hello.clone()));
        let mut frame = Vec::with_capacity(256);
        let mut overflowed = false;
        loop {
            let byte = self.uart.read_byte();
            if byte != FRAME_DELIMITER {
                if frame.len() < MAX_FRAME {
                    frame.push(byte);
                } else {
                    overflowed = true;
                }
                continue;
            }
            if overflowed {
                defmt::warn!("request longer than {=usize} bytes dropped", MAX_FRAME);
                self.send(&Response::BadRequest);
            } else if !frame.is_empty() {
                let response = self.answer(&mut frame);
                self.send(&response);
            }
            frame.clear();
            overflowed = false;
        }
    }

    fn answer(&mut self, frame: &mut [u8]) -> Response {
        match decode_frame::<Request>(frame) {
            Ok(Request::Hello) => Response::Hello(self.hello.clone()),
            Ok(Request::Exec(primitives)) => {
                defmt::debug!("exec: {=usize} primitive(s)", primitives.len());
                Response::Replies(self.executor.run_all(&primitives))
            }
            Err(_) => {
                defmt::warn!("undecodable request ({=usize} bytes)", frame.len());
                Response::BadRequest
            }
        }
    }

    fn send(&self, response: &Response) {
        match encode_frame(response) {
            Ok(frame) => self.uart.write(&frame),
            Err(_) => {
                // Only a reply past MAX_FRAME can fail (reads are capped so a
                // single one cannot); tell the host rather than go silent.
                defmt::error!("reply too long for one frame; sending BadRequest");
                if let Ok(frame) = encode_frame(&Response::BadRequest) {
                    self.uart.write(&frame);
                }
            }
        }
    }
}
