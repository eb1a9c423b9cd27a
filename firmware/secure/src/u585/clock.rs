//! The µs clock behind `mvGetMicroseconds`: TIM2, secure, free-running at 1 MHz, extended to 64 bits.
//!
//! TIM2 is 32 bits wide; with the prescaler at 160 it counts microseconds
//! and wraps every ~71.6 minutes. [`now_us`] extends it ([`crate::counter64`]), and the SysTick that polls the cloud link
//! reads it thousands of times a second, so no wrap is ever missed and the
//! timer needs no interrupt. The GTZC keeps TIM2 secure ([`crate::security`])
//! and the app's share of the RCC cannot stop it ([`crate::board`]).

use crate::counter64::Counter64;
use crate::cpu::{read32, write32};

/// TIM2 through its secure alias.
const TIM2: u32 = 0x5000_0000;
const CR1: u32 = 0x00;
const EGR: u32 = 0x14;
const CNT: u32 = 0x24;
const PSC: u32 = 0x28;
const ARR: u32 = 0x2C;
const CR1_CEN: u32 = 1 << 0;
const EGR_UG: u32 = 1 << 0;

/// TIM2's microseconds since [`start`].
static MICROS: Counter64 = Counter64::new();

/// Start TIM2 at 1 MHz from 0 (its clock, PCLK1, is SYSCLK).
pub fn start() {
    // SAFETY: TIM2 is this image's (secure by the GTZC, clocked by
    // `rcc::clock_tree`); boot calls `start` once.
    unsafe {
        write32(TIM2 + CR1, 0);
        write32(TIM2 + PSC, crate::rcc::SYSCLK_HZ / 1_000_000 - 1);
        write32(TIM2 + ARR, u32::MAX);
        write32(TIM2 + EGR, EGR_UG);
        write32(TIM2 + CNT, 0);
        write32(TIM2 + CR1, CR1_CEN);
    }
    MICROS.start();
}

/// The clock has no interrupt: every other one is not its business.
pub fn on_interrupt(_irqn: i16) -> bool {
    false
}

/// Microseconds since [`start`] (0 before it).
pub fn now_us() -> u64 {
    // SAFETY: reading the counter has no side effect.
    MICROS.now(|| unsafe { read32(TIM2 + CNT) })
}
