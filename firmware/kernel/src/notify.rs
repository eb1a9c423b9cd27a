//! Notification centres and the rings they write into.
//!
//! Semantics (seed page "Microvisor System Calls", sections "The buffer",
//! "Reading notifications", "Buffer overruns", "One write pointer per buffer"):
//! records are 16 bytes; a buffer is at least 32 bytes, a multiple of 16 and
//! 8-byte aligned; after writing a record the kernel zeroes `event_type` of
//! the next slot (the sentinel); the IRQ of the centre is *pended*, never
//! enabled; several centres may share one buffer (same address and size) and
//! then share one write pointer. At most 32 distinct buffers are in use.
//!
//! Centres are not counted against a limit of their own: "You can establish
//! as many centers as you need" (docs, `/microvisor-notifications`). Each
//! centre owns an IRQ that no other centre uses, and the centre table has a
//! place for every IRQ an ARMv8-M NVIC can have ([`MAX_IRQS`]), so it never
//! fills: an app runs out of free IRQs (`INVALIDINTERRUPT`) or of buffers
//! (`TOOMANYNOTIFICATIONBUFFERS`) first.

use mv_abi::{AbiStruct, MvNotification, MvNotificationSetup, MvStatus};

use crate::board::{Access, Board, BusFault};
use crate::usermem::{ranges_overlap, NsRange};

/// Bytes per record (`sizeof(struct MvNotification)`).
pub const RECORD_SIZE: u32 = 16;
/// The smallest buffer: two records.
pub const MIN_BUFFER_SIZE: u32 = 32;
/// Required alignment of the first byte of a buffer.
pub const BUFFER_ALIGN: u32 = 8;
/// "the limit of 32 simultaneously in use notification buffers".
pub const MAX_BUFFERS: usize = 32;
/// The most external interrupts an ARMv8-M NVIC can have (IRQ 0 to 479).
pub const MAX_IRQS: u32 = 480;
/// One place per IRQ: centres need distinct IRQs below [`MAX_IRQS`], so
/// this many can never all be in use with a free IRQ left over.
pub const MAX_CENTRES: usize = MAX_IRQS as usize;

/// Offset of `event_type` inside a record.
const EVENT_TYPE_OFFSET: u32 = 8;

#[derive(Clone, Copy, Debug)]
struct Ring {
    base: u32,
    size: u32,
    /// Offset of the slot the next record goes to; its `event_type` is 0.
    write_offset: u32,
    users: u16,
}

/// A live centre; 8 bytes, so the table of [`MAX_CENTRES`] stays under 4 KiB.
#[derive(Clone, Copy, Debug)]
struct Centre {
    handle: u32,
    /// Below [`MAX_IRQS`].
    irq: u16,
    /// Index into the rings (below [`MAX_BUFFERS`]).
    ring: u8,
}

const NO_CENTRE: Centre = Centre {
    handle: 0,
    irq: 0,
    ring: 0,
};

/// All centres and rings of the running app.
pub struct Notifications {
    rings: [Option<Ring>; MAX_BUFFERS],
    /// The live centres are `centres[..live]` (a dense list: lookups scan
    /// only centres that exist).
    centres: [Centre; MAX_CENTRES],
    live: usize,
}

/// What `mvSetupNotifications` decided, before anything is committed.
pub struct SetupPlan {
    irq: u32,
    base: u32,
    size: u32,
    /// An existing ring with the same address and size, if any.
    shared_ring: Option<usize>,
}

impl SetupPlan {
    /// Does the planned buffer share a byte with `[addr, addr + len)`?
    pub fn buffer_overlaps(&self, addr: u32, len: u32) -> bool {
        ranges_overlap(self.base, self.size, addr, len)
    }
}

impl Default for Notifications {
    fn default() -> Self {
        Self::new()
    }
}

impl Notifications {
    pub const fn new() -> Self {
        Notifications {
            rings: [None; MAX_BUFFERS],
            centres: [NO_CENTRE; MAX_CENTRES],
            live: 0,
        }
    }

    /// Is `handle` a live centre?
    pub fn contains(&self, handle: u32) -> bool {
        self.centre_index(handle).is_some()
    }

    fn centre_index(&self, handle: u32) -> Option<usize> {
        if handle == mv_abi::INVALID_HANDLE {
            return None;
        }
        self.centres[..self.live]
            .iter()
            .position(|c| c.handle == handle)
    }

    fn irq_in_use(&self, irq: u32) -> bool {
        self.centres[..self.live]
            .iter()
            .any(|c| u32::from(c.irq) == irq)
    }

    /// Does any live ring share a byte with `[addr, addr + len)`?
    pub fn overlaps_any_ring(&self, addr: u32, len: u32) -> bool {
        self.rings
            .iter()
            .flatten()
            .any(|r| ranges_overlap(r.base, r.size, addr, len))
    }

