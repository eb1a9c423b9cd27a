//! The AN505 memory map as the agent uses it: its own RAM, the pools, the hello's regions.

use alloc::vec;
use alloc::vec::Vec;
use mv_ns::handoff::Handoff;
use mv_proto::Region;

/// The handoff block: the first 64 bytes of app RAM.
pub const HANDOFF_ADDR: u32 = 0x2820_0000;
/// The end of app RAM: the NS/S boundary inside SSRAM3.
pub const NS_RAM_END: u32 = 0x2838_0000;
/// The secure rest of SSRAM3 (what an app buffer runs into past the end).
pub const MV_SSRAM3_SIZE: u32 = 0x0008_0000;
/// The `ns_flash` pool: the upper MiB of the agent's code region, above the
/// image (memory.x asserts the image ends below it). Read-only to the agent.
pub const NS_FLASH_POOL: (u32, u32) = (0x0030_0000, 0x0040_0000);
/// Secure memory nobody uses, for the `secure_ram` / `secure_flash` placements.
pub const SECURE_RAM_POOL: u32 = 0x3810_0000;
pub const SECURE_FLASH_POOL: u32 = 0x1008_0000;
/// Nothing answers here on AN505 (QEMU `info mtree`), and no SAU region
/// covers it, so it is secure by attribution as well.
pub const UNMAPPED_POOL: u32 = 0x6000_0000;
/// Secure code and data of the secure image (for the hello).
const SECURE_FLASH: (u32, u32) = (0x1000_0000, 0x0010_0000);
const SECURE_RAM: (u32, u32) = (0x3800_0000, 0x0020_0000);

extern "C" {
    /// End of the agent's own RAM (cortex-m-rt: the initial stack pointer).
    static _stack_start: u32;
}

/// First byte of the `ns_ram` pool: everything below is the agent's own.
pub fn pool_base() -> u32 {
    // Only the symbol's address is taken.
    core::ptr::addr_of!(_stack_start) as usize as u32
}

/// Does the secure image's map agree with the one this agent was linked for?
pub fn matches(handoff: &Handoff) -> bool {
    handoff.ns_ram_base == HANDOFF_ADDR
        && handoff.ns_ram_base + handoff.ns_ram_size == NS_RAM_END
        && handoff.ns_code_base <= NS_FLASH_POOL.0
        && handoff.ns_code_base + handoff.ns_code_size >= NS_FLASH_POOL.1
}

/// The regions the hello reports, named as the sim names them.
pub fn regions(handoff: &Handoff) -> Vec<Region> {
    let region = |name: &str, (base, size): (u32, u32), secure, app_writable| Region {
        name: name.into(),
        base,
        size,
        secure,
        app_writable,
    };
    let ram_end = handoff.ns_ram_base + handoff.ns_ram_size;
    vec![
        region(
            "ns-flash",
            (handoff.ns_code_base, handoff.ns_code_size),
            false,
            false,
        ),
        region(
            "ns-ram",
            (handoff.ns_ram_base, handoff.ns_ram_size),
            false,
            true,
        ),
        region("mv-sram3", (ram_end, MV_SSRAM3_SIZE), true, false),
        region("secure-flash", SECURE_FLASH, true, false),
        region("secure-ram", SECURE_RAM, true, false),
    ]
}
