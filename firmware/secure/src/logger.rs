//! The secure defmt logger: raw rzcobs frames on UART0, one critical section per frame.
//!
//! The host captures UART0 (`-serial file:...`) and decodes it with the ELF's
//! defmt table. Timestamps are the kernel's µs clock. A fault or panic that
//! hits while a frame is half written calls [`force_unlock`] first: the
//! partial frame is closed with a delimiter (the decoder drops it) so the
//! fault report itself comes out intact.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

use critical_section::RestoreState;

use crate::uart::Uart;

defmt::timestamp!("{=u64:us}", crate::clock::now_us());

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
    Uart::secure_uart0().write(bytes);
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
            // SAFETY: the token was just acquired above.
            unsafe { critical_section::release(restore) };
            crate::exit::exit(crate::exit::ExitCode::Panic);
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
