//! Where an attack on the secure world aims: named targets resolved from the board and the veneer table.
//!
//! A case names a target (`secure_peripheral`, `veneer_skipping_sg`, ...),
//! never an address, so the same file runs on every rig; the agent turns
//! the name into this board's address here, once.

use mv_abi::{NSC_ENTRY_SIZE, NSC_TABLE_ENTRIES};
use mv_proto::{Attack, AttackTarget};

use crate::Agent;

/// `FNC_RETURN`: a `BX` to it from the app unstacks a return address from
/// the secure stack.
pub const FNC_RETURN: u32 = 0xFEFF_FFFF;

/// `EXC_RETURN` an app handler forges: `S = 1` (the interrupted code was
/// secure, its frame is on the secure stack), `DCRS = 1`, `FType = 1`,
/// `Mode = 1` (thread), `SPSEL = 0` (main stack), `ES = 0` (the exception
/// was taken to the non-secure state, as the app's handler's was). The
/// core must find the integrity signature on the secure stack, and a
/// sealed stack holds none.
pub const FORGED_EXC_RETURN: u32 = 0xFFFF_FFF8;

impl Agent {
    /// The address `attack` aims at on this board (0 for the forged
    /// returns, whose target is the secure stack the core picks itself).
    pub fn attack_address(&self, attack: Attack) -> u32 {
        match attack {
            Attack::Load(t)
            | Attack::Store(t)
            | Attack::Branch(t)
            | Attack::VectorTable(t)
            | Attack::StackPointer(t) => self.target_address(t),
            Attack::ForgeFunctionReturn => FNC_RETURN,
            Attack::ForgeExceptionReturn => FORGED_EXC_RETURN,
        }
    }

    fn target_address(&self, target: AttackTarget) -> u32 {
        let pools = &self.board.pools;
        match target {
            AttackTarget::SecureRam => pools.secure_ram,
            AttackTarget::SecureFlash => pools.secure_flash,
            AttackTarget::NscRegion => self.nsc_table_base,
            AttackTarget::VeneerSkippingSg => self.nsc_table_base + 4,
            AttackTarget::SgOutsideNsc => self.nsc_table_base + NSC_TABLE_ENTRIES * NSC_ENTRY_SIZE,
            AttackTarget::SecurePeripheral => self.board.secure_peripheral.0,
            AttackTarget::SecurePeripheralNsAlias => self.board.secure_peripheral.1,
        }
    }
}
