//! The case file as written: serde types that mirror the YAML keys one to one.
//!
//! Nothing here is checked beyond the YAML shape; `validate` turns these into the
//! `model` types. Every struct denies unknown keys, and a step lists every verb as
//! an optional key (no `untagged`/`flatten`), so serde can say exactly which key is
//! wrong. The JSON Schema of the case file is derived from these types, so the doc
//! comments here are what editors show.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

mod attack;

pub use attack::{Attack, AttackKind, AttackTarget, FaultKind};

/// A conformance case: one YAML file in `conformance/<area>/`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Conformance case")]
pub struct Case {
    /// `<area>.<name>`: the folder name, a dot, then `[a-z0-9][a-z0-9-]*`. Unique in the suite.
    pub id: String,
    /// One line: what the case shows.
    pub title: String,
    /// The sentence this case checks, and where it comes from.
    pub spec: Spec,
    /// `[a-z0-9-]+` each; `hil run --tag` selects by them.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The images a rig runs (`sim`, `an505`, `stm32u585`) → the reason the case is skipped on every rig running them (non-empty).
    #[serde(default)]
    pub skip: BTreeMap<String, String>,
    /// Per-case time limit in milliseconds (default: the rig's).
    #[schemars(range(min = 1))]
    pub timeout_ms: Option<u32>,
    /// The steps, run in order; the first failing step ends the case.
    #[schemars(length(min = 1))]
    pub steps: Vec<Step>,
}

/// Where the checked behaviour is specified.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The sentence checked, quoted verbatim from its source.
    pub quote: String,
    /// A document and a section, or `firmware/ABI.md §…` for a choice we made.
    pub source: String,
}

/// One step: a map with exactly one verb key (`call`/`slot` may come with `args` and `expect`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = one_verb)]
pub struct Step {
    /// Reserve app memory.
    pub alloc: Option<Alloc>,
    /// Change app memory.
    pub write: Option<Write>,
    /// Make a system call by its SDK name (`mvSetupNotifications`).
    pub call: Option<String>,
    /// Make a system call by raw entry number instead of `call`: 0 to 73 are
    /// the SDK's slots, 74 to 127 the table's reserved entries.
    #[schemars(range(max = 127))]
    pub slot: Option<u32>,
    /// Up to four arguments (r0–r3); missing ones are 0.
    #[schemars(length(max = 4))]
    pub args: Option<Vec<RawValue>>,
    /// The status the call must return: a name (with or without `MV_STATUS_`),
    /// `{ one_of: [...] }`, or `{ not: ... }` (a name or a list).
    pub expect: Option<Expect>,
    /// Make the call from the agent's handler of this IRQ (the agent enables
    /// and pends it; its enable state is restored after).
    pub from_irq: Option<RawValue>,
    /// Make the call from unprivileged thread mode.
    pub unprivileged: Option<bool>,
    /// Make the call from thread mode with the app's timer armed to
    /// interrupt it (a rig that executes instructions only).
    pub interrupted: Option<Interrupted>,
    /// Make the call with the app's `VTOR_NS` pointed at this target (put
    /// back right after, with no interrupt in between).
    pub vtor: Option<AttackTarget>,
    /// Check app memory now.
    pub expect_memory: Option<ExpectMemory>,
    /// Read a notification ring like an application does.
    pub expect_notifications: Option<ExpectNotifications>,
    /// Enable, disable, pend or flood an interrupt, or clear its pending state.
    pub irq: Option<Irq>,
    /// Check an interrupt's state and how often the agent's handler ran.
    pub expect_irq: Option<ExpectIrq>,
    /// Relate two values read from memory.
    pub compare: Option<Compare>,
    /// What the (emulated) Microvisor cloud does.
    pub cloud: Option<Cloud>,
    /// What reached the host through `mvServerLog`.
    pub expect_server_log: Option<ExpectServerLog>,
    /// What reached the provisioning console through `mvTestLog`.
    pub expect_test_log: Option<ExpectServerLog>,
    /// Let this many microseconds pass on the device.
    pub delay_us: Option<RawValue>,
    /// The app itself loads from an allocation; with `expect_fault`, the
    /// hardware must refuse it. The fault crashes the app, which the device
    /// restarts: allocations made before it are gone.
    pub app_read: Option<AppRead>,
    /// The same steps `count` times; `{i}` in their strings is the iteration (0-based).
    pub repeat: Option<Repeat>,
    /// What the lab's HTTP server (behind the emulated cloud) answers, or that it is down.
    pub server: Option<Server>,
    /// A request the lab's HTTP server received (the oldest not yet checked), or that none came.
    pub expect_server_request: Option<ExpectServerRequest>,
    /// Config and secret values the cloud serves to `mvSendConfigFetchRequest`.
    pub config: Option<Vec<ConfigSet>>,
    /// The TCP server behind the `relay` endpoint sends, closes, or goes down.
    pub relay: Option<Relay>,
    /// What the TCP server behind the `relay` endpoint received since the last check.
    pub expect_relay: Option<ExpectRelay>,
    /// Calls made one after the other on the device, with no host round trip between them.
    pub batch: Option<Vec<BatchCall>>,
    /// The app tries one of the published TrustZone attacks on the secure
    /// world; the architecture must stop it with the expected fault (the
    /// app restarts), or it must complete as the case documents.
    pub attack: Option<Attack>,
    /// The lab's MQTT broker: a publish from outside the device, the broker
    /// stopped or started again, the bridge's connections cut or silenced,
    /// or a wait until they broke.
    pub broker: Option<Broker>,
    /// A message the lab's MQTT broker received (the oldest not yet checked), or that none came.
    pub expect_broker: Option<ExpectBroker>,
}

