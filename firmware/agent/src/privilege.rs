//! Calls from unprivileged thread mode: drop privilege, call, and come back through `SVC`.
//!
//! Thread mode can give up its privilege (`CONTROL.nPRIV`) but not take it
//! back; only a handler can. So the agent sets nPRIV, makes the call (the
//! kernel then checks the app's pointers with `TTAT`, as for an RTOS task
//! without privilege), and asks for privilege back with `SVC #0`, whose
//! handler clears nPRIV. The agent uses no other `SVC`. The agent's MPU
//! ([`crate::mpu`]) leaves its own code, stack and statics open to
//! unprivileged code, so they stay reachable in between.

use cortex_m::register::control::{self, Npriv};
use cortex_m_rt::exception;

/// Call NSC slot `slot` with r0–r3 from unprivileged thread mode.
pub fn call_unprivileged(slot: u32, args: [u32; 4]) -> u32 {
    let mut mode = control::read();
    mode.set_npriv(Npriv::Unprivileged);
    // SAFETY: only nPRIV changes (the stack in use stays the same); the
    // code below needs no privilege until the SVC restores it.
    unsafe { control::write(mode) };
    // SAFETY: the host chose the call and its arguments, as for a call from
    // privileged thread mode (see `TargetApp::call`).
    let status = unsafe { mv_ns::raw_call(slot, args) };
    // SAFETY: `SVC #0` enters `SVCall` below, which restores privilege and
    // returns here; it touches no memory of this function.
    unsafe { core::arch::asm!("svc #0", options(preserves_flags)) };
    status
}

#[exception]
fn SVCall() {
    let mut mode = control::read();
    mode.set_npriv(Npriv::Privileged);
    // SAFETY: handler mode may change thread mode's privilege; the thread
    // that asked (`call_unprivileged`) expects it back.
    unsafe { control::write(mode) };
}
