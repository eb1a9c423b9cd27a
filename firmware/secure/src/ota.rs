//! The OTA engine in the secure image: boot-time recovery and install, cloud messages, power cuts.
//!
//! At boot, before the app: open the NVM flash (only if the harness
//! provisioned one: a conformance run has none and keeps the app QEMU
//! loaded), arm a cut the harness requested, let [`Updater::boot`] finish an
//! interrupted install, install a staged update (the previous app is gone:
//! this is the restart it was waiting for), and load the installed app from
//! the app region into the app's code memory.
//!
//! At run time the cloud link hands [`on_offer`] and [`on_chunk`] to the
//! engine. A flash operation that reports the power gone ends the machine on
//! the spot ([`ExitCode::PowerCut`]): nothing after the cut may run.

use core::cell::RefCell;

use critical_section::Mutex;
use mv_abi::MvWakeReason;
use mv_kernel::flash::FlashError;
use mv_proto::OtaReply;
use mv_update::nvm::{is_formatted, read_signers, NvmFlash};
use mv_update::{BootOutcome, Layout, Phase, Updater};

use crate::exit::{exit, ExitCode};
use crate::memory_map::NS_CODE_BASE;
use crate::nvm::{copy_out, Psram};

struct Ota {
    updater: Updater,
    flash: NvmFlash<Psram>,
}

static OTA: Mutex<RefCell<Option<Ota>>> = Mutex::new(RefCell::new(None));

/// The power is gone: stop exactly here (QEMU exits; the NVM keeps its state).
fn power_cut() -> ! {
    defmt::warn!("power cut");
    exit(ExitCode::PowerCut)
}

/// The flash said something a correct kernel never provokes.
fn flash_failed(what: &str, e: FlashError) -> ! {
    if e == FlashError::PowerLost {
        power_cut();
    }
    defmt::error!(
        "OTA: flash error during {=str}: {}",
        what,
        defmt::Debug2Format(&e)
    );
    exit(ExitCode::FlashError)
}

/// What the boot's OTA work means for the kernel.
pub struct BootInfo {
    /// `Some` if this boot installed an update.
    pub wake: Option<MvWakeReason>,
    /// A download is waiting to resume (`mvRestart` answers `MICROVISORBUSY`).
    pub downloading: bool,
}

/// Without an `UpdatePolicy` limit a polite app may delay an update this long (ABI.md §8).
const DEFAULT_POLITENESS_S: u64 = 24 * 60 * 60;

/// When a polite app's grace ends (µs on the kernel clock), once an update waits for it.
static POLITE_DEADLINE: Mutex<core::cell::Cell<Option<u64>>> =
    Mutex::new(core::cell::Cell::new(None));

/// An update is staged and the app was told: start its grace period.
pub fn start_politeness(now_us: u64) {
    let seconds = critical_section::with(|cs| {
        OTA.borrow_ref(cs)
            .as_ref()
            .map_or(0, |ota| u64::from(ota.updater.politeness_s()))
    });
    let seconds = if seconds == 0 {
        DEFAULT_POLITENESS_S
    } else {
        seconds
    };
    defmt::info!("OTA: the app has {=u64} s to restart", seconds);
    critical_section::with(|cs| {
        POLITE_DEADLINE
            .borrow(cs)
            .set(Some(now_us + seconds * 1_000_000))
    });
}

/// Called from the kernel's tick: restart once a polite app's grace is over.
pub fn check_politeness(now_us: u64) {
    let due = critical_section::with(|cs| POLITE_DEADLINE.borrow(cs).get())
        .is_some_and(|deadline| now_us >= deadline);
    if due {
        defmt::info!("OTA: politeness time is up; restarting to install");
        crate::cpu::system_reset();
    }
}

/// Boot-time OTA work.
pub fn boot() -> BootInfo {
    if !is_formatted(&Psram) {
        defmt::info!("OTA: no NVM flash provisioned; the app is the image QEMU loaded");
        return BootInfo {
            wake: None,
            downloading: false,
        };
    }
    let layout = Layout::DEFAULT;
    let mut flash = NvmFlash::open(Psram, layout.flash_size());
    if let Some((op, inside)) = flash.arm_requested_cut() {
        defmt::info!(
            "OTA: power cut armed {=u64} flash operations from now (inside: {=bool})",
            op,
            inside
        );
    }
    let signers = read_signers(&Psram);
    let (mut updater, mut outcome) =
        Updater::boot(&mut flash, layout, signers).unwrap_or_else(|e| flash_failed("boot", e));
    if updater.phase() == Phase::Staged {
        defmt::info!("OTA: installing the staged update");
        if let Some(o) = updater
            .install(&mut flash)
            .unwrap_or_else(|e| flash_failed("install", e))
        {
            outcome = o;
        }
    }
    let version = updater.installed_version();
    defmt::info!(
        "OTA: boot {}, app version {=u32}, {}",
        defmt::Debug2Format(&outcome),
        version,
        defmt::Debug2Format(&updater.phase())
    );
    if outcome == BootOutcome::InstallFailed {
        defmt::error!("OTA: the install cannot complete; no app to start");
        exit(ExitCode::NoAgent);
    }
    if version > 0 {
        // SAFETY: the app's code memory (NS SSRAM1, 2 MiB) is unused until
        // the app starts, and the app region is 1 MiB.
        unsafe { copy_out(layout.app_offset(), NS_CODE_BASE, layout.app_size()) };
    }
    let downloading = matches!(updater.phase(), Phase::Downloading { .. });
    critical_section::with(|cs| {
        OTA.borrow_ref_mut(cs).replace(Ota { updater, flash });
    });
    BootInfo {
        wake: matches!(outcome, BootOutcome::Installed { .. })
            .then_some(MvWakeReason::ApplicationUpdate),
        downloading,
    }
}

fn with_ota(f: impl FnOnce(&mut Ota) -> Result<OtaReply, FlashError>) -> OtaReply {
    critical_section::with(|cs| match OTA.borrow_ref_mut(cs).as_mut() {
        Some(ota) => f(ota).unwrap_or_else(|e| flash_failed("a cloud message", e)),
        None => OtaReply::Unexpected { expected: None },
    })
}

/// A download is under way (so `mvRestart` is `MICROVISORBUSY`).
pub fn downloading() -> bool {
    critical_section::with(|cs| {
        OTA.borrow_ref(cs)
            .as_ref()
            .is_some_and(|ota| matches!(ota.updater.phase(), Phase::Downloading { .. }))
    })
}

/// `CloudToDevice::OtaOffer`.
pub fn on_offer(manifest: &[u8], rom_len: u32) -> OtaReply {
    with_ota(|ota| ota.updater.on_offer(&mut ota.flash, manifest, rom_len))
}

/// `CloudToDevice::OtaChunk`.
pub fn on_chunk(index: u32, data: &[u8]) -> OtaReply {
    with_ota(|ota| ota.updater.on_chunk(&mut ota.flash, index, data))
}
