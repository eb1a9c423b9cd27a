//! [`Stm32u5Flash`]: the STM32U5 flash controller behind the [`Flash`] trait, for the part itself.
//!
//! The register sequences of RM0456 ("Embedded flash memory"), over any
//! [`Registers`] — memory-mapped on the part (`firmware/secure`), a
//! recording model in this crate's tests. With TrustZone on (TZEN=1) every
//! page is secure or not by the option bytes' watermarks, and each kind has
//! its own key, control and status registers and its own address alias:
//! a non-secure page is programmed through `NSCR` at `0x0800_0000 + offset`,
//! a secure one through `SECCR` at `0x0C00_0000 + offset` ([`Security`]).
//!
//! The [`Flash`] contract is the model's ([`crate::FlashModel`]): quad-word
//! programs, 16-aligned, once per erase; page erases; reads that report a
//! torn quad-word as [`FlashError::Ecc`]. The driver checks alignment,
//! range and "erased since" (by reading the quad-word) before it touches
//! the controller, so a bad request never reaches the hardware; an error
//! the controller reports anyway comes back as [`FlashError::Controller`]
//! with its status flags, which are then cleared.

use crate::{Flash, FlashError, PAGE_SIZE, UNIT};

/// Register offsets from the controller's base.
pub mod reg {
    pub const NSKEYR: u32 = 0x08;
    pub const SECKEYR: u32 = 0x0C;
    pub const NSSR: u32 = 0x20;
    pub const SECSR: u32 = 0x24;
    pub const NSCR: u32 = 0x28;
    pub const SECCR: u32 = 0x2C;
    pub const ECCR: u32 = 0x30;
    pub const OPTR: u32 = 0x40;
    pub const SECWM1R1: u32 = 0x50;
    pub const SECWM2R1: u32 = 0x60;
}

/// Control register bits (`NSCR`/`SECCR`).
pub mod cr {
    pub const PG: u32 = 1 << 0;
    pub const PER: u32 = 1 << 1;
    pub const MER1: u32 = 1 << 2;
    pub const PNB_SHIFT: u32 = 3;
    pub const PNB_MASK: u32 = 0x7F << PNB_SHIFT;
    pub const BKER: u32 = 1 << 11;
    pub const MER2: u32 = 1 << 15;
    pub const STRT: u32 = 1 << 16;
    pub const LOCK: u32 = 1 << 31;
}

/// Status register bits (`NSSR`/`SECSR`).
pub mod sr {
    pub const EOP: u32 = 1 << 0;
    pub const OPERR: u32 = 1 << 1;
    pub const PROGERR: u32 = 1 << 3;
    pub const WRPERR: u32 = 1 << 4;
    pub const PGAERR: u32 = 1 << 5;
    pub const SIZERR: u32 = 1 << 6;
    pub const PGSERR: u32 = 1 << 7;
    /// Every error flag (write one to clear).
    pub const ERRORS: u32 = OPERR | PROGERR | WRPERR | PGAERR | SIZERR | PGSERR;
    pub const BSY: u32 = 1 << 16;
    pub const WDW: u32 = 1 << 17;
}

/// `ECCR`: double error detected (it also raises an NMI), bank, address.
pub mod eccr {
    pub const ECCD: u32 = 1 << 31;
    pub const BK_ECC: u32 = 1 << 21;
    pub const ADDR_MASK: u32 = 0x000F_FFFF;
}

/// `OPTR.TZEN`: TrustZone is on.
pub const OPTR_TZEN: u32 = 1 << 31;

/// The unlock sequence of `NSKEYR`/`SECKEYR`.
pub const KEY1: u32 = 0x4567_0123;
pub const KEY2: u32 = 0xCDEF_89AB;

/// Bytes in a bank.
pub const BANK_SIZE: u32 = 0x0010_0000;
/// Pages in a bank.
pub const BANK_PAGES: u32 = BANK_SIZE / PAGE_SIZE;
/// Base of the non-secure and secure aliases of the flash.
pub const NS_ALIAS: u32 = 0x0800_0000;
pub const S_ALIAS: u32 = 0x0C00_0000;

