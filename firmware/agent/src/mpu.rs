//! The agent's MPU: app RAM open to unprivileged code except the privileged-only window.
//!
//! An app with unprivileged code (RTOS tasks) programs its MPU so; the
//! kernel then checks an unprivileged caller's pointers against it (`TTAT`).
//! Four regions, set once at boot, with `PRIVDEFENA` so privileged code
//! keeps the default map everywhere else (the UARTs, the NVIC):
//!
//! | # | range | access |
//! |---|---|---|
//! | 0 | app code | read, write and execute, any privilege (as without an MPU: on QEMU the `ns_flash` pool is RAM the agent erases) |
//! | 1 | app RAM below the window | read/write, any privilege, no execute |
//! | 2 | the privileged-only window (`PRIVILEGED_ONLY_BASE` of the board) | read/write, privileged only |
//! | 3 | app RAM above the window | read/write, any privilege, no execute |
//!
//! The NSC veneers are secure memory, so the SG fetch of an unprivileged
//! call is not this MPU's to allow.

use crate::map::{
    NS_CODE_BASE, NS_CODE_SIZE, NS_RAM_BASE, NS_RAM_END, PRIVILEGED_ONLY_BASE, PRIVILEGED_ONLY_SIZE,
};

const MPU_CTRL: usize = 0xE000_ED94;
const MPU_RNR: usize = 0xE000_ED98;
const MPU_RBAR: usize = 0xE000_ED9C;
const MPU_RLAR: usize = 0xE000_EDA0;
const MPU_MAIR0: usize = 0xE000_EDC0;

const CTRL_ENABLE: u32 = 1 << 0;
const CTRL_PRIVDEFENA: u32 = 1 << 2;
/// `RBAR.AP`: read/write privileged only, read/write any, read-only any.
const AP_RW_PRIVILEGED: u32 = 0b00 << 1;
const AP_RW_ANY: u32 = 0b01 << 1;
const XN: u32 = 1;
/// `MAIR0` attribute 0: normal memory, write-back (QEMU does not model caches).
const NORMAL: u32 = 0xFF;

/// `(first byte, one past the last, RBAR access bits)` per region.
const REGIONS: [(u32, u32, u32); 4] = [
    (NS_CODE_BASE, NS_CODE_BASE + NS_CODE_SIZE, AP_RW_ANY),
    (NS_RAM_BASE, PRIVILEGED_ONLY_BASE, AP_RW_ANY | XN),
    (
        PRIVILEGED_ONLY_BASE,
        PRIVILEGED_ONLY_BASE + PRIVILEGED_ONLY_SIZE,
        AP_RW_PRIVILEGED | XN,
    ),
    (
        PRIVILEGED_ONLY_BASE + PRIVILEGED_ONLY_SIZE,
        NS_RAM_END,
        AP_RW_ANY | XN,
    ),
];

fn write(reg: usize, value: u32) {
    // SAFETY: an MPU register of this (non-secure) state; the agent is
    // privileged at boot, and the regions only narrow unprivileged access.
    unsafe { core::ptr::write_volatile(reg as *mut u32, value) };
}

/// Program the regions and enable the MPU (once, at boot).
pub fn init() {
    write(MPU_CTRL, 0);
    write(MPU_MAIR0, NORMAL);
    for (n, (base, end, access)) in (0u32..).zip(REGIONS) {
        write(MPU_RNR, n);
        write(MPU_RBAR, base | access);
        // Attribute index 0, enabled; the limit is the last 32-byte granule.
        write(MPU_RLAR, ((end - 1) & !0x1F) | 1);
    }
    cortex_m::asm::dsb();
    write(MPU_CTRL, CTRL_ENABLE | CTRL_PRIVDEFENA);
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}
