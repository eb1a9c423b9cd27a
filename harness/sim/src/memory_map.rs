//! The STM32U585 memory map as a Microvisor app sees it, with backing bytes.
//!
//! From the SDK linker script and the FOTA article: app flash is the lower
//! 1 MiB at `0x0800_0000`; app RAM is 512 KiB at `0x2000_0000`; the upper half
//! of SRAM3 (`0x2008_0000..0x200C_0000`) belongs to Microvisor, so a buffer
//! that runs past the end of app RAM runs into secure memory. The secure
//! aliases (`0x0C00_0000` flash, `0x3000_0000` SRAM) and the upper 1 MiB of
//! flash are Microvisor's. Anything else is, for an app buffer, unmapped.

use mv_kernel::board::Access;

pub const NS_FLASH_BASE: u32 = 0x0800_0000;
pub const NS_FLASH_SIZE: u32 = 0x0010_0000;
pub const NS_RAM_BASE: u32 = 0x2000_0000;
pub const NS_RAM_SIZE: u32 = 0x0008_0000;
/// Microvisor's half of SRAM3, reached through the NS alias addresses.
pub const MV_SRAM3_BASE: u32 = NS_RAM_BASE + NS_RAM_SIZE;
pub const MV_SRAM3_SIZE: u32 = 0x0004_0000;
pub const SECURE_FLASH_BASE: u32 = 0x0C00_0000;
pub const SECURE_FLASH_SIZE: u32 = 0x0020_0000;
pub const SECURE_RAM_BASE: u32 = 0x3000_0000;
pub const SECURE_RAM_SIZE: u32 = 0x000C_0000;
/// Nothing is mapped here on the STM32U585 (between FMC and OCTOSPI).
pub const UNMAPPED_BASE: u32 = 0x7000_0000;

/// How a region is attributed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribution {
    /// App RAM: the app reads and writes it.
    AppRam,
    /// App flash: the app reads it; writes need the flash controller.
    AppFlash,
    Secure,
    Unmapped,
}

/// Which region `addr` falls in.
pub fn attribution(addr: u32) -> Attribution {
    let within = |base: u32, size: u32| addr >= base && addr - base < size;
    if within(NS_RAM_BASE, NS_RAM_SIZE) {
        Attribution::AppRam
    } else if within(NS_FLASH_BASE, NS_FLASH_SIZE) {
        Attribution::AppFlash
    } else if within(MV_SRAM3_BASE, MV_SRAM3_SIZE)
        || within(SECURE_FLASH_BASE, SECURE_FLASH_SIZE)
        || within(SECURE_RAM_BASE, SECURE_RAM_SIZE)
        || within(NS_FLASH_BASE + NS_FLASH_SIZE, NS_FLASH_SIZE)
    {
        Attribution::Secure
    } else {
        Attribution::Unmapped
    }
}

/// Is every byte of `[addr, addr + len)` app memory allowing `access`? The
/// kernel accepts app buffers only in app RAM (and, for reads, app flash):
/// never in peripheral space, where writing a result would be a confused
/// deputy's register write.
#[must_use]
pub fn app_may_access(addr: u32, len: u32, access: Access) -> bool {
    let Some(last) = len.checked_sub(1).and_then(|l| addr.checked_add(l)) else {
        return false;
    };
    let in_one = |base: u32, size: u32| addr >= base && last < base + size;
    in_one(NS_RAM_BASE, NS_RAM_SIZE)
        || (access == Access::Read && in_one(NS_FLASH_BASE, NS_FLASH_SIZE))
}

/// Backing store of the app-visible memories.
pub struct AppMemory {
    ram: Vec<u8>,
    flash: Vec<u8>,
}

impl Default for AppMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl AppMemory {
    /// RAM reads as zero, flash as erased (0xFF).
    pub fn new() -> Self {
        AppMemory {
            ram: vec![0; NS_RAM_SIZE as usize],
            flash: vec![0xFF; NS_FLASH_SIZE as usize],
        }
    }

    fn slice(&self, addr: u32, len: usize) -> Option<&[u8]> {
        let (mem, base) = match attribution(addr) {
            Attribution::AppRam => (&self.ram, NS_RAM_BASE),
            Attribution::AppFlash => (&self.flash, NS_FLASH_BASE),
            _ => return None,
        };
        let start = (addr - base) as usize;
        mem.get(start..start.checked_add(len)?)
    }

    /// Copy out app memory, or `None` if any byte is not app memory.
    pub fn read(&self, addr: u32, buf: &mut [u8]) -> Option<()> {
        buf.copy_from_slice(self.slice(addr, buf.len())?);
        Some(())
    }

    /// Store into app RAM, or `None` if any byte is not app RAM.
    pub fn write(&mut self, addr: u32, data: &[u8]) -> Option<()> {
        if attribution(addr) != Attribution::AppRam {
            return None;
        }
        let start = (addr - NS_RAM_BASE) as usize;
        self.ram
            .get_mut(start..start.checked_add(data.len())?)?
            .copy_from_slice(data);
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_app_ram_is_the_ns_s_boundary() {
        assert!(app_may_access(MV_SRAM3_BASE - 16, 16, Access::ReadWrite));
        assert!(!app_may_access(MV_SRAM3_BASE - 16, 17, Access::ReadWrite));
        assert_eq!(attribution(MV_SRAM3_BASE), Attribution::Secure);
    }

    #[test]
    fn flash_is_readable_not_writable() {
        assert!(app_may_access(NS_FLASH_BASE, 4, Access::Read));
        assert!(!app_may_access(NS_FLASH_BASE, 4, Access::ReadWrite));
        let mut m = AppMemory::new();
        assert!(m.write(NS_FLASH_BASE, &[0]).is_none());
    }

    #[test]
    fn wrapping_and_empty_ranges_are_refused() {
        assert!(!app_may_access(0xFFFF_FFF0, 0x20, Access::Read));
        assert!(!app_may_access(NS_RAM_BASE, 0, Access::Read));
    }
}