/// The controller's registers and the flash memory, as the driver reaches them.
pub trait Registers {
    /// Read a controller register (offset from its base, secure alias).
    fn read(&mut self, offset: u32) -> u32;
    /// Write a controller register.
    fn write(&mut self, offset: u32, value: u32);
    /// Store one word of a quad-word being programmed, at a flash address
    /// (an alias address: [`NS_ALIAS`] or [`S_ALIAS`] + offset).
    fn store_word(&mut self, addr: u32, value: u32);
    /// Copy flash bytes out, from an alias address.
    fn load(&mut self, addr: u32, buf: &mut [u8]);
    /// A double ECC error since the last call, as `ECCR` recorded it
    /// (on the part the NMI it raises latches it, see `firmware/secure`).
    fn take_ecc_error(&mut self) -> Option<u32>;
}

/// Which pages are secure: per bank, the watermark area `first..=last`
/// (`SECWMx_PSTRT`/`SECWMx_PEND`; empty when `first > last`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Security {
    pub bank1: (u32, u32),
    pub bank2: (u32, u32),
}

impl Security {
    /// Reads the watermarks from `SECWM1R1`/`SECWM2R1`.
    pub fn read<R: Registers + ?Sized>(regs: &mut R) -> Security {
        let area = |v: u32| (v & 0x7F, (v >> 16) & 0x7F);
        Security {
            bank1: area(regs.read(reg::SECWM1R1)),
            bank2: area(regs.read(reg::SECWM2R1)),
        }
    }

    /// Is page `page` (counted from the start of bank 1) secure?
    pub fn is_secure(&self, page: u32) -> bool {
        let (first, last) = if page < BANK_PAGES {
            self.bank1
        } else {
            self.bank2
        };
        let in_bank = page % BANK_PAGES;
        first <= last && (first..=last).contains(&in_bank)
    }
}

/// The registers and alias one page is reached through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Path {
    key: u32,
    sr: u32,
    cr: u32,
    alias: u32,
}

const NON_SECURE: Path = Path {
    key: reg::NSKEYR,
    sr: reg::NSSR,
    cr: reg::NSCR,
    alias: NS_ALIAS,
};
const SECURE: Path = Path {
    key: reg::SECKEYR,
    sr: reg::SECSR,
    cr: reg::SECCR,
    alias: S_ALIAS,
};

/// The flash from its first byte (bank 1, page 0) up to `size`.
pub struct Stm32u5Flash<R: Registers> {
    regs: R,
    size: u32,
    security: Security,
}

impl<R: Registers> Stm32u5Flash<R> {
    /// The first `size` bytes of the flash (whole pages, at most both
    /// banks), with the page security the option bytes give.
    pub fn new(mut regs: R, size: u32) -> Stm32u5Flash<R> {
        let security = Security::read(&mut regs);
        Stm32u5Flash {
            regs,
            size: size.min(2 * BANK_SIZE) / PAGE_SIZE * PAGE_SIZE,
            security,
        }
    }

    pub fn security(&self) -> Security {
        self.security
    }

    pub fn registers(&mut self) -> &mut R {
        &mut self.regs
    }

    fn path(&self, page: u32) -> Path {
        if self.security.is_secure(page) {
            SECURE
        } else {
            NON_SECURE
        }
    }

    fn wait_idle(&mut self, path: Path) -> u32 {
        loop {
            let status = self.regs.read(path.sr);
            if status & (sr::BSY | sr::WDW) == 0 {
                return status;
            }
        }
    }

    /// Unlocks the control register, waits for the controller and clears
    /// stale error flags.
    fn begin(&mut self, path: Path) {
        if self.regs.read(path.cr) & cr::LOCK != 0 {
            self.regs.write(path.key, KEY1);
            self.regs.write(path.key, KEY2);
        }
        let status = self.wait_idle(path);
        if status & (sr::ERRORS | sr::EOP) != 0 {
            self.regs.write(path.sr, status & (sr::ERRORS | sr::EOP));
        }
    }

