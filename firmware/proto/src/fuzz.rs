//! The boundary fuzzer's primitive and reply: random calls drawn and checked on the device, findings reported.
//!
//! The agent draws every call itself (slot, arguments, structs planted in
//! its arena) from a seeded stream, so a batch of thousands of calls needs
//! no host round trip, as a [`crate::Primitive::CallSeries`] does not; the
//! host only says which calls of the stream to make and checks, between
//! batches, what the agent cannot see (secure memory, a kernel that still
//! answers). A call is named by `(seed, index)`: the stream is the same
//! however it is cut into batches, so any finding replays. A stream is a
//! run of *epochs*: the host may start one at any index on a fresh device
//! (`fresh`), and its calls depend only on the seed and that index.

use serde::{Deserialize, Serialize};

/// Slot numbers the fuzzer draws: every entry of the NSC table (the 74 slot
/// numbers and the reserved entries up to `mv_abi::NSC_TABLE_ENTRIES`, 128)
/// and a few past its end, which the binding and the kernel must refuse
/// alike. (`mv-proto` does not depend on `mv-abi`; the agent core's tests
/// pin the sum.)
pub const FUZZ_SLOTS: u32 = 136;

/// At most this many findings are listed in one [`FuzzReport`].
pub const MAX_FINDINGS: usize = 8;

/// Calls `first..first + count` of the stream `seed`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuzzBatch {
    pub seed: u64,
    /// Index of the first call: where the agent's last batch of this stream
    /// ended, unless `fresh`.
    pub first: u64,
    /// Start an epoch at `first`: forget what the stream learnt and draw
    /// from the seed and `first` alone (on a fresh device).
    pub fresh: bool,
    pub count: u32,
    /// App RAM the fuzzer owns (`base`, `len`): it plants structs there,
    /// and every pointer it hands the kernel into app RAM lands there.
    pub arena: (u32, u32),
    /// A second arena that ends exactly at the end of app RAM, for ranges
    /// at and across the NS/S boundary.
    pub edge: (u32, u32),
}

/// What a [`FuzzBatch`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuzzReport {
    /// Calls made.
    pub calls: u32,
    /// Index of the next call of the stream.
    pub next: u64,
    /// Calls answered `OKAY`, per slot number (`FUZZ_SLOTS` entries).
    pub okay: alloc::vec::Vec<u32>,
    /// The first findings of the batch.
    pub findings: alloc::vec::Vec<FuzzFinding>,
    /// Findings past the first [`MAX_FINDINGS`].
    pub more_findings: u32,
    /// `LATEFAULT`s the rig saw come from the bus-error window (documented,
    /// not findings): a range reached it through memory whose words no
    /// drawing controls (the kernel's copies shift the app's bytes).
    pub window_latefaults: u32,
}

/// One call that broke a rule of the boundary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuzzFinding {
    /// Its index in the stream.
    pub index: u64,
    pub slot: u32,
    pub args: [u32; 4],
    /// r0 after the call.
    pub status: u32,
    /// Who made it.
    pub caller: FuzzCaller,
    pub kind: FindingKind,
}

/// How the fuzzer made a call: most from privileged thread mode, some from
/// unprivileged thread mode (an RTOS task) and some from the handler of an
/// IRQ, so the kernel's privilege and interrupt paths are drawn too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FuzzCaller {
    Thread,
    Unprivileged,
    /// From the app's handler of this IRQ.
    Irq(u32),
}

/// Which rule a call broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FindingKind {
    /// r0 is no `MvStatus` value.
    NotAStatus,
    /// `LATEFAULT`: the kernel touched memory it had accepted and could not
    /// reach, i.e. its checks let a bad range through (unless the rig saw
    /// the bus-error window refuse it, which is counted, not found).
    LateFault,
    /// The call was refused but app memory changed (at this offset into the
    /// arenas, the edge arena following the main one).
    ChangedOnRefusal { offset: u32 },
    /// The kernel asked the board to touch memory that is not app memory
    /// (this many accesses): its checks let a bad range through, and only
    /// the rig stopped it (the sim's memory model refuses and counts them).
    Escape { accesses: u32 },
}
