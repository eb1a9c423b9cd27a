//! The cloud link's shared-memory way in: one RTT down channel (SEGGER's control-block layout, what probe-rs reads), laid out by the device, written by the host.
//!
//! On QEMU the control block lives in the file-backed PSRAM, so the harness
//! writes frames through the NVM file it already holds instead of feeding
//! them to the emulated UART one byte per main-loop turn. The frames are
//! the link's ordinary frames ([`crate::encode_frame`]); only the way in
//! differs, the way out stays the link's UART.
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
pub const NAME: &[u8; 8] = b"cloud\0\0\0";
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

#[cfg(test)]
mod tests {
    use super::{free, waiting, BUFFER_AT, SIZE};

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
