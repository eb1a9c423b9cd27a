//! Executing primitives, one `Reply` each, exactly as the sim's agent does.
//!
//! Differences from the sim are those of real hardware: `Read` really loads
//! from any address (a read of secure memory is a SecureFault that the
//! secure image reports, which is a test the harness wants), IRQs are the
//! NVIC's (a pending, enabled IRQ runs the counting handler at once instead
//! of after the primitive), and time is real (`DelayUs` spins on
//! `mvGetMicroseconds`; a call costs what it costs).

use alloc::vec;
use alloc::vec::Vec;

use mv_proto::{Placement, Primitive, Refusal, Reply};

use crate::irq;
use crate::memory_map::NS_RAM_END;
use crate::placement::{AllocError, Allocator};

/// The largest `Read` the agent answers: the reply must fit one frame.
const MAX_READ: u32 = 4096;

/// State that lives across requests: the allocator.
pub struct Executor {
    allocator: Allocator,
}

impl Executor {
    pub fn new() -> Executor {
        Executor {
            allocator: Allocator::new(),
        }
    }

    pub fn run_all(&mut self, primitives: &[Primitive]) -> Vec<Reply> {
        primitives.iter().map(|p| self.run(p)).collect()
    }

    fn run(&mut self, primitive: &Primitive) -> Reply {
        match primitive {
            Primitive::Alloc {
                size,
                align,
                placement,
                misalign,
            } => match self.allocator.alloc(*size, *align, *placement, *misalign) {
                Ok(addr) => {
                    if *placement == Placement::NsFlash {
                        erase_flash(addr, *size);
                    }
                    Reply::Allocated { addr }
                }
                Err(AllocError::OutOfMemory) => Reply::Refused(Refusal::OutOfMemory),
                Err(AllocError::BadArgument) => Reply::Refused(Refusal::BadArgument),
            },
            Primitive::Write { addr, data } => write(*addr, data),
            Primitive::Read { addr, len } => read(*addr, *len),
            Primitive::Call { slot, args } => {
                // SAFETY: the host chose the arguments on purpose and the
                // kernel checks every pointer against app RAM. The host is
                // trusted to aim them at memory it allocated (the pool, which
                // the agent only touches with volatile copies), never at the
                // agent's own RAM below the pool, which the kernel would
                // write as readily as any other app RAM.
                Reply::Status(unsafe { mv_ns::raw_call(*slot, *args) })
            }
            Primitive::IrqEnable(n) => irq_op(*n, irq::enable),
            Primitive::IrqDisable(n) => irq_op(*n, irq::disable),
            Primitive::IrqClearPending(n) => irq_op(*n, irq::clear_pending),
            Primitive::IrqStatus(n) => {
                if *n >= irq::line_count() {
                    return Reply::Refused(Refusal::BadArgument);
                }
                let (pending, enabled, handled) = irq::status(*n);
                Reply::Irq {
                    pending,
                    enabled,
                    handled,
                }
            }
            Primitive::DelayUs(us) => {
                delay_us(*us);
                Reply::Done
            }
            Primitive::Batch(items) => Reply::Batch(self.run_all(items)),
            Primitive::Fill { addr, len, byte } => fill(*addr, *len, *byte),
            Primitive::RingDrain {
                base,
                slots,
                position,
                fresh,
            } => drain(*base, *slots, *position, *fresh),
            Primitive::CallSeries {
                slot,
                args,
                step,
                count,
            } => mv_proto::series_reply((0..*count).map(|i| {
                // SAFETY: as for `Call`: the host aims the arguments at memory
                // it allocated; the kernel checks every pointer.
                unsafe { mv_ns::raw_call(*slot, mv_proto::series_args(*args, *step, i)) }
            })),
        }
    }
}

fn irq_op(irq: u32, op: fn(u32)) -> Reply {
    if irq < irq::line_count() {
        op(irq);
        Reply::Done
    } else {
        Reply::Refused(Refusal::BadArgument)
    }
}

/// Store bytes, only into the app RAM pool (never the agent's own RAM, never
/// past the end of app RAM), like the sim's "NS RAM only".
fn write(addr: u32, data: &[u8]) -> Reply {
    let Ok(len) = u32::try_from(data.len()) else {
        return Reply::Refused(Refusal::NotAppMemory);
    };
    let fits = addr >= crate::memory_map::pool_base()
        && addr.checked_add(len).is_some_and(|end| end <= NS_RAM_END);
    if !fits {
        return Reply::Refused(Refusal::NotAppMemory);
    }
    for (i, &byte) in data.iter().enumerate() {
        // SAFETY: inside the app RAM pool, which no Rust object of the agent
        // occupies (checked above).
        unsafe { core::ptr::write_volatile((addr as usize + i) as *mut u8, byte) };
    }
    Reply::Done
}

