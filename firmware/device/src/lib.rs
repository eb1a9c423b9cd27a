//! The device core: everything a Microvisor device decides, written once for the sim and every board.
//!
//! A [`Device`] is the kernel ([`mv_kernel::Kernel`]) plus the device's own
//! policy: the cloud link's messages in ([`Device::on_cloud`]) and out (the
//! board's [`Uplink`]), the OTA engine over the board's flash, polite
//! deployment and its deadline, `mvRestart`, app restarts with their wake
//! reason, and crash reports with back-off. A board (the sim, the AN505
//! image, a real STM32U585) supplies drivers and tables through traits and
//! *does* what the device decides — it tears the app down and starts it again
//! when a method returns a [`Restart`] — but decides nothing itself.
//!
//! ```text
//!  board:  NSC call ──▶ syscall ─┐   cloud frame ──▶ on_cloud ─┐   timer ──▶ tick ─┐   app fault ──▶ app_crashed
//!                               ▼                              ▼                  ▼              │
//!                        Option<Restart> ◀───────────────────────────────────────────────────────┘
//!                               │ (board tears the app down)
//!                               ▼
//!                        restart_app ──▶ installs what is staged ──▶ AppStart (wake reason) ──▶ board starts the app
//! ```
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod cloud;
mod crash;
mod lifecycle;
mod net;

pub use crash::{backoff_ms, CLEAN_RUN_US, MAX_BACKOFF_MS, MIN_BACKOFF_MS};
pub use lifecycle::{deep_sleep_wake_reason, AppStart, BootError, Restart, DEFAULT_POLITENESS_S};

use mv_flash::Flash;
use mv_kernel::board::Board;
use mv_kernel::Kernel;
use mv_proto::DeviceToCloud;
use mv_update::{Layout, Signers, Updater};

/// What a system call answers when it is made while another call holds
/// the device: a fast interrupt's handler that pre-empted a call in
/// progress and calls the kernel again. **Choice** (ABI.md §16): the status
/// enum's "Microvisor is busy" [H]; the interrupted call then completes as
/// if nothing had happened. Every board's entry path answers it so; the
/// kernel itself is never entered twice.
pub const CALL_IN_PROGRESS: mv_abi::MvStatus = mv_abi::MvStatus::MicrovisorBusy;

/// The device's side of the cloud link: where its messages go.
pub trait Uplink {
    fn send(&mut self, message: DeviceToCloud);
}

/// The OTA flash a board gives the device: the flash, where things are on
/// it, and the signer keys provisioned for it.
pub struct OtaFlash<F: Flash> {
    pub flash: F,
    pub layout: Layout,
    pub signers: Signers,
}

struct Ota<F: Flash> {
    flash: F,
    layout: Layout,
    /// Taken by the engine at boot.
    signers: Signers,
    /// `None` until the device booted.
    updater: Option<Updater>,
}

/// One device: the kernel on its board, the OTA engine on its flash, and the
/// device's policy state.
pub struct Device<B: Board + Uplink, F: Flash> {
    kernel: Kernel<B>,
    ota: Option<Ota<F>>,
    /// When a polite app's grace ends (µs on the kernel clock), once an
    /// update waits for it.
    polite_deadline_us: Option<u64>,
    crashes: crash::CrashCount,
}

impl<B: Board + Uplink, F: Flash> Device<B, F> {
    /// A device that has not booted yet (nothing has touched the flash). A
    /// board without OTA flash runs whatever app it was loaded with.
    pub fn new(board: B, ota: Option<OtaFlash<F>>) -> Self {
        Device {
            kernel: Kernel::new(board),
            ota: ota.map(|o| Ota {
                flash: o.flash,
                layout: o.layout,
                signers: o.signers,
                updater: None,
            }),
            polite_deadline_us: None,
            crashes: crash::CrashCount::default(),
        }
    }

    pub fn kernel(&self) -> &Kernel<B> {
        &self.kernel
    }

    pub fn kernel_mut(&mut self) -> &mut Kernel<B> {
        &mut self.kernel
    }

    pub fn board(&self) -> &B {
        self.kernel.board()
    }

    pub fn board_mut(&mut self) -> &mut B {
        self.kernel.board_mut()
    }

    /// The OTA flash, if the board has one.
    pub fn flash(&self) -> Option<&F> {
        self.ota.as_ref().map(|o| &o.flash)
    }

    pub fn flash_mut(&mut self) -> Option<&mut F> {
        self.ota.as_mut().map(|o| &mut o.flash)
    }

    /// The OTA engine, once the device booted (for checks and reports).
    pub fn updater(&self) -> Option<&Updater> {
        self.ota.as_ref().and_then(|o| o.updater.as_ref())
    }

    /// Where things are on the OTA flash.
    pub fn layout(&self) -> Option<&Layout> {
        self.ota.as_ref().map(|o| &o.layout)
    }

    /// Power goes: what survives is the flash.
    pub fn into_flash(self) -> Option<F> {
        self.ota.map(|o| o.flash)
    }

    /// The installed app's version (0 without OTA flash, or before boot).
    pub fn installed_version(&self) -> u32 {
        self.updater().map_or(0, Updater::installed_version)
    }

    /// An app system call: `(status, restart)`. On `Some(restart)` the call
    /// does not return to the app: the board tears it down and calls
    /// [`Self::restart_app`]. Inline: the board's entry is its only caller
    /// on target, and there the status and restart stay in registers.
    #[inline]
    pub fn syscall(&mut self, slot: u32, args: [u32; 4]) -> (u32, Option<Restart>) {
        let status = self.kernel.dispatch(slot, args);
        self.kernel.poll();
        self.drain_net();
        // Only `mvRestart`, `mvDeepSleep` and `mvTestingComplete` end the
        // app (and only this test is on the path of every call).
        const RESTART: u32 = mv_abi::Slot::Restart as u32;
        const DEEP_SLEEP: u32 = mv_abi::Slot::DeepSleep as u32;
        const TESTING_COMPLETE: u32 = mv_abi::Slot::TestingComplete as u32;
        let ends_app = matches!(slot, RESTART | DEEP_SLEEP | TESTING_COMPLETE);
        let restart = if ends_app {
            self.kernel.take_restart_request().map(|r| self.app_ends(r))
        } else {
            None
        };
        (status, restart)
    }

    /// Background work between calls (the target's idle tick, the sim after
    /// every primitive and on its modelled clock during a flood): flush
    /// queued log messages, sample the fast interrupts for a flood
    /// (`mv_kernel::flood_watch`), and end a polite wait whose time is up.
    pub fn tick(&mut self) -> Option<Restart> {
        self.kernel.poll();
        self.kernel.watch_fast_interrupts();
        let now = self.kernel.board().now_us();
        let due = self.polite_deadline_us.is_some_and(|d| now >= d);
        due.then(|| {
            self.polite_deadline_us = None;
            Restart::UpdateReady
        })
    }

    fn sync_update_state(&mut self) {
        let downloading = matches!(
            self.updater().map(Updater::phase),
            Some(mv_update::Phase::Downloading { .. })
        );
        self.kernel.set_update_in_progress(downloading);
        if self.updater().map(Updater::phase) != Some(mv_update::Phase::Staged) {
            self.polite_deadline_us = None;
            self.kernel.set_update_waiting(false);
        }
    }
}
