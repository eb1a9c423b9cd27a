//! The STM32U585 image's map under the names the shared modules use (`boot`, `faults`, `nvic`).
//!
//! The one definition is `mv_boards::stm32u585`; this only picks from it.
//! The app's code is its ROM, bank 1 of the flash, executed in place.

pub use mv_boards::stm32u585::APP_REGIONS;
pub use mv_boards::stm32u585::{
    IRQ_COUNT, NS_FLASH_BASE as NS_CODE_BASE, NS_FLASH_SIZE as NS_CODE_SIZE, NS_PERIPHERALS_BASE,
    NS_PERIPHERALS_LAST, NS_RAM_BASE, NS_RAM_SIZE, SECURE_IMAGE_RAM_BASE as SECURE_RAM_BASE,
    SECURE_IMAGE_RAM_SIZE,
};
pub use mv_boards::within;

/// The block `nsmem::write_ns` probes by, and `security` attributes by:
/// the GTZC MPCBB's (one `SECCFGR` bit per 512-byte block).
pub const SECURITY_BLOCK: u32 = 512;

/// IRQs this image keeps secure beyond the kernel's (`SECURE_IRQS`): none.
/// Its clock (TIM2) runs without an interrupt.
pub const WITHHELD_IRQS: [u32; 0] = [];

/// Memory the app's own links use besides its RAM: none (USART1 and RTT).
pub const NS_LINK_WINDOW: Option<(u32, u32)> = None;
