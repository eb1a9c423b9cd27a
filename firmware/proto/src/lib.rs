//! The agent link: primitives the host asks the test app to execute.
//!
//! All test intelligence lives on the host; the agent (on the sim: in-process;
//! on target: a non-secure app behind a UART) only executes these primitives
//! and reports what happened. Adding a case therefore never needs a firmware
//! rebuild. A [`Primitive::Batch`] runs on the device with no host round trip
//! between its elements, which is what floods and timing checks need.
//!
//! The types are `no_std + alloc` and serde-encodable, so the same definitions
//! travel as frames on the target link.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

mod cloud;
mod frame;
mod fuzz;
mod mqtt;

pub use cloud::{
    AppStarted, CloudToDevice, ConfigItem, ConfigKey, CrashReport, DeviceToCloud, HttpRequest,
    OtaReply,
};
pub use fuzz::{
    FindingKind, FuzzBatch, FuzzCaller, FuzzFinding, FuzzReport, FUZZ_SLOTS, MAX_FINDINGS,
};
pub use mqtt::{MqttConnect, MqttDown, MqttOutcome, MqttRequest, MqttSubscription, MqttWill};

pub use frame::{
    decode_frame, decode_request, encode_frame, FrameError, RequestError, FRAME_DELIMITER,
    MAX_FRAME,
};

/// Version of the agent-link and cloud-link protocols. Both ends check it:
/// the agent reports it in its hello and refuses requests of another version
/// ([`Response::VersionMismatch`]); the device announces it on the cloud link
/// ([`DeviceToCloud::Started`]) and refuses a cloud of another version.
///
/// Frames are postcard, which encodes a variant by its index: variants are
/// only ever appended, and the version is the first field of every request,
/// so a host and a device of different versions always get as far as the
/// version check and say which versions met.
pub const PROTOCOL_VERSION: u32 = 6;

/// The largest [`Primitive::Read`] an agent answers, on every rig (a host
/// reads more in several pieces): a batch of reads must fit one reply frame
/// ([`MAX_FRAME`]).
pub const MAX_READ: u32 = 4096;

/// Where an allocation goes. Only NS RAM placements are writable by the agent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Placement {
    /// Ordinary app RAM.
    NsRam,
    /// The last bytes of app RAM, ending exactly at the NS/S boundary.
    NsRamEnd,
    /// App flash: the app can read it, not write it.
    NsFlash,
    /// Secure RAM (an address the app must never be allowed to pass).
    SecureRam,
    /// Secure flash.
    SecureFlash,
    /// An address with no memory behind it.
    Unmapped,
    /// Starts in NS RAM and runs into secure RAM.
    StraddleNsSecure,
    /// App RAM the bus refuses: the kernel's checks pass, but every access
    /// (the app's or the kernel's) ends in a bus error.
    BusError,
    /// App RAM the app's MPU gives to privileged code only: the agent reads
    /// and writes it, an unprivileged caller's pointer into it is refused.
    PrivilegedOnly,
}

impl Placement {
    /// Can the agent write this memory itself?
    pub const fn is_writable(self) -> bool {
        matches!(
            self,
            Placement::NsRam | Placement::NsRamEnd | Placement::PrivilegedOnly
        )
    }

    /// Does it lie wholly in non-secure memory the app can read?
    pub const fn is_non_secure(self) -> bool {
        matches!(
            self,
            Placement::NsRam | Placement::NsRamEnd | Placement::NsFlash | Placement::PrivilegedOnly
        )
    }

    /// The spelling in case files (`ns_ram`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Placement::NsRam => "ns_ram",
            Placement::NsRamEnd => "ns_ram_end",
            Placement::NsFlash => "ns_flash",
            Placement::SecureRam => "secure_ram",
            Placement::SecureFlash => "secure_flash",
            Placement::Unmapped => "unmapped",
            Placement::StraddleNsSecure => "straddle_ns_secure",
            Placement::BusError => "bus_error",
            Placement::PrivilegedOnly => "privileged_only",
        }
    }
}