/// A notification ring in app RAM, read and cleared with volatile accesses
/// (the secure world writes it behind the compiler's back).
struct Ring {
    base: u32,
    slots: u32,
}

impl mv_ns::ring::RingMemory for Ring {
    fn slots(&self) -> u32 {
        self.slots
    }
    fn read(&self, slot: u32) -> mv_abi::MvNotification {
        let mut bytes = [0u8; 16];
        for (i, b) in bytes.iter_mut().enumerate() {
            // SAFETY: a byte load from the ring the host placed in app RAM;
            // no Rust object of the agent lives there.
            *b = unsafe {
                core::ptr::read_volatile((self.base + slot * 16 + i as u32) as usize as *const u8)
            };
        }
        <mv_abi::MvNotification as mv_abi::AbiStruct>::decode(&bytes)
    }
    fn clear_event_type(&mut self, slot: u32) {
        // SAFETY: a word store into the ring in app RAM (8-aligned records,
        // event_type at +8), which no Rust object of the agent occupies.
        unsafe { core::ptr::write_volatile((self.base + slot * 16 + 8) as usize as *mut u32, 0) };
    }
}

/// The application's reader over a ring, as the sim's agent runs it.
fn drain(base: u32, slots: u32, position: u32, fresh: bool) -> Reply {
    let pool = crate::memory_map::pool_base();
    let fits = base >= pool
        && base.is_multiple_of(8)
        && slots
            .checked_mul(16)
            .and_then(|len| base.checked_add(len))
            .is_some_and(|end| end <= NS_RAM_END);
    if !fits {
        return Reply::Refused(Refusal::NotAppMemory);
    }
    let mut ring = Ring { base, slots };
    let mut reader = if fresh {
        mv_ns::ring::RingReader::new(&mut ring)
    } else {
        mv_ns::ring::RingReader::at(position)
    };
    let mut records = Vec::new();
    let report = reader.drain(&mut ring, |r| {
        records.push((r.microseconds, r.event_type, r.tag))
    });
    Reply::Drained {
        records,
        overrun: report.overrun.map(|o| o.lost_at_least),
        position: reader.position(),
    }
}

/// App flash reads as erased (0xFF), as on the sim. On QEMU the flash pool is
/// RAM that survives a reset, so each flash allocation is erased when it is
/// handed out (cheaper than erasing the whole pool at every boot).
fn erase_flash(addr: u32, len: u32) {
    let (start, end) = crate::memory_map::NS_FLASH_POOL;
    if addr < start || addr.checked_add(len).is_none_or(|e| e > end) {
        return;
    }
    // SAFETY: inside the flash pool, which lies above the agent image
    // (asserted in memory.x) and which nothing of the agent references.
    unsafe { core::ptr::write_bytes(addr as usize as *mut u8, 0xFF, len as usize) };
}

/// Store `len` copies of `byte`, under the same rule as [`write`].
fn fill(addr: u32, len: u32, byte: u8) -> Reply {
    let fits = addr >= crate::memory_map::pool_base()
        && addr.checked_add(len).is_some_and(|end| end <= NS_RAM_END);
    if !fits {
        return Reply::Refused(Refusal::NotAppMemory);
    }
    for i in 0..len {
        // SAFETY: inside the app RAM pool, which no Rust object of the agent
        // occupies (checked above).
        unsafe { core::ptr::write_volatile((addr + i) as *mut u8, byte) };
    }
    Reply::Done
}

/// Load bytes from wherever the host says. Memory the app may not read
/// faults, and the secure image reports the fault and ends the run.
fn read(addr: u32, len: u32) -> Reply {
    if len > MAX_READ || addr.checked_add(len).is_none() {
        return Reply::Refused(Refusal::BadArgument);
    }
    let mut bytes = vec![0u8; len as usize];
    for (i, byte) in bytes.iter_mut().enumerate() {
        // SAFETY: a byte load has no effect on this program's memory; an
        // address the app may not read raises a fault that never returns
        // here (the secure world reports it and exits).
        *byte = unsafe { core::ptr::read_volatile((addr as usize + i) as *const u8) };
    }
    Reply::Bytes(bytes)
}

/// Spin until `us` microseconds of `mvGetMicroseconds` time have passed.
fn delay_us(us: u32) {
    let Ok(start) = mv_ns::get_microseconds() else {
        return;
    };
    while let Ok(now) = mv_ns::get_microseconds() {
        if now.wrapping_sub(start) >= u64::from(us) {
            break;
        }
    }
}
