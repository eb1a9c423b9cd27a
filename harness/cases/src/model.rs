//! Validated cases: types the engine can run without checking anything again.
//!
//! Names refer to allocations made by earlier steps, numbers fit their fields,
//! struct fields exist, and `repeat` has been expanded.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mv_abi::{FieldKind, MvStatus, Slot, StructLayout};

/// A loaded suite: every case, sorted by id.
#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    pub cases: Vec<Case>,
}

/// One conformance case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// `<area>.<name>`.
    pub id: String,
    /// The folder the file is in.
    pub area: String,
    pub title: String,
    pub spec: SpecRef,
    pub tags: Vec<String>,
    /// The images a rig runs (`sim`, `an505`) → reason the case is skipped
    /// on every rig running them.
    pub skip: BTreeMap<String, String>,
    pub timeout_ms: Option<u32>,
    /// The steps with every `repeat` expanded.
    pub steps: Vec<StepAt>,
    /// The file the case came from, as given to the loader.
    pub path: PathBuf,
}

/// The sentence a case checks and where it is from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecRef {
    pub quote: String,
    pub source: String,
}

/// A step and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct StepAt {
    pub step: Step,
    /// `steps[3]`, or `steps[2].steps[0]#5` for iteration 5 of a repeated step.
    pub field: String,
    /// 1-based line of the step (of its template, for repeats).
    pub line: usize,
}

/// What one step does.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Alloc(Alloc),
    Write(Write),
    Call(Call),
    ExpectMemory(ExpectMemory),
    ExpectNotifications(ExpectNotifications),
    Irq(IrqAction),
    ExpectIrq(ExpectIrq),
    Compare(Compare),
    Cloud(CloudAction),
    ExpectServerLog(ExpectServerLog),
    /// What reached the provisioning console through `mvTestLog` (same checks).
    ExpectTestLog(ExpectServerLog),
    DelayUs(u32),
    AppRead(AppRead),
    /// The lab's servers behind the cloud, or its config store, change.
    Net(NetAction),
    ExpectServerRequest(ExpectServerRequest),
    ExpectRelay(ExpectRelay),
    /// Calls run on the device in one go (no host round trip between them).
    Batch(Vec<Call>),
    /// An attack on the secure world and what the architecture must do.
    Attack(AttackStep),
    /// What the lab's MQTT broker received.
    ExpectBroker(ExpectBroker),
}

/// An attack on the secure world ([`mv_proto::Attack`]) and its expected end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttackStep {
    pub attack: mv_proto::Attack,
    pub expect: AttackExpect,
}

/// How an attack must end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttackExpect {
    /// The architecture raises this fault (with this cause among the
    /// report's, when given); the app restarts.
    Fault {
        kind: mv_proto::FaultKind,
        cause: Option<&'static str>,
    },
    /// It completes without a fault, and a load reads this word.
    Completes { read: u32 },
}

/// The cloud's HTTP routes, config values and the relay's TCP server: the
/// cloud crate's own types.
pub use hil_cloud::net::{ConfigEntry, ConfigValue, Route};

/// What a `server`, `config` or `relay` step does to the cloud's services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetAction {
    /// What the HTTP server answers from now on.
    Routes(Vec<Route>),
    /// Connections to the HTTP server are refused (`true`) or served again.
    ServerDown(bool),
    /// Values for the config store.
    Config(Vec<ConfigEntry>),
    /// The relay's TCP server sends these bytes.
    RelaySend(Vec<u8>),
    /// The relay's TCP server closes its connection.
    RelayClose,
    /// Connections to the relay's TCP server are refused (`true`) or accepted again.
    RelayDown(bool),
    /// The lab's MQTT broker (`broker:`).
    Broker(hil_cloud::net::BrokerAction),
}

/// What the lab's MQTT broker must have received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectBroker {
    /// Nothing since the last check.
    None,
    /// The oldest message not yet checked; `None` fields are not checked.
    Message {
        topic: String,
        payload: Option<Vec<u8>>,
        payload_bytes: Option<u32>,
        qos: Option<u8>,
        retain: Option<bool>,
    },
}

/// What the HTTP server must have received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectServerRequest {
    /// Nothing since the last check.
    None,
    /// The oldest request not yet checked; `None` fields are not checked.
    Request {
        method: Option<String>,
        path: Option<String>,
        /// Headers it must carry (names compared in any case).
        headers: Vec<(String, String)>,
        body: Option<Vec<u8>>,
    },
}