/// One thing for the agent to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Primitive {
    /// Reserve `size` bytes aligned to `align`, then offset by `misalign`.
    Alloc {
        size: u32,
        align: u32,
        placement: Placement,
        misalign: u32,
    },
    /// Store bytes (NS RAM only).
    Write {
        addr: u32,
        data: Vec<u8>,
    },
    /// Load bytes (NS RAM and NS flash only).
    Read {
        addr: u32,
        len: u32,
    },
    /// Call NSC slot `slot` with r0–r3; the reply carries r0.
    Call {
        slot: u32,
        args: [u32; 4],
    },
    IrqEnable(u32),
    IrqDisable(u32),
    IrqClearPending(u32),
    IrqStatus(u32),
    /// Busy-wait this long on the device.
    DelayUs(u32),
    /// Run these in order on the device, without host round trips.
    Batch(Vec<Primitive>),
    /// Store `len` copies of `byte` (NS RAM only): initialising a buffer
    /// costs a few bytes on the link instead of the whole buffer.
    Fill {
        addr: u32,
        len: u32,
        byte: u8,
    },
    /// Call `slot` `count` times on the device, adding `step[i]` to argument
    /// `i` after each call (a tag that counts up, a pointer that walks).
    /// Floods and throughput measurements need no host round trip per call.
    CallSeries {
        slot: u32,
        args: [u32; 4],
        step: [u32; 4],
        count: u32,
    },
    /// Drain the notification ring at `base` (`slots` records) with the
    /// application's reader (`mv_ns::ring::RingReader`), starting as `start` says.
    RingDrain {
        base: u32,
        slots: u32,
        start: RingStart,
    },
    /// Set the IRQ's pending bit through the app's NVIC. As on the hardware,
    /// the NVIC ignores the app's writes for an IRQ targeted secure.
    IrqPend(u32),
    /// Make the call from the agent's handler of `irq`: the agent enables
    /// and pends the IRQ, its handler calls `slot`, and the IRQ's enable
    /// state is restored afterwards. The reply is r0, or `Refused` when the
    /// handler did not run (an IRQ the app's NVIC does not give it).
    CallFromIrq {
        irq: u32,
        slot: u32,
        args: [u32; 4],
    },
    /// Make the call from unprivileged thread mode: the agent drops to
    /// unprivileged for the call and comes back through `SVC`.
    CallUnprivileged {
        slot: u32,
        args: [u32; 4],
    },
    /// Draw and make calls of the boundary fuzzer's stream on the device,
    /// checking each ([`FuzzBatch`]).
    Fuzz(FuzzBatch),
}

/// Where a [`Primitive::RingDrain`]'s reader starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RingStart {
    /// A new reader: zero every `event_type` first (what an app does before
    /// it sets the ring up), then read from slot 0.
    Fresh,
    /// Go on at this read position, checking for an overrun (the slot
    /// before it was read and zeroed).
    Resume(u32),
    /// Start at this read position in a ring the reader never zeroed: until
    /// it has read a record, the slot before its read pointer holds whatever
    /// the buffer held, so it cannot tell an overrun (and does not try).
    Unverified(u32),
}

/// What the agent reports back for one primitive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reply {
    Allocated {
        addr: u32,
    },
    Done,
    Bytes(Vec<u8>),
    /// r0 after a call: the raw `MvStatus`.
    Status(u32),
    Irq {
        pending: bool,
        enabled: bool,
        /// How often the agent's handler for this IRQ ran.
        handled: u32,
    },
    Batch(Vec<Reply>),
    /// The agent would not do it (e.g. write secure memory, out of memory).
    Refused(Refusal),
    /// The device faulted executing this primitive; nothing after it ran and
    /// the device needs a reset.
    Fault(FaultReport),
    /// The records a [`Primitive::RingDrain`] read, in order, and what the
    /// reader concluded.
    Drained {
        /// `(microseconds, event_type, tag)` of each record read.
        records: Vec<(u64, u32, u32)>,
        /// `Some(lost_at_least)` when the documented check saw an overrun.
        overrun: Option<u32>,
        /// The read position after the drain.
        position: u32,
    },
    /// The outcome of a [`Primitive::CallSeries`].
    Series {
        calls: u32,
        /// Calls whose status was not `OKAY`.
        failures: u32,
        /// Index and status of the first such call.
        first_failure: Option<(u32, u32)>,
    },
    /// The outcome of a [`Primitive::Fuzz`].
    Fuzzed(FuzzReport),
}

/// Which exception a fault raised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FaultKind {
    SecureFault,
    BusFault,
    UsageFault,
    MemManage,
    HardFault,
}

impl FaultKind {
    pub const ALL: [FaultKind; 5] = [
        FaultKind::SecureFault,
        FaultKind::BusFault,
        FaultKind::UsageFault,
        FaultKind::MemManage,
        FaultKind::HardFault,
    ];

