//! App crashes: the kernel reports them to the cloud and restarts the app with back-off.
//!
//! A fault whose exception frame is on a non-secure stack came from the app.
//! The kernel stays up: it sends a [`CrashReport`] (fault registers, the
//! stacked PC/LR/xPSR, stack bytes) over the cloud link, clears the fault
//! status, quiets the app's interrupts (disabled, not pending), gives the app a fresh
//! kernel state whose `mvGetWakeReason` says `APPLICATIONCRASH`, waits the
//! back-off and starts the app again from its reset handler.
//!
//! Back-off (**Choice**, ABI.md §8): 100 ms after the first crash, doubling
//! per crash in a row up to 10 s; an app that ran 60 s since its last start
//! counts as a clean start again.

use core::cell::Cell;
use core::sync::atomic::{AtomicU32, Ordering};

use critical_section::Mutex;

use alloc::string::ToString;
use alloc::vec::Vec;
use mv_abi::MvWakeReason;
use mv_proto::{CrashReport, DeviceToCloud, FaultKind, FaultReport};

use crate::cpu::{read32, write32};
use crate::memory_map::{within, NS_RAM_BASE, NS_RAM_SIZE};

const MIN_BACKOFF_MS: u32 = 100;
const MAX_BACKOFF_MS: u32 = 10_000;
const CLEAN_RUN_US: u64 = 60_000_000;
/// App stack bytes sent with a report (the 32-byte frame and what is above it).
const STACK_BYTES: u32 = 64;

/// Crashes since the app last started cleanly.
static CRASHES: AtomicU32 = AtomicU32::new(0);
/// When the app was last (re)started, µs.
static STARTED_US: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

const SFSR: u32 = 0xE000_EDE4;
const CFSR: u32 = 0xE000_ED28;
const HFSR: u32 = 0xE000_ED2C;
/// NVIC: interrupt clear-enable, clear-pending, target-non-secure banks.
const NVIC_ICER: u32 = 0xE000_E180;
const NVIC_ICPR: u32 = 0xE000_E280;
const NVIC_ITNS: u32 = 0xE000_E380;
const NVIC_BANKS: u32 = 16;

/// Back-off before restart `n` (1-based) of a crash loop.
fn backoff_ms(crashes: u32) -> u32 {
    MIN_BACKOFF_MS
        .saturating_mul(1 << crashes.saturating_sub(1).min(16))
        .min(MAX_BACKOFF_MS)
}

/// Reports the app's crash, restarts the app. Runs in the fault handler.
pub fn restart_app(kind: FaultKind, mut registers: Vec<(&'static str, u32)>, frame: u32) -> ! {
    let now = crate::clock::now_us();
    let started = critical_section::with(|cs| STARTED_US.borrow(cs).get());
    if now.saturating_sub(started) >= CLEAN_RUN_US {
        CRASHES.store(0, Ordering::Relaxed);
    }
    let crashes = CRASHES.fetch_add(1, Ordering::Relaxed) + 1;
    let backoff = backoff_ms(crashes);
    // The caller checked the 32-byte frame; send as much above it as is app RAM.
    let mut len = STACK_BYTES;
    while len > 32 && !within(frame, frame + len - 1, NS_RAM_BASE, NS_RAM_SIZE) {
        len -= 4;
    }
    let mut stack = Vec::with_capacity(len as usize);
    for at in (frame..frame + len).step_by(4) {
        // SAFETY: inside app RAM (checked above and by the caller): a
        // non-secure load the secure world may always do.
        stack.extend_from_slice(&unsafe { read32(at) }.to_le_bytes());
    }
    let word = |i: usize| u32::from_le_bytes([stack[i], stack[i + 1], stack[i + 2], stack[i + 3]]);
    registers.extend([("LR", word(20)), ("PC", word(24)), ("xPSR", word(28))]);
    defmt::warn!(
        "app crash {=u32} ({}): PC={=u32:#010x}; restarting the app in {=u32} ms",
        crashes,
        kind.name(),
        word(24),
        backoff
    );
    crate::cloud::send(&DeviceToCloud::Crash(CrashReport {
        fault: FaultReport {
            kind,
            registers: registers
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect(),
        },
        sp: frame,
        stack,
        crashes,
        backoff_ms: backoff,
    }));
    // SAFETY: the fault status registers are write-one-to-clear; the NVIC
    // writes touch only lines targeted at the app (ITNS set). The app is not
    // running. (The app's own SysTick is left to its reset handler: QEMU
    // 7.2 bus-faults a secure write to its non-secure alias.)
    unsafe {
        write32(SFSR, 0xFFFF_FFFF);
        write32(CFSR, 0xFFFF_FFFF);
        write32(HFSR, 0xFFFF_FFFF);
        for bank in 0..NVIC_BANKS {
            let ns = read32(NVIC_ITNS + 4 * bank);
            write32(NVIC_ICER + 4 * bank, ns);
            write32(NVIC_ICPR + 4 * bank, ns);
        }
    }
    crate::kernel::restart_for_app(MvWakeReason::ApplicationCrash);
    let until = now + u64::from(backoff) * 1000;
    while crate::clock::now_us() < until {}
    critical_section::with(|cs| STARTED_US.borrow(cs).set(crate::clock::now_us()));
    crate::boot::reenter_non_secure()
}