/// `interrupted:` — an interrupt comes during the call: exactly one of
/// `irq` (an app IRQ the kernel pends during the call, e.g. a
/// notification's: it lands where the kernel pends it, every run) or
/// `after_ticks` (the app's timer: on AN505 CMSDK TIMER1, IRQ 4, 20 MHz,
/// counting host time unless QEMU runs with `-icount`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Interrupted {
    /// The app IRQ the kernel pends during the call; its handler is armed.
    pub irq: Option<RawValue>,
    /// Timer ticks from just before the call's `SG` to the interrupt.
    pub after_ticks: Option<RawValue>,
    /// What the timer's handler does (nothing when omitted).
    pub handler: Option<IsrHandler>,
    /// What the handler must find it pre-empted: `kernel` (the secure
    /// world, `EXC_RETURN.S` = 1) or `app`; not checked when omitted.
    pub preempts: Option<Preempts>,
}

/// What the timer's handler does: exactly one of `write` or `call`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IsrHandler {
    /// Change app memory, as a `write` step.
    pub write: Option<Write>,
    /// Make a system call, as a `call` step (with `args` and `expect`).
    pub call: Option<String>,
    #[schemars(length(max = 4))]
    pub args: Option<Vec<RawValue>>,
    pub expect: Option<Expect>,
}

/// Which world an interrupt's handler pre-empted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Preempts {
    /// The secure world: the kernel, inside the call.
    Kernel,
    /// The app's own code (the call had returned).
    App,
}

/// One call of a `batch`: `call` (or `slot`), `args`, `expect`, as a `call` step.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchCall {
    /// The SDK name of the call.
    pub call: Option<String>,
    /// An entry of the veneer table by number (0 to 127) instead of `call`.
    #[schemars(range(max = 127))]
    pub slot: Option<u32>,
    /// Up to four arguments (r0–r3); missing ones are 0.
    #[schemars(length(max = 4))]
    pub args: Option<Vec<RawValue>>,
    /// The status the call must return, as for a `call` step.
    pub expect: Option<Expect>,
}

