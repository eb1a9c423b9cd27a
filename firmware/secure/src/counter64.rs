//! A free-running 32-bit up-counter extended to 64 bits: the wrap bookkeeping both boards' µs clocks share.
//!
//! Each reading is compared with the previous one: a smaller value means the
//! counter wrapped. That holds as long as the counter is read at least once
//! per period, which each board's clock guarantees its own way (AN505's wrap
//! interrupt, the U585's cloud-link SysTick).

use core::cell::Cell;
use core::sync::atomic::{AtomicBool, Ordering};

use critical_section::Mutex;

/// The extension state of one counter.
pub struct Counter64 {
    /// Set once the counter runs; before that it reads 0.
    started: AtomicBool,
    /// (completed wraps, the count at the last reading).
    extension: Mutex<Cell<(u32, u32)>>,
}

impl Counter64 {
    pub const fn new() -> Counter64 {
        Counter64 {
            started: AtomicBool::new(false),
            extension: Mutex::new(Cell::new((0, 0))),
        }
    }

    /// The counter has just been started from 0.
    pub fn start(&self) {
        critical_section::with(|cs| self.extension.borrow(cs).set((0, 0)));
        self.started.store(true, Ordering::Relaxed);
    }

    /// Counts since [`Counter64::start`] (0 before it). `count` reads the
    /// 32-bit up-count; it runs inside the critical section, so a wrap
    /// interrupt cannot come between the reading and its bookkeeping.
    pub fn now(&self, count: impl FnOnce() -> u32) -> u64 {
        if !self.started.load(Ordering::Relaxed) {
            return 0;
        }
        critical_section::with(|cs| {
            let extension = self.extension.borrow(cs);
            let (mut wraps, last) = extension.get();
            let value = count();
            if value < last {
                wraps = wraps.wrapping_add(1);
            }
            extension.set((wraps, value));
            (u64::from(wraps) << 32) | u64::from(value)
        })
    }
}
