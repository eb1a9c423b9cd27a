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
pub mod ring;

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
pub const PROTOCOL_VERSION: u32 = 12;

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
    /// Try one of the published TrustZone attacks on the secure world with
    /// the real instructions ([`Attack`]). The architecture must stop it: the
    /// reply is then never sent (the app crashed and restarts); an access
    /// that completes answers [`Reply::Attacked`].
    Attack(Attack),
    /// Make the call from thread mode with an interrupt armed to come
    /// during it ([`TimerInterrupt`]: the app's timer, or an IRQ the kernel
    /// pends): its handler does `action` wherever it lands (inside the
    /// kernel's call when the IRQ is fast) and records what it pre-empted. The reply is [`Reply::Interrupted`], or
    /// [`Reply::NotModelled`] on a rig that executes no instructions.
    CallInterrupted {
        slot: u32,
        args: [u32; 4],
        interrupt: TimerInterrupt,
    },
    /// Point the app's `VTOR_NS` at `vtor` (resolved as an attack target),
    /// make the call, and point it back; nothing between may take an
    /// interrupt, so the call is the only thing that sees the moved table.
    CallWithVtor {
        vtor: AttackTarget,
        slot: u32,
        args: [u32; 4],
    },
    /// Flood `irq`: the agent pends it, and its handler pends it again on
    /// every entry, at most `max_entries` entries in all, until the NVIC
    /// stops taking it (the device shut fast interrupts down, which
    /// disables the IRQ). The pending bit left behind is cleared; the reply
    /// is [`Reply::Flooded`].
    IrqFlood {
        irq: u32,
        max_entries: u32,
    },
    /// The SHA-256 of `len` bytes from `addr` (what [`Primitive::Read`] may
    /// load, any length): the host checks a region byte for byte — the app
    /// region after a power cut, on a board the harness cannot read — without
    /// moving it over the link. The reply is [`Reply::Digest`].
    Digest {
        addr: u32,
        len: u32,
    },
}

/// What interrupts one [`Primitive::CallInterrupted`], and what its handler does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerInterrupt {
    pub source: InterruptSource,
    /// What the handler does.
    pub action: IsrAction,
}

/// The interrupt that comes during a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InterruptSource {
    /// The app's own timer, this many ticks after just before the call's
    /// `SG` (on AN505 CMSDK TIMER1 at 20 MHz: one tick is 50 instructions
    /// under QEMU's `-icount shift=0`; without it, host time).
    Timer { after_ticks: u32 },
    /// This app IRQ, which the kernel pends during the call (a
    /// notification's): its handler is armed, and the IRQ enabled for the
    /// call. Where it lands is the kernel's doing, so it is the same every run.
    KernelPends { irq: u32 },
}

/// What the armed handler does when it runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IsrAction {
    /// Only record what it pre-empted and when.
    Nothing,
    /// Store these bytes (app RAM the agent allocated).
    Write { addr: u32, data: Vec<u8> },
    /// Call NSC slot `slot` with r0–r3.
    Call { slot: u32, args: [u32; 4] },
}

/// What the armed handler found: which world it pre-empted, how late it
/// ran, and the status of the call it made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsrRecord {
    /// It interrupted the secure world (its `EXC_RETURN.S` was 1): the
    /// kernel, inside the call.
    pub preempted_kernel: bool,
    /// Timer ticks from the timer firing to the handler's first
    /// instructions (a measurement, for `hil bench` only; 0 for an IRQ the
    /// kernel pends).
    pub latency_ticks: u32,
    /// r0 of the handler's call ([`IsrAction::Call`]).
    pub call_status: Option<u32>,
}

/// An attack on the secure world, by name, so cases stay data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Attack {
    /// Load a word from the target (`LDR`).
    Load(AttackTarget),
    /// Store a word to the target (`STR` of `0xA5A5_A5A5`).
    Store(AttackTarget),
    /// Branch to the target (`BX` with bit 0 set: Thumb, no `BXNS`).
    Branch(AttackTarget),
    /// `BX` to `FNC_RETURN` (`0xFEFF_FFFF`) with no secure call in
    /// progress: the core unstacks a return address from the secure stack
    /// (the attack class of CVE-2020-16273).
    ForgeFunctionReturn,
    /// Return from the app's own handler with an `EXC_RETURN` that says
    /// the interrupted code was secure (`ES = 0, S = 1`): the core
    /// unstacks a frame from the secure stack.
    ForgeExceptionReturn,
    /// Point `VTOR_NS` at the target, then take a non-secure interrupt.
    VectorTable(AttackTarget),
    /// Point the app's stack pointer at the target, then take a
    /// non-secure interrupt (its frame is pushed there).
    StackPointer(AttackTarget),
    /// As [`Attack::ForgeExceptionReturn`], with `SPSEL = 1`: the core
    /// unstacks the frame from the secure *process* stack (`PSP_S`).
    ForgeExceptionReturnProcess,
}

