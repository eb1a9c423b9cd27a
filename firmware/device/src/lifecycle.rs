//! Booting, and restarting the app: what gets installed and what the app is told.

use mv_abi::{MvDeepSleepMode, MvWakeReason};
use mv_flash::{Flash, FlashError};
use mv_kernel::board::Board;
use mv_kernel::RestartRequest;
use mv_proto::{AppStarted, DeviceToCloud, PROTOCOL_VERSION};
use mv_update::{BootOutcome, Phase, Updater};

use crate::{Device, Uplink};

/// Without an `UpdatePolicy` limit a polite app may delay an update this
/// long (**Choice**, `firmware/ABI.md` §8): an app can delay an update, never block it.
pub const DEFAULT_POLITENESS_S: u64 = 24 * 60 * 60;

/// Why the device restarts the app. The board tears the app down (its
/// interrupts quiet, its stack gone), then calls [`Device::restart_app`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    /// The app's `mvRestart` succeeded.
    Requested,
    /// A verified update waits: the app did not opt into polite deployment,
    /// or its grace period is over.
    UpdateReady,
    /// The app faulted ([`Device::app_crashed`] reported it).
    Crash,
    /// The app's `mvDeepSleep` succeeded: the device slept and woke.
    DeepSleep(MvDeepSleepMode),
    /// The app's `mvTestingComplete` ended the factory's application test.
    TestingComplete { passed: bool },
}

/// The wake reason after deep sleep (**Choice**, `firmware/ABI.md` §17):
/// nothing in the lab wakes a sleeping device but the lab itself, at once.
/// Waking from `SHUTDOWN` is `COLDBOOT` ("also wake from Shutdown" [H]);
/// from `STANDBY`, `DEEPSLEEPOTHER` (none of the check-in, app pin, modem
/// or app RTC wake sources woke it).
pub fn deep_sleep_wake_reason(mode: MvDeepSleepMode) -> MvWakeReason {
    match mode {
        MvDeepSleepMode::Standby => MvWakeReason::DeepSleepOther,
        MvDeepSleepMode::Shutdown => MvWakeReason::ColdBoot,
    }
}

/// The app the board must (re)start, and what it is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppStart {
    /// What `mvGetWakeReason` reports.
    pub wake_reason: MvWakeReason,
    /// The installed app's version (0: no OTA flash).
    pub app_version: u32,
    /// This start installed an update: the app region changed.
    pub installed: bool,
}

/// Why the device cannot start an app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootError {
    /// The flash failed (or lost power: then the device is off).
    Flash(FlashError),
    /// The install could not produce an app with the right measurement; only
    /// failing flash gets here. The kernel runs, no app does.
    InstallFailed,
}

impl From<FlashError> for BootError {
    fn from(e: FlashError) -> Self {
        BootError::Flash(e)
    }
}

impl<B: Board + Uplink, F: Flash> Device<B, F> {
    /// What the device does with a call that ended the app. A test that
    /// passed (`mvTestingComplete(0)`) ends application-test mode: "the
    /// final application is installed" [H] — in this lab the final app is
    /// the installed one (**Choice**, ABI.md §20); a test that failed runs
    /// again on the reset the device makes at once ("will be re-run on
    /// reset" [H]).
    pub(crate) fn app_ends(&mut self, request: RestartRequest) -> Restart {
        match request {
            RestartRequest::Restart => Restart::Requested,
            RestartRequest::DeepSleep(mode) => Restart::DeepSleep(mode),
            RestartRequest::TestingComplete { status } => {
                if status == 0 {
                    self.kernel.set_app_test_mode(false);
                }
                Restart::TestingComplete {
                    passed: status == 0,
                }
            }
        }
    }

    /// Power on: the engine reads its journal, finishes an install that was
    /// under way and installs a staged update (the app that waited for it is
    /// gone); then the app starts. Sends `Started` on the uplink.
    pub fn boot(&mut self) -> Result<AppStart, BootError> {
        let mut installed = false;
        if let Some(ota) = self.ota.as_mut() {
            let signers = core::mem::take(&mut ota.signers);
            let (mut updater, mut outcome) = Updater::boot(&mut ota.flash, ota.layout, signers)?;
            if updater.phase() == Phase::Staged {
                if let Some(o) = updater.install(&mut ota.flash)? {
                    outcome = o;
                }
            }
            ota.updater = Some(updater);
            match outcome {
                BootOutcome::InstallFailed => return Err(BootError::InstallFailed),
                BootOutcome::Installed { .. } => installed = true,
                BootOutcome::Clean => {}
            }
        }
        let reason = if installed {
            MvWakeReason::ApplicationUpdate
        } else {
            MvWakeReason::ColdBoot
        };
        self.kernel.set_wake_reason(reason);
        Ok(self.app_started(reason, installed))
    }

    /// Starts the app again after the board tore it down: installs a staged
    /// update first (any restart is the restart it waits for), gives the app
    /// fresh kernel state, and says why it started. `mvRestart` without an
    /// update reports `COLDBOOT` (**Choice**, ABI.md §8: the SDK has no
    /// wake reason for an app's own restart).
    pub fn restart_app(&mut self, why: Restart) -> Result<AppStart, BootError> {
        let mut installed = false;
        if let Some(ota) = self.ota.as_mut() {
            if let Some(updater) = ota.updater.as_mut() {
                match updater.install(&mut ota.flash)? {
                    Some(BootOutcome::InstallFailed) => return Err(BootError::InstallFailed),
                    Some(BootOutcome::Installed { .. }) => installed = true,
                    Some(BootOutcome::Clean) | None => {}
                }
            }
        }
        let reason = match (installed, why) {
            (true, _) => MvWakeReason::ApplicationUpdate,
            (false, Restart::Crash) => MvWakeReason::ApplicationCrash,
            (false, Restart::DeepSleep(mode)) => deep_sleep_wake_reason(mode),
            (
                false,
                Restart::Requested | Restart::UpdateReady | Restart::TestingComplete { .. },
            ) => MvWakeReason::ColdBoot,
        };
        if why != Restart::Crash {
            self.crashes.clear();
        }
        self.kernel.restart_app(reason);
        // The old app's channels are gone: the cloud drops its ends.
        self.drain_net();
        Ok(self.app_started(reason, installed))
    }

    fn app_started(&mut self, wake_reason: MvWakeReason, installed: bool) -> AppStart {
        self.polite_deadline_us = None;
        self.sync_update_state();
        let now = self.kernel.board().now_us();
        self.crashes.started(now);
        let start = AppStart {
            wake_reason,
            app_version: self.installed_version(),
            installed,
        };
        self.kernel
            .board_mut()
            .send(DeviceToCloud::Started(AppStarted {
                protocol_version: PROTOCOL_VERSION,
                wake_reason: wake_reason as u8,
                app_version: start.app_version,
            }));
        start
    }
}
