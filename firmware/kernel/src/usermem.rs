//! App pointers as claims: checked before any side effect, then copied.
//!
//! A pointer from the non-secure app is not a buffer, it is a *claim* that
//! `[addr, addr + len)` is app memory. [`NsRange::claim`] is the only way to
//! make an [`NsRange`], and it checks alignment, wrap-around and the board's
//! attribution of every byte. The kernel then copies through the board; it
//! never forms a Rust reference into app memory, and it validates the copy,
//! not the original (the app can change its memory at any time).

use mv_abi::{AbiStruct, MvStatus};

use crate::authority::app_may_access;
use crate::board::{Access, BusFault, NsMemory};

/// The largest ABI struct the kernel ever copies in (MvMqttConnectRequest is 60).
const MAX_STRUCT_SIZE: usize = 64;

/// Pure arithmetic part of the check: non-wrapping and aligned.
#[must_use]
pub fn range_is_well_formed(addr: u32, len: u32, align: u32) -> bool {
    debug_assert!(align.is_power_of_two());
    addr.is_multiple_of(align) && u64::from(addr) + u64::from(len) <= 1 << 32
}

/// A range of app memory whose authority has been checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NsRange {
    addr: u32,
    len: u32,
}

impl NsRange {
    /// The empty range at 0 (a placeholder; touches nothing).
    pub const EMPTY: NsRange = NsRange { addr: 0, len: 0 };

    /// Check an app claim. Zero-length ranges need no authority (nothing is
    /// touched) but must still be well formed. Fails with `PARAMETERFAULT`.
    pub fn claim<M: NsMemory + ?Sized>(
        mem: &M,
        addr: u32,
        len: u32,
        align: u32,
        access: Access,
    ) -> Result<NsRange, MvStatus> {
        if !range_is_well_formed(addr, len, align) {
            return Err(MvStatus::ParameterFault);
        }
        if len > 0
            && !(app_may_access(mem.app_regions(), addr, len, access)
                && mem.attribution_allows(addr, len, access))
        {
            return Err(MvStatus::ParameterFault);
        }
        Ok(NsRange { addr, len })
    }

    /// Claim room for one `T`, aligned as the C type is.
    pub fn claim_struct<T: AbiStruct, M: NsMemory + ?Sized>(
        mem: &M,
        addr: u32,
        access: Access,
    ) -> Result<NsRange, MvStatus> {
        Self::claim(mem, addr, T::SIZE as u32, T::LAYOUT.align as u32, access)
    }

    pub fn addr(&self) -> u32 {
        self.addr
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Does this range share a byte with `[addr, addr + len)`?
    #[must_use]
    pub fn overlaps(&self, addr: u32, len: u32) -> bool {
        ranges_overlap(self.addr, self.len, addr, len)
    }
}

/// Do two half-open byte ranges share a byte?
#[must_use]
pub fn ranges_overlap(a: u32, a_len: u32, b: u32, b_len: u32) -> bool {
    let (a, a_end) = (u64::from(a), u64::from(a) + u64::from(a_len));
    let (b, b_end) = (u64::from(b), u64::from(b) + u64::from(b_len));
    a_len > 0 && b_len > 0 && a < b_end && b < a_end
}

/// Copy a struct in from a checked range and decode the copy.
pub fn read_struct<T: AbiStruct, M: NsMemory + ?Sized>(
    mem: &mut M,
    range: &NsRange,
) -> Result<T, BusFault> {
    let mut bytes = [0u8; MAX_STRUCT_SIZE];
    let bytes = &mut bytes[..T::SIZE];
    mem.read_ns(range.addr, bytes)?;
    Ok(T::decode(bytes))
}

/// Copy a `u32` in from a checked range.
pub fn read_u32<M: NsMemory + ?Sized>(mem: &mut M, range: &NsRange) -> Result<u32, BusFault> {
    let mut bytes = [0u8; 4];
    mem.read_ns(range.addr, &mut bytes)?;
    Ok(u32::from_le_bytes(bytes))
}

/// Write bytes at `offset` within a checked range.
pub fn write_at<M: NsMemory + ?Sized>(
    mem: &mut M,
    range: &NsRange,
    offset: u32,
    data: &[u8],
) -> Result<(), BusFault> {
    debug_assert!(u64::from(offset) + data.len() as u64 <= u64::from(range.len));
    mem.write_ns(range.addr + offset, data)
}

/// A bus fault part-way through [`copy_within_ns`]: `written` bytes of the
/// destination had changed (0: nothing did, so the call can still refuse).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyFault {
    pub written: u32,
}

/// Copy `len` bytes from one checked app range to another, through a small
/// secure bounce buffer (never a reference into app memory), front to back.
pub fn copy_within_ns<M: NsMemory + ?Sized>(
    mem: &mut M,
    from: u32,
    to: u32,
    len: u32,
) -> Result<(), CopyFault> {
    let mut chunk = [0u8; 64];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len() as u32);
        let bytes = &mut chunk[..n as usize];
        let fault = CopyFault { written: done };
        mem.read_ns(from + done, bytes).map_err(|_| fault)?;
        mem.write_ns(to + done, bytes).map_err(|_| fault)?;
        done += n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_and_alignment_are_rejected() {
        assert!(range_is_well_formed(0x2000_0000, 16, 8));
        assert!(!range_is_well_formed(0x2000_0004, 16, 8));
        assert!(!range_is_well_formed(0xFFFF_FFF0, 0x20, 1));
        assert!(range_is_well_formed(0xFFFF_FFF0, 0x10, 1));
    }

    #[test]
    fn overlap_is_half_open() {
        assert!(ranges_overlap(0, 16, 15, 1));
        assert!(!ranges_overlap(0, 16, 16, 16));
        assert!(!ranges_overlap(0, 0, 0, 16));
        assert!(ranges_overlap(0xFFFF_FFF0, 0x10, 0xFFFF_FFFF, 1));
    }
}
