//! The app's interrupts through the non-secure NVIC, and the handler that counts them.
//!
//! Every external IRQ vector of the agent is `DefaultHandler`, which counts:
//! the NVIC clears the pending bit on entry, so a software-pended IRQ (what
//! the kernel does for a notification) runs the handler exactly once. For
//! [`call_from_irq`] the handler of one IRQ also makes a system call, so the
//! kernel sees an interrupt handler as its caller; for [`flood`] the handler
//! pends its own IRQ again on every entry. IRQs targeted secure read as
//! zero and ignore writes from here.

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::exit::{exit, ExitCode};

/// The most external interrupts the architecture allows.
const MAX_IRQS: usize = 480;

/// How often the handler ran, per IRQ.
static HANDLED: [AtomicU32; MAX_IRQS] = [const { AtomicU32::new(0) }; MAX_IRQS];

const ICTR: usize = 0xE000_E004;
const ISER: usize = 0xE000_E100;
const ICER: usize = 0xE000_E180;
const ISPR: usize = 0xE000_E200;
const ICPR: usize = 0xE000_E280;

/// IRQ lines the NVIC implements registers for.
pub fn line_count() -> u32 {
    // SAFETY: ICTR is a read-only identification register, readable from NS.
    let ictr = unsafe { core::ptr::read_volatile(ICTR as *const u32) };
    (32 * ((ictr & 0xF) + 1)).min(MAX_IRQS as u32)
}

fn bit(bank: usize, irq: u32) -> (*mut u32, u32) {
    (
        (bank + 4 * (irq as usize / 32)) as *mut u32,
        1 << (irq % 32),
    )
}

fn set(bank: usize, irq: u32) {
    let (reg, mask) = bit(bank, irq);
    // SAFETY: a write-one-to-act NVIC register; only this IRQ's bit is set.
    unsafe { core::ptr::write_volatile(reg, mask) };
}

fn test(bank: usize, irq: u32) -> bool {
    let (reg, mask) = bit(bank, irq);
    // SAFETY: reading an NVIC status register has no side effect.
    unsafe { core::ptr::read_volatile(reg) & mask != 0 }
}

/// `irq < line_count()` is the caller's check.
pub fn enable(irq: u32) {
    set(ISER, irq);
}

pub fn disable(irq: u32) {
    set(ICER, irq);
}

pub fn clear_pending(irq: u32) {
    set(ICPR, irq);
}

pub fn pend(irq: u32) {
    set(ISPR, irq);
}

/// No IRQ's handler has a call to make.
const NOT_ARMED: u32 = u32::MAX;
/// The IRQ whose handler makes the armed call, or [`NOT_ARMED`].
static ARMED_IRQ: AtomicU32 = AtomicU32::new(NOT_ARMED);
static ARMED_SLOT: AtomicU32 = AtomicU32::new(0);
static ARMED_ARGS: [AtomicU32; 4] = [const { AtomicU32::new(0) }; 4];
static CALL_STATUS: AtomicU32 = AtomicU32::new(0);
static CALL_DONE: AtomicBool = AtomicBool::new(false);

/// Call `slot` from the handler of `irq` (below [`line_count`]): arm the
/// handler, enable and pend the IRQ, and restore its enable state once the
/// handler ran. `None` when it did not run: an IRQ targeted secure ignores
/// both writes.
pub fn call_from_irq(irq: u32, slot: u32, args: [u32; 4]) -> Option<u32> {
    ARMED_SLOT.store(slot, Ordering::Relaxed);
    for (armed, arg) in ARMED_ARGS.iter().zip(args) {
        armed.store(arg, Ordering::Relaxed);
    }
    CALL_DONE.store(false, Ordering::Relaxed);
    ARMED_IRQ.store(irq, Ordering::Release);
    let was_enabled = test(ISER, irq);
    enable(irq);
    pend(irq);
    // The pend is visible after the DSB; thread mode runs below every
    // handler's priority, so the NVIC takes the IRQ at the ISB at the latest.
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    while !CALL_DONE.load(Ordering::Acquire) && test(ISPR, irq) {
        core::hint::spin_loop();
    }
    ARMED_IRQ.store(NOT_ARMED, Ordering::Release);
    if !was_enabled {
        disable(irq);
    }
    CALL_DONE
        .load(Ordering::Acquire)
        .then(|| CALL_STATUS.load(Ordering::Relaxed))
}

