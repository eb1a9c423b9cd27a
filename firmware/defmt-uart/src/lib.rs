//! The defmt logger of both firmware images: one rzcobs frame per critical section.
//!
//! Each image (secure world, agent) links this crate once and provides two
//! hooks: where the bytes go (its own UART) and what a nested log call does
//! (it ends the run with that image's exit code):
//!
//! ```ignore
//! #[no_mangle]
//! fn mv_defmt_emit(bytes: &[u8]) { /* write to the image's UART */ }
//! #[no_mangle]
//! fn mv_defmt_nested() -> ! { /* exit */ }
//! ```
//!
//! A fault or panic that hits while a frame is half written calls
//! [`force_unlock`] first: the partial frame is closed with a delimiter (the
//! decoder drops it) so the fault report itself comes out intact.
#![no_std]

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use critical_section::RestoreState;

extern "Rust" {
    /// Provided by the image: write these bytes to its log UART.
    fn mv_defmt_emit(bytes: &[u8]);
    /// Provided by the image: a log call from inside a log call; never returns.
    fn mv_defmt_nested() -> !;
}

#[defmt::global_logger]
struct Logger;

/// Is a frame being written?
static TAKEN: AtomicBool = AtomicBool::new(false);

/// The encoder and the critical-section token of the frame in progress.
struct State {
    encoder: defmt::Encoder,
    restore: RestoreState,
}

struct Shared(UnsafeCell<State>);

// SAFETY: `State` is only touched between `acquire` and `release`, i.e. inside
// a critical section with `TAKEN` set, or by `force_unlock` from a handler
// that never returns to the interrupted writer.
unsafe impl Sync for Shared {}

static STATE: Shared = Shared(UnsafeCell::new(State {
    encoder: defmt::Encoder::new(),
    restore: RestoreState::invalid(),
}));

fn emit(bytes: &[u8]) {
    // SAFETY: the image defines `mv_defmt_emit` with exactly this signature
    // (the link fails otherwise); it only writes bytes to a UART.
    unsafe { mv_defmt_emit(bytes) }
}

// SAFETY: `acquire`/`release` bracket every frame in a critical section, and
// `TAKEN` rejects nesting, as the `defmt::Logger` contract requires.
unsafe impl defmt::Logger for Logger {
    fn acquire() {
        // SAFETY: released in `release` with the token stored below.
        let restore = unsafe { critical_section::acquire() };
        if TAKEN.swap(true, Ordering::Relaxed) {
            // A log call from inside a log call (e.g. a fault while
            // encoding): drop the nested frame rather than corrupt both.
            // SAFETY: the token was just acquired above; the image defines
            // `mv_defmt_nested` with this signature and it never returns.
            unsafe {
                critical_section::release(restore);
                mv_defmt_nested()
            }
        }
        // SAFETY: inside the critical section with TAKEN set: exclusive.
        let state = unsafe { &mut *STATE.0.get() };
        state.restore = restore;
        state.encoder.start_frame(emit);
    }

    unsafe fn flush() {}

    unsafe fn release() {
        // SAFETY: `acquire` ran before, so we hold the frame exclusively.
        let state = unsafe { &mut *STATE.0.get() };
        state.encoder.end_frame(emit);
        let restore = state.restore;
        TAKEN.store(false, Ordering::Relaxed);
        // SAFETY: the token comes from the matching `acquire`.
        unsafe { critical_section::release(restore) };
    }

    unsafe fn write(bytes: &[u8]) {
        // SAFETY: between `acquire` and `release`.
        let state = unsafe { &mut *STATE.0.get() };
        state.encoder.write(bytes, emit);
    }
}

/// Make the logger usable from a fault or panic handler that never returns,
/// whatever state the interrupted code left it in.
pub fn force_unlock() {
    if TAKEN.swap(false, Ordering::Relaxed) {
        // End the half-written frame so the decoder resynchronises.
        emit(&[0]);
        // SAFETY: the interrupted writer never runs again (we exit), so
        // nobody else holds the state.
        let state = unsafe { &mut *STATE.0.get() };
        state.encoder = defmt::Encoder::new();
    }
}
