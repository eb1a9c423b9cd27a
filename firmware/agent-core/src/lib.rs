//! The agent core: executes the host's primitives as the test app, the same way on every rig.
//!
//! The agent does nothing on its own; the host sends [`mv_proto::Request`]s
//! and the core answers them ([`Agent::answer`]): it allocates from the
//! board's pools ([`alloc::Allocator`]), stores only into its RAM pool, loads
//! from wherever the host says (memory the app may not read faults), calls
//! NSC slots, drives its interrupts and drains notification rings with the
//! application's own reader (`mv_ns::ring::RingReader`). What differs
//! between the agent image and the sim — how a byte is loaded, how a slot is
//! called, what an IRQ is — sits behind [`App`]. When the app stops under a
//! primitive (it crashed, or `mvRestart` succeeded) the request ends with
//! [`Stopped`]: on target the app simply ceases, on the sim the device
//! restarts it, and either way nothing after that primitive runs.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod allocator;
mod attack;
mod exec;
mod fuzz;
mod ring;

use alloc::string::ToString;
use alloc::vec::Vec;

use mv_boards::Board;
use mv_proto::{decode_request, Hello, Region, Request, RequestError, Response, PROTOCOL_VERSION};

pub use allocator::Allocator;

pub use mv_proto::MAX_READ;

/// The app stopped under a primitive (crash, restart): nothing after it ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stopped;

/// An interrupt as the app's NVIC shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrqStatus {
    pub pending: bool,
    pub enabled: bool,
    /// How often the agent's handler for it ran.
    pub handled: u32,
}

/// What the app can do on this rig.
pub trait App {
    /// Copy bytes out of the agent's RAM pool (the core checked the range).
    fn peek(&self, addr: u32, buf: &mut [u8]);
    /// Store bytes into the agent's RAM pool (the core checked the range).
    fn poke(&mut self, addr: u32, data: &[u8]);
    /// Load bytes as the app from wherever the host says; memory the app
    /// may not read faults, and the app stops.
    fn load(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), Stopped>;
    /// Call NSC slot `slot` with r0–r3; r0 after the call.
    fn call(&mut self, slot: u32, args: [u32; 4]) -> Result<u32, Stopped>;
    /// Let `us` microseconds pass on the device.
    fn delay_us(&mut self, us: u32) -> Result<(), Stopped>;
    /// IRQ lines the NVIC has registers for.
    fn irq_lines(&self) -> u32;
    fn irq_enable(&mut self, irq: u32, enabled: bool);
    fn irq_clear_pending(&mut self, irq: u32);
    /// Set the pending bit (the NVIC ignores it for an IRQ targeted secure).
    fn irq_pend(&mut self, irq: u32);
    fn irq_status(&self, irq: u32) -> IrqStatus;
    /// Call NSC slot `slot` from the app's handler of `irq` (`irq` below
    /// [`App::irq_lines`]): enable and pend the IRQ, let its handler make the
    /// call, restore the IRQ's enable state. `None` when the handler did not
    /// run (the NVIC does not give the IRQ to the app).
    fn call_from_irq(
        &mut self,
        irq: u32,
        slot: u32,
        args: [u32; 4],
    ) -> Result<Option<u32>, Stopped>;
    /// Flood `irq` (below [`App::irq_lines`]): pend it, and have its handler
    /// pend it again on every entry until it ran `max_entries` times or the
    /// NVIC stops taking it; then clear the pending bit left behind. How
    /// often the handler ran (0: never, the IRQ is disabled or secure).
    fn irq_flood(&mut self, irq: u32, max_entries: u32) -> Result<u32, Stopped>;
    /// Call NSC slot `slot` from unprivileged thread mode; r0 after the call.
    fn call_unprivileged(&mut self, slot: u32, args: [u32; 4]) -> Result<u32, Stopped>;
    /// Carry out `attack` on the secure world at `addr` (the target as
    /// [`Agent`] resolved it) with the instructions an attacker would use.
    /// `Ok(Some(value))`: it completed without a fault (a load's word, else
    /// 0); `Ok(None)`: this rig cannot carry it out (the sim executes no
    /// instructions), nothing was tried. What the architecture stops is a
    /// fault, and the app stops.
    fn attack(&mut self, attack: mv_proto::Attack, addr: u32) -> Result<Option<u32>, Stopped> {
        let _ = (attack, addr);
        Ok(None)
    }
    /// Make the call from thread mode with the app's timer armed to
    /// interrupt it (`mv_proto::TimerInterrupt`; a `Write` action's range
    /// the core checked is in the RAM pool). `Ok(None)`: this rig cannot
    /// interrupt a call in progress (the sim runs a call as one step);
    /// nothing was called.
    fn call_interrupted(
        &mut self,
        slot: u32,
        args: [u32; 4],
        interrupt: &mv_proto::TimerInterrupt,
    ) -> Result<Option<(u32, Option<mv_proto::IsrRecord>)>, Stopped> {
        let _ = (slot, args, interrupt);
        Ok(None)
    }
    /// Point the app's `VTOR_NS` at `vtor`, make the call, point it back.
    fn call_with_vtor(&mut self, vtor: u32, slot: u32, args: [u32; 4]) -> Result<u32, Stopped>;
    /// Make a piece of the `ns_flash` pool read as erased (on QEMU the pool
    /// is RAM that survives a reset; where flash reads erased, nothing).
    fn erase_flash(&mut self, addr: u32, len: u32) {
        let _ = (addr, len);
    }
    /// After every primitive: what the device does between the app's
    /// instructions (the sim runs pending handlers and the kernel's tick).
    fn settle(&mut self) -> Result<(), Stopped> {
        Ok(())
    }

