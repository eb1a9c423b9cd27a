//! The `scpi` backend: a bench supply's output switched by SCPI commands over a serial port, optionally confirmed by a query.
//!
//! The command strings come from the rig file (supplies differ: `OUTP ON`,
//! `OUTP1 1`, `:OUTPut:STATe ON`), as does the terminator.

use super::serial::{Instrument, ANSWER_TIMEOUT};
use crate::RigError;

/// A supply on a serial port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scpi {
    pub port: String,
    pub baud: u32,
    /// Sent (with the terminator) to switch the output on.
    pub on: String,
    pub off: String,
    /// Ends every command and every answer (`"\n"`).
    pub terminator: String,
    /// Asked after each switch (`OUTP?`); the answer must say the new state
    /// (`1`/`ON` or `0`/`OFF`).
    pub query: Option<String>,
}

impl Scpi {
    pub(super) fn switch(&self, on: bool) -> Result<(), RigError> {
        let mut supply = Instrument::open(&self.port, self.baud, "the scpi power supply")?;
        let command = if on { &self.on } else { &self.off };
        supply.send(format!("{command}{}", self.terminator).as_bytes())?;
        let Some(query) = &self.query else {
            return Ok(());
        };
        let answer = self.ask(&mut supply, query)?;
        match parse_state(&answer) {
            Some(state) if state == on => Ok(()),
            Some(_) => Err(RigError::Link(format!(
                "the scpi power supply on {}: after `{command}` it answers `{query}` with `{answer}`: the output is still {}; check the rig file's `{}` command",
                self.port,
                if on { "off" } else { "on" },
                if on { "on" } else { "off" }
            ))),
            None => Err(RigError::Link(format!(
                "the scpi power supply on {}: `{query}` answered `{answer}`, neither on (1, ON) nor off (0, OFF); set `query` to the supply's output-state query",
                self.port
            ))),
        }
    }

    /// Sends `query` and reads its answer (trimmed).
    fn ask(&self, supply: &mut Instrument, query: &str) -> Result<String, RigError> {
        supply.send(format!("{query}{}", self.terminator).as_bytes())?;
        let answer = supply.answer(self.terminator.as_bytes(), ANSWER_TIMEOUT)?;
        Ok(answer.trim().to_owned())
    }

    /// Asks the query without switching anything (`hil rig check`).
    pub fn query_state(&self) -> Result<Option<String>, RigError> {
        let Some(query) = &self.query else {
            return Ok(None);
        };
        let mut supply = Instrument::open(&self.port, self.baud, "the scpi power supply")?;
        self.ask(&mut supply, query).map(Some)
    }
}

/// `1`/`ON` is on, `0`/`OFF` is off (SCPI booleans), anything else unknown.
pub(super) fn parse_state(answer: &str) -> Option<bool> {
    match answer.to_ascii_uppercase().as_str() {
        "1" | "ON" => Some(true),
        "0" | "OFF" => Some(false),
        _ => None,
    }
}
