//! Copies between secure memory and app memory that survive a bus error in the app's memory.
//!
//! The kernel checks every app range (board table and TT) before it copies,
//! but the bus can still refuse an access the checks allowed: a memory
//! protection controller block kept secure inside app RAM (the board's
//! bus-error window) answers with a bus error, which the SAU and TT do not
//! see. So every copy goes through [`copy`], a copy loop in assembly whose
//! instructions lie between `mv_ns_copy_start` and `mv_ns_copy_end`. When a
//! BusFault (or the HardFault it escalates to under the kernel's critical
//! section) is taken there, the fault entry ([`crate::faults`]) resumes at
//! `mv_ns_copy_fault`, which returns 1; the kernel turns that into
//! `PARAMETERFAULT` before a side effect and `LATEFAULT` after one. A `DSB`
//! ends the loop, so a write error the core reports late is still taken
//! inside the range.

core::arch::global_asm!(
    ".section .text.mv_ns_copy, \"ax\", %progbits",
    ".p2align 2",
    ".thumb",
    ".global mv_ns_copy",
    ".global mv_ns_copy_start",
    ".global mv_ns_copy_end",
    ".global mv_ns_copy_fault",
    ".thumb_func",
    "mv_ns_copy:",
    "mv_ns_copy_start:",
    "    cbz r2, 2f",
    // Words when both ends and the length are word-aligned (handles,
    // times, structs), bytes otherwise.
    "    orr r3, r0, r1",
    "    orr r3, r3, r2",
    "    tst r3, #3",
    "    bne 1f",
    "3:",
    "    ldr r3, [r1], #4",
    "    str r3, [r0], #4",
    "    subs r2, r2, #4",
    "    bne 3b",
    "    dsb sy",
    "    b 2f",
    "1:",
    "    ldrb r3, [r1], #1",
    "    strb r3, [r0], #1",
    "    subs r2, r2, #1",
    "    bne 1b",
    "    dsb sy",
    "2:",
    "    movs r0, #0",
    "    bx lr",
    "mv_ns_copy_end:",
    // Not a function: the fault entry writes this (even) address into the
    // stacked PC of a copy that faulted. r0–r3 and LR come back from the
    // frame, so this returns 1 to the copy's caller.
    "mv_ns_copy_fault:",
    "    movs r0, #1",
    "    bx lr",
);

extern "C" {
    /// Copy `len` bytes from `src` to `dst`; 0, or 1 after a bus error.
    fn mv_ns_copy(dst: *mut u8, src: *const u8, len: usize) -> u32;
}

/// A copy the bus refused part-way: bytes before the fault were copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused;

/// Copy `len` bytes from `src` to `dst`, either of which may be app memory.
///
/// # Safety
/// Both ranges must be valid for the copy except for bus errors in app
/// memory (the kernel checked every app range first); secure memory must be
/// a live buffer of this image.
pub unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) -> Result<(), Refused> {
    // SAFETY: as the caller promised; a bus error returns through the
    // landing pad instead of ending the image.
    match unsafe { mv_ns_copy(dst, src, len) } {
        0 => Ok(()),
        _ => Err(Refused),
    }
}