    /// The Arm name, as fault handlers print it.
    pub const fn name(self) -> &'static str {
        match self {
            FaultKind::SecureFault => "SecureFault",
            FaultKind::BusFault => "BusFault",
            FaultKind::UsageFault => "UsageFault",
            FaultKind::MemManage => "MemManage",
            FaultKind::HardFault => "HardFault",
        }
    }

    pub fn from_name(name: &str) -> Option<FaultKind> {
        FaultKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A fault and the registers that explain it (`SFSR`, `SFAR`, `CFSR`, ...).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultReport {
    pub kind: FaultKind,
    pub registers: Vec<(alloc::string::String, u32)>,
}

impl FaultReport {
    pub fn register(&self, name: &str) -> Option<u32> {
        self.registers
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
    }

    /// The rig-independent cause: the SFSR cause bits for a SecureFault,
    /// the CFSR bus-fault cause bits for a BusFault (the *VALID bits, and
    /// register values that differ between boards, are left out).
    pub fn causes(&self) -> Vec<&'static str> {
        const SFSR: [(u32, &str); 7] = [
            (0x01, "INVEP"),
            (0x02, "INVIS"),
            (0x04, "INVER"),
            (0x08, "AUVIOL"),
            (0x10, "INVTRAN"),
            (0x20, "LSPERR"),
            (0x80, "LSERR"),
        ];
        const CFSR_BUS: [(u32, &str); 5] = [
            (0x0100, "IBUSERR"),
            (0x0200, "PRECISERR"),
            (0x0400, "IMPRECISERR"),
            (0x0800, "UNSTKERR"),
            (0x1000, "STKERR"),
        ];
        let (table, reg): (&[(u32, &'static str)], _) = match self.kind {
            FaultKind::SecureFault => (&SFSR, "SFSR"),
            FaultKind::BusFault => (&CFSR_BUS, "CFSR"),
            _ => return Vec::new(),
        };
        let value = self.register(reg).unwrap_or(0);
        table
            .iter()
            .filter(|(bit, _)| value & bit != 0)
            .map(|&(_, n)| n)
            .collect()
    }
}

/// Fold the statuses of a call series into its [`Reply::Series`]; shared by
/// every agent so they answer alike.
pub fn series_reply(statuses: impl Iterator<Item = u32>) -> Reply {
    let (mut calls, mut failures, mut first_failure) = (0, 0, None);
    for status in statuses {
        if status != 0 {
            failures += 1;
            first_failure.get_or_insert((calls, status));
        }
        calls += 1;
    }
    Reply::Series {
        calls,
        failures,
        first_failure,
    }
}

/// The arguments of call `i` of a series.
pub fn series_args(args: [u32; 4], step: [u32; 4], i: u32) -> [u32; 4] {
    core::array::from_fn(|k| args[k].wrapping_add(step[k].wrapping_mul(i)))
}

/// Why a primitive was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    OutOfMemory,
    NotAppMemory,
    BadArgument,
}

/// A memory region as the agent reports it in its hello.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub name: alloc::string::String,
    pub base: u32,
    pub size: u32,
    pub secure: bool,
    pub app_writable: bool,
}

/// The agent's hello: what board it runs on and where the NSC table is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol_version: u32,
    pub board: alloc::string::String,
    pub nsc_table_base: u32,
    pub regions: Vec<Region>,
}

/// Host to agent: one frame per request, each led by the host's [`PROTOCOL_VERSION`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    /// Say hello again (the agent also sends one unasked after reset).
    Hello { protocol_version: u32 },
    /// Execute these primitives in order, on the device, and reply with one
    /// [`Reply`] each in a single [`Response::Replies`].
    Exec {
        protocol_version: u32,
        primitives: Vec<Primitive>,
    },
}

impl Request {
    /// An `Exec` request of this protocol version.
    pub fn exec(primitives: Vec<Primitive>) -> Request {
        Request::Exec {
            protocol_version: PROTOCOL_VERSION,
            primitives,
        }
    }

    /// A `Hello` request of this protocol version.
    pub fn hello() -> Request {
        Request::Hello {
            protocol_version: PROTOCOL_VERSION,
        }
    }

    /// The version the sender speaks.
    pub fn protocol_version(&self) -> u32 {
        match self {
            Request::Hello { protocol_version }
            | Request::Exec {
                protocol_version, ..
            } => *protocol_version,
        }
    }
}

/// Agent to host: one frame per message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    Hello(Hello),
    Replies(Vec<Reply>),
    /// The request frame could not be decoded.
    BadRequest,
    /// The request came in another protocol version; nothing was executed.
    VersionMismatch {
        agent: u32,
        host: u32,
    },
}
