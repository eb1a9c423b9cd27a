//! The µs clock behind `mvGetMicroseconds`: TIM2, secure, free-running at 1 MHz, extended to 64 bits.
//!
//! TIM2 is 32 bits wide; with the prescaler at 160 it counts microseconds
//! and wraps every ~71.6 minutes. [`now_us`] extends it (a reading below the
//! previous one means it wrapped), and the SysTick that polls the cloud link
//! reads it thousands of times a second, so no wrap is ever missed and the
//! timer needs no interrupt. The GTZC keeps TIM2 secure ([`crate::security`])
//! and the app's share of the RCC cannot stop it ([`crate::board`]).

use core::cell::Cell;
use core::sync::atomic::{AtomicBool, Ordering};

use critical_section::Mutex;

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

/// Set once the timer runs; before that the clock reads 0.
static STARTED: AtomicBool = AtomicBool::new(false);

/// (completed wraps, the counter at the last reading).
static EXTENSION: Mutex<Cell<(u32, u32)>> = Mutex::new(Cell::new((0, 0)));

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
    STARTED.store(true, Ordering::Relaxed);
}

/// The clock has no interrupt: every other one is not its business.
pub fn on_interrupt(_irqn: i16) -> bool {
    false
}

/// Microseconds since [`start`] (0 before it).
pub fn now_us() -> u64 {
    if !STARTED.load(Ordering::Relaxed) {
        return 0;
    }
    critical_section::with(|cs| {
        let extension = EXTENSION.borrow(cs);
        let (mut wraps, last) = extension.get();
        // SAFETY: reading the counter has no side effect.
        let value = unsafe { read32(TIM2 + CNT) };
        if value < last {
            wraps = wraps.wrapping_add(1);
        }
        extension.set((wraps, value));
        (u64::from(wraps) << 32) | u64::from(value)
    })
}
