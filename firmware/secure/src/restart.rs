//! Tearing the app down and starting it again, when the device core says so.
//!
//! Two ways in, one way through: from an NSC call (`mvRestart`: secure
//! thread mode, the app waiting in its veneer call) the app is entered
//! afresh with `BXNS` ([`crate::boot::start_non_secure`]); from an exception
//! that interrupted the app's thread mode (the cloud link's tick, a fault)
//! with a fresh exception frame ([`crate::boot::reenter_non_secure`]). Either
//! way the app's interrupts go quiet first, the device installs what is
//! staged and gives the app fresh kernel state, and the app's code is
//! reloaded; the secure stack starts over, so nothing of the old app's calls
//! survives.

use mv_device::Restart;

use crate::cpu::write32;
use crate::device;

/// Fault status registers (write one to clear).
const SFSR: u32 = 0xE000_EDE4;
const CFSR: u32 = 0xE000_ED28;
const HFSR: u32 = 0xE000_ED2C;
/// The app's CFSR (non-secure bank).
const CFSR_NS: u32 = 0xE002_ED28;

fn tear_down_and_restart(why: Restart) {
    device::app_running(false);
    crate::nvic::quiet_app_irqs();
    // SAFETY: write-one-to-clear status bits; a fault that brought us here
    // was captured already, and the app is not running.
    unsafe {
        write32(SFSR, 0xFFFF_FFFF);
        write32(CFSR, 0xFFFF_FFFF);
        write32(HFSR, 0xFFFF_FFFF);
        write32(CFSR_NS, 0xFFFF_FFFF);
    }
    device::restart_app(why);
    device::app_running(true);
}

/// Restart from inside an NSC call (secure thread mode); never returns to the caller.
pub fn from_call(why: Restart) -> ! {
    defmt::info!("restarting the app ({})", defmt::Debug2Format(&why));
    tear_down_and_restart(why);
    crate::boot::start_non_secure()
}

/// Restart from an exception handler that interrupted the app's thread mode.
pub fn from_handler(why: Restart) -> ! {
    defmt::info!("restarting the app ({})", defmt::Debug2Format(&why));
    tear_down_and_restart(why);
    crate::boot::reenter_non_secure()
}