/// The keys of [`Step`] that say what a step does.
pub(crate) const VERBS: &[&str] = &[
    "alloc",
    "write",
    "call",
    "slot",
    "expect_memory",
    "expect_notifications",
    "irq",
    "expect_irq",
    "compare",
    "cloud",
    "expect_server_log",
    "expect_test_log",
    "delay_us",
    "app_read",
    "repeat",
    "server",
    "expect_server_request",
    "config",
    "relay",
    "expect_relay",
    "batch",
    "attack",
    "broker",
    "expect_broker",
];

/// Editors learn that a step needs exactly one verb; `call` and `slot` exclude each other.
fn one_verb(schema: &mut Schema) {
    let choices: Vec<serde_json::Value> = VERBS
        .iter()
        .map(|verb| serde_json::json!({ "required": [verb] }))
        .collect();
    schema.insert("oneOf".to_owned(), choices.into());
}

/// `repeat:` — the same steps `count` times.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Repeat")]
pub struct Repeat<S = Step> {
    /// 1 to 1024.
    #[schemars(range(min = 1, max = 1024))]
    pub count: u32,
    /// The steps of one iteration (no nested `repeat`).
    #[schemars(length(min = 1))]
    pub steps: Vec<S>,
}

/// `alloc:` — reserve app memory.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Alloc {
    /// `[a-z_][a-z0-9_]*`, unique in the case.
    pub name: String,
    /// `bytes`, `ascii`, `u32`, `u64`, `handle`, `time_us`, `notifications`, or an ABI struct name.
    #[serde(rename = "type")]
    pub ty: String,
    /// Bytes; required for `bytes`, `ascii`, `notifications`, else the type's size.
    pub size: Option<RawValue>,
    /// A power of two up to 4096; default: the type's alignment.
    pub align: Option<RawValue>,
    /// Where the memory is (default `ns_ram`).
    #[serde(rename = "in")]
    pub placement: Option<Placement>,
    /// Bytes added to the aligned address (NS placements only).
    pub misalign: Option<RawValue>,
    /// Byte written to every byte first (default 0; writable placements only).
    pub fill: Option<RawValue>,
    /// Initial contents: a map of fields for a struct, a value for a scalar, a hex string for `bytes`, text for `ascii`.
    pub init: Option<Data>,
}

/// Placement of an allocation (`in:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Non-secure RAM (the default).
    NsRam,
    /// The last bytes of non-secure RAM.
    NsRamEnd,
    /// App flash: readable, not writable.
    NsFlash,
    /// Secure RAM.
    SecureRam,
    /// Secure flash.
    SecureFlash,
    /// An address with no memory at all.
    Unmapped,
    /// Starts in non-secure RAM, ends in secure RAM.
    StraddleNsSecure,
    /// App RAM the bus refuses: the kernel's checks pass, every access is a
    /// bus error (the kernel's after its checks, and the app's own).
    BusError,
    /// App RAM the app's MPU gives to privileged code only (the agent reads
    /// and writes it; an unprivileged caller's pointer into it is refused).
    PrivilegedOnly,
}

/// `write:` — change app memory: a struct `field`, raw bytes at `offset`, or the whole allocation.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Write {
    /// The allocation to write.
    pub name: String,
    /// A struct field (`buffer_size`, `v1.notification_tag`).
    pub field: Option<String>,
    /// A byte offset; `value` is then a hex string.
    pub offset: Option<RawValue>,
    /// The new contents, in the same forms as `alloc.init`.
    pub value: Data,
}

/// `expect_memory:` — check app memory now; exactly one of `is`, `equals`, `ascii_prefix`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectMemory {
    /// The allocation to read.
    pub name: String,
    /// Check only the bytes from `offset` (with `len`).
    pub offset: Option<RawValue>,
    /// Number of bytes from `offset`.
    pub len: Option<RawValue>,
    /// Check only this struct field.
    pub field: Option<String>,
    /// `zero`, `nonzero`, or `unchanged` (as before the last call).
    pub is: Option<MemState>,
    /// A value of the allocation's (or field's) type; a hex string for bytes.
    pub equals: Option<Data>,
    /// The memory starts with this text.
    pub ascii_prefix: Option<String>,
}

