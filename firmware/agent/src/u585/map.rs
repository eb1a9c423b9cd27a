//! The STM32U585 agent's map under the names the shared modules use (`memory_map`, `mpu`, `timer`).
//!
//! The one definition is `mv_boards::stm32u585`; this only picks from it.
//! The app's code is its ROM (bank 1); app RAM ends where Microvisor's half
//! of SRAM3 starts.

pub use mv_boards::stm32u585::{
    MV_SRAM3_BASE as NS_RAM_END, NS_FLASH_BASE as NS_CODE_BASE, NS_FLASH_SIZE as NS_CODE_SIZE,
    NS_RAM_BASE, PART as BOARD, PRIVILEGED_ONLY_BASE, PRIVILEGED_ONLY_SIZE,
};

/// No app timer is driven on this part yet: an interrupt by the timer is
/// not carried out here (an IRQ the kernel pends is).
pub const APP_TIMER: Option<(u32, u32)> = None;
