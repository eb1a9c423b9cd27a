//! The app-visible memories of the sim's STM32U585: app RAM and app flash, allocated on first use.
//!
//! Addresses and attribution are `mv_boards::stm32u585`'s. App flash holds
//! what the device installed (the sim copies the app region's programmed
//! extent here at every app start, as the AN505 image copies it into code
//! memory); the rest reads erased. Both are allocated only when first
//! touched, so the campaigns' many short-lived devices stay cheap to copy.
//! The bus-error window inside app RAM answers nothing: every access to it,
//! the kernel's or the app's, is a bus error.

use mv_boards::stm32u585::{
    attribution, Attribution, BUS_ERROR_BASE, BUS_ERROR_SIZE, NS_FLASH_BASE, NS_FLASH_SIZE,
    NS_RAM_BASE, NS_RAM_SIZE,
};

/// Does `[addr, addr + len)` touch the bus-error window?
fn hits_bus_error(addr: u32, len: usize) -> bool {
    let (a, end) = (u64::from(addr), u64::from(addr) + len as u64);
    let window = u64::from(BUS_ERROR_BASE);
    len > 0 && a < window + u64::from(BUS_ERROR_SIZE) && window < end
}

/// Backing store of app RAM (reads as zero) and app flash (reads erased).
#[derive(Clone, Debug, Default)]
pub struct AppMemory {
    ram: Vec<u8>,
    flash: Vec<u8>,
}

fn region(addr: u32) -> Option<(u32, u32, u8)> {
    match attribution(addr) {
        Attribution::AppRam => Some((NS_RAM_BASE, NS_RAM_SIZE, 0)),
        Attribution::AppFlash => Some((NS_FLASH_BASE, NS_FLASH_SIZE, 0xFF)),
        Attribution::BusError | Attribution::Secure | Attribution::Unmapped => None,
    }
}

impl AppMemory {
    fn backing(&self, addr: u32) -> &Vec<u8> {
        if attribution(addr) == Attribution::AppFlash {
            &self.flash
        } else {
            &self.ram
        }
    }

    /// Copy out app memory, or `None` if any byte is not app memory.
    pub fn read(&self, addr: u32, buf: &mut [u8]) -> Option<()> {
        if hits_bus_error(addr, buf.len()) {
            return None;
        }
        let (base, size, blank) = region(addr)?;
        let start = (addr - base) as usize;
        let end = start.checked_add(buf.len())?;
        if end > size as usize {
            return None;
        }
        let backing = self.backing(addr);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = backing.get(start + i).copied().unwrap_or(blank);
        }
        Some(())
    }

    /// Store into app RAM, or `None` if any byte is not app RAM.
    pub fn write(&mut self, addr: u32, data: &[u8]) -> Option<()> {
        if attribution(addr) != Attribution::AppRam || hits_bus_error(addr, data.len()) {
            return None;
        }
        let start = (addr - NS_RAM_BASE) as usize;
        let end = start.checked_add(data.len())?;
        if end > NS_RAM_SIZE as usize {
            return None;
        }
        if self.ram.len() < end {
            self.ram.resize(NS_RAM_SIZE as usize, 0);
        }
        self.ram[start..end].copy_from_slice(data);
        Some(())
    }

    /// The app flash now holds `image` from its start, erased after it.
    pub fn install_app(&mut self, image: &[u8]) {
        self.flash.clear();
        self.flash
            .extend_from_slice(&image[..image.len().min(NS_FLASH_SIZE as usize)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mv_boards::stm32u585::MV_SRAM3_BASE;

    #[test]
    fn ram_reads_zero_flash_reads_erased_and_only_ram_is_writable() {
        let mut m = AppMemory::default();
        let mut b = [9u8; 4];
        m.read(NS_RAM_BASE, &mut b).unwrap();
        assert_eq!(b, [0; 4]);
        m.read(NS_FLASH_BASE + 8, &mut b).unwrap();
        assert_eq!(b, [0xFF; 4]);
        assert!(m.write(NS_FLASH_BASE, &[0]).is_none());
        assert!(m.write(MV_SRAM3_BASE - 2, &[1, 2]).is_some());
        assert!(m.write(MV_SRAM3_BASE - 2, &[1, 2, 3]).is_none(), "past RAM");
        m.install_app(&[1, 2]);
        m.read(NS_FLASH_BASE, &mut b).unwrap();
        assert_eq!(b, [1, 2, 0xFF, 0xFF]);
    }

    #[test]
    fn the_bus_error_window_answers_nothing() {
        let mut m = AppMemory::default();
        let mut b = [0u8; 4];
        assert!(m.read(BUS_ERROR_BASE, &mut b).is_none());
        assert!(
            m.read(BUS_ERROR_BASE - 2, &mut b).is_none(),
            "a range into it"
        );
        assert!(m
            .write(BUS_ERROR_BASE + BUS_ERROR_SIZE - 1, &[1, 2])
            .is_none());
        assert!(
            m.write(BUS_ERROR_BASE - 4, &[1, 2, 3, 4]).is_some(),
            "just below"
        );
        assert!(
            m.read(BUS_ERROR_BASE + BUS_ERROR_SIZE, &mut b).is_some(),
            "just above"
        );
    }
}
