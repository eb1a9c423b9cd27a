//! The µs clock behind `mvGetMicroseconds`: CMSDK TIMER0, free-running, extended to 64 bits.
//!
//! TIMER0 (secure alias `0x5000_0000`, on an internal PPC port that stays
//! secure) counts the 20 MHz APB clock down from `u32::MAX` and wraps every
//! ~214 s. [`now_us`] extends it ([`crate::counter64`], counting it up). Its wrap IRQ (3, one of the kernel's secure IRQs) makes
//! sure there is at least one reading per period even when nobody asks.
//!
//! Why not SysTick counting milliseconds: QEMU computes counter values from
//! host time, but an interrupt can be taken late when the host is loaded,
//! and a millisecond tick count then falls behind (measured: 21% slow with
//! two busy host cores). Here only the wrap depends on an interrupt, and it
//! may be up to one whole period late without losing time.

use crate::counter64::Counter64;
use crate::cpu::{read32, write32};

/// TIMER0's clock: QEMU's AN505 APB clock, equal to the 20 MHz SYSCLK
/// (verified against host time, see README.md).
pub const TIMER_HZ: u32 = 20_000_000;
const TICKS_PER_US: u64 = (TIMER_HZ / 1_000_000) as u64;

/// TIMER0's wrap interrupt.
pub const TIMER0_IRQ: u32 = 3;

const TIMER0: u32 = 0x5000_0000;
const CTRL: u32 = 0x00;
const VALUE: u32 = 0x04;
const RELOAD: u32 = 0x08;
const INTCLEAR: u32 = 0x0C;
const CTRL_ENABLE: u32 = 1 << 0;
const CTRL_IRQ_ENABLE: u32 = 1 << 3;

/// Secure NVIC set-enable register of IRQs 0..31.
const NVIC_ISER0: u32 = 0xE000_E100;

/// TIMER0's ticks since [`start`], counted up.
static TICKS: Counter64 = Counter64::new();

/// Start TIMER0 from `u32::MAX` with its wrap interrupt on.
pub fn start() {
    // SAFETY: TIMER0 belongs to the secure image (its PPC port stays secure
    // and IRQ 3 stays secure-targeted); boot calls `start` once.
    unsafe {
        write32(TIMER0 + CTRL, 0);
        write32(TIMER0 + RELOAD, u32::MAX);
        write32(TIMER0 + VALUE, u32::MAX);
        write32(TIMER0 + INTCLEAR, 1);
        write32(TIMER0 + CTRL, CTRL_ENABLE | CTRL_IRQ_ENABLE);
        write32(NVIC_ISER0, 1 << TIMER0_IRQ);
    }
    TICKS.start();
}

/// An interrupt the secure `DefaultHandler` got (`crate::faults`): handles
/// TIMER0's wrap and says so, `false` for any other.
pub fn on_interrupt(irqn: i16) -> bool {
    if i32::from(irqn) != TIMER0_IRQ as i32 {
        return false;
    }
    // SAFETY: acknowledging TIMER0's interrupt.
    unsafe { write32(TIMER0 + INTCLEAR, 1) };
    now_us();
    true
}

/// Microseconds since [`start`] (0 before it).
pub fn now_us() -> u64 {
    // SAFETY: reading the counter has no side effect.
    let ticks = TICKS.now(|| u32::MAX - unsafe { read32(TIMER0 + VALUE) });
    ticks / TICKS_PER_US
}

/// The raw counter, for seeding the entropy source.
pub fn jitter() -> u32 {
    // SAFETY: reading the counter has no side effect.
    unsafe { read32(TIMER0 + VALUE) }
}
