//! Application logging: `mvServerLoggingInit`/`mvServerLog`, and the same queue for `mvTestLoggingInit`/`mvTestLog`.
//!
//! The test calls are "the same idea, but log to the provisioning console"
//! [H]: one implementation, two [`Console`]s.
//!
//! The app lends the kernel a buffer; `mvServerLog` copies a message into it
//! and the kernel sends queued messages to the server whenever the cloud link
//! is up ("Messages are buffered while offline; messages that do not fit are
//! discarded" — here: refused with `INVALIDBUFFERSIZE`, so the app knows).
//!
//! Each queued message is stored in the app's buffer as a 4-byte header
//! (`u16` length, `u16` zero) followed by the bytes, padded to 4. The queue's
//! geometry (head, tail, lengths) lives only in secure memory: when sending,
//! the kernel copies `len` bytes back out of the app's buffer, so an app that
//! scribbles over its buffer can garble its own messages but never make the
//! kernel read or send anything outside the buffer.

use mv_abi::MvStatus;

use crate::board::{Access, Board, BusFault};
use crate::usermem::{write_at, NsRange};

/// What the cloud last told the kernel about the link (device core sets it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkState {
    /// The link is up: queued messages can be sent.
    pub online: bool,
    /// The server has not disabled application logging for this device.
    pub logging_enabled: bool,
}

impl LinkState {
    /// At boot: online, logging enabled.
    pub const UP: LinkState = LinkState {
        online: true,
        logging_enabled: true,
    };
}

/// Alignment required of the log buffer (every public demo uses 512).
pub const BUFFER_ALIGN: u32 = 512;
/// The buffer size must be a non-zero multiple of this.
pub const BUFFER_GRANULE: u32 = 512;
/// The longest message `mvServerLog` accepts.
pub const MAX_MESSAGE_LEN: u32 = 1024;
/// Bytes of header before each queued message.
const HEADER_LEN: u32 = 4;
/// At most this many messages wait in the queue.
const MAX_QUEUED: usize = 64;

#[derive(Clone, Copy, Debug, Default)]
struct Queued {
    offset: u32,
    len: u16,
}

/// Copy the message at `source` into the log buffer at `offset`: header,
/// then bytes. The whole message is first copied into secure memory, so
/// the server receives it as it was at the call even when it lies inside
/// the log buffer itself, where the copy overwrites it (an app may format
/// its message in place). A bus fault reading it changes nothing
/// (`PARAMETERFAULT`); one writing the buffer is `LATEFAULT`.
fn enqueue<B: Board>(
    board: &mut B,
    buffer: &NsRange,
    offset: u32,
    source: &NsRange,
) -> Result<(), MvStatus> {
    let mut message = [0u8; MAX_MESSAGE_LEN as usize];
    let message = &mut message[..source.len() as usize];
    let mut header = [0u8; HEADER_LEN as usize];
    header[..2].copy_from_slice(&(source.len() as u16).to_le_bytes());
    let late = |_: BusFault| MvStatus::LateFault;
    // A zero-length message may name any address: nothing there is touched.
    if !message.is_empty() {
        board
            .read_ns(source.addr(), message)
            .map_err(|_| MvStatus::ParameterFault)?;
        write_at(board, buffer, offset + HEADER_LEN, message).map_err(late)?;
    }
    write_at(board, buffer, offset, &header).map_err(late)
}

/// Where a queue's messages go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Console {
    /// The Microvisor server (`mvServerLog`), while the link is up.
    Server,
    /// The provisioning console (`mvTestLog`), in application-test mode.
    Provisioning,
}

/// The logging state of the running app.
pub struct ServerLogging {
    console: Console,
    buffer: Option<NsRange>,
    queue: [Queued; MAX_QUEUED],
    /// Index of the oldest message in `queue`.
    head: usize,
    count: usize,
    /// Byte offset where the next message goes.
    write_offset: u32,
}

impl Default for ServerLogging {
    fn default() -> Self {
        Self::new()
    }
}

fn stored_len(len: u32) -> u32 {
    HEADER_LEN + len.div_ceil(4) * 4
}

impl ServerLogging {
    pub const fn new() -> Self {
        Self::to(Console::Server)
    }

    /// An empty queue whose messages go to `console`.
    pub const fn to(console: Console) -> Self {
        ServerLogging {
            console,
            buffer: None,
            queue: [Queued { offset: 0, len: 0 }; MAX_QUEUED],
            head: 0,
            count: 0,
            write_offset: 0,
        }
    }

