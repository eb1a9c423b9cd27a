//! A frame link: a real serial port (QEMU's pty) carrying COBS frames.
//!
//! Used for the agent link (UART1) and the cloud link (UART3).
//!
//! `serialport` is blocking, so one thread reads the port and forwards bytes
//! over a channel; the session splits them into frames at the zero delimiter.

use std::io::{Read, Write};
use std::time::Duration;

use mv_proto::{decode_frame, encode_frame, FRAME_DELIMITER, MAX_FRAME};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::rig::RigError;

/// An open frame link.
pub struct FrameLink {
    port: Box<dyn serialport::SerialPort>,
    incoming: mpsc::UnboundedReceiver<Vec<u8>>,
    buffer: Vec<u8>,
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
        let (tx, incoming) = mpsc::unbounded_channel();
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
                        if tx.is_closed() {
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
    pub async fn receive<T: DeserializeOwned>(&mut self, timeout: Duration) -> Result<T, RigError> {
        let deadline = tokio::time::Instant::now() + timeout;
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
            match tokio::time::timeout_at(deadline, self.incoming.recv()).await {
                Ok(Some(bytes)) => self.buffer.extend_from_slice(&bytes),
                Ok(None) => return Err(RigError::Link("the serial port closed".into())),
                Err(_) => return Err(RigError::Timeout(timeout.as_millis() as u64)),
            }
        }
    }
}