    /// Accesses the kernel made outside app memory since the last ask, as
    /// far as this rig can see: the sim's model refuses and counts them; on
    /// target they land in secure memory, where the host looks for them.
    fn escapes(&mut self) -> u32 {
        0
    }

    /// The kernel's accesses the bus-error window refused since the last
    /// ask (app memory to every check; `LATEFAULT` when met after a side
    /// effect), where the rig sees them: the sim's board counts them; on
    /// target the secure image's copy loop takes them unseen (`None`).
    fn window_faults(&mut self) -> Option<u32> {
        None
    }
}

/// The agent: its board, its allocations and its hello.
pub struct Agent {
    board: &'static Board,
    allocator: Allocator,
    nsc_table_base: u32,
    /// The boundary fuzzer's stream, once a batch started one.
    fuzz: Option<fuzz::FuzzState>,
}

impl Agent {
    /// A freshly started agent on `board`, whose own RAM ends at `pool_start`
    /// (the `ns_ram` pool starts there), with the NSC table at `nsc_table_base`.
    pub fn new(board: &'static Board, pool_start: u32, nsc_table_base: u32) -> Agent {
        let mut pools = board.pools;
        pools.ns_ram.0 = pool_start;
        Agent {
            board,
            allocator: Allocator::new(pools),
            nsc_table_base,
            fuzz: None,
        }
    }

    /// What the agent says at start and when asked.
    pub fn hello(&self) -> Hello {
        Hello {
            protocol_version: PROTOCOL_VERSION,
            board: self.board.name.into(),
            nsc_table_base: self.nsc_table_base,
            regions: self
                .board
                .regions
                .iter()
                .map(|r| Region {
                    name: r.name.to_string(),
                    base: r.base,
                    size: r.size,
                    secure: r.secure,
                    app_writable: r.app_writable,
                })
                .collect(),
        }
    }

    /// What the agent sends unasked when it starts: the version and the
    /// digest of its hello, which the host asks for only when it does not
    /// hold that hello already.
    pub fn ready(&self) -> Response {
        Response::Ready {
            protocol_version: PROTOCOL_VERSION,
            hello_digest: self.hello().digest(),
        }
    }

    /// Answers one request frame (COBS, delimiter stripped or not). A frame
    /// of another protocol version is refused without executing anything.
    pub fn answer_frame(
        &mut self,
        app: &mut impl App,
        frame: &mut [u8],
    ) -> Result<Response, Stopped> {
        match decode_request(frame) {
            Ok(request) => self.answer(app, request),
            Err(RequestError::Version { host }) => Ok(Response::VersionMismatch {
                agent: PROTOCOL_VERSION,
                host,
            }),
            Err(RequestError::Frame(_)) => Ok(Response::BadRequest),
        }
    }

    /// Answers one request.
    pub fn answer(&mut self, app: &mut impl App, request: Request) -> Result<Response, Stopped> {
        if request.protocol_version() != PROTOCOL_VERSION {
            return Ok(Response::VersionMismatch {
                agent: PROTOCOL_VERSION,
                host: request.protocol_version(),
            });
        }
        Ok(match request {
            Request::Hello { .. } => Response::Hello(self.hello()),
            Request::Exec { primitives, .. } => Response::Replies(self.run(app, &primitives)?),
        })
    }

    /// Executes primitives in order, one reply each.
    pub fn run(
        &mut self,
        app: &mut impl App,
        primitives: &[mv_proto::Primitive],
    ) -> Result<Vec<mv_proto::Reply>, Stopped> {
        primitives.iter().map(|p| self.execute(app, p)).collect()
    }

    /// The allocator (placement pools and what is left of them).
    pub fn allocator(&self) -> &Allocator {
        &self.allocator
    }
}
