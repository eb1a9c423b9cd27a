//! The authority check: is a range the app passed memory the app owns?
//!
//! One pure function over the board's table of app memory, the same on every
//! board (the tables are in `mv-boards`, tested there against this function).
//! A range is accepted only if it lies wholly inside one region that allows
//! the access: app RAM for reads and writes, app code for reads. Peripheral
//! space is never in a table, so a result is never written into a register
//! (no confused deputy). On target the TT instruction adds the hardware's own
//! word ([`crate::board::NsMemory::attribution_allows`]).

use crate::board::Access;

/// A region of memory the non-secure app owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppRegion {
    pub base: u32,
    pub size: u32,
    /// App RAM (read and write); otherwise app code (read only).
    pub writable: bool,
}

impl AppRegion {
    /// One past the last byte, as a `u64` (a region may end at 4 GiB).
    pub const fn end(&self) -> u64 {
        self.base as u64 + self.size as u64
    }
}

/// Does `[addr, addr + len)` lie inside one region of `regions` that allows
/// `access`? Empty and wrapping ranges are never app memory.
#[must_use]
#[inline]
pub fn app_may_access(regions: &[AppRegion], addr: u32, len: u32, access: Access) -> bool {
    // 32-bit arithmetic only (this runs on every pointer of every call):
    // `addr - base <= size - len` puts the whole range inside the region,
    // which cannot wrap, so neither can the range.
    len > 0
        && regions.iter().any(|r| {
            (r.writable || access == Access::Read)
                && addr >= r.base
                && len <= r.size
                && addr - r.base <= r.size - len
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: [AppRegion; 2] = [
        AppRegion {
            base: 0x1000,
            size: 0x100,
            writable: true,
        },
        AppRegion {
            base: 0x1100,
            size: 0x100,
            writable: false,
        },
    ];

    #[test]
    fn a_range_must_fit_one_region_that_allows_the_access() {
        assert!(app_may_access(&MAP, 0x1000, 0x100, Access::ReadWrite));
        assert!(
            !app_may_access(&MAP, 0x0FFF, 2, Access::Read),
            "starts outside"
        );
        assert!(
            !app_may_access(&MAP, 0x10FF, 2, Access::Read),
            "spans two regions"
        );
        assert!(app_may_access(&MAP, 0x1100, 4, Access::Read));
        assert!(
            !app_may_access(&MAP, 0x1100, 4, Access::ReadWrite),
            "code is read-only"
        );
        assert!(!app_may_access(&MAP, 0x1000, 0, Access::Read), "empty");
        assert!(
            !app_may_access(&MAP, 0xFFFF_FFF0, 0x20, Access::Read),
            "wraps"
        );
    }
}