/// What the relay's TCP server must have received since the last check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectRelay {
    pub received: Vec<u8>,
    /// Whether the cloud's end must be closed (`None`: not checked).
    pub closed: Option<bool>,
}

/// The app loads from an allocation and the hardware must refuse it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRead {
    pub name: String,
    pub len: u32,
    pub expect_fault: mv_proto::FaultKind,
}

/// Reserve app memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Alloc {
    pub name: String,
    pub ty: MemType,
    /// Bytes; never smaller than the type's size.
    pub size: u32,
    /// A power of two, at most 4096.
    pub align: u32,
    pub placement: Placement,
    /// Bytes added to the aligned address; 0 unless the placement is non-secure.
    pub misalign: u32,
    /// Written to every byte before `init`; 0 for placements that cannot be written.
    pub fill: u8,
    /// Only for writable placements.
    pub init: Option<Init>,
}

/// What an allocation holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MemType {
    Bytes,
    Ascii,
    U32,
    U64,
    Handle,
    /// A `u64` microsecond time, redacted in transcripts.
    TimeUs,
    /// A `u32` holding an address (e.g. `mvReadChannel`'s `read_pointer_out`),
    /// shown as the allocation it points into.
    Ptr,
    /// A ring of `MvNotification` records.
    Notifications,
    Struct(&'static StructLayout),
}

impl MemType {
    /// The YAML spelling (`u32`, `MvNotificationSetup`, ...).
    pub fn name(self) -> &'static str {
        match self {
            MemType::Bytes => "bytes",
            MemType::Ascii => "ascii",
            MemType::U32 => "u32",
            MemType::Ptr => "ptr",
            MemType::U64 => "u64",
            MemType::Handle => "handle",
            MemType::TimeUs => "time_us",
            MemType::Notifications => "notifications",
            MemType::Struct(layout) => layout.name,
        }
    }

    /// Byte width of a scalar type (`u32`, `u64`, `handle`, `time_us`).
    pub fn scalar_size(self) -> Option<usize> {
        match self {
            MemType::U32 | MemType::Handle | MemType::Ptr => Some(4),
            MemType::U64 | MemType::TimeUs => Some(8),
            _ => None,
        }
    }
}

/// Where an allocation is placed: the agent protocol's own type.
pub use mv_proto::Placement;

/// A 32- or 64-bit value, resolved when the step runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A number (enum constants are resolved to numbers at load time).
    Number(u64),
    /// `"@name+offset"`: the address of an allocation plus a byte offset.
    AddrOf { name: String, offset: u32 },
    /// `"*name"`, `"*name+1"`, `"*name-1"`: the u32 stored in an allocation
    /// when the step runs, plus `add` (wrapping at 32 bits).
    Deref { name: String, add: i64 },
}

/// Initial (or written) contents of an allocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Init {
    /// For `u32`, `u64`, `handle`, `time_us`.
    Scalar(Value),
    /// For `bytes` and `notifications`: written from offset 0; never longer than the allocation.
    Bytes(Vec<u8>),
    /// For `ascii`: written from offset 0, no terminator added.
    Ascii(String),
    /// For structs: the fields given, in file order; other bytes keep `fill`.
    Struct(Vec<FieldInit>),
}

/// A (possibly nested) struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldRef {
    /// Field names from the outer struct in: `["v1", "notification_handle"]`.
    pub path: Vec<&'static str>,
    /// Byte offset from the start of the outer struct.
    pub offset: usize,
    /// Never `FieldKind::Struct`: a reference names a leaf field.
    pub kind: FieldKind,
}

/// A struct field and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInit {
    pub field: FieldRef,
    pub value: Value,
}

/// Change app memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub name: String,
    pub what: WriteWhat,
}

/// What a `write` changes.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteWhat {
    Field(FieldInit),
    /// Raw bytes at a byte offset; they lie within the allocation.
    Bytes {
        offset: u32,
        bytes: Vec<u8>,
    },
    /// The whole allocation, as `init` would set it (`fill` is not re-applied).
    Whole(Init),
}

/// A system call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub slot: Entry,
    /// r0.. in order, at most four; missing ones are 0.
    pub args: Vec<Value>,
    pub expect: StatusExpect,
    /// Where the app makes the call from.
    pub caller: Caller,
}

