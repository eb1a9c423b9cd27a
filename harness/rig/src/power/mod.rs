//! The power backends a board rig names in its rig file, and the one switch the board session calls.
//!
//! A lab switches a board's power in one of a few ways: labgrid's power
//! resource, a USB hub port (`uhubctl`), a bench supply speaking SCPI over a
//! serial port, a relay board over a serial port, or any command. Each
//! backend checks that the switch happened (an exit status, uhubctl's new
//! port status, the supply's answer to a query) so a power step that did
//! nothing fails here, not as a mysterious boot timeout later.

mod check;
mod command;
mod relay;
pub(crate) mod rig_file;
mod scpi;
mod serial;
mod uhubctl;

pub(crate) use command::run as run_command;
pub use relay::Relay;
pub use scpi::Scpi;
pub use uhubctl::Uhubctl;

use crate::labgrid::Place;
use crate::RigError;

/// How the board's power is switched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PowerBy {
    /// `labgrid-client power on|off` on the place.
    Labgrid,
    /// Any command (a program and its arguments) for on and for off.
    Command { on: Vec<String>, off: Vec<String> },
    /// A port of a USB hub with per-port power switching.
    Uhubctl(Uhubctl),
    /// A bench supply's output, over its serial port.
    Scpi(Scpi),
    /// A relay board over its serial port.
    Relay(Relay),
}

impl PowerBy {
    /// Switches the power on or off; `place` is the board's labgrid place,
    /// which the `labgrid` backend needs.
    pub fn switch(&self, on: bool, place: Option<&Place>) -> Result<(), RigError> {
        match self {
            PowerBy::Labgrid => place
                .ok_or_else(|| {
                    RigError::Link("power through labgrid needs a labgrid place".into())
                })?
                .power(on),
            PowerBy::Command { on: up, off: down } => {
                command::run(if on { up } else { down }, "the power command").map(drop)
            }
            PowerBy::Uhubctl(hub) => hub.switch(on),
            PowerBy::Scpi(supply) => supply.switch(on),
            PowerBy::Relay(relay) => relay.switch(on),
        }
    }

    /// The backend's name as the rig file spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            PowerBy::Labgrid => "labgrid",
            PowerBy::Command { .. } => "command",
            PowerBy::Uhubctl(_) => "uhubctl",
            PowerBy::Scpi(_) => "scpi",
            PowerBy::Relay(_) => "relay",
        }
    }
}
