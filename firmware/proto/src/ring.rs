//! A link's shared-memory way in: one RTT down channel (SEGGER's control-block layout, what probe-rs reads), laid out by the device, written by the host.
//!
//! On QEMU the control block lives in the file-backed PSRAM, so the harness
//! writes frames through the NVM file it already holds instead of feeding
//! them to the emulated UART one byte per main-loop turn. The cloud link
//! (secure image) and the agent link (the app, in a window of the PSRAM the
//! SAU makes non-secure) each have one block, of this one format, named
//! after the link. The frames are the link's ordinary frames
//! ([`crate::encode_frame`]); only the way in differs, the way out stays
//! the link's UART.
//!
//! Layout (32-bit words, little endian): the 16-byte id, the number of up
//! channels (0) and of down channels (1), the down channel's descriptor
//! (name pointer, buffer pointer, size, write offset, read offset, flags),
//! the name, the buffer. The host owns the write offset, the device the
//! read offset; the device lays the block out with its offsets at 0 and
//! writes the id last, so a host that sees the id sees a usable block.
//! Both ends check every offset against the size before using it.

/// The control block's id.
pub const ID: [u8; 16] = *b"SEGGER RTT\0\0\0\0\0\0";
/// Byte offsets in the control block.
pub const MAX_UP_AT: u32 = 16;
pub const MAX_DOWN_AT: u32 = 20;
/// The down channel's descriptor (there are no up channels).
pub const DOWN_AT: u32 = 24;
pub const NAME_PTR_AT: u32 = DOWN_AT;
pub const BUFFER_PTR_AT: u32 = DOWN_AT + 4;
pub const SIZE_AT: u32 = DOWN_AT + 8;
pub const WRITE_AT: u32 = DOWN_AT + 12;
pub const READ_AT: u32 = DOWN_AT + 16;
pub const FLAGS_AT: u32 = DOWN_AT + 20;
/// The channel's name, then its buffer.
pub const NAME_AT: u32 = DOWN_AT + 24;
/// The cloud link's channel name.
pub const NAME: &Name = b"cloud\0\0\0";
/// The agent link's channel name.
pub const AGENT_NAME: &Name = b"agent\0\0\0";
/// A channel's name: eight bytes, NUL-padded.
pub type Name = [u8; 8];
pub const BUFFER_AT: u32 = NAME_AT + NAME.len() as u32;
/// Bytes in the buffer: four of the largest host-to-device frames (an OTA
/// chunk of one flash page) fit, so the host is rarely held up.
pub const SIZE: u32 = 0x8000;
/// The whole block, buffer included.
pub const BLOCK_LEN: u32 = BUFFER_AT + SIZE;

/// Bytes waiting for the device, or `None` if an offset is out of range.
pub fn waiting(write: u32, read: u32, size: u32) -> Option<u32> {
    (write < size && read < size).then(|| (write + size - read) % size)
}

/// Bytes the host may write now (one slot stays empty so that a full
/// buffer is not mistaken for an empty one), or `None` as for [`waiting`].
pub fn free(write: u32, read: u32, size: u32) -> Option<u32> {
    waiting(write, read, size).map(|w| size - 1 - w)
}

/// The memory a control block lives in, as the device reaches it: word
/// loads and stores and byte loads at offsets into the block, volatile
/// (the host changes it behind the program's back) and in program order.
pub trait BlockMemory {
    /// The block's address as the device sees it (for the descriptor's pointers).
    fn base(&self) -> u32;
    fn load(&self, at: u32) -> u32;
    fn store(&self, at: u32, value: u32);
    fn load_byte(&self, at: u32) -> u8;
}

/// Lays the block out, offsets at 0, the id last (at boot; bytes the host
/// left from an earlier boot are dropped).
pub fn lay_out(mem: &impl BlockMemory, name: &Name) {
    let base = mem.base();
    mem.store(0, 0);
    mem.store(MAX_UP_AT, 0);
    mem.store(MAX_DOWN_AT, 1);
    mem.store(NAME_PTR_AT, base + NAME_AT);
    mem.store(BUFFER_PTR_AT, base + BUFFER_AT);
    mem.store(SIZE_AT, SIZE);
    mem.store(WRITE_AT, 0);
    mem.store(READ_AT, 0);
    mem.store(FLAGS_AT, 0);
    for (i, word) in name.chunks_exact(4).enumerate() {
        mem.store(NAME_AT + 4 * i as u32, le_word(word));
    }
    for (i, word) in ID.chunks_exact(4).enumerate().rev() {
        mem.store(4 * i as u32, le_word(word));
    }
}