impl Call {
    /// A successful `mvRestart`, `mvDeepSleep` or `mvTestingComplete` from
    /// thread mode: the app restarts instead of seeing the call return (from
    /// a handler the first two cannot succeed).
    pub fn restarts_app(&self) -> bool {
        ends_app(self.slot)
            && self.expect == StatusExpect::Is(MvStatus::Okay)
            && !matches!(self.caller, Caller::Interrupt(_) | Caller::Interrupted(_))
    }
}

/// Does a successful call of this entry end the app (a restart follows)?
pub fn ends_app(entry: Entry) -> bool {
    entry.is(Slot::Restart) || entry.is(Slot::DeepSleep) || entry.is(Slot::TestingComplete)
}

/// An entry of the NSC veneer table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// One of the 74 slot numbers of SDK 0.7.0 (20 and 71 unassigned).
    Slot(Slot),
    /// An entry reserved for a later SDK's calls (74 to
    /// `mv_abi::NSC_TABLE_ENTRIES - 1`).
    Reserved(u32),
}

impl Entry {
    pub fn number(self) -> u32 {
        match self {
            Entry::Slot(slot) => slot.number(),
            Entry::Reserved(n) => n,
        }
    }

    /// The SDK name (`mvNoOp`, `unassigned20`), or `reserved100`.
    pub fn name(self) -> String {
        match self {
            Entry::Slot(slot) => slot.name().to_owned(),
            Entry::Reserved(n) => format!("reserved{n}"),
        }
    }

    pub fn is(self, slot: Slot) -> bool {
        self == Entry::Slot(slot)
    }
}

/// The status a call must return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusExpect {
    Is(MvStatus),
    /// Any of these.
    OneOf(Vec<MvStatus>),
    /// Anything but these (a value that is no `MvStatus` at all fails too).
    Not(Vec<MvStatus>),
}

impl StatusExpect {
    /// Does a raw r0 meet the expectation?
    pub fn admits(&self, raw: u32) -> bool {
        let Ok(status) = MvStatus::try_from(raw) else {
            return false;
        };
        match self {
            StatusExpect::Is(want) => status == *want,
            StatusExpect::OneOf(any) => any.contains(&status),
            StatusExpect::Not(none) => !none.contains(&status),
        }
    }

    /// `OKAY`, `one of OKAY, LATEFAULT`, `not OKAY`.
    pub fn describe(&self) -> String {
        let names = |list: &[MvStatus]| {
            list.iter()
                .map(|s| s.short_name())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            StatusExpect::Is(status) => status.short_name().to_owned(),
            StatusExpect::OneOf(any) => format!("one of {}", names(any)),
            StatusExpect::Not(none) => format!("not {}", names(none)),
        }
    }
}

/// Where the app makes a call from.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// Privileged thread mode, as the agent runs.
    Thread,
    /// Unprivileged thread mode (`CONTROL.nPRIV`).
    Unprivileged,
    /// The app's handler of this IRQ.
    Interrupt(u32),
    /// Thread mode, with the app's timer armed to interrupt the call.
    Interrupted(Box<Interruption>),
    /// Thread mode, with the app's `VTOR_NS` at this target for the call.
    WithVtor(mv_proto::AttackTarget),
}

/// An interrupt during a call, and what its handler does and must see.
#[derive(Debug, Clone, PartialEq)]
pub struct Interruption {
    pub source: mv_proto::InterruptSource,
    pub handler: IsrHandler,
    /// The handler must pre-empt the secure world (`true`) or the app.
    pub preempts_kernel: Option<bool>,
}

/// What the timer's handler does.
#[derive(Debug, Clone, PartialEq)]
pub enum IsrHandler {
    Nothing,
    Write(Write),
    /// A call from the handler (its `caller` is `Thread`: the handler's own
    /// context is implied).
    Call(Call),
}

/// Check app memory.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectMemory {
    pub name: String,
    /// `(offset, len)` of a byte range within the allocation.
    pub range: Option<(u32, u32)>,
    /// A struct field; exclusive with `range`.
    pub field: Option<FieldRef>,
    pub check: MemCheck,
}

/// What `expect_memory` checks.
#[derive(Debug, Clone, PartialEq)]
pub enum MemCheck {
    Zero,
    NonZero,
    /// As it was before the last call.
    Unchanged,
    Equals(Expected),
    AsciiPrefix(String),
}

/// An expected content.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// Compared as the integer of the allocation's (or field's) type.
    Value(Value),
    /// Compared byte for byte; exactly as long as the checked memory.
    Bytes(Vec<u8>),
}

