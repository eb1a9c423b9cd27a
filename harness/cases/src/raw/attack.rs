//! The `attack:` step as written: what the app tries on the secure world, where, and the fault it must raise.

use schemars::JsonSchema;
use serde::Deserialize;

use super::RawValue;

/// `attack:` — the app tries an attack on the secure world with the real instructions.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attack {
    /// What the app does.
    pub kind: AttackKind,
    /// Where it aims (every kind but the two forged returns, which take none).
    pub target: Option<AttackTarget>,
    /// The exception the architecture must raise (the app restarts).
    pub expect_fault: Option<FaultKind>,
    /// The cause the fault must report: an `SFSR` bit for a SecureFault
    /// (`AUVIOL`, `INVEP`, `INVIS`, ...), a `CFSR` bit for a BusFault or
    /// UsageFault, an `HFSR` bit or the escalated fault's `CFSR` bit for a
    /// HardFault (`VECTTBL`, `FORCED`, `INVPC`).
    pub cause: Option<String>,
    /// Instead of `expect_fault`: the attempt completes without a fault
    /// and a load reads this word (where a rig answers RAZ/WI, which the
    /// case's spec must say).
    pub expect_read: Option<RawValue>,
}

/// What an attack does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttackKind {
    /// Load a word from the target.
    Load,
    /// Store a word to the target.
    Store,
    /// Branch to the target (no `BXNS`, no `SG` skipping the table).
    Branch,
    /// `BX` to `FNC_RETURN` with no secure call in progress.
    ForgeFunctionReturn,
    /// Return from the app's own handler with an `EXC_RETURN` naming the secure stack.
    ForgeExceptionReturn,
    /// Point `VTOR_NS` at the target, then take an interrupt.
    VectorTable,
    /// Point the app's stack pointer at the target, then take an interrupt.
    StackPointer,
    /// As `forge_exception_return`, naming the secure process stack (`PSP_S`).
    ForgeExceptionReturnProcess,
}

/// Where an attack aims; the agent resolves it on its board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttackTarget {
    /// Secure RAM nobody uses.
    SecureRam,
    /// Secure code memory.
    SecureFlash,
    /// Entry 0 of the veneer table (NSC memory).
    NscRegion,
    /// Entry 0 plus 4: the instruction after its `SG`.
    VeneerSkippingSg,
    /// An `SG` instruction in secure memory outside the NSC region.
    SgOutsideNsc,
    /// A peripheral the secure world keeps, at its secure alias.
    SecurePeripheral,
    /// That peripheral at its non-secure alias.
    SecurePeripheralNsAlias,
}

/// An Armv8-M fault exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum FaultKind {
    SecureFault,
    BusFault,
    UsageFault,
    MemManage,
    HardFault,
}
