//! A frame link: a real serial port (QEMU's pty, a board's UART) or one served by ser2net over the network, carrying COBS frames.
//!
//! Used for the agent link (UART1) and the cloud link (UART3), and over
//! RTT on the STM32U585 ([`FrameLink::from_parts`], fed by the RTT pump).
//!
//! Reads block, so one thread reads the port and forwards bytes over a
//! channel; the link splits them into frames at the zero delimiter and
//! waits for them with a timeout. Over the network (a labgrid place's
//! `NetworkSerialPort`) the bytes pass through the telnet layer of RFC 2217.
//! On QEMU the agent's answers may come up its shared-memory ring instead
//! ([`FrameLink::set_up_ring`]): an empty frame on the port is then the
//! agent's doorbell, and what the ring holds belongs in the stream there.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mv_proto::{decode_frame, encode_frame, FRAME_DELIMITER, MAX_FRAME};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::qemu::UpRing;
use crate::RigError;

/// An open frame link.
pub struct FrameLink {
    port: Box<dyn Write + Send>,
    incoming: Receiver<Vec<u8>>,
    buffer: Vec<u8>,
    /// Tells the reader thread that nobody listens any more.
    closed: Arc<AtomicBool>,
    /// Why the feeding side stopped, if it says (a device fault the RTT
    /// pump caught): reported instead of a bare "closed".
    ended: Ended,
    /// This link's own reader thread, which holds a clone of the port: the
    /// port is free again (a serial port's exclusive lock released) only
    /// once it has ended.
    reader: Option<JoinHandle<()>>,
    /// The up channel the device's doorbells point at, if any.
    up: Option<UpRing>,
}

/// Where the side that feeds a [`FrameLink`] leaves why it stopped.
pub type Ended = Arc<Mutex<Option<RigError>>>;

impl Drop for FrameLink {
    /// Stops the reader and waits for it (at most one read timeout, 20 ms),
    /// so that the port can be opened again as soon as the link is gone:
    /// after a power cycle, or by the next run.
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Relaxed);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

