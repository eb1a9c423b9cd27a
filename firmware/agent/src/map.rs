//! The AN505 agent's map under the names the shared modules use (`memory_map`, `mpu`, `timer`).
//!
//! The one definition is `mv_boards::an505`; this only picks from it.

pub use mv_boards::an505::{
    BOARD, NS_CODE_BASE, NS_CODE_SIZE, NS_RAM_BASE, NS_RAM_END, PRIVILEGED_ONLY_BASE,
    PRIVILEGED_ONLY_SIZE,
};

/// The app's own timer (CMSDK TIMER1, non-secure alias) and its IRQ.
pub const APP_TIMER: Option<(u32, u32)> = Some((
    mv_boards::an505::APP_TIMER_NS,
    mv_boards::an505::APP_TIMER_IRQ,
));