impl Attack {
    /// The spelling in case files (`load`, `forge_function_return`, ...).
    pub const fn kind_name(self) -> &'static str {
        match self {
            Attack::Load(_) => "load",
            Attack::Store(_) => "store",
            Attack::Branch(_) => "branch",
            Attack::ForgeFunctionReturn => "forge_function_return",
            Attack::ForgeExceptionReturn => "forge_exception_return",
            Attack::VectorTable(_) => "vector_table",
            Attack::StackPointer(_) => "stack_pointer",
            Attack::ForgeExceptionReturnProcess => "forge_exception_return_process",
        }
    }

    /// Where it aims (the forged returns name no target).
    pub const fn target(self) -> Option<AttackTarget> {
        match self {
            Attack::Load(t)
            | Attack::Store(t)
            | Attack::Branch(t)
            | Attack::VectorTable(t)
            | Attack::StackPointer(t) => Some(t),
            Attack::ForgeFunctionReturn
            | Attack::ForgeExceptionReturn
            | Attack::ForgeExceptionReturnProcess => None,
        }
    }
}

/// Where an [`Attack`] aims, resolved by the agent from its board and the
/// veneer table base, so a case names the same target on every rig.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttackTarget {
    /// Secure RAM nobody uses (the `secure_ram` placement's address).
    SecureRam,
    /// Secure code memory (the `secure_flash` placement's address).
    SecureFlash,
    /// Entry 0 of the veneer table: the `SG` itself, in the NSC region.
    NscRegion,
    /// The instruction after entry 0's `SG` (entry + 4): in the NSC region, not an `SG`.
    VeneerSkippingSg,
    /// An `SG` instruction in secure code outside the NSC region (the
    /// word after the table).
    SgOutsideNsc,
    /// A peripheral the secure world keeps (its PPC port is secure), at its secure alias.
    SecurePeripheral,
    /// The same peripheral at its non-secure alias.
    SecurePeripheralNsAlias,
}

impl AttackTarget {
    /// The spelling in case files (`secure_ram`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            AttackTarget::SecureRam => "secure_ram",
            AttackTarget::SecureFlash => "secure_flash",
            AttackTarget::NscRegion => "nsc_region",
            AttackTarget::VeneerSkippingSg => "veneer_skipping_sg",
            AttackTarget::SgOutsideNsc => "sg_outside_nsc",
            AttackTarget::SecurePeripheral => "secure_peripheral",
            AttackTarget::SecurePeripheralNsAlias => "secure_peripheral_ns_alias",
        }
    }
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
    /// A [`Primitive::Attack`] completed without a fault: the word a load
    /// read (0 for other attacks), at the address the target resolved to.
    Attacked {
        addr: u32,
        value: u32,
    },
    /// The rig cannot carry this attack out (the sim executes no
    /// instructions); nothing was tried.
    NotModelled,
    /// The outcome of a [`Primitive::CallInterrupted`]: r0 of the call, and
    /// the handler's record (`None`: the timer's interrupt was never taken,
    /// e.g. its IRQ is targeted secure).
    Interrupted {
        status: u32,
        isr: Option<IsrRecord>,
    },
    /// The outcome of a [`Primitive::IrqFlood`]: how often the handler ran
    /// (0: the IRQ was never taken; `max_entries`: nothing stopped it).
    Flooded {
        entries: u32,
    },
    /// The outcome of a [`Primitive::Digest`].
    Digest([u8; 32]),
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

    /// The rig-independent cause: the cause bits of the register that
    /// explains this kind of fault ([`FaultKind::causes`]); the *VALID
    /// bits, and register values that differ between boards, are left out.
    pub fn causes(&self) -> Vec<&'static str> {
        self.kind
            .causes()
            .iter()
            .filter(|c| self.register(c.register).unwrap_or(0) & c.bit != 0)
            .map(|c| c.name)
            .collect()
    }
}

/// One cause bit of a fault status register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultCause {
    /// The register as a [`FaultReport`] names it.
    pub register: &'static str,
    pub bit: u32,
    /// The Arm name of the bit.
    pub name: &'static str,
}

const fn cause(register: &'static str, bit: u32, name: &'static str) -> FaultCause {
    FaultCause {
        register,
        bit,
        name,
    }
}

