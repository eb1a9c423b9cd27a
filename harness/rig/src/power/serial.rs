//! A short exchange with an instrument on a serial port: write a command, read one answer up to a terminator.
//!
//! The port is opened per switch, not held: a power backend's port is used
//! twice per case, and a port held open across cases would keep a USB
//! adapter busy for tools the lab runs between runs.

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use serialport::SerialPort;

use crate::RigError;

/// How long an instrument may take to answer a query.
pub(super) const ANSWER_TIMEOUT: Duration = Duration::from_secs(2);

/// An open instrument port.
pub(super) struct Instrument {
    port: Box<dyn SerialPort>,
    path: String,
    what: &'static str,
}

impl Instrument {
    /// Opens `path` at `baud`; `what` names the backend in errors.
    pub(super) fn open(path: &str, baud: u32, what: &'static str) -> Result<Self, RigError> {
        let port = serialport::new(path, baud)
            .timeout(Duration::from_millis(50))
            .open()
            .map_err(|e| {
                RigError::Link(format!(
                    "{what}: cannot open the serial port {path}: {e}; check the rig file's power port and that the instrument is plugged in"
                ))
            })?;
        Ok(Instrument {
            port,
            path: path.to_owned(),
            what,
        })
    }

    /// Writes `bytes` and waits until they left the host.
    pub(super) fn send(&mut self, bytes: &[u8]) -> Result<(), RigError> {
        self.port
            .write_all(bytes)
            .and_then(|()| self.port.flush())
            .map_err(|e| {
                RigError::Link(format!("{}: cannot write to {}: {e}", self.what, self.path))
            })
    }

    /// Reads one answer: the bytes before `terminator`.
    pub(super) fn answer(
        &mut self,
        terminator: &[u8],
        timeout: Duration,
    ) -> Result<String, RigError> {
        let deadline = Instant::now() + timeout;
        let mut got = Vec::new();
        let mut byte = [0u8; 1];
        while !got.ends_with(terminator) {
            if Instant::now() >= deadline {
                return Err(RigError::Link(format!(
                    "{}: no answer on {} within {} ms (got {:?}); check the baud rate and the terminator",
                    self.what,
                    self.path,
                    timeout.as_millis(),
                    String::from_utf8_lossy(&got)
                )));
            }
            match self.port.read(&mut byte) {
                Ok(1) => got.push(byte[0]),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => {
                    return Err(RigError::Link(format!(
                        "{}: cannot read from {}: {e}",
                        self.what, self.path
                    )))
                }
            }
        }
        got.truncate(got.len() - terminator.len());
        Ok(String::from_utf8_lossy(&got).into_owned())
    }
}