/// The armed call, made by the handler of `irq` if it is the armed one.
fn make_armed_call(irq: u32) {
    if ARMED_IRQ.load(Ordering::Acquire) != irq {
        return;
    }
    ARMED_IRQ.store(NOT_ARMED, Ordering::Relaxed);
    let slot = ARMED_SLOT.load(Ordering::Relaxed);
    let args = core::array::from_fn(|i| ARMED_ARGS[i].load(Ordering::Relaxed));
    // SAFETY: the host chose the call and its arguments, as for a call from
    // thread mode (see `TargetApp::call`).
    let status = unsafe { mv_ns::raw_call(slot, args) };
    CALL_STATUS.store(status, Ordering::Relaxed);
    CALL_DONE.store(true, Ordering::Release);
}

/// (pending, enabled, handled)
pub fn status(irq: u32) -> (bool, bool, u32) {
    (
        test(ISPR, irq),
        test(ISER, irq),
        HANDLED[irq as usize].load(Ordering::Relaxed),
    )
}

// Every IRQ vector (and every exception without a handler of its own)
// is cortex-m-rt's `DefaultHandler`; this one hands the handler the
// EXC_RETURN it was entered with, which says what it pre-empted (bit 6, S:
// the secure world, i.e. the kernel inside a call). The tail call keeps LR,
// so `mv_agent_irq` returns straight from the exception.
core::arch::global_asm!(
    ".section .text.mv_agent_default_handler, \"ax\", %progbits",
    ".p2align 2",
    ".thumb",
    ".global DefaultHandler",
    ".thumb_func",
    "DefaultHandler:",
    "    mov r0, lr",
    "    b mv_agent_irq",
);

/// IPSR: the active exception number.
fn ipsr() -> u32 {
    let value: u32;
    // SAFETY: reading IPSR has no side effect.
    unsafe {
        core::arch::asm!("mrs {}, IPSR", out(reg) value, options(nomem, nostack, preserves_flags))
    };
    value
}

#[no_mangle]
extern "C" fn mv_agent_irq(exc_return: u32) {
    let irqn = ipsr() as i32 - 16;
    match usize::try_from(irqn) {
        Ok(irq) if irq < MAX_IRQS => {
            HANDLED[irq].fetch_add(1, Ordering::Relaxed);
            crate::timer::on_irq(irq as u32, exc_return);
            make_armed_call(irq as u32);
            flood_again(irq as u32);
            forge_armed_return(irq as u32);
        }
        _ => {
            crate::logger::force_unlock();
            defmt::error!("agent: unexpected exception {=i32}", irqn);
            exit(ExitCode::AgentUnexpectedException)
        }
    }
}

/// The IRQ being flooded, or [`NOT_ARMED`].
static FLOOD_IRQ: AtomicU32 = AtomicU32::new(NOT_ARMED);
/// Entries of the flood's handler still allowed.
static FLOOD_LEFT: AtomicU32 = AtomicU32::new(0);

/// Flood `irq` (below [`line_count`]): pend it, and let its handler pend it
/// again on every entry, `max_entries` entries at most. The handler runs at
/// the IRQ's priority, above thread mode, so when the pend is taken this
/// returns only once the flood is over: the entries ran out, or the NVIC
/// stopped taking the IRQ (the secure world disabled it). The pending bit
/// the last entry left is cleared. How often the handler ran.
pub fn flood(irq: u32, max_entries: u32) -> u32 {
    let before = HANDLED[irq as usize].load(Ordering::Acquire);
    FLOOD_LEFT.store(max_entries.saturating_sub(1), Ordering::Relaxed);
    FLOOD_IRQ.store(irq, Ordering::Release);
    if max_entries > 0 {
        pend(irq);
    }
    // The pend is taken at the ISB at the latest (thread mode runs below
    // every handler); an IRQ the NVIC does not take stays pending.
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    FLOOD_IRQ.store(NOT_ARMED, Ordering::Release);
    clear_pending(irq);
    HANDLED[irq as usize]
        .load(Ordering::Acquire)
        .wrapping_sub(before)
}

