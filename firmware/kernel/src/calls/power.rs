//! `mvPowerSave`, `mvDeepSleep`, `mvSystemLedEnable`.

use mv_abi::{MvDeepSleepMode, MvPowerSavingMode, MvStatus};

use crate::board::Board;
use crate::{Kernel, RestartRequest};

impl<B: Board> Kernel<B> {
    /// The checks both power calls share, in the header's order:
    /// "`UNAVAILABLE` Calling from an interrupt", "`PARAMETERFAULT` Unknown
    /// power saving mode", "`MICROVISORBUSY` Cannot enter power-saving mode
    /// as network is still active" [H]. **Choice**: the network is active
    /// while the app holds a network request (`mvRequestNetwork` not
    /// released).
    fn power_checks(&self, known_mode: bool) -> Result<(), MvStatus> {
        if self.board.caller_in_interrupt() {
            return Err(MvStatus::Unavailable);
        }
        if !known_mode {
            return Err(MvStatus::ParameterFault);
        }
        if self.network.count() > 0 {
            return Err(MvStatus::MicrovisorBusy);
        }
        Ok(())
    }

    /// `enum MvPowerSavingMode` is one byte: `mode` arrives truncated.
    /// **Choice**: the mode is recorded for the app's next `WFI` and the
    /// call returns at once (neither the sim nor QEMU models STM32U5 stop
    /// modes; the app's own `WFI` sleeps until its next interrupt).
    pub(crate) fn power_save(&mut self, mode: u8) -> Result<(), MvStatus> {
        let mode = MvPowerSavingMode::try_from(u32::from(mode));
        self.power_checks(mode.is_ok())?;
        self.power_save_mode = mode.ok();
        Ok(())
    }

    /// Checks only, as `mvRestart`: on success the app does not see the
    /// return. The device sleeps and wakes in a restart whose wake reason
    /// says so ([`RestartRequest::DeepSleep`]).
    pub(crate) fn deep_sleep(&mut self, mode: u8) -> Result<(), MvStatus> {
        let mode = MvDeepSleepMode::try_from(u32::from(mode));
        self.power_checks(mode.is_ok())?;
        if let Ok(mode) = mode {
            self.restart_request = Some(RestartRequest::DeepSleep(mode));
        }
        Ok(())
    }

    /// `mvSystemLedEnable(0|1)`, "other values reserved" (SDK header).
    /// **Choice**: a reserved value is `PARAMETERFAULT`, as an unknown mode
    /// of the power calls is.
    pub(crate) fn system_led_enable(&mut self, enable: u32) -> Result<(), MvStatus> {
        if self.board.caller_in_interrupt() {
            return Err(MvStatus::Unavailable);
        }
        if enable > 1 {
            return Err(MvStatus::ParameterFault);
        }
        self.board.set_system_led(enable == 1);
        Ok(())
    }

    /// The mode the app last chose with `mvPowerSave`.
    pub fn power_save_mode(&self) -> Option<MvPowerSavingMode> {
        self.power_save_mode
    }
}
