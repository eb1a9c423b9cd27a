//! The AN505 cloud link's fast way in: the RTT down channel of `mv_proto::ring` in the file-backed PSRAM.
//!
//! The harness writes whole frames into it through the NVM file (QEMU maps
//! that file shared), so an OTA chunk arrives at once instead of one UART
//! byte per QEMU main-loop turn. The PSRAM is secure (no SAU region covers
//! it): the app can neither read nor forge what the cloud sends. The host's
//! write offset is still checked before use, and a block whose offsets make
//! no sense is laid out again (its bytes dropped, as a reset drops UART bytes).

use mv_boards::an505::{CLOUD_RING_NVM_OFFSET, PSRAM_BASE, PSRAM_SIZE};
use mv_proto::ring;

const BLOCK: u32 = PSRAM_BASE + CLOUD_RING_NVM_OFFSET;
const _: () = assert!(CLOUD_RING_NVM_OFFSET + ring::BLOCK_LEN <= PSRAM_SIZE);

fn load(at: u32) -> u32 {
    // SAFETY: `at` is a word of the control block, inside the PSRAM
    // (asserted above), which only this image uses at this offset; volatile
    // because the host changes it behind the program's back.
    unsafe { core::ptr::read_volatile((BLOCK + at) as *const u32) }
}

fn store(at: u32, value: u32) {
    // SAFETY: as for `load`; volatile keeps the stores in program order, so
    // the id lands after the fields it vouches for.
    unsafe { core::ptr::write_volatile((BLOCK + at) as *mut u32, value) }
}

/// Lays the block out, offsets at 0, the id last (at boot; bytes the host
/// left from an earlier boot are dropped).
pub fn init() {
    store(0, 0);
    store(ring::MAX_UP_AT, 0);
    store(ring::MAX_DOWN_AT, 1);
    store(ring::NAME_PTR_AT, BLOCK + ring::NAME_AT);
    store(ring::BUFFER_PTR_AT, BLOCK + ring::BUFFER_AT);
    store(ring::SIZE_AT, ring::SIZE);
    store(ring::WRITE_AT, 0);
    store(ring::READ_AT, 0);
    store(ring::FLAGS_AT, 0);
    for (i, word) in ring::NAME.chunks_exact(4).enumerate() {
        let word = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        store(ring::NAME_AT + 4 * i as u32, word);
    }
    for (i, word) in ring::ID.chunks_exact(4).enumerate().rev() {
        let word = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
        store(4 * i as u32, word);
    }
}

/// The next byte the host wrote, if one is waiting.
pub fn read_byte() -> Option<u8> {
    let (write, read) = (load(ring::WRITE_AT), load(ring::READ_AT));
    match ring::waiting(write, read, ring::SIZE) {
        Some(0) => None,
        Some(_) => {
            // SAFETY: `read < SIZE` (checked by `waiting`), so the byte is in
            // the block's buffer, inside the PSRAM.
            let byte =
                unsafe { core::ptr::read_volatile((BLOCK + ring::BUFFER_AT + read) as *const u8) };
            store(ring::READ_AT, (read + 1) % ring::SIZE);
            Some(byte)
        }
        None => {
            defmt::warn!("cloud ring: offsets out of range; laid out again");
            init();
            None
        }
    }
}
