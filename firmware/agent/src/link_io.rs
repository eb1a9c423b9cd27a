//! The AN505 agent link's bytes: out on UART1, in from the shared-memory ring in the PSRAM or from UART1.
//!
//! The harness writes whole request frames into the agent's block
//! (`mv_proto::ring`, in the window of the file-backed PSRAM the secure
//! image makes non-secure), so a request arrives at once instead of one
//! UART byte per QEMU main-loop turn; a host that does not (a board rig, a
//! lab's serial bridge, `hil bench`'s previous way) uses UART1 as before.
//! A host uses one of the two, so the bytes of one frame never mix.
//! An answer goes out the way its request came in: up the ring, followed
//! by a doorbell (a lone frame delimiter) on UART1 that tells the host to
//! look, or on UART1. The ready frame, before any request, goes up the
//! ring if the host said it reads it there, else on UART1.
//!
//! The wait for a byte checks the ring, then UART1, for
//! [`POLL_BEFORE_SLEEP_US`], then sleeps ([`crate::sleep`]) until UART1
//! receives a byte: a host that writes into the ring follows each frame
//! with a doorbell, a zero byte on UART1, which the link reads as an empty
//! frame between frames (dropped). A sleeping agent leaves QEMU idle
//! instead of spinning a core on the poll; the short poll first keeps the
//! wake-up (a sleeping vCPU thread the host must schedule again) off the
//! path of a case's next request and of a UART frame's next byte.

use core::cell::Cell;
use mv_boards::an505::{
    AGENT_READY_UP, AGENT_READY_UP_NVM_OFFSET, AGENT_RING_NVM_OFFSET, AGENT_RING_WINDOW, PSRAM_BASE,
};

use mv_proto::ring::{self, BlockMemory, Next, AGENT_NAME};
use mv_proto::FRAME_DELIMITER;

use crate::uart::Uart;

const BLOCK: u32 = PSRAM_BASE + AGENT_RING_NVM_OFFSET;
const _: () = assert!(BLOCK == AGENT_RING_WINDOW.0 && ring::BLOCK_LEN <= AGENT_RING_WINDOW.1);
/// The word where a host that reads the up channel says so, past the block.
const READY_UP: u32 = PSRAM_BASE + AGENT_READY_UP_NVM_OFFSET;
const _: () = assert!(
    AGENT_READY_UP_NVM_OFFSET >= AGENT_RING_NVM_OFFSET + ring::BLOCK_LEN
        && READY_UP + 4 <= AGENT_RING_WINDOW.0 + AGENT_RING_WINDOW.1
);

/// The agent's control block in the PSRAM window.
struct Block;

impl BlockMemory for Block {
    fn base(&self) -> u32 {
        BLOCK
    }

    fn load(&self, at: u32) -> u32 {
        // SAFETY: `at` is a word of the block (the ring checks its offsets),
        // inside the non-secure window (asserted above) that only the agent
        // link uses; volatile because the host changes it behind the
        // program's back.
        unsafe { core::ptr::read_volatile((BLOCK + at) as *const u32) }
    }

    fn store(&self, at: u32, value: u32) {
        // SAFETY: as for `load`; volatile keeps the stores in program order,
        // so the id lands after the fields it vouches for.
        unsafe { core::ptr::write_volatile((BLOCK + at) as *mut u32, value) }
    }

    fn load_byte(&self, at: u32) -> u8 {
        // SAFETY: as for `load`: a byte of the block's buffer.
        unsafe { core::ptr::read_volatile((BLOCK + at) as *const u8) }
    }
}

/// How long the wait for a byte polls before it sleeps, in
/// `mvGetMicroseconds` time. A case's next request follows its reply
/// within about this (measured on QEMU: `hil bench --cases-only`), and a
/// UART frame's bytes come one per QEMU main-loop turn, well within it.
const POLL_BEFORE_SLEEP_US: u64 = 2_000;

/// Ring and UART checks between two readings of the clock (a reading is a
/// system call, a check a few loads).
const POLLS_PER_CLOCK_READING: u32 = 32;

/// The agent link's bytes.
pub struct LinkIo {
    uart: Uart,
    /// Did the last byte read come from the ring (so the answer to the
    /// frame it ended goes up the ring)?
    from_ring: Cell<bool>,
}

impl LinkIo {
    /// Enable UART1 and lay the ring out (bytes a host left in it before
    /// this start are dropped, as a reset drops UART bytes). The first
    /// frame (the ready frame) goes up the ring if the host asked for it
    /// there ([`AGENT_READY_UP_NVM_OFFSET`]): one doorbell byte on UART1
    /// instead of the frame's bytes, one QEMU main-loop turn each.
    pub fn open() -> LinkIo {
        let uart = Uart::agent_link();
        uart.init(true);
        ring::lay_out(&Block, AGENT_NAME);
        // SAFETY: a word of the non-secure window (asserted above) that only
        // the host writes; volatile because it does so behind our back.
        let ready_up = unsafe { core::ptr::read_volatile(READY_UP as *const u32) };
        LinkIo {
            uart,
            from_ring: Cell::new(ready_up == AGENT_READY_UP),
        }
    }

    /// Wait for and return the next received byte.
    pub fn read_byte(&self) -> u8 {
        if let Some(byte) = self.try_read_byte().or_else(|| self.poll_a_while()) {
            return byte;
        }
        loop {
            if let Some(byte) = crate::sleep::once(self.uart, || self.try_read_byte()) {
                return byte;
            }
            if let Some(byte) = self.try_read_byte() {
                return byte;
            }
        }
    }

    /// Poll for [`POLL_BEFORE_SLEEP_US`]; the byte, if one came.
    fn poll_a_while(&self) -> Option<u8> {
        // Without a clock the wait sleeps at once (a byte still wakes it).
        let start = mv_ns::get_microseconds().ok()?;
        loop {
            for _ in 0..POLLS_PER_CLOCK_READING {
                if let Some(byte) = self.try_read_byte() {
                    return Some(byte);
                }
            }
            let now = mv_ns::get_microseconds().ok()?;
            if now.wrapping_sub(start) >= POLL_BEFORE_SLEEP_US {
                return None;
            }
        }
    }

    /// The next byte from the ring, else from UART1, if one is waiting.
    fn try_read_byte(&self) -> Option<u8> {
        match ring::read_byte(&Block, AGENT_NAME) {
            Next::Byte(byte) => {
                self.from_ring.set(true);
                return Some(byte);
            }
            Next::Empty => {}
            Next::LaidOutAgain => defmt::warn!("agent ring: offsets out of range; laid out again"),
        }
        let byte = self.uart.try_read_byte();
        if byte.is_some() {
            self.from_ring.set(false);
        }
        byte
    }

    /// Send a frame's bytes (blocking) the way the last request came in.
    pub fn write(&self, bytes: &[u8]) {
        if !self.from_ring.get() {
            self.uart.write(bytes);
            return;
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            match ring::write(&Block, AGENT_NAME, rest) {
                // Bytes went in: tell the host, which makes room by reading.
                Some(n) if n > 0 => {
                    rest = &rest[n..];
                    self.uart.write(&[FRAME_DELIMITER]);
                }
                // Full, and the host was told: wait for it to read.
                Some(_) => {}
                None => {
                    // The host broke the block: what went up is lost, as
                    // if a UART dropped it; the rest goes on the UART.
                    defmt::warn!("agent ring: read offset out of range; laid out again");
                    self.uart.write(rest);
                    return;
                }
            }
        }
    }
}
