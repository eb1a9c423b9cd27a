//! Where the veneer table is, and the one place that branches into it.
//!
//! The base is set once at start-up from the handoff block (or the board's
//! fixed address). A call to slot `n` is a branch to `base + 8*n` with bit 0
//! set (Thumb), through an `extern "C"` function pointer of the call's arity:
//! the veneer's `SG` switches to the secure world and `BXNS LR` comes back.

use core::sync::atomic::{AtomicU32, Ordering};

use mv_abi::{MvStatus, NSC_ENTRY_SIZE, NSC_TABLE_ENTRIES};

/// Address of NSC entry 0; 0 until [`init`].
static TABLE_BASE: AtomicU32 = AtomicU32::new(0);

/// Returned without calling anything: no table yet, a slot outside the table,
/// or a host build.
const UNAVAILABLE: u32 = MvStatus::Unavailable as u32;

/// Tell the binding where the veneer table is.
///
/// # Safety
/// `table_base` must be the address of entry 0 of a Microvisor NSC veneer
/// table with [`NSC_TABLE_ENTRIES`] entries; every later call branches there.
pub unsafe fn init(table_base: u32) {
    TABLE_BASE.store(table_base, Ordering::Relaxed);
}

/// The base given to [`init`], or 0.
pub fn table_base() -> u32 {
    TABLE_BASE.load(Ordering::Relaxed)
}

/// Address of slot `slot`'s entry (without the Thumb bit), if the table is
/// known and the slot is inside it.
pub fn entry_address(slot: u32) -> Option<u32> {
    let base = table_base();
    (base != 0 && slot < NSC_TABLE_ENTRIES).then(|| base + NSC_ENTRY_SIZE * slot)
}

/// Call slot `slot` with r0–r3 and return r0 (the raw `MvStatus`).
///
/// A slot past the end of the table is not a system call: branching there
/// would execute whatever follows the table, so the binding returns
/// `MV_STATUS_UNAVAILABLE` without calling, which is what the kernel answers
/// for an unassigned slot. Before [`init`] every call returns the same.
///
/// # Safety
/// The arguments are handed to the secure world as they are: every pointer
/// among them may be written by the call, exactly as the C prototype of the
/// slot says (see `mv_abi::Slot`).
pub unsafe fn raw_call(slot: u32, args: [u32; 4]) -> u32 {
    match entry_address(slot) {
        // SAFETY: the address is an entry of the table `init` was promised
        // to be; argument validity is the caller's promise.
        Some(entry) => unsafe { call4(entry, args) },
        None => UNAVAILABLE,
    }
}

/// Arity-exact calls; `entry` is a table entry without the Thumb bit.
macro_rules! define_call {
    ($name:ident, $($arg:ident),*) => {
        /// # Safety
        /// `entry` must be a veneer of the table; the arguments follow its prototype.
        #[allow(unused_variables)]
        pub(crate) unsafe fn $name(entry: u32, $($arg: u32),*) -> u32 {
            #[cfg(all(target_arch = "arm", target_os = "none"))]
            {
                type Veneer = extern "C" fn($(define_call!(@u32 $arg)),*) -> u32;
                // SAFETY: `entry | 1` is the Thumb address of an SG veneer
                // that follows the AAPCS and returns r0, as the caller promised.
                let veneer: Veneer =
                    unsafe { core::mem::transmute::<usize, Veneer>((entry | 1) as usize) };
                veneer($($arg),*)
            }
            #[cfg(not(all(target_arch = "arm", target_os = "none")))]
            {
                UNAVAILABLE
            }
        }
    };
    (@u32 $arg:ident) => { u32 };
}

define_call!(call0_at,);
define_call!(call1_at, a0);
define_call!(call2_at, a0, a1);
define_call!(call3_at, a0, a1, a2);
define_call!(call4_at, a0, a1, a2, a3);

unsafe fn call4(entry: u32, a: [u32; 4]) -> u32 {
    // SAFETY: forwarded from `raw_call`.
    unsafe { call4_at(entry, a[0], a[1], a[2], a[3]) }
}

/// Call `slot` with the arity of its prototype; used by [`crate::raw`].
///
/// # Safety
/// As [`raw_call`].
pub(crate) unsafe fn call(slot: mv_abi::Slot, args: &[u32]) -> u32 {
    let Some(entry) = entry_address(slot.number()) else {
        return UNAVAILABLE;
    };
    // SAFETY: `entry` is inside the table; the arguments are the caller's promise.
    unsafe {
        match *args {
            [] => call0_at(entry),
            [a0] => call1_at(entry, a0),
            [a0, a1] => call2_at(entry, a0, a1),
            [a0, a1, a2] => call3_at(entry, a0, a1, a2),
            [a0, a1, a2, a3, ..] => call4_at(entry, a0, a1, a2, a3),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_outside_the_table_call_nothing() {
        // SAFETY: nothing is called on the host.
        unsafe { init(0x100F_0000) };
        assert_eq!(entry_address(27), Some(0x100F_0000 + 8 * 27));
        assert_eq!(
            entry_address(NSC_TABLE_ENTRIES - 1),
            Some(0x100F_0000 + 8 * 127)
        );
        assert_eq!(entry_address(NSC_TABLE_ENTRIES), None);
        // SAFETY: a slot past the table returns without calling.
        assert_eq!(unsafe { raw_call(NSC_TABLE_ENTRIES, [0; 4]) }, UNAVAILABLE);
    }
}
