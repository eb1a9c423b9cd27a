//! The AN505 agent link's bytes: out on UART1, in from the shared-memory ring in the PSRAM or from UART1.
//!
//! The harness writes whole request frames into the agent's block
//! (`mv_proto::ring`, in the window of the file-backed PSRAM the secure
//! image makes non-secure), so a request arrives at once instead of one
//! UART byte per QEMU main-loop turn; a host that does not (a board rig, a
//! lab's serial bridge, `hil bench`'s previous way) uses UART1 as before.
//! A host uses one of the two, so the bytes of one frame never mix.
//! Answers go out on UART1, which QEMU passes on at once.
//!
//! The wait for a byte checks the ring, then UART1, then sleeps
//! ([`crate::sleep`]) until UART1 receives a byte: a host that writes into
//! the ring follows each frame with a doorbell, a zero byte on UART1, which
//! the link reads as an empty frame between frames (dropped). A sleeping
//! agent leaves QEMU idle instead of spinning a core on the poll.

use mv_boards::an505::{AGENT_RING_NVM_OFFSET, AGENT_RING_WINDOW, PSRAM_BASE};
use mv_proto::ring::{self, BlockMemory, Next, AGENT_NAME};

use crate::uart::Uart;

const BLOCK: u32 = PSRAM_BASE + AGENT_RING_NVM_OFFSET;
const _: () = assert!(BLOCK == AGENT_RING_WINDOW.0 && ring::BLOCK_LEN <= AGENT_RING_WINDOW.1);

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

/// The agent link's bytes.
pub struct LinkIo {
    uart: Uart,
}

impl LinkIo {
    /// Enable UART1 and lay the ring out (bytes a host left in it before
    /// this start are dropped, as a reset drops UART bytes).
    pub fn open() -> LinkIo {
        let uart = Uart::agent_link();
        uart.init(true);
        ring::lay_out(&Block, AGENT_NAME);
        LinkIo { uart }
    }

    /// Wait for and return the next received byte.
    pub fn read_byte(&self) -> u8 {
        loop {
            if let Some(byte) = self.try_read_byte() {
                return byte;
            }
            if let Some(byte) = crate::sleep::once(self.uart, || self.try_read_byte()) {
                return byte;
            }
        }
    }

    /// The next byte from the ring, else from UART1, if one is waiting.
    fn try_read_byte(&self) -> Option<u8> {
        match ring::read_byte(&Block, AGENT_NAME) {
            Next::Byte(byte) => return Some(byte),
            Next::Empty => {}
            Next::LaidOutAgain => defmt::warn!("agent ring: offsets out of range; laid out again"),
        }
        self.uart.try_read_byte()
    }

    /// Send bytes (blocking).
    pub fn write(&self, bytes: &[u8]) {
        self.uart.write(bytes);
    }
}
