//! The in-process agent: executes primitives as the test app would.
//!
//! Allocation is a bump allocator per placement. Like the real agent, it can
//! only write app RAM and read app RAM or flash: a primitive that would make
//! the app touch secure or unmapped memory is refused (on target it would
//! fault). After every primitive, every IRQ that is both pending and enabled
//! "runs" its handler: the handler count goes up and the pending bit clears.

use mv_kernel::Kernel;
use mv_proto::{Placement, Primitive, Refusal, Reply};

use crate::memory_map::AppMemory;

use crate::board::{SimBoard, CALL_COST_US};
use crate::memory_map::{
    MV_SRAM3_BASE, NS_FLASH_BASE, NS_RAM_BASE, NS_RAM_SIZE, SECURE_FLASH_BASE, SECURE_RAM_BASE,
    UNMAPPED_BASE,
};

/// App RAM below this is the agent's own (stack, statics).
const AGENT_RESERVED: u32 = 0x1000;
/// App flash below this holds the agent image.
const AGENT_IMAGE_SIZE: u32 = 0x0001_0000;

/// Returned by [`Allocator::alloc`] for a straddle that cannot straddle.
const IMPOSSIBLE_STRADDLE: u32 = u32::MAX;

/// Bump pointers, one per placement.
pub struct Allocator {
    ram_low: u32,
    ram_high: u32,
    flash: u32,
    secure_ram: u32,
    secure_flash: u32,
    unmapped: u32,
}

impl Default for Allocator {
    fn default() -> Self {
        Allocator {
            ram_low: NS_RAM_BASE + AGENT_RESERVED,
            ram_high: NS_RAM_BASE + NS_RAM_SIZE,
            flash: NS_FLASH_BASE + AGENT_IMAGE_SIZE,
            secure_ram: SECURE_RAM_BASE + 0x1000,
            secure_flash: SECURE_FLASH_BASE + 0x1000,
            unmapped: UNMAPPED_BASE,
        }
    }
}

fn align_up(v: u32, align: u32) -> Option<u32> {
    v.checked_add(align - 1).map(|v| v & !(align - 1))
}

impl Allocator {
    fn bump(ptr: &mut u32, size: u32, align: u32) -> Option<u32> {
        let at = align_up(*ptr, align)?;
        *ptr = at.checked_add(size.max(1))?;
        Some(at)
    }

    /// Reserve memory; `None` if the placement is exhausted.
    pub fn alloc(
        &mut self,
        size: u32,
        align: u32,
        placement: Placement,
        misalign: u32,
    ) -> Option<u32> {
        if !align.is_power_of_two() {
            return None;
        }
        // Leave room for the misalignment inside the reservation.
        let span = size.checked_add(misalign)?;
        let base = match placement {
            Placement::NsRam => Self::bump(&mut self.ram_low, span, align)?,
            Placement::NsRamEnd => {
                let at = self.ram_high.checked_sub(span)? & !(align - 1);
                if at < self.ram_low {
                    return None;
                }
                self.ram_high = at;
                at
            }
            Placement::NsFlash => Self::bump(&mut self.flash, span, align)?,
            Placement::SecureRam => Self::bump(&mut self.secure_ram, span, align)?,
            Placement::SecureFlash => Self::bump(&mut self.secure_flash, span, align)?,
            Placement::Unmapped => Self::bump(&mut self.unmapped, span, align)?,
            // Half in app RAM, half in Microvisor's SRAM3. An aligned object no
            // larger than its alignment cannot cross the (aligned) boundary:
            // refuse rather than hand out memory that does not straddle.
            Placement::StraddleNsSecure => {
                let at = (MV_SRAM3_BASE - size.div_ceil(2)) & !(align - 1);
                if at.checked_add(misalign)?.checked_add(size)? <= MV_SRAM3_BASE {
                    return Some(IMPOSSIBLE_STRADDLE);
                }
                at
            }
        };
        base.checked_add(misalign)
    }
}

