//! The links' fast way on QEMU: frames written into an RTT down channel (`mv_proto::ring`) in the file-backed PSRAM, answers read from its up channel.
//!
//! Two blocks of the one format: the cloud link's, which the secure image
//! keeps ([`CloudRing`]), and the agent link's, which the app keeps in a
//! non-secure window ([`DownRing::agent`], [`UpRing::agent`]). QEMU maps the NVM file shared,
//! and on Linux a file's writes and its shared mappings are the same page
//! cache, so a `pwrite` here is a store the guest sees. Each frame goes in
//! with two writes: its bytes, then the write offset, so a device that sees
//! the offset sees the bytes (stores from one thread become visible in
//! order on the x86 hosts QEMU runs on here). Nothing is cached between
//! sends: after the device lays the block out again (a boot), the next send
//! starts from its offsets.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use mv_boards::an505::{AGENT_RING_NVM_OFFSET, CLOUD_RING_NVM_OFFSET};
use mv_proto::{encode_frame, ring};
use serde::Serialize;

use crate::RigError;

/// One down channel in one QEMU's NVM file.
pub struct DownRing {
    file: File,
    /// The control block's offset in the file.
    block: u32,
    name: &'static ring::Name,
}

fn io(what: &'static str) -> impl FnOnce(std::io::Error) -> RigError {
    move |e| RigError::Link(format!("shared-memory ring: {what}: {e}"))
}

impl DownRing {
    /// The agent link's block in `nvm`, whether or not the agent has laid
    /// it out yet ([`DownRing::laid_out`] says).
    pub fn agent(nvm: &Path) -> Result<DownRing, RigError> {
        DownRing::open(nvm, AGENT_RING_NVM_OFFSET, ring::AGENT_NAME)
    }

    /// The cloud link's block in `nvm`, whether or not the secure image
    /// has laid it out yet ([`DownRing::laid_out`] says).
    pub fn cloud(nvm: &Path) -> Result<DownRing, RigError> {
        DownRing::open(nvm, CLOUD_RING_NVM_OFFSET, ring::NAME)
    }

    fn open(nvm: &Path, block: u32, name: &'static ring::Name) -> Result<DownRing, RigError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(nvm)
            .map_err(io("cannot open the NVM file"))?;
        Ok(DownRing { file, block, name })
    }

    /// Has the device laid the block out (its id, size and name in place)?
    pub fn laid_out(&self) -> Result<bool, RigError> {
        let mut head = [0u8; 16];
        self.file
            .read_exact_at(&mut head, u64::from(self.block))
            .map_err(io("cannot read the control block"))?;
        let mut name = [0u8; 8];
        self.file
            .read_exact_at(&mut name, u64::from(self.block + ring::NAME_AT))
            .map_err(io("cannot read the channel's name"))?;
        Ok(head == ring::ID
            && &name == self.name
            && self.word(ring::SIZE_AT)? == ring::SIZE
            && self.word(ring::UP_SIZE_AT)? == ring::UP_SIZE)
    }

    /// Waits up to `timeout` for the device to lay the block out.
    fn attach(self, timeout: Duration) -> Result<Option<DownRing>, RigError> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.laid_out()? {
                return Ok(Some(self));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn word(&self, at: u32) -> Result<u32, RigError> {
        let mut w = [0u8; 4];
        self.file
            .read_exact_at(&mut w, u64::from(self.block + at))
            .map_err(io("cannot read an offset"))?;
        Ok(u32::from_le_bytes(w))
    }

    /// Sends one message as one frame, waiting up to `timeout` for room.
    pub fn send<T: Serialize>(&mut self, message: &T, timeout: Duration) -> Result<(), RigError> {
        let frame = encode_frame(message)
            .map_err(|e| RigError::Link(format!("cannot encode a message: {e:?}")))?;
        let deadline = Instant::now() + timeout;
        let mut sent = 0;
        while sent < frame.len() {
            let write = self.word(ring::WRITE_AT)?;
            let read = self.word(ring::READ_AT)?;
            let Some(free) = ring::free(write, read, ring::SIZE) else {
                return Err(RigError::Link(format!(
                    "shared-memory ring: offsets out of range (write {write}, read {read})"
                )));
            };
            if free == 0 {
                if Instant::now() >= deadline {
                    return Err(RigError::Timeout(timeout.as_millis() as u64));
                }
                std::thread::sleep(Duration::from_micros(200));
                continue;
            }
            // Up to the free room, and not past the buffer's end (the rest
            // wraps to its start on the next turn).
            let n = (free as usize)
                .min(frame.len() - sent)
                .min((ring::SIZE - write) as usize);
            let at = self.block + ring::BUFFER_AT + write;
            self.file
                .write_all_at(&frame[sent..sent + n], u64::from(at))
                .map_err(io("cannot write a frame"))?;
            let next = (write + n as u32) % ring::SIZE;
            self.file
                .write_all_at(&next.to_le_bytes(), u64::from(self.block + ring::WRITE_AT))
                .map_err(io("cannot move the write offset"))?;
            sent += n;
        }
        Ok(())
    }
}

/// The agent link's up channel in one QEMU's NVM file: the answers the
/// agent put there, each followed by a doorbell on its UART.
pub struct UpRing(DownRing);

impl UpRing {
    /// The agent link's block in `nvm`, whether or not the agent has laid
    /// it out yet.
    pub fn agent(nvm: &Path) -> Result<UpRing, RigError> {
        DownRing::agent(nvm).map(UpRing)
    }

    /// Takes every byte waiting in the channel: none while the block is
    /// not laid out (a boot under way). The bytes are read first, then the
    /// read offset moves, so the device never overwrites bytes not read.
    pub fn take(&self) -> Result<Vec<u8>, RigError> {
        let block = &self.0;
        if !block.laid_out()? {
            return Ok(Vec::new());
        }
        let write = block.word(ring::UP_WRITE_AT)?;
        let read = block.word(ring::UP_READ_AT)?;
        let Some(waiting) = ring::waiting(write, read, ring::UP_SIZE) else {
            return Err(RigError::Link(format!(
                "shared-memory ring: up offsets out of range (write {write}, read {read})"
            )));
        };
        let mut bytes = vec![0u8; waiting as usize];
        // At most two pieces: to the buffer's end, then from its start.
        let first = (waiting as usize).min((ring::UP_SIZE - read) as usize);
        let at = |offset: u32| u64::from(block.block + ring::UP_BUFFER_AT + offset);
        block
            .file
            .read_exact_at(&mut bytes[..first], at(read))
            .map_err(io("cannot read the up channel"))?;
        block
            .file
            .read_exact_at(&mut bytes[first..], at(0))
            .map_err(io("cannot read the up channel"))?;
        block
            .file
            .write_all_at(
                &write.to_le_bytes(),
                u64::from(block.block + ring::UP_READ_AT),
            )
            .map_err(io("cannot move the up read offset"))?;
        Ok(bytes)
    }
}

/// The cloud link's down channel of one QEMU's NVM file.
pub struct CloudRing(DownRing);

impl CloudRing {
    /// Opens the NVM file's ring once the device has laid it out; `None`
    /// when it has not within `timeout` (an image without the ring).
    pub fn attach(nvm: &Path, timeout: Duration) -> Result<Option<CloudRing>, RigError> {
        Ok(DownRing::cloud(nvm)?.attach(timeout)?.map(CloudRing))
    }

    /// Sends one message as one frame, waiting up to `timeout` for room.
    pub fn send<T: Serialize>(&mut self, message: &T, timeout: Duration) -> Result<(), RigError> {
        self.0.send(message, timeout)
    }
}