    /// Waits for the operation, clears `bits` from the control register
    /// (and locks it again), and reports the controller's error flags.
    fn finish(&mut self, path: Path, bits: u32) -> Result<(), FlashError> {
        let status = self.wait_idle(path);
        let cr = self.regs.read(path.cr);
        self.regs.write(path.cr, (cr & !bits) | cr::LOCK);
        let errors = status & sr::ERRORS;
        if errors != 0 {
            self.regs.write(path.sr, errors);
            return Err(FlashError::Controller { status: errors });
        }
        Ok(())
    }

    /// Mass-erases one bank (1 or 2): every page of it whose security is
    /// the given path's (RM0456: `MER1`/`MER2` erase the pages the
    /// requester's security may). Not part of [`Flash`]; the OTA engine
    /// erases pages.
    pub fn erase_bank(&mut self, bank: u32, secure: bool) -> Result<(), FlashError> {
        let bit = match bank {
            1 => cr::MER1,
            2 => cr::MER2,
            _ => return Err(FlashError::OutOfRange),
        };
        let path = if secure { SECURE } else { NON_SECURE };
        self.begin(path);
        let cr = self.regs.read(path.cr);
        self.regs.write(path.cr, cr | bit);
        self.regs.write(path.cr, cr | bit | cr::STRT);
        self.finish(path, bit)
    }

    fn check_range(&self, offset: u32, len: u32) -> Result<(), FlashError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(()),
            _ => Err(FlashError::OutOfRange),
        }
    }
}

impl<R: Registers> Flash for Stm32u5Flash<R> {
    fn size(&self) -> u32 {
        self.size
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        self.check_range(offset, buf.len() as u32)?;
        let mut done = 0usize;
        // Page by page: each through its own alias.
        while done < buf.len() {
            let at = offset + done as u32;
            let page_end = (at / PAGE_SIZE + 1) * PAGE_SIZE;
            let n = ((page_end - at) as usize).min(buf.len() - done);
            let alias = self.path(at / PAGE_SIZE).alias;
            self.regs.load(alias + at, &mut buf[done..done + n]);
            done += n;
        }
        match self.regs.take_ecc_error() {
            None => Ok(()),
            Some(eccr) => Err(FlashError::Ecc {
                offset: ecc_offset(eccr),
            }),
        }
    }

    fn program(&mut self, offset: u32, unit: &[u8; UNIT]) -> Result<(), FlashError> {
        if !offset.is_multiple_of(UNIT as u32) {
            return Err(FlashError::Misaligned);
        }
        self.check_range(offset, UNIT as u32)?;
        let mut current = [0u8; UNIT];
        self.read(offset, &mut current)?;
        if current != [0xFF; UNIT] {
            return Err(FlashError::AlreadyProgrammed);
        }
        let path = self.path(offset / PAGE_SIZE);
        self.begin(path);
        let cr = self.regs.read(path.cr);
        self.regs.write(path.cr, cr | cr::PG);
        for (i, word) in unit.chunks_exact(4).enumerate() {
            let word = u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
            self.regs
                .store_word(path.alias + offset + 4 * i as u32, word);
        }
        self.finish(path, cr::PG)
    }

    fn erase_page(&mut self, page: u32) -> Result<(), FlashError> {
        if page >= self.size / PAGE_SIZE {
            return Err(FlashError::OutOfRange);
        }
        let path = self.path(page);
        self.begin(path);
        let bank = if page >= BANK_PAGES { cr::BKER } else { 0 };
        let select = cr::PER | ((page % BANK_PAGES) << cr::PNB_SHIFT) | bank;
        let cr = self.regs.read(path.cr) & !(cr::PNB_MASK | cr::BKER);
        self.regs.write(path.cr, cr | select);
        self.regs.write(path.cr, cr | select | cr::STRT);
        self.finish(path, cr::PER | cr::PNB_MASK | cr::BKER)
    }
}

/// The flash offset of the quad-word an `ECCR` value names.
pub fn ecc_offset(eccr: u32) -> u32 {
    let bank = if eccr & eccr::BK_ECC != 0 {
        BANK_SIZE
    } else {
        0
    };
    bank + (eccr & eccr::ADDR_MASK & !(UNIT as u32 - 1))
}
