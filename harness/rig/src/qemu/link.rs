//! A frame link: a real serial port (QEMU's pty) carrying COBS frames.
//!
//! Used for the agent link (UART1) and the cloud link (UART3).
//!
//! `serialport` is blocking, so one thread reads the port and forwards bytes
//! over a channel; the link splits them into frames at the zero delimiter and
//! waits for them with a timeout.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mv_proto::{decode_frame, encode_frame, FRAME_DELIMITER, MAX_FRAME};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::RigError;

/// An open frame link.
pub struct FrameLink {
    port: Box<dyn serialport::SerialPort>,
    incoming: Receiver<Vec<u8>>,
    buffer: Vec<u8>,
    /// Tells the reader thread that nobody listens any more.
    closed: Arc<AtomicBool>,
}

impl Drop for FrameLink {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Relaxed);
    }
}

impl FrameLink {
    /// Open the port (a pty path from QMP, or a real UART on a board rig).
    pub fn open(path: &str, baud: u32) -> Result<FrameLink, RigError> {
        let port = serialport::new(path, baud)
            .timeout(Duration::from_millis(20))
            .open()
            .map_err(|e| RigError::Link(format!("cannot open the serial port {path}: {e}")))?;
        let mut reader = port
            .try_clone()
            .map_err(|e| RigError::Link(format!("cannot clone the serial port: {e}")))?;
        let (tx, incoming) = mpsc::channel();
        let closed = Arc::new(AtomicBool::new(false));
        let stop = closed.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            loop {
                match reader.read(&mut chunk) {
                    Ok(0) => {}
                    Ok(n) => {
                        if tx.send(chunk[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        });
        Ok(FrameLink {
            port,
            incoming,
            buffer: Vec::new(),
            closed,
        })
    }

    /// Drop bytes already received (stale output from before a reset).
    pub fn discard_pending(&mut self) {
        while self.incoming.try_recv().is_ok() {}
        self.buffer.clear();
    }

    pub fn send<T: Serialize>(&mut self, message: &T) -> Result<(), RigError> {
        let frame = encode_frame(message)
            .map_err(|e| RigError::Link(format!("cannot encode a message: {e:?}")))?;
        self.port
            .write_all(&frame)
            .and_then(|()| self.port.flush())
            .map_err(|e| RigError::Link(format!("cannot write to the device: {e}")))
    }

    /// The next decodable frame, or `Timeout`. Undecodable frames are skipped
    /// (resynchronisation after a reset mid-frame).
    pub fn receive<T: DeserializeOwned>(&mut self, timeout: Duration) -> Result<T, RigError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == FRAME_DELIMITER) {
                let mut frame: Vec<u8> = self.buffer.drain(..=end).collect();
                if frame.len() > 1 {
                    if let Ok(message) = decode_frame::<T>(&mut frame) {
                        return Ok(message);
                    }
                }
                continue;
            }
            if self.buffer.len() > MAX_FRAME {
                self.buffer.clear();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(bytes) => self.buffer.extend_from_slice(&bytes),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(RigError::Link("the serial port closed".into()))
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(RigError::Timeout(timeout.as_millis() as u64))
                }
            }
        }
    }
}
