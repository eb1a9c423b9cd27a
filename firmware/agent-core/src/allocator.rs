//! Where `Alloc` puts things: one bump pointer per placement, within the board's pools.
//!
//! `ns_ram` grows up from the pool start, `ns_ram_end` down from the end of
//! app RAM, and a straddle is centred on the NS/S boundary at the end of app
//! RAM, refused when an object no larger than its alignment cannot cross it.
//! `ns_ram`, `ns_ram_end` and `ns_flash` stop at the end of their pools (an
//! allocation past them is `OutOfMemory`, never an address in secure memory),
//! and `ns_ram` and `ns_ram_end` never enter the `privileged_only` and
//! `bus_error` windows inside app RAM, which have bump pointers of their own.

use mv_boards::Pools;
use mv_proto::Placement;

/// Why an allocation was not made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocError {
    OutOfMemory,
    /// A straddle that cannot straddle, or an alignment that is not a power of two.
    BadArgument,
}

/// Bump pointers, one per placement.
#[derive(Clone, Debug)]
pub struct Allocator {
    pools: Pools,
    ram_low: u32,
    ram_high: u32,
    flash: u32,
    bus_error: u32,
    privileged_only: u32,
    secure_ram: u32,
    secure_flash: u32,
    unmapped: u32,
}

fn align_up(v: u32, align: u32) -> Option<u32> {
    v.checked_add(align - 1).map(|v| v & !(align - 1))
}

/// Reserve `span` bytes at `*ptr` (aligned), not past `limit`.
fn bump(ptr: &mut u32, span: u32, align: u32, limit: u32) -> Option<u32> {
    let at = align_up(*ptr, align)?;
    let end = at.checked_add(span.max(1))?;
    if end > limit {
        return None;
    }
    *ptr = end;
    Some(at)
}

impl Allocator {
    /// All pools empty, as after the agent starts.
    pub fn new(pools: Pools) -> Allocator {
        Allocator {
            pools,
            ram_low: pools.ns_ram.0,
            ram_high: pools.ns_ram.1,
            flash: pools.ns_flash.0,
            bus_error: pools.bus_error.0,
            privileged_only: pools.privileged_only.0,
            secure_ram: pools.secure_ram,
            secure_flash: pools.secure_flash,
            unmapped: pools.unmapped,
        }
    }

    pub fn pools(&self) -> &Pools {
        &self.pools
    }

    /// Does `[addr, addr + len)` lie in the RAM pool, outside the bus-error
    /// window (the only memory the agent stores into)?
    #[must_use]
    pub fn in_ram_pool(&self, addr: u32, len: u32) -> bool {
        let (hole, hole_end) = self.pools.bus_error;
        addr >= self.pools.ns_ram.0
            && addr
                .checked_add(len)
                .is_some_and(|end| end <= self.pools.ns_ram.1 && (end <= hole || addr >= hole_end))
    }

    /// Where the windows inside app RAM begin and end: `ns_ram` stays below,
    /// `ns_ram_end` above.
    fn windows(&self) -> (u32, u32) {
        let (a, b) = (self.pools.privileged_only, self.pools.bus_error);
        (a.0.min(b.0), a.1.max(b.1))
    }

