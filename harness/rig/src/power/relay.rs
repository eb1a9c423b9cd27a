//! The `relay` backend: a relay board over a serial port, switched by the bytes the rig file gives for on and off.
//!
//! Cheap USB relay boards take a fixed frame (`A0 01 01 A2`) and answer
//! nothing, so the only check is that the port opened and took the bytes.

use super::serial::Instrument;
use crate::RigError;

/// A relay board on a serial port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relay {
    pub port: String,
    pub baud: u32,
    pub on: Vec<u8>,
    pub off: Vec<u8>,
}

impl Relay {
    pub(super) fn switch(&self, on: bool) -> Result<(), RigError> {
        let mut board = Instrument::open(&self.port, self.baud, "the relay board")?;
        board.send(if on { &self.on } else { &self.off })
    }
}
