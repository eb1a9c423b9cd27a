//! The flash controller on the part, as `mv_flash::stm32u5` reaches it, and the NMI a double ECC error raises.
//!
//! The driver's register sequences are `mv_flash`'s (tested on the host);
//! this is only the bus: volatile register accesses through the secure
//! alias of the flash interface, word stores and byte loads at the alias
//! address the driver chose. Reading a torn quad-word sets `ECCR.ECCD`,
//! which raises an NMI: [`NonMaskableInt`] latches `ECCR` and clears it, and
//! the read that caused it reports `FlashError::Ecc` when it asks
//! ([`Registers::take_ecc_error`]). Any other NMI ends the run.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m_rt::exception;
use mv_flash::stm32u5::{eccr, reg, Registers};

use crate::cpu::{read32, write32};
use crate::exit::{exit, ExitCode};

/// The flash interface (secure alias).
const FLASH: u32 = 0x5002_2000;

/// `ECCR` as the NMI found it; 0 when no double error is pending.
static ECC_ERROR: AtomicU32 = AtomicU32::new(0);

/// The memory-mapped controller.
pub struct Mmio;

impl Registers for Mmio {
    fn read(&mut self, offset: u32) -> u32 {
        // SAFETY: a flash interface register (the driver names only those).
        unsafe { read32(FLASH + offset) }
    }

    fn write(&mut self, offset: u32, value: u32) {
        // SAFETY: as in `read`; the driver follows RM0456's sequences.
        unsafe { write32(FLASH + offset, value) }
    }

    fn store_word(&mut self, addr: u32, value: u32) {
        // SAFETY: a word of the quad-word being programmed, with PG set in
        // the control register of the page's security; the driver checked
        // the range against the flash the device owns.
        unsafe { core::ptr::write_volatile(addr as *mut u32, value) }
    }

    fn load(&mut self, addr: u32, buf: &mut [u8]) {
        for (i, byte) in buf.iter_mut().enumerate() {
            // SAFETY: flash the driver range-checked, through the alias of
            // its page's security.
            *byte = unsafe { core::ptr::read_volatile((addr as usize + i) as *const u8) };
        }
    }

    fn take_ecc_error(&mut self) -> Option<u32> {
        match ECC_ERROR.swap(0, Ordering::AcqRel) {
            0 => None,
            eccr => Some(eccr),
        }
    }
}

/// The NMI: a double ECC error is latched for the read that caused it.
///
/// # Safety
/// Called by the core only (cortex-m-rt requires the handler to be unsafe:
/// an NMI may interrupt a critical section; this one touches only `ECCR`
/// and an atomic, or ends the run).
#[exception]
unsafe fn NonMaskableInt() {
    // SAFETY: reading ECCR has no side effect.
    let value = unsafe { read32(FLASH + reg::ECCR) };
    if value & eccr::ECCD != 0 {
        ECC_ERROR.store(value, Ordering::Release);
        // SAFETY: ECCD is write-one-to-clear; the other bits written back
        // keep their values.
        unsafe { write32(FLASH + reg::ECCR, value) };
        return;
    }
    crate::logger::force_unlock();
    defmt::error!("NMI that is not a flash ECC error");
    exit(ExitCode::UnexpectedException)
}
