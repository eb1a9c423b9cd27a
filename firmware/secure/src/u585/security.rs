//! TrustZone bring-up on the STM32U585 (TZEN=1), in this order.
//!
//! 1. Check the option bytes this image relies on: TZEN set, flash bank 1
//!    (the app's ROM) outside the secure watermarks, bank 2 (this image,
//!    OTA staging, journal, NSC table) inside them. The image cannot set
//!    them itself (README.md "Preparing a board").
//! 2. GTZC MPCBB1–3: `SRWILADIS`, so secure code may read and write the
//!    blocks it makes non-secure (the kernel copies app buffers); app RAM
//!    (`0x2000_0000`, 512 KiB: SRAM1, SRAM2, the lower half of SRAM3)
//!    non-secure block by block, except the bus-error window, which stays
//!    secure; Microvisor's half of SRAM3 stays secure.
//! 3. GTZC TZSC, the peripheral allow-list: every peripheral is the app's
//!    (non-secure, the reset state) except TIM2 (the kernel's clock) and
//!    LPUART1 (Microvisor's modem link); the RCC's clock-tree bits become
//!    secure so the app cannot slow the part under the kernel. GPIOA's
//!    PA9/PA10 (USART1, the ST-LINK virtual COM port) become non-secure:
//!    with TZEN=1 every pin is secure after reset.
//! 4. SAU: app ROM, app RAM and the peripherals non-secure; the veneer
//!    table non-secure callable; everything else secure. Then
//!    `AIRCR.PRIS` and the secure fault handlers, as on AN505.
//! 5. Every IRQ non-secure except the kernel's ([`crate::nvic`]).

use mv_boards::stm32u585::{
    BUS_ERROR_BASE, BUS_ERROR_SIZE, FLASH_BANK_PAGES, NS_RAM_BASE, NS_RAM_SIZE,
};
use mv_flash::stm32u5::{reg, OPTR_TZEN};

use crate::cpu::{read32, write32};
use crate::nvic;

/// The flash interface (secure alias).
const FLASH: u32 = 0x5002_2000;

/// GTZC1 MPCBBs (secure aliases) and the SRAMs they guard: (MPCBB, SRAM base, size).
const MPCBBS: [(u32, u32, u32); 3] = [
    (0x5003_2C00, 0x2000_0000, 0x0003_0000),
    (0x5003_3000, 0x2003_0000, 0x0001_0000),
    (0x5003_3400, 0x2004_0000, 0x0008_0000),
];
const MPCBB_CR_SRWILADIS: u32 = 1 << 31;
const MPCBB_SECCFGR: u32 = 0x100;
/// One `SECCFGR` bit per 512-byte block, 32 blocks per register.
const MPCBB_BLOCK: u32 = crate::map::SECURITY_BLOCK;
const MPCBB_SUPERBLOCK: u32 = 32 * MPCBB_BLOCK;

/// GTZC1 TZSC `SECCFGR1`: TIM2SEC is bit 0.
const TZSC1_SECCFGR1: u32 = 0x5003_2410;
const TZSC1_TIM2SEC: u32 = 1 << 0;
/// GTZC2 TZSC `SECCFGR1` (the SmartRun domain): LPUART1SEC is bit 1.
const TZSC2_SECCFGR1: u32 = 0x5602_3010;
const TZSC2_LPUART1SEC: u32 = 1 << 1;

/// RCC `SECCFGR`: MSISEC, SYSCLKSEC, PRESCSEC, PLL1SEC.
const RCC_SECCFGR: u32 = 0x5602_0C00 + 0x110;
const RCC_CLOCK_TREE_SECURE: u32 = (1 << 2) | (1 << 5) | (1 << 6) | (1 << 7);

/// GPIOA `SECCFGR` (secure alias): one bit per pin, set = secure.
const GPIOA_SECCFGR: u32 = 0x5202_0000 + 0x30;
const USART1_PINS: u32 = (1 << 9) | (1 << 10);