/// Read a notification ring.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectNotifications {
    /// An allocation of type `notifications`.
    pub buffer: String,
    pub check: RecordsCheck,
}

/// What `expect_notifications` checks.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordsCheck {
    /// Exactly these records, in order.
    Records(Vec<RecordPattern>),
    /// These records in this order, others possibly before, between and after.
    AtLeast(Vec<RecordPattern>),
    Count(u32),
}

/// One expected record; `None` is not checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordPattern {
    pub event_type: Option<u32>,
    pub tag: Option<u32>,
}

/// Act on an interrupt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IrqAction {
    Enable(u32),
    Disable(u32),
    ClearPending(u32),
    Pend(u32),
    /// Its handler pends it again on every entry, until the NVIC stops
    /// taking it or [`FLOOD_MAX_ENTRIES`] entries ran.
    Flood(u32),
}

/// The most entries an `irq: { flood }` step lets the handler make: far
/// past the flood watch's window on every rig (`mv_kernel::flood_watch`:
/// 20 ms; an entry takes ~1 µs on the sim's clock and QEMU's), and a bound
/// on how long a flood nothing stops can take.
pub const FLOOD_MAX_ENTRIES: u32 = 1_000_000;

/// Check an interrupt; at least one of the options is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpectIrq {
    pub irq: u32,
    pub pending: Option<bool>,
    pub enabled: Option<bool>,
    pub handled: Option<u32>,
}

/// `left op right`.
#[derive(Debug, Clone, PartialEq)]
pub struct Compare {
    pub left: Operand,
    pub op: CmpOp,
    pub right: Operand,
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Number(u64),
    /// An allocation of a scalar type.
    Scalar(String),
    /// A field of a struct allocation.
    Field {
        name: String,
        field: FieldRef,
    },
    /// A field of record `index` of a `notifications` allocation.
    Record {
        name: String,
        index: u32,
        field: RecordField,
    },
}

/// A field of an `MvNotification` record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordField {
    Microseconds,
    EventType,
    Tag,
}

impl RecordField {
    /// The YAML (and C) spelling.
    pub fn name(self) -> &'static str {
        match self {
            RecordField::Microseconds => "microseconds",
            RecordField::EventType => "event_type",
            RecordField::Tag => "tag",
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Whether `l op r` is true.
    pub fn holds(self, l: u64, r: u64) -> bool {
        match self {
            CmpOp::Eq => l == r,
            CmpOp::Ne => l != r,
            CmpOp::Lt => l < r,
            CmpOp::Le => l <= r,
            CmpOp::Gt => l > r,
            CmpOp::Ge => l >= r,
        }
    }
}

/// What the emulated cloud does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudAction {
    SyncTimeUs(u64),
    Link {
        online: bool,
    },
    Logging {
        enabled: bool,
    },
    /// The device runs (or no longer runs) the factory's application test.
    AppTestMode {
        on: bool,
    },
    Deploy(Deploy),
}

/// A deployment of the rig's own app image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deploy {
    pub app_version: u32,
    /// The bundle's `maximum_politeness_time_sec` (0: none).
    pub politeness_s: u32,
    pub tamper: Option<TamperClass>,
    pub expect: DeployExpect,
}

/// The bundle tampering classes, from the bundle crate.
pub use hil_bundle::tamper::TamperClass;

/// What a deployment must end in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployExpect {
    /// Staged, and the app restarted into it at once.
    Installed,
    /// Staged; the app was told and the device waits for it.
    Staged,
    /// The device already runs this version.
    UpToDate,
    /// The device refused it.
    Rejected,
}

impl DeployExpect {
    /// The YAML spelling.
    pub fn name(self) -> &'static str {
        match self {
            DeployExpect::Installed => "installed",
            DeployExpect::Staged => "staged",
            DeployExpect::UpToDate => "up_to_date",
            DeployExpect::Rejected => "rejected",
        }
    }
}

impl Step {
    /// Does this step restart the app when it does what it expects (so the
    /// allocations made before it are gone)?
    pub fn restarts_app(&self) -> bool {
        match self {
            Step::Call(c) => c.restarts_app(),
            Step::AppRead(_) => true,
            Step::Attack(a) => matches!(a.expect, AttackExpect::Fault { .. }),
            Step::Cloud(CloudAction::Deploy(d)) => d.expect == DeployExpect::Installed,
            _ => false,
        }
    }
}

/// What must have reached the host through `mvServerLog` since the last check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectServerLog {
    Messages(Vec<String>),
    Count(u32),
}
