//! One primitive, one reply: the rules every rig's agent follows.

use alloc::vec;

use mv_proto::{Placement, Primitive, Refusal, Reply};

use crate::allocator::AllocError;
use crate::{fuzz, ring, Agent, App, Stopped, MAX_READ};

impl Agent {
    /// Executes one primitive (a batch runs entirely on the device).
    pub fn execute(&mut self, app: &mut impl App, primitive: &Primitive) -> Result<Reply, Stopped> {
        let reply = match primitive {
            Primitive::Alloc {
                size,
                align,
                placement,
                misalign,
            } => match self.allocator.alloc(*size, *align, *placement, *misalign) {
                Ok(addr) => {
                    if *placement == Placement::NsFlash {
                        app.erase_flash(addr, *size);
                    }
                    Reply::Allocated { addr }
                }
                Err(AllocError::OutOfMemory) => Reply::Refused(Refusal::OutOfMemory),
                Err(AllocError::BadArgument) => Reply::Refused(Refusal::BadArgument),
            },
            Primitive::Write { addr, data } => match u32::try_from(data.len()) {
                Ok(len) if self.allocator.in_ram_pool(*addr, len) => {
                    app.poke(*addr, data);
                    Reply::Done
                }
                _ => Reply::Refused(Refusal::NotAppMemory),
            },
            Primitive::Fill { addr, len, byte } => {
                if self.allocator.in_ram_pool(*addr, *len) {
                    app.poke(*addr, &vec![*byte; *len as usize]);
                    Reply::Done
                } else {
                    Reply::Refused(Refusal::NotAppMemory)
                }
            }
            Primitive::Read { addr, len } => {
                if *len > MAX_READ || addr.checked_add(*len).is_none() {
                    Reply::Refused(Refusal::BadArgument)
                } else {
                    let mut bytes = vec![0u8; *len as usize];
                    app.load(*addr, &mut bytes)?;
                    Reply::Bytes(bytes)
                }
            }
            Primitive::Digest { addr, len } => {
                if addr.checked_add(*len).is_none() {
                    Reply::Refused(Refusal::BadArgument)
                } else {
                    Reply::Digest(digest(app, *addr, *len)?)
                }
            }
            Primitive::Call { slot, args } => Reply::Status(app.call(*slot, *args)?),
            Primitive::IrqEnable(n) => irq_op(app, *n, |a, n| a.irq_enable(n, true)),
            Primitive::IrqDisable(n) => irq_op(app, *n, |a, n| a.irq_enable(n, false)),
            Primitive::IrqClearPending(n) => irq_op(app, *n, |a, n| a.irq_clear_pending(n)),
            Primitive::IrqStatus(n) => {
                if *n < app.irq_lines() {
                    let s = app.irq_status(*n);
                    Reply::Irq {
                        pending: s.pending,
                        enabled: s.enabled,
                        handled: s.handled,
                    }
                } else {
                    Reply::Refused(Refusal::BadArgument)
                }
            }
            Primitive::DelayUs(us) => {
                app.delay_us(*us)?;
                Reply::Done
            }
            Primitive::Batch(items) => Reply::Batch(self.run(app, items)?),
            Primitive::CallSeries {
                slot,
                args,
                step,
                count,
            } => {
                let mut statuses = alloc::vec::Vec::with_capacity(*count as usize);
                for i in 0..*count {
                    statuses.push(app.call(*slot, mv_proto::series_args(*args, *step, i))?);
                }
                mv_proto::series_reply(statuses.into_iter())
            }
            Primitive::RingDrain { base, slots, start } => {
                ring::drain(app, &self.allocator, *base, *slots, *start)
            }
            Primitive::IrqPend(n) => irq_op(app, *n, |a, n| a.irq_pend(n)),
            Primitive::CallFromIrq { irq, slot, args } => {
                if *irq < app.irq_lines() {
                    match app.call_from_irq(*irq, *slot, *args)? {
                        Some(status) => Reply::Status(status),
                        None => Reply::Refused(Refusal::BadArgument),
                    }
                } else {
                    Reply::Refused(Refusal::BadArgument)
                }
            }
            Primitive::CallUnprivileged { slot, args } => {
                Reply::Status(app.call_unprivileged(*slot, *args)?)
            }
            Primitive::Fuzz(batch) => {
                fuzz::run(&mut self.fuzz, self.board, &self.allocator, app, batch)?
            }
            Primitive::Attack(attack) => {
                let addr = self.attack_address(*attack);
                match app.attack(*attack, addr)? {
                    Some(value) => Reply::Attacked { addr, value },
                    None => Reply::NotModelled,
                }
            }
            Primitive::CallInterrupted {
                slot,
                args,
                interrupt,
            } => {
                let writes_pool = match &interrupt.action {
                    mv_proto::IsrAction::Write { addr, data } => u32::try_from(data.len())
                        .is_ok_and(|len| self.allocator.in_ram_pool(*addr, len)),
                    _ => true,
                };
                let irq_exists = match interrupt.source {
                    mv_proto::InterruptSource::KernelPends { irq } => irq < app.irq_lines(),
                    mv_proto::InterruptSource::Timer { .. } => true,
                };
                if !writes_pool {
                    Reply::Refused(Refusal::NotAppMemory)
                } else if !irq_exists {
                    Reply::Refused(Refusal::BadArgument)
                } else {
                    match app.call_interrupted(*slot, *args, interrupt)? {
                        Some((status, isr)) => Reply::Interrupted { status, isr },
                        None => Reply::NotModelled,
                    }
                }
            }
            Primitive::IrqFlood { irq, max_entries } => {
                if *irq < app.irq_lines() {
                    Reply::Flooded {
                        entries: app.irq_flood(*irq, *max_entries)?,
                    }
                } else {
                    Reply::Refused(Refusal::BadArgument)
                }
            }
            Primitive::CallWithVtor { vtor, slot, args } => {
                let vtor = self.target_address(*vtor);
                Reply::Status(app.call_with_vtor(vtor, *slot, *args)?)
            }
        };
        app.settle()?;
        Ok(reply)
    }
}

fn irq_op<A: App>(app: &mut A, irq: u32, op: impl FnOnce(&mut A, u32)) -> Reply {
    if irq < app.irq_lines() {
        op(app, irq);
        Reply::Done
    } else {
        Reply::Refused(Refusal::BadArgument)
    }
}

/// SHA-256 of `len` bytes from `addr`, loaded a piece at a time (the agent's
/// stack holds one piece, never the region).
fn digest(app: &mut impl App, addr: u32, len: u32) -> Result<[u8; 32], Stopped> {
    use sha2::{Digest as _, Sha256};
    let mut hasher = Sha256::new();
    let mut piece = [0u8; 256];
    let mut at = 0u32;
    while at < len {
        let n = (len - at).min(piece.len() as u32) as usize;
        app.load(addr + at, &mut piece[..n])?;
        hasher.update(&piece[..n]);
        at += n as u32;
    }
    Ok(hasher.finalize().into())
}
