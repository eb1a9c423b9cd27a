//! Where `Alloc` puts things: one bump pointer per placement, as the sim does.
//!
//! The rules are the sim's (`harness/sim/src/agent.rs`), on the AN505 map:
//! `ns_ram` grows up from the pool base, `ns_ram_end` down from the end of
//! app RAM, and a straddle is centred on the NS/S boundary at the end of app
//! RAM, refused when an object no larger than its alignment cannot cross it.
//! Unlike the sim, `ns_ram` and `ns_flash` stop at the end of their pools
//! (an allocation past them is `OutOfMemory`, not an address in secure memory).

use mv_proto::Placement;

use crate::memory_map::{
    pool_base, NS_FLASH_POOL, NS_RAM_END, SECURE_FLASH_POOL, SECURE_RAM_POOL, UNMAPPED_POOL,
};

/// Why an allocation was not made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocError {
    OutOfMemory,
    /// A straddle that cannot straddle, or an alignment that is not a power of two.
    BadArgument,
}

/// Bump pointers, one per placement.
pub struct Allocator {
    ram_low: u32,
    ram_high: u32,
    flash: u32,
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
    /// All pools empty, as after boot.
    pub fn new() -> Allocator {
        Allocator {
            ram_low: pool_base(),
            ram_high: NS_RAM_END,
            flash: NS_FLASH_POOL.0,
            secure_ram: SECURE_RAM_POOL,
            secure_flash: SECURE_FLASH_POOL,
            unmapped: UNMAPPED_POOL,
        }
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
            // The sim answers this with OutOfMemory too (its `None`).
            return Err(OutOfMemory);
        }
        // Leave room for the misalignment inside the reservation.
        let span = size.checked_add(misalign).ok_or(OutOfMemory)?;
        let base = match placement {
            Placement::NsRam => bump(&mut self.ram_low, span, align, self.ram_high),
            Placement::NsRamEnd => {
                let at = self.ram_high.checked_sub(span).ok_or(OutOfMemory)? & !(align - 1);
                if at < self.ram_low {
                    return Err(OutOfMemory);
                }
                self.ram_high = at;
                Some(at)
            }
            Placement::NsFlash => bump(&mut self.flash, span, align, NS_FLASH_POOL.1),
            Placement::SecureRam => bump(&mut self.secure_ram, span, align, u32::MAX),
            Placement::SecureFlash => bump(&mut self.secure_flash, span, align, u32::MAX),
            Placement::Unmapped => bump(&mut self.unmapped, span, align, u32::MAX),
            Placement::StraddleNsSecure => {
                let at = (NS_RAM_END - size.div_ceil(2)) & !(align - 1);
                let end = at
                    .checked_add(misalign)
                    .and_then(|a| a.checked_add(size))
                    .ok_or(OutOfMemory)?;
                if end <= NS_RAM_END {
                    return Err(BadArgument);
                }
                Some(at)
            }
        };
        base.and_then(|b| b.checked_add(misalign))
            .ok_or(OutOfMemory)
    }
}