/// `is:` of `expect_memory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemState {
    Zero,
    Nonzero,
    Unchanged,
}

/// `expect_notifications:` — read a ring; exactly one of `records`, `at_least` and `count`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectNotifications {
    /// An allocation of type `notifications`.
    pub buffer: String,
    /// The records read, in order (`[]`: none waiting).
    pub records: Option<Vec<Record>>,
    /// Records that must be among those read, in this order; others may
    /// come before, between and after them.
    #[schemars(length(min = 1))]
    pub at_least: Option<Vec<Record>>,
    /// Only the number of records read.
    pub count: Option<RawValue>,
}

/// One expected notification record; absent keys are not checked.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The event type (`CHANNELDATAREADABLE` or `MV_EVENTTYPE_...`).
    #[serde(rename = "type")]
    pub event_type: Option<RawValue>,
    /// The tag.
    pub tag: Option<RawValue>,
}

/// `irq:` — exactly one of `enable`, `disable`, `clear_pending`, `pend`, `flood`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Irq {
    pub enable: Option<RawValue>,
    pub disable: Option<RawValue>,
    pub clear_pending: Option<RawValue>,
    /// Set the IRQ's pending bit as the app does (NVIC `ISPR`).
    pub pend: Option<RawValue>,
    /// Flood the IRQ: its handler pends it again on every entry until the
    /// NVIC stops taking it (at most a million entries).
    pub flood: Option<RawValue>,
}

/// `expect_irq:` — the state of one interrupt.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectIrq {
    /// The interrupt number.
    pub irq: RawValue,
    pub pending: Option<bool>,
    pub enabled: Option<bool>,
    /// How often the agent's handler for this IRQ has run.
    pub handled: Option<RawValue>,
}

/// `compare:` — `left op right`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Compare {
    /// A scalar allocation, `name.field`, `name[k].field` of a ring, or a number.
    pub left: RawValue,
    pub op: CmpOp,
    /// A scalar allocation, `name.field`, `name[k].field` of a ring, or a number.
    pub right: RawValue,
}

/// Comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum CmpOp {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

/// `app_read:` — the app loads bytes of an allocation itself.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppRead {
    /// The allocation to read from (its first bytes).
    pub name: String,
    /// How many bytes (default 4, at most the allocation's size).
    pub len: Option<RawValue>,
    /// The exception the read must raise.
    pub expect_fault: FaultKind,
}

/// `cloud:` — exactly one of `sync_time_us`, `link`, `logging`, `app_test_mode`, `deploy`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cloud {
    /// The server sets the wall time (µs since the Unix epoch).
    pub sync_time_us: Option<RawValue>,
    /// Take the device's link to the server down or up.
    pub link: Option<Link>,
    /// Whether the server accepts `mvServerLog` messages.
    pub logging: Option<Logging>,
    /// Whether the device runs the factory's application test
    /// (`mvTestingComplete`, `mvTestLog*` answer only then).
    pub app_test_mode: Option<bool>,
    /// Deploy a signed bundle of the rig's own app image at a version.
    pub deploy: Option<Deploy>,
}

/// `cloud: { deploy: ... }` — the cloud offers a bundle and serves its chunks.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// The bundle's app version (the factory image is version 1).
    pub app_version: u32,
    /// The bundle's `maximum_politeness_time_sec` (default: none); it governs
    /// the update *after* this one is installed.
    pub politeness_s: Option<u32>,
    /// Tamper with the bundle first: one of `bad-signature`,
    /// `unknown-signer`, `truncated-layer`, `layer-hash-mismatch`,
    /// `measurement-mismatch`, `oversized-rom`, `downgrade`, `malformed-manifest`.
    pub tamper: Option<String>,
    /// What the device must do with it.
    pub expect: DeployExpect,
}

