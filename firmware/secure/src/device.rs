//! The one device (kernel + device core) on the image's board, and the safe side of the NSC entry.
//!
//! [`mv_nsc_dispatch`] is the only function the veneers call. It masks the
//! app's ordinary interrupts for the call (`BASEPRI_S`,
//! [`crate::nvic::CALL_BASEPRI`]) but not its fast ones, which pre-empt the
//! kernel as Microvisor promises, nor the secure world's own exceptions. The
//! device is held by whoever runs it through a try-lock ([`with`]), never a
//! `RefCell` that could panic: a context that pre-empts a holder — a fast
//! interrupt handler calling the kernel again, the cloud link's tick —
//! finds it taken and backs off, and a call made so answers
//! [`mv_device::CALL_IN_PROGRESS`]. A call the device answers with a
//! restart (`mvRestart`) never returns to the app ([`crate::restart`]).
//! Everything the device decides is `mv_device`'s; this module only owns
//! the instance and turns flash failures into the run's end (a power cut
//! stops the machine on the spot).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use mv_device::{AppStart, BootError, Device, Restart};
use mv_flash::FlashError;

use crate::exit::{exit, ExitCode};

/// The device on this image's board, over its flash (`crate::board`, `crate::nvm`).
pub type SecureDevice = Device<crate::board::Board, crate::nvm::Flash>;

/// The device and who holds it. `repr(C)` puts `held` at the cell's own
/// address, which every call takes and releases: no offset to compute.
#[repr(C)]
struct DeviceCell {
    /// Set while some context (a call, a tick, a fault handler) runs the device.
    held: AtomicBool,
    device: UnsafeCell<Option<SecureDevice>>,
}

// SAFETY: one core; `device` is only reached through `with` and `install`,
// which take `held` first with an atomic swap, so at most one context has
// it at a time, and a context that pre-empts the holder backs off instead
// of aliasing it.
unsafe impl Sync for DeviceCell {}

static DEVICE: DeviceCell = DeviceCell {
    held: AtomicBool::new(false),
    device: UnsafeCell::new(None),
};

/// Set once the app runs: from then on a tick may restart it.
static APP_RUNNING: AtomicBool = AtomicBool::new(false);

/// Run `f` on the device, holding it. `None` before boot, or when another
/// context holds it: this one pre-empted that one (a fast interrupt's call
/// inside a call, a tick during a call), which resumes when this returns.
pub fn with<R>(f: impl FnOnce(&mut SecureDevice) -> R) -> Option<R> {
    if DEVICE.held.swap(true, Ordering::Acquire) {
        return None;
    }
    // SAFETY: `held` was clear and is now ours, so no other context has a
    // reference to the device: one that pre-empts this one finds it set and
    // backs off, and this one returns before the context it pre-empted
    // (which held nothing) resumes.
    let result = unsafe { (*DEVICE.device.get()).as_mut().map(f) };
    DEVICE.held.store(false, Ordering::Release);
    result
}

/// Does some context hold the device (a call in progress, pre-empted)?
pub fn is_held() -> bool {
    DEVICE.held.load(Ordering::Acquire)
}

/// The app crashed in a fast interrupt handler that pre-empted one of its
/// own calls: that call never resumes (the restart starts the secure stack
/// over, and its frames with the device borrowed are gone), so its hold on
/// the device ends here. Only a fault handler that restarts the app calls
/// this. Returns whether a call was abandoned.
pub fn abandon_call() -> bool {
    DEVICE.held.swap(false, Ordering::AcqRel)
}

fn install(device: SecureDevice) {
    let held = DEVICE.held.swap(true, Ordering::Acquire);
    debug_assert!(!held, "boot runs before anything else holds the device");
    // SAFETY: as in `with`: at boot nothing else runs, and `held` is ours.
    unsafe { *DEVICE.device.get() = Some(device) };
    DEVICE.held.store(false, Ordering::Release);
}

/// The flash lost power or failed: stop exactly here.
pub fn flash_failed(what: &str, e: FlashError) -> ! {
    if e == FlashError::PowerLost {
        defmt::warn!("power cut during {=str}", what);
        crate::nvm::power_lost()
    }
    defmt::error!(
        "flash error during {=str}: {}",
        what,
        defmt::Debug2Format(&e)
    );
    exit(ExitCode::FlashError)
}

/// A start the device could not make ends the run.
pub fn started(what: &str, start: Result<AppStart, BootError>) -> AppStart {
    match start {
        Ok(start) => {
            defmt::info!(
                "{=str}: app version {=u32}, wake reason {=u8}{=str}",
                what,
                start.app_version,
                start.wake_reason as u8,
                if start.installed {
                    " (installed an update)"
                } else {
                    ""
                }
            );
            start
        }
        Err(BootError::Flash(e)) => flash_failed(what, e),
        Err(BootError::InstallFailed) => {
            defmt::error!("{=str}: the install cannot complete; no app to start", what);
            exit(ExitCode::NoAgent)
        }
    }
}

/// Makes the device and boots it, with the OTA flash the board's NVM
/// offers ([`crate::nvm::ota_flash`]), then loads the app.
pub fn boot() {
    let t0 = crate::clock::now_us();
    let ota = crate::nvm::ota_flash();
    install(Device::new(crate::board::Board::new(), ota));
    let t1 = crate::clock::now_us();
    let start = with(|d| d.boot()).unwrap_or(Err(BootError::InstallFailed));
    let t2 = crate::clock::now_us();
    started("boot", start);
    load_app();
    defmt::info!(
        "boot: device made in {=u64} us, booted in {=u64} us, app loaded in {=u64} us",
        t1 - t0,
        t2 - t1,
        crate::clock::now_us() - t2
    );
}

/// Restarts the app on the device (the caller tore it down) and loads it.
pub fn restart_app(why: Restart) -> AppStart {
    let start = with(|d| d.restart_app(why)).unwrap_or(Err(BootError::InstallFailed));
    let start = started("restart", start);
    load_app();
    start
}

/// Makes the installed app the code the app runs ([`crate::nvm::load_app`]).
fn load_app() {
    with(|d| {
        if let (Some(flash), Some(layout)) = (d.flash(), d.layout()) {
            crate::nvm::load_app(flash, layout);
        }
    });
}

/// The app is about to run: ticks may restart it from now on.
pub fn app_running(running: bool) {
    APP_RUNNING.store(running, Ordering::Release);
}

pub fn is_app_running() -> bool {
    APP_RUNNING.load(Ordering::Acquire)
}

/// Called by `mv_nsc_entry` (see [`crate::veneers`]) with the app's r0–r3,
/// as the entry pushed them, and the slot number; returns the raw
/// `MvStatus` for r0.
#[no_mangle]
pub extern "C" fn mv_nsc_dispatch(args: &[u32; 4], slot: u32) -> u32 {
    let mask = crate::nvic::begin_call_mask();
    let answer = with(|d| d.syscall(slot, *args));
    crate::nvic::end_call_mask(mask);
    match answer {
        Some((_, Some(why))) => crate::restart::from_call(why),
        Some((status, None)) => status,
        // A fast interrupt's handler called while the call it pre-empted
        // holds the device (or, before boot, there is none).
        None => mv_device::CALL_IN_PROGRESS as u32,
    }
}
