//! The NVIC as the secure world sees it: which IRQs are the app's, and pending them.
//!
//! Every implemented external IRQ is targeted non-secure (ITNS) except
//! [`SECURE_IRQS`], the same numbers the sim keeps secure, so the suite's
//! `INVALIDINTERRUPT` cases agree. On AN505 they are harmless to withhold:
//! 3 is CMSDK TIMER0, which is the kernel's own clock (the only IRQ the
//! secure image enables); 7 and 8 are unused; 10 is the PPC combined
//! interrupt (security violations are the secure world's business anyway);
//! 66 and 84 are expansion IRQs the agent does not use. AN505 also keeps
//! 9, the MPC combined interrupt, which only secure code can clear
//! ([`mv_boards::an505::WITHHELD_IRQS`]).

use crate::cpu::{read32, write32};

use crate::map::WITHHELD_IRQS;
/// IRQs the kernel keeps secure: the STM32U585's (RTC_S, FLASH_S, GTZC,
/// RCC_S, LPUART1, GPDMA1 channel 15), from the one table.
pub use mv_boards::stm32u585::SECURE_IRQS;

/// Interrupt Controller Type Register: INTLINESNUM in bits 3:0.
const ICTR: u32 = 0xE000_E004;
/// Secure view of the set-pending registers (all IRQs, whatever ITNS says).
const ISPR: u32 = 0xE000_E200;
/// Interrupt Target Non-secure registers (secure only).
const ITNS: u32 = 0xE000_E380;

/// Number of IRQ lines the NVIC has registers for (a multiple of 32; lines
/// that do not exist read ITNS as 0).
pub fn line_count() -> u32 {
    // SAFETY: ICTR is a read-only identification register.
    let ictr = unsafe { read32(ICTR) };
    32 * ((ictr & 0xF) + 1)
}

/// Target every IRQ non-secure except [`SECURE_IRQS`]; returns how many
/// lines read back as non-secure (i.e. exist).
pub fn target_non_secure() -> u32 {
    let mut ns_lines = 0;
    for word in 0..line_count() / 32 {
        let mut value = u32::MAX;
        for irq in SECURE_IRQS.into_iter().chain(WITHHELD_IRQS) {
            if irq / 32 == word {
                value &= !(1 << (irq % 32));
            }
        }
        // SAFETY: ITNS word `word` exists (below ICTR's count); no IRQ is
        // enabled yet, so retargeting cannot misroute a live interrupt.
        let readback = unsafe {
            write32(ITNS + 4 * word, value);
            read32(ITNS + 4 * word)
        };
        ns_lines += readback.count_ones();
    }
    ns_lines
}

/// Is `irq` an implemented IRQ targeted to the non-secure world?
pub fn is_non_secure(irq: u32) -> bool {
    if irq >= line_count() {
        return false;
    }
    // SAFETY: reading an ITNS word below ICTR's count.
    let word = unsafe { read32(ITNS + 4 * (irq / 32)) };
    word & (1 << (irq % 32)) != 0
}

/// NVIC clear-enable and clear-pending registers.
const ICER: u32 = 0xE000_E180;
const ICPR: u32 = 0xE000_E280;

/// Quiet every IRQ targeted at the app: disabled, not pending, ordinary
/// priority (the app is being torn down; its next start enables what it
/// wants, and only `mvSetFastInterrupt` makes an IRQ fast).
pub fn quiet_app_irqs() {
    ordinary_priorities();
    for word in 0..line_count() / 32 {
        // SAFETY: reading ITNS and writing write-one-to-clear bits of the
        // lines that are the app's only; the app is not running.
        unsafe {
            let ns = read32(ITNS + 4 * word);
            write32(ICER + 4 * word, ns);
            write32(ICPR + 4 * word, ns);
        }
    }
}

/// Set `irq`'s pending bit (never enables it).
pub fn pend(irq: u32) {
    if irq < line_count() {
        // SAFETY: writing one bit of ISPR pends exactly that IRQ; a bit of
        // an unimplemented line is ignored by the NVIC.
        unsafe { write32(ISPR + 4 * (irq / 32), 1 << (irq % 32)) };
    }
}

