//! `mvOpenSystemNotification`, `mvCloseSystemNotification`, `mvGetWakeReason`, `mvRestart`.

use mv_abi::{
    MvEventType, MvOpenSystemNotificationParams, MvRestartMode, MvStatus,
    MvSystemNotificationSource,
};

use crate::board::{Access, Board};
use crate::system::SystemNotification;
use crate::usermem::{read_struct, read_u32, write_at, NsRange};
use crate::Kernel;

impl<B: Board> Kernel<B> {
    pub(crate) fn open_system_notification(
        &mut self,
        params: u32,
        handle_out: u32,
    ) -> Result<(), MvStatus> {
        if self.board.caller_in_interrupt() {
            return Err(MvStatus::Unavailable);
        }
        let params = NsRange::claim_struct::<MvOpenSystemNotificationParams, _>(
            &self.board,
            params,
            Access::Read,
        )?;
        let params: MvOpenSystemNotificationParams =
            read_struct(&mut self.board, &params).map_err(|_| MvStatus::ParameterFault)?;
        if !self.notifications.contains(params.notification_handle) {
            return Err(MvStatus::InvalidHandle);
        }
        // "@retval MV_STATUS_INVALIDHANDLE Invalid notification handle or event source."
        if MvSystemNotificationSource::try_from(params.notification_source).is_err() {
            return Err(MvStatus::InvalidHandle);
        }
        let out = NsRange::claim(&self.board, handle_out, 4, 4, Access::ReadWrite)?;
        // The header names no status for a full table; UNAVAILABLE would
        // tell the app it called from an interrupt (firmware/ABI.md §8).
        if !self.system_notifications.has_room() {
            return Err(MvStatus::TooManyElements);
        }
        let handle = self.mint_handle()?;
        write_at(&mut self.board, &out, 0, &handle.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        // An update already waits for this app's restart (polite
        // deployment, firmware/ABI.md §8): a stream opened for UPDATE now
        // hears UPDATEDOWNLOADED at once, or the app would never learn of
        // it. The record goes out before the stream is kept; the app's
        // handler of that notification runs here when its IRQ is fast and
        // may change `params`, so everything below uses the call's one
        // copy (§21 "Mid-call changes").
        let posted = if self.update_waiting
            && params.notification_source == MvSystemNotificationSource::Update as u32
        {
            self.notifications.post(
                &mut self.board,
                params.notification_handle,
                MvEventType::UpdateDownloaded as u32,
                params.notification_tag,
            )
        } else {
            Ok(())
        };
        self.system_notifications.insert(SystemNotification {
            handle,
            centre: params.notification_handle,
            tag: params.notification_tag,
            source: params.notification_source,
        });
        // The ring was lent earlier: a bus fault writing it is after the
        // call's action (§2).
        posted.map_err(|_| MvStatus::LateFault)
    }

    pub(crate) fn close_system_notification(&mut self, handle_in_out: u32) -> Result<(), MvStatus> {
        if self.board.caller_in_interrupt() {
            return Err(MvStatus::Unavailable);
        }
        let slot = NsRange::claim(&self.board, handle_in_out, 4, 4, Access::ReadWrite)?;
        let handle = read_u32(&mut self.board, &slot).map_err(|_| MvStatus::ParameterFault)?;
        if !self.system_notifications.contains(handle) {
            return Err(MvStatus::InvalidHandle);
        }
        write_at(&mut self.board, &slot, 0, &0u32.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        self.system_notifications.remove(handle);
        Ok(())
    }

    /// Writes exactly one byte: `enum MvWakeReason` is a 1-byte enum in apps
    /// built with the SDK's default (short-enum) flags.
    pub(crate) fn get_wake_reason(&mut self, out: u32) -> Result<(), MvStatus> {
        if self.board.caller_in_interrupt() {
            return Err(MvStatus::Unavailable);
        }
        let out = NsRange::claim(&self.board, out, 1, 1, Access::ReadWrite)?;
        write_at(&mut self.board, &out, 0, &[self.wake_reason as u8])
            .map_err(|_| MvStatus::ParameterFault)
    }

    /// Checks only: the restart itself is the board's to do once the call
    /// has returned into the kernel ([`Kernel::take_restart_request`]), so
    /// on success the app never sees the return.
    pub(crate) fn restart(&mut self, mode: u32) -> Result<(), MvStatus> {
        if self.board.caller_in_interrupt() {
            return Err(MvStatus::Unavailable);
        }
        if MvRestartMode::try_from(mode).is_err() {
            return Err(MvStatus::ParameterFault);
        }
        // "@retval MV_STATUS_MICROVISORBUSY ... will interrupt Microvisor's operation"
        if self.update_in_progress {
            return Err(MvStatus::MicrovisorBusy);
        }
        self.restart_request = Some(crate::RestartRequest::Restart);
        Ok(())
    }
}
