//! A link's shared-memory ring: one RTT up and one down channel (SEGGER's control-block layout, what probe-rs reads), laid out by the device.
//!
//! On QEMU the control block lives in the file-backed PSRAM, so the harness
//! writes frames through the NVM file it already holds instead of feeding
//! them to the emulated UART one byte per main-loop turn, and reads the
//! device's answers from it instead of one UART byte per write. The cloud
//! link (secure image) and the agent link (the app, in a window of the
//! PSRAM the SAU makes non-secure) each have one block, of this one format,
//! named after the link. The frames are the link's ordinary frames
//! ([`crate::encode_frame`]). The agent answers a request that came down
//! its ring up its ring, then rings a doorbell (a lone frame delimiter) on
//! its UART so the host knows to look; the secure image does not use its
//! up channel yet and answers on its UART.
//!
//! Layout (32-bit words, little endian): the 16-byte id, the number of up
//! channels (1) and of down channels (1), the up channel's descriptor, the
//! down channel's (each: name pointer, buffer pointer, size, write offset,
//! read offset, flags), the name both channels share, the down buffer, the
//! up buffer. The writer of a channel owns its write offset, the reader its
//! read offset; the device lays the block out with every offset at 0 and
//! writes the id last, so a host that sees the id sees a usable block.
//! Both ends check every offset against the size before using it.

/// The control block's id.
pub const ID: [u8; 16] = *b"SEGGER RTT\0\0\0\0\0\0";
/// Byte offsets in the control block.
pub const MAX_UP_AT: u32 = 16;
pub const MAX_DOWN_AT: u32 = 20;
/// A channel descriptor's fields, from its start.
const DESCRIPTOR_LEN: u32 = 24;
const NAME_PTR: u32 = 0;
const BUFFER_PTR: u32 = 4;
const SIZE_OF: u32 = 8;
const WRITE_OF: u32 = 12;
const READ_OF: u32 = 16;
const FLAGS_OF: u32 = 20;
/// The up channel's descriptor (device to host).
pub const UP_AT: u32 = 24;
pub const UP_SIZE_AT: u32 = UP_AT + SIZE_OF;
pub const UP_WRITE_AT: u32 = UP_AT + WRITE_OF;
pub const UP_READ_AT: u32 = UP_AT + READ_OF;
/// The down channel's descriptor (host to device).
pub const DOWN_AT: u32 = UP_AT + DESCRIPTOR_LEN;
pub const NAME_PTR_AT: u32 = DOWN_AT + NAME_PTR;
pub const BUFFER_PTR_AT: u32 = DOWN_AT + BUFFER_PTR;
pub const SIZE_AT: u32 = DOWN_AT + SIZE_OF;
pub const WRITE_AT: u32 = DOWN_AT + WRITE_OF;
pub const READ_AT: u32 = DOWN_AT + READ_OF;
pub const FLAGS_AT: u32 = DOWN_AT + FLAGS_OF;
/// The channels' name, then the down buffer, then the up buffer.
pub const NAME_AT: u32 = DOWN_AT + DESCRIPTOR_LEN;
/// The cloud link's channel name.
pub const NAME: &Name = b"cloud\0\0\0";
/// The agent link's channel name.
pub const AGENT_NAME: &Name = b"agent\0\0\0";
/// A channel's name: eight bytes, NUL-padded.
pub type Name = [u8; 8];
pub const BUFFER_AT: u32 = NAME_AT + NAME.len() as u32;
/// Bytes in the down buffer: four of the largest host-to-device frames (an
/// OTA chunk of one flash page) fit, so the host is rarely held up.
pub const SIZE: u32 = 0x8000;
pub const UP_BUFFER_AT: u32 = BUFFER_AT + SIZE;
/// Bytes in the up buffer: the largest frame ([`crate::MAX_FRAME`]) fits
/// whole, so an answer goes up at once.
pub const UP_SIZE: u32 = 0x4000 + 0x100;
/// The whole block, buffers included.
pub const BLOCK_LEN: u32 = UP_BUFFER_AT + UP_SIZE;

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
/// loads and stores and byte loads and stores at offsets into the block,
/// volatile (the host changes it behind the program's back) and in program
/// order.
pub trait BlockMemory {
    /// The block's address as the device sees it (for the descriptor's pointers).
    fn base(&self) -> u32;
    fn load(&self, at: u32) -> u32;
    fn store(&self, at: u32, value: u32);
    fn load_byte(&self, at: u32) -> u8;

