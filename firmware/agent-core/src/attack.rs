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

/// The same forged `EXC_RETURN` with `SPSEL = 1`: the frame is to come
/// from the secure process stack (`PSP_S`), which holds nothing but its
/// seal.
pub const FORGED_EXC_RETURN_PROCESS: u32 = FORGED_EXC_RETURN | 1 << 2;

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
            Attack::ForgeExceptionReturnProcess => FORGED_EXC_RETURN_PROCESS,
        }
    }

    /// Where `target` is on this board.
    pub fn target_address(&self, target: AttackTarget) -> u32 {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every target resolves into the board's secure side on both boards;
    /// the veneer targets sit where the table puts them.
    #[test]
    fn targets_resolve_per_board() {
        for board in mv_boards::BOARDS {
            let base = if board.name.contains("an505") {
                0x100F_0000
            } else {
                mv_abi::STM32U585_NSC_TABLE_BASE
            };
            let agent = Agent::new(board, board.pools.ns_ram.0, base);
            assert_eq!(
                agent.attack_address(Attack::Load(AttackTarget::NscRegion)),
                base
            );
            assert_eq!(
                agent.attack_address(Attack::Branch(AttackTarget::VeneerSkippingSg)),
                base + 4
            );
            assert_eq!(
                agent.attack_address(Attack::Branch(AttackTarget::SgOutsideNsc)),
                base + 1024
            );
            assert_eq!(
                agent.attack_address(Attack::Store(AttackTarget::SecureRam)),
                board.pools.secure_ram
            );
            let (secure, ns_alias) = board.secure_peripheral;
            assert_eq!(
                secure & !0x1000_0000,
                ns_alias,
                "{}: one register, two aliases",
                board.name
            );
            assert_eq!(
                agent.attack_address(Attack::ForgeFunctionReturn),
                FNC_RETURN
            );
            // S = 1 (secure stack), ES = 0 (a non-secure handler's exception).
            assert_eq!(FORGED_EXC_RETURN & 0x41, 0x40);
            // The same, naming the process stack (SPSEL = 1).
            assert_eq!(
                agent.attack_address(Attack::ForgeExceptionReturnProcess),
                0xFFFF_FFFC
            );
        }
    }
}