    /// Check a setup request in the documented order (see `firmware/ABI.md`).
    /// `other_buffer_in_use` reports memory used by other kernel objects
    /// (e.g. the server-logging buffer).
    pub fn plan_setup<B: Board>(
        &self,
        board: &B,
        setup: &MvNotificationSetup,
        other_buffer_in_use: impl Fn(u32, u32) -> bool,
    ) -> Result<SetupPlan, MvStatus> {
        let (irq, base, size) = (setup.irq, setup.buffer, setup.buffer_size);
        if irq >= MAX_IRQS || !board.is_ns_irq(irq) || self.irq_in_use(irq) {
            return Err(MvStatus::InvalidInterrupt);
        }
        if size < MIN_BUFFER_SIZE || size % RECORD_SIZE != 0 {
            return Err(MvStatus::InvalidBufferSize);
        }
        if base % BUFFER_ALIGN != 0 {
            return Err(MvStatus::InvalidBufferAlignment);
        }
        NsRange::claim(board, base, size, BUFFER_ALIGN, Access::ReadWrite)?;
        let shared_ring = self
            .rings
            .iter()
            .position(|r| matches!(r, Some(r) if r.base == base && r.size == size));
        if shared_ring.is_none()
            && (self.overlaps_any_ring(base, size) || other_buffer_in_use(base, size))
        {
            return Err(MvStatus::BufferAlreadyInUse);
        }
        let ring_free = shared_ring.is_some() || self.rings.iter().any(Option::is_none);
        if !ring_free {
            return Err(MvStatus::TooManyNotificationBuffers);
        }
        // A free place for the centre: `irq` is below MAX_IRQS and no live
        // centre uses it, so fewer than MAX_CENTRES centres are live.
        debug_assert!(self.live < MAX_CENTRES);
        Ok(SetupPlan {
            irq,
            base,
            size,
            shared_ring,
        })
    }

    /// Commit a checked plan under `handle`. A new ring gets its sentinel at
    /// offset 0, so a reader starting at the first slot stops there even if
    /// the app filled the buffer with 0xFF.
    pub fn commit_setup<B: Board>(
        &mut self,
        board: &mut B,
        plan: SetupPlan,
        handle: u32,
    ) -> Result<(), BusFault> {
        let (ring, fresh) = match plan.shared_ring {
            Some(i) => (i, false),
            None => {
                let i = self
                    .rings
                    .iter()
                    .position(Option::is_none)
                    .expect("plan_setup checked for a free ring");
                self.rings[i] = Some(Ring {
                    base: plan.base,
                    size: plan.size,
                    write_offset: 0,
                    users: 0,
                });
                (i, true)
            }
        };
        if let Some(r) = self.rings[ring].as_mut() {
            r.users += 1;
        }
        // plan_setup's checks leave a place (see there); the IRQ and the
        // ring index fit their fields (below MAX_IRQS and MAX_BUFFERS).
        self.centres[self.live] = Centre {
            handle,
            irq: plan.irq as u16,
            ring: ring as u8,
        };
        self.live += 1;
        if fresh {
            board.write_ns(plan.base + EVENT_TYPE_OFFSET, &0u32.to_le_bytes())?;
        }
        Ok(())
    }

    /// Forget a centre. Its IRQ is not touched: an already pended IRQ stays
    /// pending. The ring is freed when its last centre goes.
    pub fn close(&mut self, handle: u32) -> bool {
        let Some(i) = self.centre_index(handle) else {
            return false;
        };
        let centre = self.centres[i];
        self.live -= 1;
        self.centres[i] = self.centres[self.live];
        let ring = usize::from(centre.ring);
        if let Some(r) = self.rings[ring].as_mut() {
            r.users -= 1;
            if r.users == 0 {
                self.rings[ring] = None;
            }
        }
        true
    }

    /// Write one record through centre `handle`, move the ring's single write
    /// pointer, zero the next slot's `event_type`, then pend the IRQ.
    ///
    /// The record's `event_type` is written last, after the sentinel, so a
    /// reader racing the kernel never sees a half-written record as valid.
    pub fn post<B: Board>(
        &mut self,
        board: &mut B,
        handle: u32,
        event_type: u32,
        tag: u32,
    ) -> Result<(), PostError> {
        let i = self.centre_index(handle).ok_or(PostError::NoSuchCentre)?;
        let centre = self.centres[i];
        let ring = self.rings[usize::from(centre.ring)]
            .as_mut()
            .expect("a live centre has a ring");

        let record = MvNotification {
            microseconds: board.now_us(),
            event_type,
            tag,
        };
        let mut bytes = [0u8; RECORD_SIZE as usize];
        record.encode(&mut bytes);
        let here = ring.base + ring.write_offset;
        let next_offset = (ring.write_offset + RECORD_SIZE) % ring.size;
        ring.write_offset = next_offset;
        let next = ring.base + next_offset;

        let fault = PostError::BusFault;
        board.write_ns(here, &bytes[..8]).map_err(fault)?;
        board.write_ns(here + 12, &bytes[12..]).map_err(fault)?;
        board
            .write_ns(next + EVENT_TYPE_OFFSET, &0u32.to_le_bytes())
            .map_err(fault)?;
        board
            .write_ns(here + EVENT_TYPE_OFFSET, &bytes[8..12])
            .map_err(fault)?;
        board.pend_irq(u32::from(centre.irq));
        Ok(())
    }

    /// Number of distinct buffers in use (for tests and diagnostics).
    pub fn buffers_in_use(&self) -> usize {
        self.rings.iter().flatten().count()
    }

    /// Is `handle` in use by any centre (for handle minting)?
    pub fn handle_in_use(&self, handle: u32) -> bool {
        self.centre_index(handle).is_some()
    }
}

/// Why a record could not be posted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostError {
    NoSuchCentre,
    BusFault(BusFault),
}
