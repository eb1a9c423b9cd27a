//! App crashes: the report to the cloud and the back-off before the app starts again.
//!
//! Back-off (**Choice**, `firmware/ABI.md` §8): [`MIN_BACKOFF_MS`] after the
//! first crash, doubling per crash in a row up to [`MAX_BACKOFF_MS`]; an app
//! that ran [`CLEAN_RUN_US`] since its last start counts as a clean start again.

use alloc::vec::Vec;

use mv_flash::Flash;
use mv_kernel::board::Board;
use mv_proto::{CrashReport, DeviceToCloud, FaultReport};

use crate::{Device, Uplink};

pub const MIN_BACKOFF_MS: u32 = 100;
pub const MAX_BACKOFF_MS: u32 = 10_000;
pub const CLEAN_RUN_US: u64 = 60_000_000;

/// Back-off before restart `n` (1-based) of a crash loop.
pub fn backoff_ms(crashes: u32) -> u32 {
    MIN_BACKOFF_MS
        .saturating_mul(1 << crashes.saturating_sub(1).min(16))
        .min(MAX_BACKOFF_MS)
}

/// Crashes since the app last started cleanly.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CrashCount {
    crashes: u32,
    started_us: u64,
}

impl CrashCount {
    pub(crate) fn started(&mut self, now_us: u64) {
        self.started_us = now_us;
    }

    pub(crate) fn clear(&mut self) {
        self.crashes = 0;
    }

    /// Counts a crash at `now_us`; returns the crash number in the loop.
    fn crashed(&mut self, now_us: u64) -> u32 {
        if now_us.saturating_sub(self.started_us) >= CLEAN_RUN_US {
            self.crashes = 0;
        }
        self.crashes += 1;
        self.crashes
    }
}

impl<B: Board + Uplink, F: Flash> Device<B, F> {
    /// The app faulted (the board captured `fault`, the app's stack pointer
    /// and the stack bytes from it up). Reports the crash to the cloud and
    /// returns how long the board waits before [`Self::restart_app`] with
    /// [`crate::Restart::Crash`].
    pub fn app_crashed(&mut self, fault: FaultReport, sp: u32, stack: Vec<u8>) -> u32 {
        let now = self.kernel.board().now_us();
        let crashes = self.crashes.crashed(now);
        let backoff = backoff_ms(crashes);
        self.kernel
            .board_mut()
            .send(DeviceToCloud::Crash(CrashReport {
                fault,
                sp,
                stack,
                crashes,
                backoff_ms: backoff,
            }));
        backoff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_to_its_cap_and_a_clean_run_resets_it() {
        assert_eq!(
            [1, 2, 3, 8, 30].map(backoff_ms),
            [100, 200, 400, 10_000, 10_000]
        );
        let mut c = CrashCount::default();
        c.started(0);
        assert_eq!(c.crashed(1_000), 1);
        c.started(1_100);
        assert_eq!(c.crashed(2_000), 2, "a crash loop");
        c.started(2_200);
        assert_eq!(c.crashed(2_200 + CLEAN_RUN_US), 1, "ran long enough");
    }
}
