//! What runs on the emulated board's stable ports: bridges to QEMU's UARTs while it is powered, drains while it is off.
//!
//! A real board that is off loses what is sent to it: its UART is not
//! powered, while the probe's virtual COM port (our stable pty) stays and
//! takes the bytes. Left unread, a pty keeps them in its buffer for the
//! next power-on to deliver, which no board does; so while the board is off
//! each port is drained and what arrives is dropped (and counted).

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serialport::{SerialPort, TTYPort};

use crate::RigError;

/// How long a port's reader waits for a byte before it looks at its stop flag.
const POLL: Duration = Duration::from_millis(20);

/// The threads serving the ports in one power state; [`Wiring::stop`] ends them.
pub(super) struct Wiring {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

fn clone(port: &dyn SerialPort) -> Result<Box<dyn SerialPort>, RigError> {
    port.try_clone()
        .map_err(|e| RigError::Link(format!("cannot clone a port: {e}")))
}

impl Wiring {
    /// The board is off: every byte sent to `ports` is read and dropped,
    /// and added to `dropped`.
    pub(super) fn drain(ports: &[&TTYPort], dropped: &Arc<AtomicU64>) -> Result<Wiring, RigError> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for port in ports {
            let mut from = clone(*port)?;
            let _ = from.set_timeout(POLL);
            let (stop, dropped) = (stop.clone(), dropped.clone());
            threads.push(std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while !stop.load(Ordering::SeqCst) {
                    match from.read(&mut chunk) {
                        Ok(n) => {
                            dropped.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            }));
        }
        Ok(Wiring { stop, threads })
    }

    /// The board is on: each pair's QEMU UART and stable port are bridged
    /// both ways.
    pub(super) fn bridge(pairs: Vec<(Box<dyn SerialPort>, &TTYPort)>) -> Result<Wiring, RigError> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut threads = Vec::new();
        for (qemu, port) in pairs {
            let (qemu_in, port_in) = (clone(qemu.as_ref())?, clone(port)?);
            threads.push(copy(qemu, clone(port)?, stop.clone()));
            threads.push(copy(port_in, qemu_in, stop.clone()));
        }
        Ok(Wiring { stop, threads })
    }

    /// Stops every thread (within its read timeout) and waits for it.
    pub(super) fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

/// Copies bytes from `from` to `to` until `stop` (or `from` closes).
fn copy(
    mut from: Box<dyn SerialPort>,
    mut to: Box<dyn SerialPort>,
    stop: Arc<AtomicBool>,
) -> JoinHandle<()> {
    let _ = from.set_timeout(POLL);
    let _ = to.set_timeout(POLL);
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while !stop.load(Ordering::SeqCst) {
            match from.read(&mut chunk) {
                Ok(0) => {}
                Ok(n) => pass_on(to.as_mut(), &chunk[..n], &stop),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    })
}

/// Writes all of `bytes` to `to`, waiting while its buffer is full (QEMU's
/// UART takes one byte per main-loop turn): a UART does not lose a byte
/// because its reader is slow. Only `stop` (the power going) drops the rest.
fn pass_on(to: &mut dyn SerialPort, mut bytes: &[u8], stop: &AtomicBool) {
    while !bytes.is_empty() && !stop.load(Ordering::SeqCst) {
        match to.write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::time::Instant;

    use super::*;

    /// Reads from `port` until `want` bytes came or 5 s passed.
    fn read(port: &mut TTYPort, want: usize) -> Vec<u8> {
        let _ = port.set_timeout(POLL);
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut got = Vec::new();
        let mut chunk = [0u8; 64];
        while got.len() < want && Instant::now() < deadline {
            if let Ok(n) = port.read(&mut chunk) {
                got.extend_from_slice(&chunk[..n]);
            }
        }
        got
    }

    #[test]
    fn bytes_sent_to_a_board_that_is_off_are_lost_and_the_next_power_on_gets_only_new_ones() {
        // The board's stable port (the lab writes to `lab`), and a pty pair
        // standing in for QEMU's UART (the firmware reads `uart`).
        let (port, mut lab) = TTYPort::pair().expect("a pty");
        let (qemu, mut uart) = TTYPort::pair().expect("a pty");
        let dropped = Arc::new(AtomicU64::new(0));

        let off = Wiring::drain(&[&port], &dropped).unwrap();
        lab.write_all(b"sent while off").unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while dropped.load(Ordering::Relaxed) < 14 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(dropped.load(Ordering::Relaxed), 14, "every byte is dropped");
        off.stop();

        let on = Wiring::bridge(vec![(Box::new(qemu), &port)]).unwrap();
        lab.write_all(b"on").unwrap();
        assert_eq!(read(&mut uart, 2), b"on", "only what came after power-on");
        uart.write_all(b"up").unwrap();
        assert_eq!(read(&mut lab, 2), b"up", "the other way too");
        on.stop();
    }
}
