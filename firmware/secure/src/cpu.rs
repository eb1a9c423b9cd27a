//! The few special registers the secure image reads that `cortex-m` does not wrap.

/// IPSR: the active exception number, 0 in thread mode. In an NSC call it is
/// the caller's (the call does not change the exception state).
pub fn ipsr() -> u32 {
    let value: u32;
    // SAFETY: reading IPSR has no side effect.
    unsafe {
        core::arch::asm!("mrs {}, IPSR", out(reg) value, options(nomem, nostack, preserves_flags))
    };
    value
}

/// CONTROL_NS: bit 0 (nPRIV) is set when the app's thread mode is unprivileged.
pub fn control_ns() -> u32 {
    let value: u32;
    // SAFETY: reading the non-secure CONTROL from secure state has no side effect.
    unsafe {
        core::arch::asm!("mrs {}, CONTROL_NS", out(reg) value, options(nomem, nostack, preserves_flags))
    };
    value
}

/// MSP_NS, the app's main stack pointer.
pub fn msp_ns() -> u32 {
    let value: u32;
    // SAFETY: reading a stack pointer has no side effect.
    unsafe {
        core::arch::asm!("mrs {}, MSP_NS", out(reg) value, options(nomem, nostack, preserves_flags))
    };
    value
}

/// PSP_NS, the app's process stack pointer.
pub fn psp_ns() -> u32 {
    let value: u32;
    // SAFETY: reading a stack pointer has no side effect.
    unsafe {
        core::arch::asm!("mrs {}, PSP_NS", out(reg) value, options(nomem, nostack, preserves_flags))
    };
    value
}

/// BASEPRI_S: exceptions of this priority value or above (numerically) wait.
pub fn basepri() -> u32 {
    let value: u32;
    // SAFETY: reading BASEPRI has no side effect.
    unsafe {
        core::arch::asm!("mrs {}, BASEPRI", out(reg) value, options(nomem, nostack, preserves_flags))
    };
    value
}

/// Set BASEPRI_S (0: no masking).
///
/// # Safety
/// The caller decides which interrupts may run; it must put the old value
/// back when its section ends.
pub unsafe fn set_basepri(value: u32) {
    // SAFETY: as promised by the caller; the compiler may not move memory
    // accesses across it (no `nomem`), so the section's accesses stay inside.
    unsafe {
        core::arch::asm!("msr BASEPRI, {}", in(reg) value, options(nostack, preserves_flags))
    };
}

/// Read a 32-bit system or device register.
///
/// # Safety
/// `addr` must be a readable register or RAM word of this image's map.
pub unsafe fn read32(addr: u32) -> u32 {
    // SAFETY: as promised by the caller.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

/// Write a 32-bit system or device register.
///
/// # Safety
/// `addr` must be a register whose new value the caller has reasoned about.
pub unsafe fn write32(addr: u32, value: u32) {
    // SAFETY: as promised by the caller.
    unsafe { core::ptr::write_volatile(addr as *mut u32, value) }
}
