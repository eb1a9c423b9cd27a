//! Safe wrappers: the binding owns the pointers and returns `Result`.
//!
//! Each wrapper passes only memory it owns for the duration of the call (or,
//! for a notification ring, memory the caller gave up for good), so nothing
//! here can make the secure world write where Rust does not expect it.

use mv_abi::{MvNotification, MvNotificationHandle, MvNotificationSetup, MvStatus};

use crate::raw;

/// `mvGetDeviceId` writes exactly this many bytes.
pub const DEVICE_ID_LEN: usize = 34;

/// `Ok(())` for `MV_STATUS_OKAY`, the status otherwise. A value this binding
/// does not know (a newer kernel) is reported as `MV_STATUS_INTERNALERROR`.
pub fn status(raw: u32) -> Result<(), MvStatus> {
    match MvStatus::try_from(raw) {
        Ok(MvStatus::Okay) => Ok(()),
        Ok(status) => Err(status),
        Err(_) => Err(MvStatus::InternalError),
    }
}

/// `mvNoOp`.
pub fn no_op() -> Result<(), MvStatus> {
    // SAFETY: no arguments.
    status(unsafe { raw::mv_no_op() })
}

/// `mvGetMicroseconds`: the free-running counter, from 0 at boot.
pub fn get_microseconds() -> Result<u64, MvStatus> {
    let mut us = 0u64;
    // SAFETY: `us` is a live, 8-aligned u64 for the whole call.
    status(unsafe { raw::mv_get_microseconds(&mut us) })?;
    Ok(us)
}

/// `mvGetSysClk` in Hz.
pub fn get_sys_clk() -> Result<u32, MvStatus> {
    let mut hz = 0u32;
    // SAFETY: `hz` is a live u32 for the whole call.
    status(unsafe { raw::mv_get_sys_clk(&mut hz) })?;
    Ok(hz)
}

/// `mvGetDeviceId`: `UV` and 32 hex digits, no terminator.
pub fn get_device_id() -> Result<[u8; DEVICE_ID_LEN], MvStatus> {
    let mut id = [0u8; DEVICE_ID_LEN];
    // SAFETY: `id` is 34 live bytes for the whole call.
    status(unsafe { raw::mv_get_device_id(id.as_mut_ptr(), DEVICE_ID_LEN as u32) })?;
    Ok(id)
}

/// `mvSetupNotifications` on a ring the app hands over for good: Microvisor
/// writes records into it whenever an event happens, so the caller must read
/// it with volatile loads from now on (it no longer owns it as Rust memory).
pub fn setup_notifications(
    ring: &'static mut [MvNotification],
    irq: u32,
) -> Result<MvNotificationHandle, MvStatus> {
    let size = core::mem::size_of_val(ring);
    let setup = MvNotificationSetup {
        irq,
        buffer: ring.as_mut_ptr() as usize as u32,
        buffer_size: u32::try_from(size).map_err(|_| MvStatus::InvalidBufferSize)?,
    };
    let mut handle: MvNotificationHandle = 0;
    // SAFETY: `setup` and `handle` live for the call; the ring is 'static
    // and exclusively given to Microvisor by the `&'static mut`.
    status(unsafe { raw::mv_setup_notifications(&setup, &mut handle) })?;
    Ok(handle)
}

/// `mvCloseNotifications`. The ring stays Microvisor's: records already
/// written remain, but no new ones arrive once the last centre on it closed.
pub fn close_notifications(handle: MvNotificationHandle) -> Result<(), MvStatus> {
    let mut handle = handle;
    // SAFETY: `handle` is a live u32 for the call.
    status(unsafe { raw::mv_close_notifications(&mut handle) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_results() {
        assert_eq!(status(0), Ok(()));
        assert_eq!(status(2), Err(MvStatus::ParameterFault));
        assert_eq!(status(0xFFFF), Err(MvStatus::InternalError));
    }

    #[test]
    fn the_host_build_calls_nothing() {
        assert_eq!(no_op(), Err(MvStatus::Unavailable));
        assert_eq!(get_microseconds(), Err(MvStatus::Unavailable));
    }
}
