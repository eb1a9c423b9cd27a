//! The AN505 image's map under the names the shared modules use (`boot`, `faults`, `nvic`).
//!
//! The one definition is `mv_boards::an505`; this only picks from it.

pub use mv_boards::an505::APP_REGIONS;
pub use mv_boards::an505::{
    within, IRQ_COUNT, NS_CODE_BASE, NS_CODE_SIZE, NS_PERIPHERALS_BASE, NS_PERIPHERALS_LAST,
    NS_RAM_BASE, NS_RAM_SIZE, SECURE_IMAGE_RAM_SIZE, SECURE_RAM_BASE, WITHHELD_IRQS,
};

/// Memory the app's own links use besides its RAM, non-secure in the SAU
/// (base, size): the agent link's ring in the PSRAM.
pub const NS_LINK_WINDOW: Option<(u32, u32)> = Some(mv_boards::an505::AGENT_RING_WINDOW);

/// The block `nsmem::write_ns` probes by: the smallest a TZ-MPC can have
/// (`BLK_CFG` = 0: 32 bytes); AN505's SSRAM3 MPC uses 1 KiB, so probing
/// every 32 bytes never misses a block.
pub const SECURITY_BLOCK: u32 = 32;
