//! The agent link over its board's bytes ([`crate::link_io`]): frames in, the agent core's answers out, the ready frame.
//!
//! Frames are `mv_proto` frames (postcard + COBS + a zero byte). A frame too
//! long for [`MAX_FRAME`] is dropped up to its delimiter and answered with
//! `BadRequest`, like one that does not decode; a request of another
//! protocol version is answered with `VersionMismatch` by the core.

use alloc::vec::Vec;

use mv_agent_core::Agent;
use mv_proto::{encode_frame, Response, FRAME_DELIMITER, MAX_FRAME};

use crate::app::TargetApp;
use crate::link_io::LinkIo;

/// The link and the agent the requests act on.
pub struct Link {
    io: LinkIo,
    agent: Agent,
}

impl Link {
    pub fn new(io: LinkIo, agent: Agent) -> Link {
        Link { io, agent }
    }

    /// Say it is ready (the full hello only when asked: every byte here
    /// is on the path of every reset), then answer requests forever.
    pub fn serve(&mut self) -> ! {
        self.send(&self.agent.ready());
        let mut app = TargetApp;
        let mut frame = Vec::with_capacity(256);
        let mut overflowed = false;
        loop {
            let byte = self.io.read_byte();
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
                defmt::debug!("request: {=usize} bytes", frame.len());
                // The target app never stops under a request: a fault or a
                // restart never returns here, the app starts over.
                if let Ok(response) = self.agent.answer_frame(&mut app, &mut frame) {
                    self.send(&response);
                }
            }
            frame.clear();
            overflowed = false;
        }
    }

    fn send(&self, response: &Response) {
        match encode_frame(response) {
            Ok(frame) => self.io.write(&frame),
            Err(_) => {
                // Only a reply past MAX_FRAME can fail (reads are capped so a
                // single one cannot); tell the host rather than go silent.
                defmt::error!("reply too long for one frame; sending BadRequest");
                if let Ok(frame) = encode_frame(&Response::BadRequest) {
                    self.io.write(&frame);
                }
            }
        }
    }
}
