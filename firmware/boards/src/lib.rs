//! The boards the firmware runs on, as data: memory maps, the app's memory, the placement pools.
//!
//! Every part that needs a board fact reads it here, once: the kernel's
//! authority check runs over [`Board::app_regions`]; the sim models the
//! STM32U585 from [`stm32u585`]; the AN505 secure image protects, and the
//! agent allocates from, [`an505`]; the harness finds the app's code base
//! there. A board *supplies* these tables; it decides nothing.
#![no_std]
#![forbid(unsafe_code)]

pub mod an505;
pub mod stm32u585;

use mv_kernel::authority::AppRegion;

/// A region of a board's map as the agent's hello reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedRegion {
    pub name: &'static str,
    pub base: u32,
    pub size: u32,
    pub secure: bool,
    pub app_writable: bool,
}

/// Where the agent's `Alloc` placements come from (`mv_proto::Placement`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pools {
    /// `ns_ram` grows up from `.0`, `ns_ram_end` down from `.1`, which is the
    /// end of app RAM: the NS/S boundary a straddle is centred on.
    pub ns_ram: (u32, u32),
    /// `ns_flash`: app code the agent's image does not occupy (read-only to it).
    pub ns_flash: (u32, u32),
    /// `bus_error`: app RAM that the bus refuses — in the app's memory
    /// table and non-secure to the SAU, so every check of the kernel passes,
    /// but the memory protection controller answers each access with a bus
    /// error (a block it keeps secure). It lies inside `ns_ram`, whose two
    /// bump pointers stop at its edges.
    pub bus_error: (u32, u32),
    /// `privileged_only`: app RAM that the app's MPU (as the agent programs
    /// it) gives only to privileged code, so an unprivileged caller's
    /// pointer into it is refused (`TTAT`). Inside `ns_ram` too, below
    /// `bus_error`.
    pub privileged_only: (u32, u32),
    /// Secure memory nobody uses, for the placements the app must never reach.
    pub secure_ram: u32,
    pub secure_flash: u32,
    /// An address with nothing behind it.
    pub unmapped: u32,
}

/// Is `[first, last]` inside `[base, base + size)`?
#[must_use]
pub const fn within(first: u32, last: u32, base: u32, size: u32) -> bool {
    first >= base && last >= first && last - base < size
}

/// Every board this firmware runs on.
pub const BOARDS: [&Board; 2] = [&stm32u585::BOARD, &an505::BOARD];

/// One board's facts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    /// What the agent calls the board in its hello.
    pub name: &'static str,
    /// The app memory the kernel accepts pointers into.
    pub app_regions: &'static [AppRegion],
    /// The map as the hello reports it.
    pub regions: &'static [NamedRegion],
    /// The agent's placement pools (the `ns_ram` start is the agent's own
    /// RAM end, which only its image knows on some boards).
    pub pools: Pools,
    /// A peripheral the secure world keeps for itself: `(secure alias,
    /// non-secure alias)` of the same register, the target of the app's
    /// attacks on secure peripherals (`mv_proto::AttackTarget`).
    pub secure_peripheral: (u32, u32),
}

/// The external NOR flash every board of this lab gives the app (`mvExternalFlash*`).
///
/// The chip is a Macronix MX25R8035F (1 MiB; JEDEC ID `C2 28 14`), the
/// family the Microvisor Nucleo carries. Its lower half is the update
/// staging area, Microvisor's own; "any space beyond the staging area is
/// made available to the application" (Microvisor docs,
/// `/design-iot-devices-with-microvisor`), so the app sees the upper half,
/// addressed from 0.
pub mod external_flash {
    /// `MvExternalFlashInfo.chip_id`: the JEDEC manufacturer and device ID.
    pub const CHIP_ID: u32 = 0x00C2_2814;
    /// The whole chip.
    pub const CHIP_SIZE: u32 = 0x0010_0000;
    /// Microvisor's staging area at the start of the chip.
    pub const STAGING_SIZE: u32 = 0x0008_0000;
    /// What the app may use: `MvExternalFlashInfo.size`.
    pub const APP_SIZE: u32 = CHIP_SIZE - STAGING_SIZE;
}
