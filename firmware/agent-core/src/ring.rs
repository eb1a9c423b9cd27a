//! `RingDrain`: the application's ring reader, over the agent's view of app RAM.

use alloc::vec::Vec;

use mv_abi::{AbiStruct, MvNotification};
use mv_ns::ring::{RingMemory, RingReader};
use mv_proto::{Refusal, Reply, RingStart};

use crate::{Allocator, App};

/// One notification ring in the agent's RAM pool.
struct Ring<'a, A: App> {
    app: &'a mut A,
    base: u32,
    slots: u32,
}

impl<A: App> RingMemory for Ring<'_, A> {
    fn slots(&self) -> u32 {
        self.slots
    }

    fn read(&self, slot: u32) -> MvNotification {
        let mut bytes = [0u8; 16];
        self.app.peek(self.base + slot * 16, &mut bytes);
        MvNotification::decode(&bytes)
    }

    fn clear_event_type(&mut self, slot: u32) {
        self.app.poke(self.base + slot * 16 + 8, &[0; 4]);
    }
}

/// Drain the ring at `base` (`slots` records) with a reader that starts as
/// `start` says.
pub(crate) fn drain(
    app: &mut impl App,
    allocator: &Allocator,
    base: u32,
    slots: u32,
    start: RingStart,
) -> Reply {
    let position = match start {
        RingStart::Fresh => 0,
        RingStart::Resume(p) | RingStart::Unverified(p) => p,
    };
    let fits = base.is_multiple_of(8)
        && slots
            .checked_mul(16)
            .is_some_and(|len| allocator.in_ram_pool(base, len));
    if !fits || position >= slots.max(1) {
        return Reply::Refused(Refusal::NotAppMemory);
    }
    let mut ring = Ring { app, base, slots };
    let mut reader = match start {
        RingStart::Fresh => RingReader::new(&mut ring),
        RingStart::Resume(p) => RingReader::at(p),
        RingStart::Unverified(p) => RingReader::unverified_at(p),
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