const SECURE_FAULT_CAUSES: [FaultCause; 7] = [
    cause("SFSR", 0x01, "INVEP"),
    cause("SFSR", 0x02, "INVIS"),
    cause("SFSR", 0x04, "INVER"),
    cause("SFSR", 0x08, "AUVIOL"),
    cause("SFSR", 0x10, "INVTRAN"),
    cause("SFSR", 0x20, "LSPERR"),
    cause("SFSR", 0x80, "LSERR"),
];
const BUS_FAULT_CAUSES: [FaultCause; 5] = [
    cause("CFSR", 0x0100, "IBUSERR"),
    cause("CFSR", 0x0200, "PRECISERR"),
    cause("CFSR", 0x0400, "IMPRECISERR"),
    cause("CFSR", 0x0800, "UNSTKERR"),
    cause("CFSR", 0x1000, "STKERR"),
];
const MEM_MANAGE_CAUSES: [FaultCause; 4] = [
    cause("CFSR", 0x01, "IACCVIOL"),
    cause("CFSR", 0x02, "DACCVIOL"),
    cause("CFSR", 0x08, "MUNSTKERR"),
    cause("CFSR", 0x10, "MSTKERR"),
];
const USAGE_FAULT_CAUSES: [FaultCause; 7] = [
    cause("CFSR", 0x0001_0000, "UNDEFINSTR"),
    cause("CFSR", 0x0002_0000, "INVSTATE"),
    cause("CFSR", 0x0004_0000, "INVPC"),
    cause("CFSR", 0x0008_0000, "NOCP"),
    cause("CFSR", 0x0010_0000, "STKOF"),
    cause("CFSR", 0x0100_0000, "UNALIGNED"),
    cause("CFSR", 0x0200_0000, "DIVBYZERO"),
];
/// A HardFault's own causes (`HFSR`), then those of an app fault that
/// escalated to it: the app's UsageFault bits in its own bank of the CFSR
/// (`CFSR_NS`), which its disabled UsageFault handler leaves for the
/// secure HardFault.
const HARD_FAULT_CAUSES: [FaultCause; 9] = [
    cause("HFSR", 0x0000_0002, "VECTTBL"),
    cause("HFSR", 0x4000_0000, "FORCED"),
    cause("CFSR_NS", 0x0001_0000, "UNDEFINSTR"),
    cause("CFSR_NS", 0x0002_0000, "INVSTATE"),
    cause("CFSR_NS", 0x0004_0000, "INVPC"),
    cause("CFSR_NS", 0x0008_0000, "NOCP"),
    cause("CFSR_NS", 0x0010_0000, "STKOF"),
    cause("CFSR_NS", 0x0100_0000, "UNALIGNED"),
    cause("CFSR_NS", 0x0200_0000, "DIVBYZERO"),
];

impl FaultKind {
    /// The cause bits a report of this kind can show, in report order.
    pub const fn causes(self) -> &'static [FaultCause] {
        match self {
            FaultKind::SecureFault => &SECURE_FAULT_CAUSES,
            FaultKind::BusFault => &BUS_FAULT_CAUSES,
            FaultKind::MemManage => &MEM_MANAGE_CAUSES,
            FaultKind::UsageFault => &USAGE_FAULT_CAUSES,
            FaultKind::HardFault => &HARD_FAULT_CAUSES,
        }
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

impl Hello {
    /// A digest of the hello (FNV-1a over its postcard bytes), which
    /// [`Response::Ready`] carries: a host that holds a hello with this
    /// digest knows it still holds without reading it again. Not a
    /// security measure: it only tells one build's hello from another's.
    pub fn digest(&self) -> u32 {
        let bytes = postcard::to_allocvec(self).unwrap_or_default();
        bytes.iter().fold(0x811C_9DC5, |h: u32, &b| {
            (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
        })
    }
}

/// Agent to host: one frame per message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    /// The agent's hello, when the host asks ([`Request::Hello`]).
    Hello(Hello),
    Replies(Vec<Reply>),
    /// The request frame could not be decoded.
    BadRequest,
    /// The request came in another protocol version; nothing was executed.
    VersionMismatch {
        agent: u32,
        host: u32,
    },
    /// The agent started and serves requests: sent unasked after every
    /// start, in place of the full hello (about a tenth of its bytes). A
    /// host that holds a hello with `hello_digest` ([`Hello::digest`]) has
    /// it; any other asks. The version leads, as in every message.
    Ready {
        protocol_version: u32,
        hello_digest: u32,
    },
}
