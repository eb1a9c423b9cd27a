//! The app's interrupts through the non-secure NVIC, and the handler that counts them.
//!
//! Every external IRQ vector of the agent is `DefaultHandler`, which only
//! counts: the NVIC clears the pending bit on entry, so a software-pended IRQ
//! (what the kernel does for a notification) runs the handler exactly once.
//! IRQs targeted secure read as zero and ignore writes from here.

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m_rt::exception;

use crate::exit::{exit, ExitCode};

/// The most external interrupts the architecture allows.
const MAX_IRQS: usize = 480;

/// How often the handler ran, per IRQ.
static HANDLED: [AtomicU32; MAX_IRQS] = [const { AtomicU32::new(0) }; MAX_IRQS];

const ICTR: usize = 0xE000_E004;
const ISER: usize = 0xE000_E100;
const ICER: usize = 0xE000_E180;
const ISPR: usize = 0xE000_E200;
const ICPR: usize = 0xE000_E280;

/// IRQ lines the NVIC implements registers for.
pub fn line_count() -> u32 {
    // SAFETY: ICTR is a read-only identification register, readable from NS.
    let ictr = unsafe { core::ptr::read_volatile(ICTR as *const u32) };
    (32 * ((ictr & 0xF) + 1)).min(MAX_IRQS as u32)
}

fn bit(bank: usize, irq: u32) -> (*mut u32, u32) {
    (
        (bank + 4 * (irq as usize / 32)) as *mut u32,
        1 << (irq % 32),
    )
}

fn set(bank: usize, irq: u32) {
    let (reg, mask) = bit(bank, irq);
    // SAFETY: a write-one-to-act NVIC register; only this IRQ's bit is set.
    unsafe { core::ptr::write_volatile(reg, mask) };
}

fn test(bank: usize, irq: u32) -> bool {
    let (reg, mask) = bit(bank, irq);
    // SAFETY: reading an NVIC status register has no side effect.
    unsafe { core::ptr::read_volatile(reg) & mask != 0 }
}

/// `irq < line_count()` is the caller's check.
pub fn enable(irq: u32) {
    set(ISER, irq);
}

pub fn disable(irq: u32) {
    set(ICER, irq);
}

pub fn clear_pending(irq: u32) {
    set(ICPR, irq);
}

/// (pending, enabled, handled)
pub fn status(irq: u32) -> (bool, bool, u32) {
    (
        test(ISPR, irq),
        test(ISER, irq),
        HANDLED[irq as usize].load(Ordering::Relaxed),
    )
}

#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    match usize::try_from(irqn) {
        Ok(irq) if irq < MAX_IRQS => {
            HANDLED[irq].fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            crate::logger::force_unlock();
            defmt::error!("agent: unexpected exception {=i16}", irqn);
            exit(ExitCode::AgentUnexpectedException)
        }
    }
}