/// Execute one primitive against the kernel and its board.
pub fn execute(
    kernel: &mut Kernel<SimBoard>,
    alloc: &mut Allocator,
    primitive: &Primitive,
) -> Reply {
    let reply = match primitive {
        Primitive::Alloc {
            size,
            align,
            placement,
            misalign,
        } => match alloc.alloc(*size, *align, *placement, *misalign) {
            Some(IMPOSSIBLE_STRADDLE) => Reply::Refused(Refusal::BadArgument),
            Some(addr) => Reply::Allocated { addr },
            None => Reply::Refused(Refusal::OutOfMemory),
        },
        Primitive::Write { addr, data } => match kernel.board_mut().memory.write(*addr, data) {
            Some(()) => Reply::Done,
            None => Reply::Refused(Refusal::NotAppMemory),
        },
        Primitive::Read { addr, len } => {
            let mut buf = vec![0; *len as usize];
            match kernel.board().memory.read(*addr, &mut buf) {
                Some(()) => Reply::Bytes(buf),
                None => Reply::Fault(read_fault(*addr, *len)),
            }
        }
        Primitive::Call { slot, args } => {
            kernel.board_mut().advance_us(CALL_COST_US);
            Reply::Status(kernel.dispatch(*slot, *args))
        }
        Primitive::IrqEnable(irq) => irq_op(kernel, *irq, |b, i| b.enabled[i] = true),
        Primitive::IrqDisable(irq) => irq_op(kernel, *irq, |b, i| b.enabled[i] = false),
        Primitive::IrqClearPending(irq) => {
            irq_op(kernel, *irq, |b, i| b.set_pending(i as u32, false))
        }
        Primitive::IrqStatus(irq) => {
            let board = kernel.board();
            match board.enabled.get(*irq as usize) {
                Some(&enabled) => Reply::Irq {
                    pending: board.is_pending(*irq),
                    enabled,
                    handled: board.handled[*irq as usize],
                },
                None => Reply::Refused(Refusal::BadArgument),
            }
        }
        Primitive::DelayUs(us) => {
            kernel.board_mut().advance_us(u64::from(*us));
            Reply::Done
        }
        Primitive::Batch(items) => {
            Reply::Batch(items.iter().map(|p| execute(kernel, alloc, p)).collect())
        }
        Primitive::CallSeries {
            slot,
            args,
            step,
            count,
        } => mv_proto::series_reply((0..*count).map(|i| {
            kernel.board_mut().advance_us(CALL_COST_US);
            let status = kernel.dispatch(*slot, mv_proto::series_args(*args, *step, i));
            run_pending_handlers(kernel.board_mut());
            status
        })),
        Primitive::RingDrain {
            base,
            slots,
            position,
            fresh,
        } => drain(
            &mut kernel.board_mut().memory,
            *base,
            *slots,
            *position,
            *fresh,
        ),
        Primitive::Fill { addr, len, byte } => {
            let data = vec![*byte; *len as usize];
            match kernel.board_mut().memory.write(*addr, &data) {
                Some(()) => Reply::Done,
                None => Reply::Refused(Refusal::NotAppMemory),
            }
        }
    };
    run_pending_handlers(kernel.board_mut());
    kernel.poll();
    reply
}

/// App memory seen as one notification ring, for the application's reader.
struct Ring<'a> {
    memory: &'a mut AppMemory,
    base: u32,
    slots: u32,
}

impl mv_ns::ring::RingMemory for Ring<'_> {
    fn slots(&self) -> u32 {
        self.slots
    }
    fn read(&self, slot: u32) -> mv_abi::MvNotification {
        let mut bytes = [0u8; 16];
        let _ = self.memory.read(self.base + slot * 16, &mut bytes);
        <mv_abi::MvNotification as mv_abi::AbiStruct>::decode(&bytes)
    }
    fn clear_event_type(&mut self, slot: u32) {
        let _ = self.memory.write(self.base + slot * 16 + 8, &[0; 4]);
    }
}

/// Run the application's ring reader, as the target agent does.
fn drain(memory: &mut AppMemory, base: u32, slots: u32, position: u32, fresh: bool) -> Reply {
    let mut ring = Ring {
        memory,
        base,
        slots,
    };
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

/// What an ARMv8-M core raises when the non-secure app loads from memory it
/// may not read: a SecureFault (SFSR.AUVIOL) for secure memory, a precise
/// BusFault for an address with nothing behind it. Reported at the first
/// byte that is not app memory.
fn read_fault(addr: u32, len: u32) -> mv_proto::FaultReport {
    use crate::memory_map::{attribution, Attribution};
    let first_bad = (0..len.max(1))
        .map(|i| addr.wrapping_add(i))
        .find(|&a| !matches!(attribution(a), Attribution::AppRam | Attribution::AppFlash))
        .unwrap_or(addr);
    let (kind, registers) = match attribution(first_bad) {
        Attribution::Secure => (
            mv_proto::FaultKind::SecureFault,
            // AUVIOL | SFARVALID
            vec![("SFSR".into(), 0x48), ("SFAR".into(), first_bad)],
        ),
        _ => (
            mv_proto::FaultKind::BusFault,
            // PRECISERR | BFARVALID
            vec![("CFSR".into(), 0x8200), ("BFAR".into(), first_bad)],
        ),
    };
    mv_proto::FaultReport { kind, registers }
}

fn irq_op(kernel: &mut Kernel<SimBoard>, irq: u32, op: impl FnOnce(&mut SimBoard, usize)) -> Reply {
    let board = kernel.board_mut();
    if (irq as usize) < board.enabled.len() {
        op(board, irq as usize);
        Reply::Done
    } else {
        Reply::Refused(Refusal::BadArgument)
    }
}

/// The NVIC takes every pending, enabled IRQ; the agent's handler counts it.
fn run_pending_handlers(board: &mut SimBoard) {
    for irq in 0..board.enabled.len() {
        if board.enabled[irq] && board.is_pending(irq as u32) {
            board.set_pending(irq as u32, false);
            board.handled[irq] += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_straddle_crosses_the_boundary_or_is_refused() {
        let mut a = Allocator::default();
        let at = a.alloc(8, 4, Placement::StraddleNsSecure, 0).unwrap();
        assert!(at < MV_SRAM3_BASE && at + 8 > MV_SRAM3_BASE);
        assert_eq!(
            a.alloc(4, 4, Placement::StraddleNsSecure, 0),
            Some(IMPOSSIBLE_STRADDLE)
        );
        assert_ne!(
            a.alloc(4, 4, Placement::StraddleNsSecure, 2),
            Some(IMPOSSIBLE_STRADDLE)
        );
    }

    #[test]
    fn ram_end_allocations_end_at_the_boundary() {
        let mut a = Allocator::default();
        assert_eq!(
            a.alloc(34, 1, Placement::NsRamEnd, 0),
            Some(MV_SRAM3_BASE - 34)
        );
    }
}