impl FrameLink {
    /// Open the port (a pty path from QMP, or a real UART on a board rig).
    pub fn open(path: &str, baud: u32) -> Result<FrameLink, RigError> {
        let port = serialport::new(path, baud)
            .timeout(Duration::from_millis(20))
            .open()
            .map_err(|e| RigError::Link(format!("cannot open the serial port {path}: {e}")))?;
        // Bytes queued before we listened belong to an earlier life of the
        // device (a board's port outlives its power): a stale hello would
        // answer this one's first request.
        port.clear(serialport::ClearBuffer::Input)
            .map_err(|e| RigError::Link(format!("cannot clear the serial port {path}: {e}")))?;
        let mut reader = port
            .try_clone()
            .map_err(|e| RigError::Link(format!("cannot clone the serial port: {e}")))?;
        let (tx, incoming) = mpsc::channel();
        let closed = Arc::new(AtomicBool::new(false));
        let stop = closed.clone();
        let reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            loop {
                match reader.read(&mut chunk) {
                    Ok(0) => {}
                    Ok(n) => {
                        // A device that never stops talking must not keep
                        // the port past the link's end.
                        if tx.send(chunk[..n].to_vec()).is_err() || stop.load(Ordering::Relaxed) {
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
            port: Box::new(port),
            incoming,
            buffer: Vec::new(),
            closed,
            ended: Ended::default(),
            reader: Some(reader),
            up: None,
        })
    }

    /// Connects to a serial port that ser2net serves with RFC 2217 at
    /// `host:port` (a labgrid `NetworkSerialPort`).
    pub fn rfc2217(host: &str, port: u16, timeout: Duration) -> Result<FrameLink, RigError> {
        let what = format!("{host}:{port}");
        let address = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
            .map_err(|e| RigError::Link(format!("cannot resolve {what}: {e}")))?
            .next()
            .ok_or_else(|| RigError::Link(format!("{what} has no address")))?;
        let stream = std::net::TcpStream::connect_timeout(&address, timeout).map_err(|e| {
            RigError::Link(format!("cannot connect to the serial port at {what}: {e}"))
        })?;
        let _ = stream.set_nodelay(true);
        let clone = |s: &std::net::TcpStream| {
            s.try_clone()
                .map_err(|e| RigError::Link(format!("cannot clone the connection to {what}: {e}")))
        };
        let mut reader = clone(&stream)?;
        let mut answers = clone(&stream)?;
        reader
            .set_read_timeout(Some(Duration::from_millis(20)))
            .map_err(|e| RigError::Link(format!("{what}: {e}")))?;
        let (tx, incoming) = mpsc::channel();
        let closed = Arc::new(AtomicBool::new(false));
        let stop = closed.clone();
        let reader = std::thread::spawn(move || {
            let mut decoder = crate::telnet::Decoder::default();
            let mut chunk = [0u8; 4096];
            loop {
                match reader.read(&mut chunk) {
                    Ok(0) => return,
                    Ok(n) => {
                        let (data, reply) = decoder.feed(&chunk[..n]);
                        if !reply.is_empty() && answers.write_all(&reply).is_err() {
                            return;
                        }
                        if !data.is_empty() && tx.send(data).is_err()
                            || stop.load(Ordering::Relaxed)
                        {
                            return;
                        }
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        });
        Ok(FrameLink {
            port: Box::new(Telnet(stream)),
            incoming,
            buffer: Vec::new(),
            closed,
            ended: Ended::default(),
            reader: Some(reader),
            up: None,
        })
    }

    /// A link over bytes another thread moves (the RTT pump): frames sent
    /// go to `port`, bytes arriving on `incoming` are split into frames
    /// here, as for a serial port. The feeder stops when `closed` is set
    /// (the link dropped) and may leave why it stopped in `ended`.
    pub fn from_parts(
        port: Box<dyn Write + Send>,
        incoming: Receiver<Vec<u8>>,
        closed: Arc<AtomicBool>,
        ended: Ended,
    ) -> FrameLink {
        FrameLink {
            port,
            incoming,
            buffer: Vec::new(),
            closed,
            ended,
            // The feeder is the pump's, which owns its own end.
            reader: None,
            up: None,
        }
    }

    /// Read the device's frames from `up` as well, at each of its doorbells.
    pub fn set_up_ring(&mut self, up: UpRing) {
        self.up = Some(up);
    }

    /// Why the feeder stopped, or `otherwise`.
    fn end(&self, otherwise: RigError) -> RigError {
        match self.ended.lock() {
            Ok(ended) => ended.clone().unwrap_or(otherwise),
            Err(_) => otherwise,
        }
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
            .map_err(|e| self.end(RigError::Link(format!("cannot write to the device: {e}"))))
    }

    /// Sends an empty frame (the delimiter alone), which a receiver drops:
    /// the doorbell that wakes a device after a frame went into its ring.
    pub fn doorbell(&mut self) -> Result<(), RigError> {
        self.port
            .write_all(&[FRAME_DELIMITER])
            .and_then(|()| self.port.flush())
            .map_err(|e| self.end(RigError::Link(format!("cannot write to the device: {e}"))))
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
                } else if let Some(up) = &self.up {
                    // A doorbell: the ring's bytes came before what follows it.
                    let bytes = up.take()?;
                    self.buffer.splice(..0, bytes);
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
                    return Err(self.end(RigError::Link("the serial port closed".into())))
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(RigError::Timeout(timeout.as_millis() as u64))
                }
            }
        }
    }
}

/// The writing half of an RFC 2217 connection: every `0xFF` doubled.
struct Telnet(std::net::TcpStream);

impl Write for Telnet {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.write_all(&crate::telnet::escape(data))?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io::Write;
    use std::os::unix::fs::FileExt;
    use std::time::Duration;

    use mv_boards::an505::{AGENT_RING_NVM_OFFSET, PSRAM_BASE, PSRAM_SIZE};
    use mv_proto::encode_frame;
    use mv_proto::ring::{self, BlockMemory, AGENT_NAME};
    use serialport::{SerialPort, TTYPort};

    use super::FrameLink;
    use crate::qemu::UpRing;

    /// The agent's block as the device reaches it, in an NVM file.
    struct InFile(File);

    impl BlockMemory for InFile {
        fn base(&self) -> u32 {
            PSRAM_BASE + AGENT_RING_NVM_OFFSET
        }
        fn load(&self, at: u32) -> u32 {
            let mut word = [0; 4];
            self.0
                .read_exact_at(&mut word, u64::from(AGENT_RING_NVM_OFFSET + at))
                .expect("a word of the block");
            u32::from_le_bytes(word)
        }
        fn store(&self, at: u32, value: u32) {
            self.0
                .write_all_at(&value.to_le_bytes(), u64::from(AGENT_RING_NVM_OFFSET + at))
                .expect("a word of the block");
        }
        fn load_byte(&self, at: u32) -> u8 {
            let mut byte = [0; 1];
            self.0
                .read_exact_at(&mut byte, u64::from(AGENT_RING_NVM_OFFSET + at))
                .expect("a byte of the block");
            byte[0]
        }
    }

    /// The agent answers up its ring and rings on its UART: what the ring
    /// holds comes out of the link where the doorbell was, between the
    /// frames the port carried before and after it, and only then.
    #[test]
    fn a_doorbell_puts_the_up_rings_frames_where_it_rang() {
        let (mut master, slave) = TTYPort::pair().expect("a pseudo-terminal");
        let path = slave.name().expect("the pty's name");
        drop(slave);
        let nvm = tempfile::NamedTempFile::new().expect("a temporary NVM file");
        nvm.as_file()
            .set_len(u64::from(PSRAM_SIZE))
            .expect("room for the PSRAM");
        let device = InFile(nvm.reopen().expect("the NVM file again"));
        ring::lay_out(&device, AGENT_NAME);
        let mut link = FrameLink::open(&path, crate::qemu::BAUD).expect("the link");
        link.set_up_ring(UpRing::agent(nvm.path()).expect("the up channel"));
        let frame = |n: u32| encode_frame(&n).expect("a frame");
        let second = frame(2);
        assert_eq!(
            ring::write(&device, AGENT_NAME, &second),
            Some(second.len())
        );
        // Frame 1 on the port; 2 went up the ring before the doorbell; 3 on
        // the port after it; 4 up the ring with no doorbell yet.
        let fourth = frame(4);
        master
            .write_all(&[frame(1), vec![0], frame(3)].concat())
            .expect("write to the pty");
        let timeout = Duration::from_secs(2);
        assert_eq!(link.receive::<u32>(timeout).expect("frame 1"), 1);
        assert_eq!(link.receive::<u32>(timeout).expect("frame 2"), 2);
        assert_eq!(link.receive::<u32>(timeout).expect("frame 3"), 3);
        assert_eq!(
            ring::write(&device, AGENT_NAME, &fourth),
            Some(fourth.len())
        );
        assert!(link.receive::<u32>(Duration::from_millis(100)).is_err());
        master.write_all(&[0]).expect("the second doorbell");
        assert_eq!(link.receive::<u32>(timeout).expect("frame 4"), 4);
    }

    /// A dropped link lets go of its port at once: opening it again right
    /// away succeeds (serialport takes an exclusive `flock`, which the
    /// reader thread's clone of the port held until it noticed the end).
    #[test]
    fn a_port_opens_again_as_soon_as_its_link_is_dropped() {
        let (_master, slave) = TTYPort::pair().expect("a pseudo-terminal");
        let path = slave.name().expect("the pty's name");
        drop(slave);
        for round in 0..10 {
            let link = FrameLink::open(&path, crate::qemu::BAUD)
                .unwrap_or_else(|e| panic!("open {round} of {path}: {e}"));
            drop(link);
        }
    }
}