/// NVIC set-enable and interrupt-priority registers (secure view).
const ISER: u32 = 0xE000_E100;
const IPR: u32 = 0xE000_E400;

/// The priority of a fast interrupt: the highest an app IRQ can have. With
/// `AIRCR.PRIS` set the non-secure range is the lower half, so the secure
/// world's own exceptions (its clock) still come first and can watch it.
pub const FAST_PRIORITY: u8 = 0x00;
/// The priority an IRQ gets back when it stops being fast: the middle of
/// the app's range, below every fast one (the app sets its ordinary IRQs'
/// priorities itself).
pub const ORDINARY_PRIORITY: u8 = 0x80;

/// Give every app IRQ the ordinary priority (at boot and at every restart).
/// The NVIC's reset value is 0, the fast priority: an app IRQ left there
/// would pre-empt system calls as a fast one does. The app may still set
/// its own IRQs' priorities (ABI.md §16).
pub fn ordinary_priorities() {
    for irq in 0..line_count() {
        if is_non_secure(irq) {
            set_fast(irq, false);
        }
    }
}

/// Give `irq` (an app IRQ) the fast priority, or the ordinary one.
pub fn set_fast(irq: u32, fast: bool) {
    if irq < line_count() {
        let priority = if fast {
            FAST_PRIORITY
        } else {
            ORDINARY_PRIORITY
        };
        // SAFETY: one byte of IPR, the priority of this IRQ only; IPR is
        // byte-accessible on ARMv8-M.
        unsafe { core::ptr::write_volatile((IPR + irq) as *mut u8, priority) };
    }
}

/// Enable or disable `irq` (an app IRQ the kernel made fast).
pub fn set_enabled(irq: u32, enabled: bool) {
    if irq < line_count() {
        let bank = if enabled { ISER } else { ICER };
        // SAFETY: a write-one-to-act register; only this IRQ's bit is set.
        unsafe { write32(bank + 4 * (irq / 32), 1 << (irq % 32)) };
    }
}

/// NVIC interrupt active bit registers (secure view: every IRQ).
const IABR: u32 = 0xE000_E300;

/// Is `irq` active (its handler running or pre-empted), or pending and
/// enabled? The flood watch's sample (`mv_kernel::flood_watch`), taken
/// from the secure SysTick, which pre-empts every app handler.
pub fn is_busy(irq: u32) -> bool {
    if irq >= line_count() {
        return false;
    }
    let (word, bit) = (4 * (irq / 32), 1 << (irq % 32));
    // SAFETY: reading IABR, ISPR and ISER words below ICTR's count has no
    // side effect.
    let (active, pending, enabled) = unsafe {
        (
            read32(IABR + word),
            read32(ISPR + word),
            read32(ISER + word),
        )
    };
    active & bit != 0 || pending & enabled & bit != 0
}

/// `BASEPRI_S` while the kernel is inside a system call: every app
/// interrupt of non-secure priority 0x20 or lower (numerically above) waits
/// until the call returns; a fast interrupt ([`FAST_PRIORITY`], with
/// `AIRCR.PRIS` at group priority 0x80) and the secure world's own
/// exceptions still pre-empt it. The value is a multiple of 0x10, so a
/// core with 4 priority bits (the STM32U585) masks the same app priorities.
pub const CALL_BASEPRI: u32 = 0x90;

/// Mask the app's ordinary interrupts for a system call; returns what to
/// put back with [`end_call_mask`].
pub fn begin_call_mask() -> u32 {
    let old = crate::cpu::basepri();
    if old == 0 || old > CALL_BASEPRI {
        // SAFETY: raises the mask only (never unmasks what a caller
        // masked); `end_call_mask` restores it.
        unsafe { crate::cpu::set_basepri(CALL_BASEPRI) };
    }
    old
}

/// Put back the mask [`begin_call_mask`] found.
pub fn end_call_mask(old: u32) {
    // SAFETY: restores the value the call started with.
    unsafe { crate::cpu::set_basepri(old) };
}
