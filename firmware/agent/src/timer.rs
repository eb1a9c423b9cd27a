//! An interrupt armed to come during a system call: the app's own timer (CMSDK TIMER1, non-secure), or an IRQ the kernel pends.
//!
//! [`call_interrupted`] arms the handler of one IRQ and makes the call.
//! With the timer, it starts counting just before the call's `SG`, so the
//! interrupt lands `after_ticks` timer ticks into the call (on QEMU with
//! `-icount shift=0` at the same instruction every run); with an IRQ the
//! kernel pends (a notification's), it lands where the kernel pends it.
//! The handler ([`on_irq`], from the agent's `DefaultHandler`) first reads
//! how many ticks passed since the timer fired, notes from its
//! `EXC_RETURN` whether it pre-empted the secure world, then does the
//! host's action: nothing, a store into app RAM (a struct the kernel is
//! reading), or a system call of its own (re-entering the kernel). A fast
//! IRQ pre-empts the kernel; an ordinary one waits until the kernel lowers
//! its mask on the way out of the call.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use mv_proto::{InterruptSource, IsrAction, IsrRecord, TimerInterrupt};

use crate::irq;

const CTRL: usize = 0x00;
const VALUE: usize = 0x04;
const RELOAD: usize = 0x08;
/// Read: INTSTATUS; write: INTCLEAR.
const INTSTATUS: usize = 0x0C;
const CTRL_ENABLE: u32 = 1 << 0;
const CTRL_IRQ_ENABLE: u32 = 1 << 3;

/// The board's app timer (`crate::map::APP_TIMER`): base and IRQ.
const TIMER: Option<(u32, u32)> = crate::map::APP_TIMER;
/// An IRQ number no NVIC has, for a board without the timer.
const NO_IRQ: u32 = u32::MAX;
const TIMER_IRQ: u32 = match TIMER {
    Some((_, irq)) => irq,
    None => NO_IRQ,
};

fn write(offset: usize, value: u32) {
    if let Some((base, _)) = TIMER {
        // SAFETY: a register of the app's timer, which the secure image
        // gives the app (AN505 TIMER1: its PPC port is non-secure) and
        // nothing else in the agent uses.
        unsafe { core::ptr::write_volatile((base as usize + offset) as *mut u32, value) };
    }
}

fn read(offset: usize) -> u32 {
    match TIMER {
        // SAFETY: as for `write`; reading a timer register has no side effect.
        Some((base, _)) => unsafe {
            core::ptr::read_volatile((base as usize + offset) as *const u32)
        },
        None => 0,
    }
}

const ACTION_NOTHING: u32 = 0;
const ACTION_WRITE: u32 = 1;
const ACTION_CALL: u32 = 2;

/// The handler has an action to do (cleared when it ran).
static ARMED: AtomicBool = AtomicBool::new(false);
/// The IRQ whose handler is armed.
static ARMED_IRQ: AtomicU32 = AtomicU32::new(NO_IRQ);
static ACTION: AtomicU32 = AtomicU32::new(ACTION_NOTHING);
/// A write's destination, and its bytes (they live in the caller's frame,
/// which outlives the handler: [`call_interrupted`] waits for it).
static WRITE_TO: AtomicU32 = AtomicU32::new(0);
static WRITE_FROM: AtomicUsize = AtomicUsize::new(0);
static WRITE_LEN: AtomicUsize = AtomicUsize::new(0);
static CALL_SLOT: AtomicU32 = AtomicU32::new(0);
static CALL_ARGS: [AtomicU32; 4] = [const { AtomicU32::new(0) }; 4];

/// What the handler recorded.
static FIRED: AtomicBool = AtomicBool::new(false);
static PREEMPTED_KERNEL: AtomicBool = AtomicBool::new(false);
static LATENCY_TICKS: AtomicU32 = AtomicU32::new(0);
static CALL_STATUS: AtomicU32 = AtomicU32::new(0);

/// `EXC_RETURN.S`: the pre-empted context's frame is on a secure stack.
const EXC_RETURN_S: u32 = 1 << 6;

