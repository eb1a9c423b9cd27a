//! The one kernel instance and the safe side of the NSC entry.
//!
//! [`mv_nsc_dispatch`] is the only function the veneers call. It runs the
//! call in a critical section, so no interrupt (secure or non-secure) can
//! re-enter the kernel, and then lets the kernel do its background work
//! (flush queued app log messages), as the sim does after every primitive.
//! The cloud link ([`crate::cloud`]) reaches the kernel through [`with`],
//! under the same discipline.

use core::cell::RefCell;

use critical_section::Mutex;
use mv_abi::MvStatus;
use mv_kernel::Kernel;

use crate::board::An505Board;

static KERNEL: Mutex<RefCell<Option<Kernel<An505Board>>>> = Mutex::new(RefCell::new(None));

/// Start the kernel on `board` (once, at boot, before the app runs).
pub fn install(board: An505Board) {
    critical_section::with(|cs| {
        KERNEL.borrow_ref_mut(cs).replace(Kernel::new(board));
    });
}

/// Run `f` on the kernel in a critical section, as an NSC call runs (for
/// the cloud link). `None` if there is no kernel (not installed yet) or it
/// is already borrowed (impossible: the critical section excludes re-entry).
/// The app is being restarted: its kernel objects go, the kernel stays.
pub fn restart_for_app(reason: mv_abi::MvWakeReason) {
    let downloading = crate::ota::downloading();
    let done = with(|k| {
        k.restart_app(reason);
        k.set_update_in_progress(downloading);
    });
    if done.is_none() {
        defmt::error!("no kernel to restart the app with");
    }
}

pub fn with<R>(f: impl FnOnce(&mut Kernel<An505Board>) -> R) -> Option<R> {
    critical_section::with(|cs| {
        let mut kernel = KERNEL.borrow(cs).try_borrow_mut().ok()?;
        kernel.as_mut().map(f)
    })
}

/// Called by `mv_nsc_entry` (see [`crate::veneers`]) with the app's r0–r3
/// and the slot number; returns the raw `MvStatus` for r0.
#[no_mangle]
pub extern "C" fn mv_nsc_dispatch(r0: u32, r1: u32, r2: u32, r3: u32, slot: u32) -> u32 {
    critical_section::with(|cs| {
        let Ok(mut kernel) = KERNEL.borrow(cs).try_borrow_mut() else {
            // Unreachable (the critical section excludes re-entry), but a
            // status is better than a panic on an app-reachable path.
            return MvStatus::Unavailable as u32;
        };
        let Some(kernel) = kernel.as_mut() else {
            return MvStatus::Unavailable as u32;
        };
        let status = kernel.dispatch(slot, [r0, r1, r2, r3]);
        kernel.poll();
        if slot == mv_abi::Slot::Restart as u32 && kernel.take_restart_request() {
            // `mvRestart`: the app does not get the return. The boot installs
            // a staged update, if there is one.
            defmt::info!("mvRestart: restarting");
            crate::cpu::system_reset();
        }
        status
    })
}
