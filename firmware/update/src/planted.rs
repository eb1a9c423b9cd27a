//! A known journalling bug that a test can switch on, to prove the power-cut campaign catches it (feature `planted-bugs`, host tests only).
//!
//! [`CHUNK_RECORD_FIRST`] makes [`crate::Updater::chunk`] journal a chunk
//! *before* staging its bytes — the same class of ordering bug as the
//! journal page switch that once wrote its header before restating the
//! step. A cut between the record and the last staged unit leaves a journal
//! that lists bytes staging does not hold. The feature is off in every
//! image and in `hil`; the switch is off unless a test sets it.

use core::sync::atomic::{AtomicBool, Ordering};

/// Journal a chunk before its bytes are staged (the planted bug).
pub static CHUNK_RECORD_FIRST: AtomicBool = AtomicBool::new(false);

pub(crate) fn chunk_record_first() -> bool {
    CHUNK_RECORD_FIRST.load(Ordering::Relaxed)
}
