//! The AN505 cloud link's fast way in: the RTT down channel of `mv_proto::ring` in the file-backed PSRAM.
//!
//! The harness writes whole frames into it through the NVM file (QEMU maps
//! that file shared), so an OTA chunk arrives at once instead of one UART
//! byte per QEMU main-loop turn. The PSRAM is secure (no SAU region covers
//! this block): the app can neither read nor forge what the cloud sends.
//! The host's write offset is still checked before use, and a block whose
//! offsets make no sense is laid out again (its bytes dropped, as a reset
//! drops UART bytes). The ring's logic is `mv_proto::ring`'s, shared with
//! the agent link's block; this module only says where the block is.

use mv_boards::an505::{CLOUD_RING_NVM_OFFSET, PSRAM_BASE, PSRAM_SIZE};
use mv_proto::ring::{self, BlockMemory, Next};

const BLOCK: u32 = PSRAM_BASE + CLOUD_RING_NVM_OFFSET;
const _: () = assert!(CLOUD_RING_NVM_OFFSET + ring::BLOCK_LEN <= PSRAM_SIZE);

/// The control block in the PSRAM.
struct Block;

impl BlockMemory for Block {
    fn base(&self) -> u32 {
        BLOCK
    }

    fn load(&self, at: u32) -> u32 {
        // SAFETY: `at` is a word of the control block (the ring checks its
        // offsets), inside the PSRAM (asserted above), which only this image
        // uses at this offset; volatile because the host changes it behind
        // the program's back.
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

/// Lays the block out (at boot; bytes the host left from an earlier boot
/// are dropped).
pub fn init() {
    ring::lay_out(&Block, ring::NAME);
}

/// The next byte the host wrote, if one is waiting.
pub fn read_byte() -> Option<u8> {
    match ring::read_byte(&Block, ring::NAME) {
        Next::Byte(b) => Some(b),
        Next::Empty => None,
        Next::LaidOutAgain => {
            defmt::warn!("cloud ring: offsets out of range; laid out again");
            None
        }
    }
}