    /// Does the log buffer share a byte with `[addr, addr + len)`?
    pub fn overlaps(&self, addr: u32, len: u32) -> bool {
        self.buffer.is_some_and(|b| b.overlaps(addr, len))
    }

    /// Was the queue given a buffer?
    pub fn is_initialised(&self) -> bool {
        self.buffer.is_some()
    }

    /// `mvServerLoggingInit(buffer, length_bytes)`; `ring_overlap` tells
    /// whether the range is a notification buffer.
    pub fn init<B: Board>(
        &mut self,
        board: &B,
        addr: u32,
        len: u32,
        ring_overlap: bool,
    ) -> Result<(), MvStatus> {
        if self.buffer.is_some() {
            return Err(MvStatus::BufferAlreadyInUse);
        }
        if len == 0 || !len.is_multiple_of(BUFFER_GRANULE) {
            return Err(MvStatus::InvalidBufferSize);
        }
        if !addr.is_multiple_of(BUFFER_ALIGN) {
            return Err(MvStatus::InvalidBufferAlignment);
        }
        let range = NsRange::claim(board, addr, len, 1, Access::ReadWrite)?;
        if ring_overlap {
            return Err(MvStatus::BufferAlreadyInUse);
        }
        *self = ServerLogging {
            buffer: Some(range),
            ..ServerLogging::to(self.console)
        };
        Ok(())
    }

    /// Free bytes from the write offset to the end of the buffer, or to the
    /// oldest queued message if the queue has wrapped.
    fn room_for(&self, need: u32) -> Option<u32> {
        let size = self.buffer?.len();
        if self.count == self.queue.len() {
            return None;
        }
        if self.count == 0 {
            return (need <= size).then_some(0);
        }
        let oldest = self.queue[self.head].offset;
        if self.write_offset > oldest {
            if self.write_offset + need <= size {
                return Some(self.write_offset);
            }
            // Wrap to the start if it fits before the oldest message.
            return (need <= oldest).then_some(0);
        }
        (self.write_offset + need <= oldest).then_some(self.write_offset)
    }

    /// `mvServerLog(message, length_bytes)`.
    pub fn log<B: Board>(
        &mut self,
        board: &mut B,
        link: LinkState,
        msg: u32,
        len: u16,
    ) -> Result<(), MvStatus> {
        let Some(buffer) = self.buffer else {
            return Err(MvStatus::Unavailable);
        };
        let len = u32::from(len);
        let source = NsRange::claim(board, msg, len, 1, Access::Read)?;
        if len > MAX_MESSAGE_LEN {
            return Err(MvStatus::LogMessageTooLong);
        }
        if !link.logging_enabled {
            return Err(MvStatus::LoggingDisabledByServer);
        }
        let need = stored_len(len);
        let offset = self.room_for(need).ok_or(MvStatus::InvalidBufferSize)?;

        enqueue(board, &buffer, offset, &source)?;

        let tail = (self.head + self.count) % self.queue.len();
        self.queue[tail] = Queued {
            offset,
            len: len as u16,
        };
        self.count += 1;
        self.write_offset = offset + need;
        self.flush(board, link);
        Ok(())
    }

    /// Send every queued message if the link is up. Called after each
    /// `mvServerLog` and from the kernel's background poll, so after every
    /// system call: inline, the empty queue (the common case) costs one
    /// load and no stack frame, and sending lives out of line.
    #[inline]
    pub fn flush<B: Board>(&mut self, board: &mut B, link: LinkState) {
        // With nothing queued there is nothing to send, and the write
        // offset is not read again before the next message resets it
        // (`room_for` starts an empty queue at 0).
        if self.count == 0 || !link.online {
            return;
        }
        self.send_queued(board);
    }

    #[inline(never)]
    fn send_queued<B: Board>(&mut self, board: &mut B) {
        let Some(buffer) = self.buffer else { return };
        let mut message = [0u8; MAX_MESSAGE_LEN as usize];
        while self.count > 0 {
            let q = self.queue[self.head];
            let bytes = &mut message[..usize::from(q.len)];
            // A fault here means the app's memory went away; drop the message.
            if board
                .read_ns(buffer.addr() + q.offset + HEADER_LEN, bytes)
                .is_ok()
            {
                match self.console {
                    Console::Server => board.send_log(bytes),
                    Console::Provisioning => board.send_test_log(bytes),
                }
            }
            self.head = (self.head + 1) % self.queue.len();
            self.count -= 1;
        }
        self.write_offset = 0;
    }
}