fn le_word(bytes: &[u8]) -> u32 {
    u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// What the device found in its block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// The next byte the host wrote (now consumed).
    Byte(u8),
    /// Nothing waiting.
    Empty,
    /// An offset out of range: the block was laid out again, its bytes dropped.
    LaidOutAgain,
}

/// Takes the next byte the host wrote, if one is waiting.
pub fn read_byte(mem: &impl BlockMemory, name: &Name) -> Next {
    let (write, read) = (mem.load(WRITE_AT), mem.load(READ_AT));
    match waiting(write, read, SIZE) {
        Some(0) => Next::Empty,
        Some(_) => {
            // `read < SIZE` (checked by `waiting`): inside the buffer.
            let byte = mem.load_byte(BUFFER_AT + read);
            mem.store(READ_AT, (read + 1) % SIZE);
            Next::Byte(byte)
        }
        None => {
            lay_out(mem, name);
            Next::LaidOutAgain
        }
    }
}

#[cfg(test)]
mod tests {
    use core::cell::RefCell;

    use super::*;

    /// A block in a plain array, as the device would see it at `0x1000`.
    struct Array(RefCell<[u8; BLOCK_LEN as usize]>);

    impl BlockMemory for Array {
        fn base(&self) -> u32 {
            0x1000
        }
        fn load(&self, at: u32) -> u32 {
            let m = self.0.borrow();
            le_word(&m[at as usize..at as usize + 4])
        }
        fn store(&self, at: u32, value: u32) {
            self.0.borrow_mut()[at as usize..at as usize + 4].copy_from_slice(&value.to_le_bytes());
        }
        fn load_byte(&self, at: u32) -> u8 {
            self.0.borrow()[at as usize]
        }
    }

    /// What a host does: bytes at the write offset, then the offset.
    fn host_write(mem: &Array, bytes: &[u8]) {
        let write = mem.load(WRITE_AT);
        for (i, &b) in bytes.iter().enumerate() {
            mem.0.borrow_mut()[(BUFFER_AT + (write + i as u32) % SIZE) as usize] = b;
        }
        mem.store(WRITE_AT, (write + bytes.len() as u32) % SIZE);
    }

    #[test]
    fn a_laid_out_block_carries_the_hosts_bytes_in_order_across_the_wrap() {
        let mem = Array(RefCell::new([0xAA; BLOCK_LEN as usize]));
        lay_out(&mem, AGENT_NAME);
        assert_eq!(&mem.0.borrow()[..16], &ID);
        assert_eq!(mem.load(NAME_PTR_AT), 0x1000 + NAME_AT);
        assert_eq!(mem.load(BUFFER_PTR_AT), 0x1000 + BUFFER_AT);
        assert_eq!(&mem.0.borrow()[NAME_AT as usize..][..8], AGENT_NAME);
        assert_eq!(read_byte(&mem, AGENT_NAME), Next::Empty);
        // Start near the end so the bytes wrap.
        mem.store(WRITE_AT, SIZE - 2);
        mem.store(READ_AT, SIZE - 2);
        host_write(&mem, &[1, 2, 3, 4]);
        let got: [Next; 5] = core::array::from_fn(|_| read_byte(&mem, AGENT_NAME));
        assert_eq!(
            got,
            [
                Next::Byte(1),
                Next::Byte(2),
                Next::Byte(3),
                Next::Byte(4),
                Next::Empty
            ]
        );
    }

    #[test]
    fn a_block_with_an_offset_out_of_range_is_laid_out_again() {
        let mem = Array(RefCell::new([0; BLOCK_LEN as usize]));
        lay_out(&mem, NAME);
        mem.store(WRITE_AT, SIZE + 7);
        assert_eq!(read_byte(&mem, NAME), Next::LaidOutAgain);
        assert_eq!(mem.load(WRITE_AT), 0);
        assert_eq!(read_byte(&mem, NAME), Next::Empty);
    }

    #[test]
    fn offsets_wrap_and_out_of_range_ones_are_refused() {
        assert_eq!(waiting(5, 5, SIZE), Some(0));
        assert_eq!(free(5, 5, SIZE), Some(SIZE - 1));
        assert_eq!(waiting(2, SIZE - 3, SIZE), Some(5));
        assert_eq!(free(SIZE - 2, SIZE - 1, SIZE), Some(0));
        assert_eq!(waiting(SIZE, 0, SIZE), None);
        assert_eq!(free(0, SIZE + 1, SIZE), None);
        assert_eq!(BUFFER_AT % 4, 0, "the buffer starts on a word");
    }
}
