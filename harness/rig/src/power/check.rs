//! Dry checks of a power backend for `hil rig check`: does it answer — without switching anything.
//!
//! What can be asked without touching the power: that a command's program
//! is there, that uhubctl sees the hub and the port, that a serial
//! instrument's port opens and a supply answers its query.

use std::path::Path;

use super::serial::Instrument;
use super::{command, PowerBy, Scpi, Uhubctl};
use crate::config::find_program;
use crate::RigError;

impl PowerBy {
    /// What answered, or why the backend cannot work; never switches the
    /// power. The `labgrid` backend is the place's (checked with it).
    pub fn check(&self) -> Result<String, RigError> {
        match self {
            PowerBy::Labgrid => Ok("switched by the labgrid place".into()),
            PowerBy::Command { on, off } => {
                for (field, argv) in [("on", on), ("off", off)] {
                    let program = argv.first().map_or("", String::as_str);
                    if !find_program(Path::new(program)) {
                        return Err(RigError::Link(format!(
                            "the power command's `{field}` program `{program}` is not an executable file here or on PATH; install it or give its full path"
                        )));
                    }
                }
                Ok(format!("`{}` and `{}` are there", on[0], off[0]))
            }
            PowerBy::Uhubctl(hub) => hub.check(),
            PowerBy::Scpi(supply) => supply.check(),
            PowerBy::Relay(relay) => {
                Instrument::open(&relay.port, relay.baud, "the relay board")?;
                Ok(format!(
                    "the relay board's port {} opens (it answers nothing to ask)",
                    relay.port
                ))
            }
        }
    }
}

impl Uhubctl {
    /// `uhubctl -l LOCATION` (a status listing, no action) must list the port.
    fn check(&self) -> Result<String, RigError> {
        let argv = ["uhubctl", "-l", &self.location].map(str::to_owned);
        let out = command::run(&argv, "uhubctl")?;
        let prefix = format!("Port {}:", self.port);
        out.lines()
            .map(str::trim)
            .find(|l| l.starts_with(&prefix))
            .map(|status| format!("hub {} reports `{status}`", self.location))
            .ok_or_else(|| {
                RigError::Link(format!(
                    "`uhubctl -l {}` lists no port {}; run `uhubctl` to see the hubs and ports it can switch. It said:\n{}",
                    self.location,
                    self.port,
                    out.trim_end()
                ))
            })
    }
}

impl Scpi {
    /// The port opens; with a query set, the supply answers it with a state.
    fn check(&self) -> Result<String, RigError> {
        match self.query_state()? {
            None => {
                Instrument::open(&self.port, self.baud, "the scpi power supply")?;
                Ok(format!(
                    "the supply's port {} opens (no `query` set: nothing to ask)",
                    self.port
                ))
            }
            Some(answer) => match super::scpi::parse_state(&answer) {
                Some(on) => Ok(format!(
                    "`{}` answers `{answer}` (output {})",
                    self.query.as_deref().unwrap_or_default(),
                    if on { "on" } else { "off" }
                )),
                None => Err(RigError::Link(format!(
                    "the scpi power supply on {}: `{}` answered `{answer}`, neither on (1, ON) nor off (0, OFF); set `query` to the supply's output-state query",
                    self.port,
                    self.query.as_deref().unwrap_or_default()
                ))),
            },
        }
    }
}