/// Make the call with the interrupt armed; the handler's record comes back
/// (`None`: the interrupt was never taken, e.g. its IRQ is targeted
/// secure). `None` altogether: this board has no app timer, nothing was
/// called.
pub fn call_interrupted(
    slot: u32,
    args: [u32; 4],
    interrupt: &TimerInterrupt,
) -> Option<(u32, Option<IsrRecord>)> {
    if TIMER.is_none() && matches!(interrupt.source, InterruptSource::Timer { .. }) {
        return None;
    }
    match &interrupt.action {
        IsrAction::Nothing => ACTION.store(ACTION_NOTHING, Ordering::Relaxed),
        IsrAction::Write { addr, data } => {
            WRITE_TO.store(*addr, Ordering::Relaxed);
            WRITE_FROM.store(data.as_ptr() as usize, Ordering::Relaxed);
            WRITE_LEN.store(data.len(), Ordering::Relaxed);
            ACTION.store(ACTION_WRITE, Ordering::Relaxed);
        }
        IsrAction::Call { slot, args } => {
            CALL_SLOT.store(*slot, Ordering::Relaxed);
            for (armed, arg) in CALL_ARGS.iter().zip(args) {
                armed.store(*arg, Ordering::Relaxed);
            }
            ACTION.store(ACTION_CALL, Ordering::Relaxed);
        }
    }
    FIRED.store(false, Ordering::Relaxed);
    LATENCY_TICKS.store(0, Ordering::Relaxed);
    let irq = match interrupt.source {
        InterruptSource::Timer { .. } => TIMER_IRQ,
        InterruptSource::KernelPends { irq } => irq,
    };
    let (_, was_enabled, _) = irq::status(irq);
    ARMED_IRQ.store(irq, Ordering::Relaxed);
    irq::clear_pending(irq);
    let status = match interrupt.source {
        InterruptSource::Timer { after_ticks } => {
            write(CTRL, 0);
            // RELOAD first: on the CMSDK timer a write to RELOAD also sets
            // VALUE. After firing the timer counts down from the top, so
            // the handler's reading of VALUE says how long ago it fired.
            write(RELOAD, u32::MAX);
            write(VALUE, after_ticks.max(1));
            write(INTSTATUS, 1);
            irq::enable(irq);
            ARMED.store(true, Ordering::Release);
            write(CTRL, CTRL_ENABLE | CTRL_IRQ_ENABLE);
            // SAFETY: the host chose the call and its arguments, as for a
            // call from thread mode (`TargetApp::call`).
            let status = unsafe { mv_ns::raw_call(slot, args) };
            // One that has not fired yet fires `after_ticks` after the
            // start at the latest.
            while !FIRED.load(Ordering::Acquire) && read(INTSTATUS) & 1 == 0 {
                core::hint::spin_loop();
            }
            status
        }
        InterruptSource::KernelPends { .. } => {
            irq::enable(irq);
            ARMED.store(true, Ordering::Release);
            // SAFETY: as above.
            unsafe { mv_ns::raw_call(slot, args) }
        }
    };
    // A pending, enabled IRQ is taken here at the latest.
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    ARMED.store(false, Ordering::Release);
    if matches!(interrupt.source, InterruptSource::Timer { .. }) {
        write(CTRL, 0);
        write(INTSTATUS, 1);
    }
    irq::clear_pending(irq);
    if !was_enabled {
        irq::disable(irq);
    }
    let record = FIRED.load(Ordering::Acquire).then(|| IsrRecord {
        preempted_kernel: PREEMPTED_KERNEL.load(Ordering::Relaxed),
        latency_ticks: LATENCY_TICKS.load(Ordering::Relaxed),
        call_status: (ACTION.load(Ordering::Relaxed) == ACTION_CALL)
            .then(|| CALL_STATUS.load(Ordering::Relaxed)),
    });
    Some((status, record))
}

/// From the agent's `DefaultHandler`, with the `EXC_RETURN` it was entered with.
pub fn on_irq(irq: u32, exc_return: u32) {
    if !ARMED.load(Ordering::Acquire) || irq != ARMED_IRQ.load(Ordering::Relaxed) {
        return;
    }
    if irq == TIMER_IRQ {
        // First, before anything else costs time: ticks since it fired.
        // The counter reads 0 for the tick in which it fired, then
        // reloads to the top and counts down.
        let latency = u32::MAX.wrapping_sub(read(VALUE)).wrapping_add(1);
        write(CTRL, 0);
        write(INTSTATUS, 1);
        LATENCY_TICKS.store(latency, Ordering::Relaxed);
    }
    ARMED.store(false, Ordering::Relaxed);
    PREEMPTED_KERNEL.store(exc_return & EXC_RETURN_S != 0, Ordering::Relaxed);
    match ACTION.load(Ordering::Relaxed) {
        ACTION_WRITE => {
            let to = WRITE_TO.load(Ordering::Relaxed) as usize;
            let from = WRITE_FROM.load(Ordering::Relaxed) as *const u8;
            for i in 0..WRITE_LEN.load(Ordering::Relaxed) {
                // SAFETY: the agent core checked the destination is in its
                // RAM pool; the source is the primitive's bytes, alive in
                // `call_interrupted`'s caller until the handler has run.
                unsafe { core::ptr::write_volatile((to + i) as *mut u8, from.add(i).read()) };
            }
        }
        ACTION_CALL => {
            let slot = CALL_SLOT.load(Ordering::Relaxed);
            let args = core::array::from_fn(|i| CALL_ARGS[i].load(Ordering::Relaxed));
            // SAFETY: the host chose the call, as for any call.
            let status = unsafe { mv_ns::raw_call(slot, args) };
            CALL_STATUS.store(status, Ordering::Relaxed);
        }
        _ => {}
    }
    FIRED.store(true, Ordering::Release);
}