    /// Reserve `size` bytes aligned to `align`, then offset by `misalign`.
    pub fn alloc(
        &mut self,
        size: u32,
        align: u32,
        placement: Placement,
        misalign: u32,
    ) -> Result<u32, AllocError> {
        use AllocError::{BadArgument, OutOfMemory};
        if !align.is_power_of_two() {
            return Err(BadArgument);
        }
        // Leave room for the misalignment inside the reservation.
        let span = size.checked_add(misalign).ok_or(OutOfMemory)?;
        let boundary = self.pools.ns_ram.1;
        let (windows_start, windows_end) = self.windows();
        let base = match placement {
            Placement::NsRam => bump(&mut self.ram_low, span, align, windows_start),
            Placement::NsRamEnd => {
                let at = self.ram_high.checked_sub(span).ok_or(OutOfMemory)? & !(align - 1);
                if at < windows_end {
                    return Err(OutOfMemory);
                }
                self.ram_high = at;
                Some(at)
            }
            Placement::NsFlash => bump(&mut self.flash, span, align, self.pools.ns_flash.1),
            Placement::BusError => bump(&mut self.bus_error, span, align, self.pools.bus_error.1),
            Placement::PrivilegedOnly => bump(
                &mut self.privileged_only,
                span,
                align,
                self.pools.privileged_only.1,
            ),
            Placement::SecureRam => bump(&mut self.secure_ram, span, align, u32::MAX),
            Placement::SecureFlash => bump(&mut self.secure_flash, span, align, u32::MAX),
            Placement::Unmapped => bump(&mut self.unmapped, span, align, u32::MAX),
            Placement::StraddleNsSecure => {
                let at = (boundary - size.div_ceil(2)) & !(align - 1);
                let end = at
                    .checked_add(misalign)
                    .and_then(|a| a.checked_add(size))
                    .ok_or(OutOfMemory)?;
                if end <= boundary {
                    return Err(BadArgument);
                }
                Some(at)
            }
        };
        base.and_then(|b| b.checked_add(misalign))
            .ok_or(OutOfMemory)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDARY: u32 = 0x2008_0000;
    const HOLE: (u32, u32) = (0x2007_0000, 0x2007_1000);
    const PRIVILEGED: (u32, u32) = (0x2006_0000, 0x2006_1000);
    const POOLS: Pools = Pools {
        ns_ram: (0x2000_1000, BOUNDARY),
        ns_flash: (0x0801_0000, 0x0810_0000),
        bus_error: HOLE,
        privileged_only: PRIVILEGED,
        secure_ram: 0x3000_1000,
        secure_flash: 0x0C00_1000,
        unmapped: 0x7000_0000,
    };

    #[test]
    fn a_straddle_crosses_the_boundary_or_is_refused() {
        let mut a = Allocator::new(POOLS);
        let at = a.alloc(8, 4, Placement::StraddleNsSecure, 0).unwrap();
        assert!(at < BOUNDARY && at + 8 > BOUNDARY);
        assert_eq!(
            a.alloc(4, 4, Placement::StraddleNsSecure, 0),
            Err(AllocError::BadArgument)
        );
        assert!(a.alloc(4, 4, Placement::StraddleNsSecure, 2).is_ok());
    }

    #[test]
    fn ram_end_allocations_end_at_the_boundary_and_pools_run_out() {
        let mut a = Allocator::new(POOLS);
        assert_eq!(a.alloc(34, 1, Placement::NsRamEnd, 0), Ok(BOUNDARY - 34));
        assert_eq!(
            a.alloc(0x0010_0000, 8, Placement::NsRam, 0),
            Err(AllocError::OutOfMemory),
            "past the pool, never into secure memory"
        );
        assert_eq!(
            a.alloc(0x0010_0000, 8, Placement::NsFlash, 0),
            Err(AllocError::OutOfMemory)
        );
        assert_eq!(
            a.alloc(8, 3, Placement::NsRam, 0),
            Err(AllocError::BadArgument)
        );
    }

    #[test]
    fn ram_allocations_stay_out_of_the_windows() {
        let mut a = Allocator::new(POOLS);
        let below = PRIVILEGED.0 - 0x2000_1000;
        assert_eq!(a.alloc(below, 8, Placement::NsRam, 0), Ok(0x2000_1000));
        assert_eq!(
            a.alloc(1, 1, Placement::NsRam, 0),
            Err(AllocError::OutOfMemory),
            "ns_ram stops at the first window"
        );
        assert_eq!(
            a.alloc(BOUNDARY - HOLE.1, 1, Placement::NsRamEnd, 0),
            Ok(HOLE.1)
        );
        assert_eq!(
            a.alloc(1, 1, Placement::NsRamEnd, 0),
            Err(AllocError::OutOfMemory),
            "ns_ram_end stops at the window"
        );
        assert_eq!(a.alloc(64, 8, Placement::BusError, 0), Ok(HOLE.0));
        assert_eq!(
            a.alloc(64, 8, Placement::PrivilegedOnly, 0),
            Ok(PRIVILEGED.0)
        );
        assert!(
            a.in_ram_pool(PRIVILEGED.0, 64),
            "the agent, privileged, writes it"
        );
        assert_eq!(
            a.alloc(0x1000, 8, Placement::BusError, 0),
            Err(AllocError::OutOfMemory)
        );
        assert!(
            !a.in_ram_pool(HOLE.0 - 4, 8),
            "the agent never stores into it"
        );
        assert!(a.in_ram_pool(HOLE.0 - 4, 4));
    }

    #[test]
    fn the_ram_pool_is_all_the_agent_writes() {
        let a = Allocator::new(POOLS);
        assert!(a.in_ram_pool(0x2000_1000, 16));
        assert!(!a.in_ram_pool(0x2000_0FFF, 2), "the agent's own RAM");
        assert!(!a.in_ram_pool(BOUNDARY - 1, 2), "past app RAM");
        assert!(!a.in_ram_pool(u32::MAX, 2), "wraps");
    }
}
