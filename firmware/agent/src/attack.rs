//! The published TrustZone attacks, carried out with the real instructions (`mv_proto::Attack`).
//!
//! Each attempt is what an app that wants into the secure world would
//! execute: a load or store, a branch, a forged `FNC_RETURN` or
//! `EXC_RETURN`, a vector table or stack pointer aimed at secure memory
//! followed by an interrupt. The architecture must stop every one with a
//! fault, which the secure world takes as the app's crash: it reports it
//! and restarts the app, so nothing after the faulting instruction runs.
//! Should an attempt complete instead, the agent answers what it read and
//! the host fails the case.

use mv_proto::Attack;

use crate::irq;

/// The app's interrupt the attacks that need one take: a line the secure
/// image leaves non-secure, which no device of the AN505 raises on its own
/// (the UART behind it keeps its interrupts off).
pub const ATTACK_IRQ: u32 = 45;

/// The app's `VTOR` (the non-secure SCB, as the app sees it).
const VTOR: u32 = 0xE000_ED08;

/// A word no secure memory holds, so a store that landed would show.
const STORED: u32 = 0xA5A5_A5A5;

/// Try `attack` at `addr` (resolved by the agent core). Returns only if it
/// completed without a fault: a load's word, else 0 (also when the
/// interrupt an attack needs was never taken: nothing stopped it either).
pub fn run(attack: Attack, addr: u32) -> u32 {
    match attack {
        // SAFETY: a load has no effect on this program's memory; secure
        // memory raises a fault that never returns here.
        Attack::Load(_) => unsafe { core::ptr::read_volatile(addr as usize as *const u32) },
        Attack::Store(_) => {
            // SAFETY: the target is never the agent's own memory (the core
            // resolves secure and peripheral addresses only); the store is
            // the attempt, and a refused one faults.
            unsafe { core::ptr::write_volatile(addr as usize as *mut u32, STORED) };
            0
        }
        Attack::Branch(_) => {
            // SAFETY: the branch is the attempt: into secure memory the core
            // raises a SecureFault (INVEP) before the first instruction
            // there; no Rust state is live across it but what the clobbers
            // declare.
            unsafe { core::arch::asm!("blx {0}", in(reg) addr | 1, clobber_abi("C")) };
            0
        }
        Attack::ForgeFunctionReturn => {
            // SAFETY: as for the branch: `BX FNC_RETURN` with no secure call
            // in progress makes the core unstack a return address from the
            // sealed secure stack, which it must refuse.
            unsafe { core::arch::asm!("bx {0}", in(reg) addr, clobber_abi("C")) };
            0
        }
        Attack::ForgeExceptionReturn | Attack::ForgeExceptionReturnProcess => {
            irq::forge_exception_return(ATTACK_IRQ, addr);
            0
        }
        Attack::VectorTable(_) => {
            // SAFETY: VTOR is the app's own; it is restored below should the
            // interrupt be taken (and by the secure world's restart if not).
            let old = unsafe { core::ptr::read_volatile(VTOR as *const u32) };
            // SAFETY: as above; the attempt is the vector fetch that follows.
            unsafe { core::ptr::write_volatile(VTOR as *mut u32, addr) };
            irq::take(ATTACK_IRQ);
            // SAFETY: as above.
            unsafe { core::ptr::write_volatile(VTOR as *mut u32, old) };
            0
        }
        Attack::StackPointer(_) => {
            irq::take_on_stack(ATTACK_IRQ, addr);
            0
        }
    }
}

/// Make a call with `VTOR_NS` at `vtor`, with interrupts masked so no
/// exception meets the moved table; then point it back.
pub fn call_with_vtor(vtor: u32, slot: u32, args: [u32; 4]) -> u32 {
    cortex_m::interrupt::free(|_| {
        // SAFETY: VTOR is the app's own; it is put back before interrupts
        // are unmasked, so nothing but the call sees the moved table.
        let old = unsafe { core::ptr::read_volatile(VTOR as *const u32) };
        // SAFETY: as above.
        unsafe { core::ptr::write_volatile(VTOR as *mut u32, vtor) };
        // SAFETY: the host chose the call, as for any call.
        let status = unsafe { mv_ns::raw_call(slot, args) };
        // SAFETY: as above.
        unsafe { core::ptr::write_volatile(VTOR as *mut u32, old) };
        status
    })
}