/// What a deployment ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeployExpect {
    /// Staged, and the app restarted into it at once (`APPLICATIONUPDATE`).
    Installed,
    /// Staged; the app subscribed to updates, so the device told it and waits.
    Staged,
    /// The device already runs this version.
    UpToDate,
    /// The device refused the bundle (a tampered one: for its class's reason).
    Rejected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    Online,
    Offline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Logging {
    Enabled,
    Disabled,
}

/// `server:` — exactly one of `routes` and `down`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// What the server answers from now on (replacing earlier routes); any
    /// other path is `404` with no body.
    pub routes: Option<Vec<Route>>,
    /// `true`: connections to the server are refused; `false`: it is back.
    pub down: Option<bool>,
}

/// One route of the lab's HTTP server.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The path (with the query, if the route gives one), e.g. `/todos/1`.
    pub path: String,
    /// Only this method (default: any).
    pub method: Option<String>,
    /// The status code (default 200).
    pub status: Option<u16>,
    /// Response headers, each `name: value`, in order.
    #[serde(default)]
    pub headers: Vec<String>,
    /// The body, as text.
    pub body: Option<String>,
    /// The body: this many bytes of `abc…xyz` repeated (for sizes).
    pub body_bytes: Option<u32>,
    /// The server waits this long before answering (ms).
    pub delay_ms: Option<u32>,
    /// The cloud's link to the device drops after this many body bytes of
    /// the response reached the device.
    pub drop_link_after: Option<u32>,
}

/// `expect_server_request:` — the oldest request not yet checked, or `count: 0`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectServerRequest {
    /// The method it came with.
    pub method: Option<String>,
    /// Its path and query.
    pub path: Option<String>,
    /// Headers it must carry, each `name: value` (names in any case).
    #[serde(default)]
    pub headers: Vec<String>,
    /// Its body, as text.
    pub body: Option<String>,
    /// `0`: no request arrived (since the last check).
    pub count: Option<u32>,
}

/// `config:` — one value the cloud's config store holds.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigSet {
    /// `ACCOUNT` or `DEVICE` (`MvConfigKeyFetchScope`).
    pub scope: RawValue,
    /// `CONFIG` or `SECRET` (`MvConfigKeyFetchStore`).
    pub store: RawValue,
    pub key: String,
    /// The value, as text; exactly one of `value` and `error`.
    pub value: Option<String>,
    /// `true`: fetching the key fails on the server (`SERVERERROR`).
    pub error: Option<bool>,
}

/// `relay:` — exactly one of `send`, `close`, `down`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Relay {
    /// The TCP server sends this text on its newest connection.
    pub send: Option<String>,
    /// `true`: the TCP server closes its newest connection.
    pub close: Option<bool>,
    /// `true`: connections to the TCP server are refused; `false`: it is back.
    pub down: Option<bool>,
}

/// `broker:` — exactly one of `publish`, `stop`, `start`, `drop_links`, `silence_links`, `await_drops_ms`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Broker {
    /// The harness's own client (MQTT 5) publishes this; the step ends once
    /// the device's matching subscriptions have it.
    pub publish: Option<BrokerPublish>,
    /// `true`: the broker process is killed; every bridge connection closes.
    pub stop: Option<bool>,
    /// `true`: a stopped broker starts again on the same port.
    pub start: Option<bool>,
    /// `true`: every bridge connection to the broker is cut (both ends see it close).
    pub drop_links: Option<bool>,
    /// `true`: every open bridge connection goes silent (nothing it carries
    /// arrives, so keepalive pings go unanswered).
    pub silence_links: Option<bool>,
    /// Wait until every bridge connection broke, at most this many
    /// milliseconds (1 to 30000); the step fails if one is still up.
    #[schemars(range(min = 1, max = 30000))]
    pub await_drops_ms: Option<u32>,
}

/// A message published from outside the device.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerPublish {
    /// The topic (no wildcards).
    pub topic: String,
    /// The payload, as text; or give `payload_bytes`.
    pub payload: Option<String>,
    /// A payload of this many bytes (`a` to `z`, repeating).
    pub payload_bytes: Option<u32>,
    /// 0, 1 or 2 (default 0).
    #[schemars(range(max = 2))]
    pub qos: Option<u8>,
    /// The broker keeps it for later subscribers (default `false`).
    pub retain: Option<bool>,
}