    /// A byte store, as a store of the word it is in: only the device
    /// writes the up buffer, so nothing else changes that word meanwhile.
    fn store_byte(&self, at: u32, value: u8) {
        let (word, shift) = (at & !3, 8 * (at & 3));
        let kept = self.load(word) & !(0xFF << shift);
        self.store(word, kept | (u32::from(value) << shift));
    }
}

/// Lays the block out, offsets at 0, the id last (at boot; bytes the host
/// left from an earlier boot are dropped).
pub fn lay_out(mem: &impl BlockMemory, name: &Name) {
    let base = mem.base();
    mem.store(0, 0);
    mem.store(MAX_UP_AT, 1);
    mem.store(MAX_DOWN_AT, 1);
    for (descriptor, buffer, size) in [(UP_AT, UP_BUFFER_AT, UP_SIZE), (DOWN_AT, BUFFER_AT, SIZE)] {
        mem.store(descriptor + NAME_PTR, base + NAME_AT);
        mem.store(descriptor + BUFFER_PTR, base + buffer);
        mem.store(descriptor + SIZE_OF, size);
        mem.store(descriptor + WRITE_OF, 0);
        mem.store(descriptor + READ_OF, 0);
        mem.store(descriptor + FLAGS_OF, 0);
    }
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

/// Puts as many of `bytes` into the up channel as there is room for: how
/// many, or `None` if the host's read offset was out of range (the block is
/// laid out again and its bytes dropped, as a reset drops UART bytes).
pub fn write(mem: &impl BlockMemory, name: &Name, bytes: &[u8]) -> Option<usize> {
    let (write, read) = (mem.load(UP_WRITE_AT), mem.load(UP_READ_AT));
    let Some(room) = free(write, read, UP_SIZE) else {
        lay_out(mem, name);
        return None;
    };
    let n = bytes.len().min(room as usize);
    for (i, &byte) in bytes[..n].iter().enumerate() {
        mem.store_byte(UP_BUFFER_AT + (write + i as u32) % UP_SIZE, byte);
    }
    // The bytes first, then the offset that hands them over.
    mem.store(UP_WRITE_AT, (write + n as u32) % UP_SIZE);
    Some(n)
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

    /// What a host does to read the up channel: the bytes from its read
    /// offset to the device's write offset, then the read offset.
    fn host_read(mem: &Array) -> alloc::vec::Vec<u8> {
        let (write, read) = (mem.load(UP_WRITE_AT), mem.load(UP_READ_AT));
        let n = waiting(write, read, UP_SIZE).expect("offsets in range");
        let got = (0..n)
            .map(|i| mem.load_byte(UP_BUFFER_AT + (read + i) % UP_SIZE))
            .collect();
        mem.store(UP_READ_AT, write);
        got
    }

    #[test]
    fn the_up_channel_carries_the_devices_bytes_in_order_across_the_wrap_and_stops_when_full() {
        let mem = Array(RefCell::new([0xAA; BLOCK_LEN as usize]));
        lay_out(&mem, AGENT_NAME);
        assert_eq!(mem.load(MAX_UP_AT), 1);
        assert_eq!(mem.load(UP_AT + BUFFER_PTR), 0x1000 + UP_BUFFER_AT);
        assert_eq!(mem.load(UP_SIZE_AT), UP_SIZE);
        assert!(host_read(&mem).is_empty());
        mem.store(UP_WRITE_AT, UP_SIZE - 2);
        mem.store(UP_READ_AT, UP_SIZE - 2);
        assert_eq!(write(&mem, AGENT_NAME, &[1, 2, 3, 4]), Some(4));
        assert_eq!(host_read(&mem), [1, 2, 3, 4]);
        // A full channel takes what fits (one slot stays empty), no more.
        let big = [7u8; UP_SIZE as usize + 10];
        assert_eq!(write(&mem, AGENT_NAME, &big), Some(UP_SIZE as usize - 1));
        assert_eq!(write(&mem, AGENT_NAME, &big), Some(0));
        assert_eq!(host_read(&mem).len(), UP_SIZE as usize - 1);
        // A read offset out of range lays the block out again.
        mem.store(UP_READ_AT, UP_SIZE);
        assert_eq!(write(&mem, AGENT_NAME, &[1]), None);
        assert_eq!(mem.load(UP_READ_AT), 0);
        assert_eq!(write(&mem, AGENT_NAME, &[9]), Some(1));
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
        assert_eq!(UP_BUFFER_AT % 4, 0, "the up buffer starts on a word");
        assert!(UP_SIZE as usize > crate::MAX_FRAME, "a whole frame fits up");
    }
}