/// The flood's next entry, pended by the handler of `irq` if it is the
/// flooded one and entries are left.
fn flood_again(irq: u32) {
    if FLOOD_IRQ.load(Ordering::Acquire) != irq {
        return;
    }
    let left = FLOOD_LEFT.load(Ordering::Relaxed);
    if left > 0 {
        FLOOD_LEFT.store(left - 1, Ordering::Relaxed);
        pend(irq);
    }
}

/// The IRQ whose handler forges an exception return, or [`NOT_ARMED`].
static FORGE_IRQ: AtomicU32 = AtomicU32::new(NOT_ARMED);
/// The `EXC_RETURN` it forges.
static FORGE_EXC_RETURN: AtomicU32 = AtomicU32::new(0);

/// Enable and pend `irq` and wait until its handler ran; its enable state
/// is restored after. `false` when it never ran (targeted secure).
pub fn take(irq: u32) -> bool {
    let before = HANDLED[irq as usize].load(Ordering::Acquire);
    let was_enabled = test(ISER, irq);
    enable(irq);
    pend(irq);
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    while HANDLED[irq as usize].load(Ordering::Acquire) == before && test(ISPR, irq) {
        core::hint::spin_loop();
    }
    if !was_enabled {
        disable(irq);
    }
    HANDLED[irq as usize].load(Ordering::Acquire) != before
}

/// Take `irq` with the stack pointer at `sp`: the core pushes the
/// exception frame there. `true` if the handler ran (the frame landed).
pub fn take_on_stack(irq: u32, sp: u32) -> bool {
    let before = HANDLED[irq as usize].load(Ordering::Acquire);
    let was_enabled = test(ISER, irq);
    enable(irq);
    let (reg, mask) = bit(ISPR, irq);
    // SAFETY: for the few instructions between the two `mov sp` nothing of
    // Rust's uses the stack; the pend is taken at the ISB at the latest, and
    // its exception entry pushes the frame at `sp` — the attempt. Should it
    // land, the handler runs on that stack and returns here, and the old
    // stack pointer comes back.
    unsafe {
        core::arch::asm!(
            "mov {saved}, sp",
            "mov sp, {sp}",
            "str {mask}, [{reg}]",
            "dsb",
            "isb",
            "nop",
            "mov sp, {saved}",
            saved = out(reg) _,
            sp = in(reg) sp,
            mask = in(reg) mask,
            reg = in(reg) reg,
        )
    };
    if !was_enabled {
        disable(irq);
    }
    HANDLED[irq as usize].load(Ordering::Acquire) != before
}

/// Take `irq` and return from its handler with `exc_return` instead of the
/// one the core gave it. `true` if the handler came back (the forged
/// return did nothing the core should have refused).
pub fn forge_exception_return(irq: u32, exc_return: u32) -> bool {
    FORGE_EXC_RETURN.store(exc_return, Ordering::Relaxed);
    FORGE_IRQ.store(irq, Ordering::Release);
    let taken = take(irq);
    FORGE_IRQ.store(NOT_ARMED, Ordering::Release);
    taken
}

/// The forged return, made by the handler of `irq` if it is the armed one.
fn forge_armed_return(irq: u32) {
    if FORGE_IRQ.load(Ordering::Acquire) != irq {
        return;
    }
    FORGE_IRQ.store(NOT_ARMED, Ordering::Relaxed);
    let exc_return = FORGE_EXC_RETURN.load(Ordering::Relaxed);
    // SAFETY: the attempt: an exception return from handler mode with an
    // `EXC_RETURN` that names the secure stack. The core must refuse it
    // (SecureFault); nothing of this handler's frame is needed afterwards.
    unsafe { core::arch::asm!("bx {0}", in(reg) exc_return, options(noreturn)) }
}