/// What did not look like a prepared STM32U585.
#[derive(Clone, Copy, Debug, defmt::Format)]
pub enum SecurityError {
    /// `OPTR.TZEN` is clear: TrustZone is off.
    TrustZoneOff,
    /// The secure watermarks are not bank 1 non-secure, bank 2 secure:
    /// the raw `SECWM1R1`, `SECWM2R1`.
    Watermarks { secwm1: u32, secwm2: u32 },
    /// A range is not whole MPCBB blocks.
    MpcbbGeometry { base: u32 },
    /// The SAU refused a region.
    Sau { region: u8 },
}

/// Program every security controller; the app is not running yet.
pub fn configure() -> Result<(), SecurityError> {
    check_option_bytes()?;
    for &(mpcbb, _, _) in &MPCBBS {
        // SAFETY: an MPCBB control register; SRWILADIS only widens what
        // secure code may do.
        unsafe { write32(mpcbb, read32(mpcbb) | MPCBB_CR_SRWILADIS) };
    }
    set_blocks(NS_RAM_BASE, NS_RAM_SIZE, false)?;
    set_blocks(BUS_ERROR_BASE, BUS_ERROR_SIZE, true)?;
    // SAFETY (whole block): GTZC, RCC and GPIOA security registers at their
    // RM0456 addresses; nothing non-secure runs yet.
    unsafe {
        write32(TZSC1_SECCFGR1, read32(TZSC1_SECCFGR1) | TZSC1_TIM2SEC);
        write32(TZSC2_SECCFGR1, read32(TZSC2_SECCFGR1) | TZSC2_LPUART1SEC);
        write32(RCC_SECCFGR, read32(RCC_SECCFGR) | RCC_CLOCK_TREE_SECURE);
        write32(GPIOA_SECCFGR, read32(GPIOA_SECCFGR) & !USART1_PINS);
    }
    let ns_lines =
        crate::trustzone::finish().map_err(|refused| SecurityError::Sau { region: refused.0 })?;
    defmt::info!(
        "security: SAU/GTZC set; NSC table {=u32:#010x}; {=u32} of {=u32} IRQ lines non-secure",
        crate::veneers::table_base(),
        ns_lines,
        nvic::line_count()
    );
    Ok(())
}

fn check_option_bytes() -> Result<(), SecurityError> {
    // SAFETY: reading option-byte mirrors has no side effect.
    let (optr, secwm1, secwm2) = unsafe {
        (
            read32(FLASH + reg::OPTR),
            read32(FLASH + reg::SECWM1R1),
            read32(FLASH + reg::SECWM2R1),
        )
    };
    if optr & OPTR_TZEN == 0 {
        return Err(SecurityError::TrustZoneOff);
    }
    let area = |v: u32| (v & 0x7F, (v >> 16) & 0x7F);
    let (s1, e1) = area(secwm1);
    let (s2, e2) = area(secwm2);
    let bank1_non_secure = s1 > e1;
    let bank2_secure = s2 == 0 && e2 == FLASH_BANK_PAGES - 1;
    if !bank1_non_secure || !bank2_secure {
        return Err(SecurityError::Watermarks { secwm1, secwm2 });
    }
    Ok(())
}

/// Make the MPCBB blocks of `[base, base + size)` secure or not.
fn set_blocks(base: u32, size: u32, secure: bool) -> Result<(), SecurityError> {
    if !base.is_multiple_of(MPCBB_BLOCK) || !size.is_multiple_of(MPCBB_BLOCK) {
        return Err(SecurityError::MpcbbGeometry { base });
    }
    for block in (base..base + size).step_by(MPCBB_BLOCK as usize) {
        let Some(&(mpcbb, sram, _)) = MPCBBS
            .iter()
            .find(|&&(_, sram, len)| (sram..sram + len).contains(&block))
        else {
            return Err(SecurityError::MpcbbGeometry { base: block });
        };
        let offset = block - sram;
        let register = mpcbb + MPCBB_SECCFGR + 4 * (offset / MPCBB_SUPERBLOCK);
        let bit = 1 << ((offset % MPCBB_SUPERBLOCK) / MPCBB_BLOCK);
        // SAFETY: one bit of an MPCBB security register, for a block of app
        // RAM, which holds no secure data; the app is not running.
        unsafe {
            let value = read32(register);
            write32(register, if secure { value | bit } else { value & !bit });
        }
    }
    Ok(())
}
