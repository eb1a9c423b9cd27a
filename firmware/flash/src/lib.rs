//! The STM32U585 internal flash, as the kernel's OTA engine sees it, and the one model of its rules.
//!
//! 8 KiB pages are the erase unit; 16-byte quad-words are the program unit,
//! and each can be programmed once until its page is erased (its ECC is
//! written with it). Reading a quad-word whose programming was interrupted
//! gives an ECC error. [`Flash`] is what the engine programs through;
//! [`FlashModel`] enforces these rules over any byte-addressable persistent
//! cells ([`Cells`]) and loses power exactly where it is told to
//! ([`CutPoint`]): the sim runs it over memory, the AN505 image over QEMU's
//! file-backed PSRAM, so a cut has the same effect on every rig. On the
//! part itself the flash controller's driver ([`stm32u5`]) keeps the same
//! contract.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod cut;
pub mod map;
mod model;
pub mod nor;
pub mod stm32u5;

pub use cut::CutPoint;
pub use map::NvmMap;
pub use model::{cut_request, is_formatted, Cells, FlashModel, FlashOp};
pub use nor::{NorError, NorFlash};

/// Erase unit.
pub const PAGE_SIZE: u32 = 8192;
/// Program unit (a quad-word).
pub const UNIT: usize = 16;

/// Why a flash operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashError {
    /// Not aligned to the program unit or the page.
    Misaligned,
    /// The quad-word was programmed since its page was last erased.
    AlreadyProgrammed,
    /// Beyond the end of the flash.
    OutOfRange,
    /// An uncorrectable ECC error (a torn quad-word) at this offset.
    Ecc { offset: u32 },
    /// Power went away during or before the operation; the device is off.
    PowerLost,
    /// The flash controller refused the operation: its status register's
    /// error flags (`stm32u5::sr`). Only the part's driver reports it.
    Controller { status: u32 },
}

/// A flash the kernel can program, erase and read.
pub trait Flash {
    /// Bytes of flash.
    fn size(&self) -> u32;
    /// Copy bytes out; an ECC error if any quad-word in the range is torn.
    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError>;
    /// Program one quad-word (16-aligned, erased since the page's last erase).
    fn program(&mut self, offset: u32, unit: &[u8; UNIT]) -> Result<(), FlashError>;
    /// Erase page `page` to 0xFF.
    fn erase_page(&mut self, page: u32) -> Result<(), FlashError>;
}
