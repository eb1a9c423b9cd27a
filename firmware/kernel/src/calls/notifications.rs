//! `mvSetupNotifications`, `mvCloseNotifications`, `mvTempTriggerNotification`.

use mv_abi::{MvNotificationSetup, MvStatus};

use crate::board::{Access, Board};
use crate::notify::PostError;
use crate::usermem::{read_struct, read_u32, write_at, NsRange};
use crate::Kernel;

impl<B: Board> Kernel<B> {
    pub(crate) fn setup_notifications(
        &mut self,
        setup: u32,
        handle_out: u32,
    ) -> Result<(), MvStatus> {
        let setup =
            NsRange::claim_struct::<MvNotificationSetup, _>(&self.board, setup, Access::Read)?;
        let setup: MvNotificationSetup =
            read_struct(&mut self.board, &setup).map_err(|_| MvStatus::ParameterFault)?;
        let logging = &self.logging;
        let test_logging = &self.test_logging;
        let channels = &self.channels;
        let plan = self.notifications.plan_setup(&self.board, &setup, |a, l| {
            logging.overlaps(a, l) || test_logging.overlaps(a, l) || channels.overlaps(a, l)
        })?;
        let out = NsRange::claim(&self.board, handle_out, 4, 4, Access::ReadWrite)?;
        // The ring is the centre's from this call on, and a new ring's first
        // sentinel would zero a handle written into it (firmware/ABI.md §4).
        if plan.buffer_overlaps(out.addr(), out.len()) {
            return Err(MvStatus::BufferAlreadyInUse);
        }

        let handle = self.mint_handle()?;
        write_at(&mut self.board, &out, 0, &handle.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        self.notifications
            .commit_setup(&mut self.board, plan, handle)
            .map_err(|_| MvStatus::LateFault)
    }

    pub(crate) fn close_notifications(&mut self, handle_in_out: u32) -> Result<(), MvStatus> {
        let slot = NsRange::claim(&self.board, handle_in_out, 4, 4, Access::ReadWrite)?;
        let handle = read_u32(&mut self.board, &slot).map_err(|_| MvStatus::ParameterFault)?;
        if !self.notifications.contains(handle) {
            return Err(MvStatus::InvalidHandle);
        }
        write_at(&mut self.board, &slot, 0, &0u32.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        self.notifications.close(handle);
        Ok(())
    }

    pub(crate) fn temp_trigger_notification(
        &mut self,
        handle: u32,
        event_type: u32,
        tag: u32,
    ) -> Result<(), MvStatus> {
        match self
            .notifications
            .post(&mut self.board, handle, event_type, tag)
        {
            Ok(()) => Ok(()),
            Err(PostError::NoSuchCentre) => Err(MvStatus::InvalidHandle),
            Err(PostError::BusFault(_)) => Err(MvStatus::LateFault),
        }
    }
}
