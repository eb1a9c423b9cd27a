//! The one device (kernel + device core) on the image's board, and the safe side of the NSC entry.
//!
//! [`mv_nsc_dispatch`] is the only function the veneers call. It runs the
//! call in a critical section, so no interrupt (secure or non-secure) can
//! re-enter the device; a call the device answers with a restart
//! (`mvRestart`) never returns to the app ([`crate::restart`]). The cloud
//! link ([`crate::cloud`]) and the fault handlers reach the device through
//! [`with`], under the same discipline. Everything the device decides is
//! `mv_device`'s; this module only owns the instance and turns flash
//! failures into the run's end (a power cut stops the machine on the spot).

use core::cell::RefCell;
use core::sync::atomic::{AtomicBool, Ordering};

use critical_section::Mutex;
use mv_abi::MvStatus;
use mv_device::{AppStart, BootError, Device, Restart};
use mv_flash::FlashError;

use crate::exit::{exit, ExitCode};

/// The device on this image's board, over its flash (`crate::board`, `crate::nvm`).
pub type SecureDevice = Device<crate::board::Board, crate::nvm::Flash>;

static DEVICE: Mutex<RefCell<Option<SecureDevice>>> = Mutex::new(RefCell::new(None));

/// Set once the app runs: from then on a tick may restart it.
static APP_RUNNING: AtomicBool = AtomicBool::new(false);

/// Run `f` on the device in a critical section, as an NSC call runs. `None`
/// before boot (or if it is borrowed, which the critical section excludes).
pub fn with<R>(f: impl FnOnce(&mut SecureDevice) -> R) -> Option<R> {
    critical_section::with(|cs| {
        let mut device = DEVICE.borrow(cs).try_borrow_mut().ok()?;
        device.as_mut().map(f)
    })
}

/// The flash lost power or failed: stop exactly here.
pub fn flash_failed(what: &str, e: FlashError) -> ! {
    if e == FlashError::PowerLost {
        defmt::warn!("power cut during {=str}", what);
        exit(ExitCode::PowerCut)
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
    critical_section::with(|cs| {
        DEVICE
            .borrow_ref_mut(cs)
            .replace(Device::new(crate::board::Board::new(), ota));
    });
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

/// Called by `mv_nsc_entry` (see [`crate::veneers`]) with the app's r0–r3
/// and the slot number; returns the raw `MvStatus` for r0.
#[no_mangle]
pub extern "C" fn mv_nsc_dispatch(r0: u32, r1: u32, r2: u32, r3: u32, slot: u32) -> u32 {
    let answer = with(|d| d.syscall(slot, [r0, r1, r2, r3]));
    match answer {
        Some((_, Some(why))) => crate::restart::from_call(why),
        Some((status, None)) => status,
        // Unreachable after boot, but a status beats a panic on an
        // app-reachable path.
        None => MvStatus::Unavailable as u32,
    }
}
