//! Where a [`crate::FlashModel`] keeps things in its cells.
//!
//! ```text
//!  0 .. size                 the flash bytes
//!  size .. size + size/16    one state byte per 16-byte unit (erased, programmed, torn)
//!  meta + 0x000              FORMAT_MAGIC when the cells hold a formatted flash
//!  meta + 0x010              a one-shot cut request: CUT_MAGIC, ops_left: u32, inside: u32
//!  meta + 0x100 .. + 0x300   OTP: provisioned data that is not flash (signer keys)
//! ```
//!
//! The cut request is the lab's power switch: the harness writes it while
//! the device is off, the model counts it down with every operation and keeps
//! the count in the cells, so it runs on across the device's own restarts.

/// [`NvmMap::format`] holds this when the cells hold a formatted flash.
pub const FORMAT_MAGIC: &[u8; 16] = b"hil-nvm-flash-v2";
/// `"CUT!"`: a cut request is armed.
pub const CUT_MAGIC: u32 = 0x2154_5543;
/// Bytes of OTP.
pub const OTP_SIZE: u32 = 0x200;

/// Unit states.
pub mod state {
    pub const ERASED: u8 = 0xFF;
    pub const PROGRAMMED: u8 = 0x00;
    pub const TORN: u8 = 0x5A;
}

/// The offsets for a flash of a given size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NvmMap {
    size: u32,
}

impl NvmMap {
    /// The map of a flash of `size` bytes (a whole number of pages).
    pub const fn new(size: u32) -> NvmMap {
        assert!(size.is_multiple_of(crate::PAGE_SIZE), "whole pages only");
        NvmMap { size }
    }

    /// Bytes of flash.
    pub const fn size(&self) -> u32 {
        self.size
    }

    /// The flash bytes start here.
    pub const fn data(&self) -> u32 {
        0
    }

    /// The state byte of unit 0.
    pub const fn states(&self) -> u32 {
        self.size
    }

    const fn meta(&self) -> u32 {
        (self.size + self.size / crate::UNIT as u32).next_multiple_of(0x100)
    }

    /// The format marker.
    pub const fn format(&self) -> u32 {
        self.meta()
    }

    /// The cut request.
    pub const fn cut_request(&self) -> u32 {
        self.meta() + 0x10
    }

    /// The OTP area ([`OTP_SIZE`] bytes).
    pub const fn otp(&self) -> u32 {
        self.meta() + 0x100
    }

    /// Cells the map needs.
    pub const fn cells_len(&self) -> u32 {
        self.otp() + OTP_SIZE
    }
}
