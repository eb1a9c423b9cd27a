//! App memory as the kernel reaches it on a TrustZone board: TT on both ends, copies through [`crate::nscopy`].
//!
//! The board's table (`NsMemory::app_regions`, from `mv_boards`) is the
//! kernel's one authority check; these are the hardware's word on top of it
//! and the copies after it, the same on every board of this package.

use mv_kernel::board::{Access, AppRegion, BusFault, NsMemory};

use crate::board::Board;
use crate::map::{APP_REGIONS, SECURITY_BLOCK};
use crate::tt::Attribution;
use crate::{cpu, nscopy};

/// What the kernel reaches of the app's memory, the same on every board:
/// the board's table and the SAU/IDAU's attribution, copies through
/// [`nscopy`], writes probed block by block ([`write_ns`]).
impl NsMemory for Board {
    fn app_regions(&self) -> &[AppRegion] {
        &APP_REGIONS
    }

    fn attribution_allows(&self, addr: u32, len: u32, access: Access) -> bool {
        attribution_allows(addr, len, access)
    }

    fn read_ns(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), BusFault> {
        read_ns(addr, buf)
    }

    fn write_ns(&mut self, addr: u32, data: &[u8]) -> Result<(), BusFault> {
        write_ns(addr, data, SECURITY_BLOCK)
    }
}

/// Is the caller's current mode unprivileged (thread mode with nPRIV)?
fn caller_unprivileged() -> bool {
    cpu::ipsr() == 0 && cpu::control_ns() & 1 != 0
}

/// TT on both ends: non-secure, allowed to the caller's privilege, and in
/// the same SAU, IDAU and MPU region (so uniformly attributed between).
/// `len > 0` (the kernel's promise).
pub fn attribution_allows(addr: u32, len: u32, access: Access) -> bool {
    let last = addr + (len - 1);
    let unprivileged = caller_unprivileged();
    let first = Attribution::of_ns_access(addr, unprivileged);
    let end = Attribution::of_ns_access(last, unprivileged);
    let allowed = |a: Attribution| match access {
        Access::Read => a.ns_readable(),
        Access::ReadWrite => a.ns_read_writable(),
    };
    !first.secure() && !end.secure() && first.same_region_as(end) && allowed(first) && allowed(end)
}

/// Through [`nscopy`]: a bus error the checks could not see (the bus-error
/// window) comes back as `BusFault`, not as a kernel fault.
pub fn read_ns(addr: u32, buf: &mut [u8]) -> Result<(), BusFault> {
    // SAFETY: the kernel checked the range (board table and TT): non-secure
    // app RAM or code; `buf` is the kernel's own.
    unsafe { nscopy::copy(buf.as_mut_ptr(), addr as usize as *const u8, buf.len()) }
        .map_err(|_| BusFault { addr })
}

/// All or nothing: a memory protection controller refuses reads and writes
/// of a block alike, so one byte of every `block`-sized block the range
/// touches is read first (`block`: a power of two no larger than the
/// controller's smallest block), and the range is written only if they all
/// read.
pub fn write_ns(addr: u32, data: &[u8], block: u32) -> Result<(), BusFault> {
    let end = u64::from(addr) + data.len() as u64;
    let mut at = u64::from(addr);
    while at < end {
        let mut byte = 0u8;
        // SAFETY: inside the checked range; `byte` is the kernel's own.
        unsafe { nscopy::copy(&mut byte, at as usize as *const u8, 1) }
            .map_err(|_| BusFault { addr: at as u32 })?;
        at = (at | u64::from(block - 1)) + 1;
    }
    // SAFETY: the kernel checked the range for ReadWrite (board table and
    // TT): non-secure app RAM, where no secure object lives.
    unsafe { nscopy::copy(addr as usize as *mut u8, data.as_ptr(), data.len()) }
        .map_err(|_| BusFault { addr })
}