/// `expect_broker:` — the oldest message the broker received not yet checked, or `count: 0`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectBroker {
    /// Its topic, exactly.
    pub topic: Option<String>,
    /// Its payload, as text.
    pub payload: Option<String>,
    /// Its payload's length in bytes.
    pub payload_bytes: Option<u32>,
    /// The QoS it was published with.
    #[schemars(range(max = 2))]
    pub qos: Option<u8>,
    /// Its retain flag, as published.
    pub retain: Option<bool>,
    /// `0`: no message arrived (since the last check).
    pub count: Option<u32>,
}

/// `expect_relay:` — what the TCP server received since the last check.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectRelay {
    /// The text received, exactly.
    pub received: String,
    /// Whether the cloud has closed its end of the connection.
    pub closed: Option<bool>,
}

/// `expect_server_log:` — exactly one of `messages` and `count`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectServerLog {
    /// The messages received since the last check, in order.
    pub messages: Option<Vec<String>>,
    /// Only the number of messages.
    pub count: Option<RawValue>,
}

/// A value as written: a YAML integer or a string (`"0x28"`, `"40+{i}"`, `"@ring+16"`,
/// `"*handle"`, `MV_EVENTTYPE_CHANNELDATAREADABLE`). `values` gives it meaning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    Int(u64),
    Text(String),
}

impl<'de> Deserialize<'de> for RawValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawValueVisitor;

        impl Visitor<'_> for RawValueVisitor {
            type Value = RawValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, \"@name\", \"*name\" or a constant name")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawValue, E> {
                Ok(RawValue::Int(v))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawValue, E> {
                u64::try_from(v)
                    .map(RawValue::Int)
                    .map_err(|_| E::custom(format!("`{v}` is negative; values are unsigned")))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawValue, E> {
                Ok(RawValue::Text(v.to_owned()))
            }
        }

        deserializer.deserialize_any(RawValueVisitor)
    }
}

impl JsonSchema for RawValue {
    fn schema_name() -> Cow<'static, str> {
        "Value".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A number (`40`, `\"0x28\"`, `\"40+{i}\"`), an address `\"@name+16\"`, the u32 in an allocation `\"*name\"` (plus or minus a number: `\"*name+1\"`, `\"*name-1\"`), or an ABI constant (`MV_EVENTTYPE_CHANNELDATAREADABLE`).",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string" }
            ]
        })
    }
}

/// `expect:` of a call, kept as YAML and interpreted by `validate`: a
/// status name, `{ one_of: [names] }` or `{ not: name | [names] }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Expect(pub serde_yaml::Value);

impl JsonSchema for Expect {
    fn schema_name() -> Cow<'static, str> {
        "Expect".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The status a call must return: a name (`OKAY` or `MV_STATUS_OKAY`), `{ one_of: [names] }` (any of these), or `{ not: name }` / `{ not: [names] }` (anything but these).",
            "anyOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "properties": { "one_of": { "type": "array", "items": { "type": "string" }, "minItems": 1 } },
                    "required": ["one_of"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "properties": { "not": { "anyOf": [
                        { "type": "string" },
                        { "type": "array", "items": { "type": "string" }, "minItems": 1 }
                    ] } },
                    "required": ["not"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// Contents whose shape depends on the allocation's type (`init`, `write.value`,
/// `expect_memory.equals`): kept as YAML and interpreted by `validate`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Data(pub serde_yaml::Value);

impl JsonSchema for Data {
    fn schema_name() -> Cow<'static, str> {
        "Data".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A value (for scalars and struct fields), a map of field names (for structs, nested for nested structs), a hex string like \"de ad be ef\" (for bytes) or text (for ascii).",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string" },
                { "type": "object", "additionalProperties": { "$ref": "#/$defs/Data" } }
            ]
        })
    }
}
