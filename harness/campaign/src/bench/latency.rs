//! Interrupt latency while the kernel is busy inside a call: a fast IRQ beside an ordinary one.
//!
//! The agent arms its timer (AN505 TIMER1, 20 MHz) to fire [`AFTER_TICKS`]
//! into an external-flash erase of the app's whole window, and its handler
//! reads how many ticks passed since the timer fired. Under QEMU's
//! `-icount shift=0` one tick is 50 instructions, so the figures are
//! instructions from the interrupt firing to the handler's first reading,
//! at a resolution of one tick: the same IRQ once ordinary (it waits until
//! the kernel lowers its mask on the way out of the call) and once fast
//! (it pre-empts the kernel). Measured, never asserted.

use hil_rig::{RigError, RigSession};
use mv_abi::Slot;
use mv_boards::an505::{APP_TIMER_HZ, APP_TIMER_IRQ};
use mv_boards::external_flash::APP_SIZE;
use mv_proto::{InterruptSource, IsrAction, IsrRecord, Primitive, Reply, TimerInterrupt};

use super::Figure;

/// Ticks from just before the erase's `SG` to the interrupt: well past the
/// kernel's checks, well before the erase of the whole window ends.
pub const AFTER_TICKS: u32 = 100;

/// Instructions per timer tick under `-icount shift=0` (one instruction
/// per virtual nanosecond).
pub const INSTRUCTIONS_PER_TICK: u32 = 1_000_000_000 / APP_TIMER_HZ;

fn protocol(what: &str, got: Reply) -> RigError {
    RigError::Protocol {
        what: what.into(),
        got: Box::new(got),
    }
}

fn call(s: &mut dyn RigSession, slot: Slot, args: [u32; 4]) -> Result<(), RigError> {
    match s
        .exec(vec![Primitive::Call {
            slot: slot.number(),
            args,
        }])?
        .remove(0)
    {
        Reply::Status(0) => Ok(()),
        other => Err(protocol(slot.name(), other)),
    }
}

/// The handler's record for one erase interrupted after [`AFTER_TICKS`].
fn interrupted_erase(s: &mut dyn RigSession, handle: u32) -> Result<IsrRecord, RigError> {
    let erase = Primitive::CallInterrupted {
        slot: Slot::ExternalFlashEraseBlocking.number(),
        args: [handle, 0, APP_SIZE, 0],
        interrupt: TimerInterrupt {
            source: InterruptSource::Timer {
                after_ticks: AFTER_TICKS,
            },
            action: IsrAction::Nothing,
        },
    };
    match s.exec(vec![erase])?.remove(0) {
        Reply::Interrupted {
            status: 0,
            isr: Some(record),
        } => Ok(record),
        other => Err(protocol("an interrupted external-flash erase", other)),
    }
}

/// Instructions from the timer firing to its handler, ordinary then fast,
/// and their ratio. Needs a rig that executes instructions (QEMU; counted
/// with `-icount`).
pub fn irq_latencies(s: &mut dyn RigSession) -> Result<Vec<Figure>, RigError> {
    s.reset()?;
    let handle = match s
        .exec(vec![Primitive::Alloc {
            size: 4,
            align: 4,
            placement: mv_proto::Placement::NsRam,
            misalign: 0,
        }])?
        .remove(0)
    {
        Reply::Allocated { addr } => addr,
        other => return Err(protocol("the bench's handle allocation", other)),
    };
    call(s, Slot::ExternalFlashOpen, [handle, 0, 0, 0])?;
    let h = match s
        .exec(vec![Primitive::Read {
            addr: handle,
            len: 4,
        }])?
        .remove(0)
    {
        Reply::Bytes(b) => u32::from_le_bytes(b[..4].try_into().expect("4 bytes")),
        other => return Err(protocol("the external-flash handle", other)),
    };
    let ordinary = interrupted_erase(s, h)?;
    call(s, Slot::SetFastInterrupt, [APP_TIMER_IRQ, 0, 0, 0])?;
    call(s, Slot::EnableFastInterrupt, [APP_TIMER_IRQ, 0, 0, 0])?;
    let fast = interrupted_erase(s, h)?;
    call(s, Slot::ClearFastInterrupt, [APP_TIMER_IRQ, 0, 0, 0])?;
    let instructions =
        |r: &IsrRecord| f64::from(r.latency_ticks) * f64::from(INSTRUCTIONS_PER_TICK);
    let (o, f) = (instructions(&ordinary), instructions(&fast));
    let busy = format!(
        "kernel busy erasing {} KiB of external flash",
        APP_SIZE / 1024
    );
    Ok(vec![
        Figure {
            name: format!(
                "ordinary NS IRQ latency, {busy} (pre-empted the {})",
                world(&ordinary)
            ),
            value: o,
            unit: "instructions",
            target: None,
        },
        Figure {
            name: format!(
                "fast IRQ latency, {busy} (pre-empted the {}; 0 = within one tick, {INSTRUCTIONS_PER_TICK})",
                world(&fast)
            ),
            value: f,
            unit: "instructions",
            target: None,
        },
        Figure {
            name: format!(
                "ordinary / fast latency (fast counted as at least one tick, {INSTRUCTIONS_PER_TICK} instructions)"
            ),
            value: o / f.max(f64::from(INSTRUCTIONS_PER_TICK)),
            unit: "x",
            target: None,
        },
    ])
}

fn world(r: &IsrRecord) -> &'static str {
    if r.preempted_kernel {
        "secure world"
    } else {
        "app"
    }
}
