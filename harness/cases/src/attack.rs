//! Validates `attack:` steps: a named attack, a named target, and how the architecture must end it.

use mv_proto::{Attack, AttackTarget, FaultKind};

use crate::error::{join, Issue};
use crate::model::{AttackExpect, AttackStep};
use crate::{raw, values};

/// Validates `attack:` at `path`.
pub(crate) fn attack(raw: &raw::Attack, path: &str) -> Result<AttackStep, Issue> {
    let attack = attack_of(raw, path)?;
    let expect = match (&raw.expect_fault, &raw.expect_read) {
        (Some(kind), None) => {
            let kind = fault_kind(*kind);
            let cause = match &raw.cause {
                None => None,
                Some(name) => Some(
                    kind.causes()
                        .iter()
                        .find(|c| c.name == name)
                        .map(|c| c.name)
                        .ok_or_else(|| {
                            Issue::new(
                                join(path, "cause"),
                                format!(
                                    "a {} reports no cause `{name}`; one of {}",
                                    kind.name(),
                                    kind.causes()
                                        .iter()
                                        .map(|c| format!("`{}`", c.name))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ),
                            )
                        })?,
                ),
            };
            AttackExpect::Fault { kind, cause }
        }
        (None, Some(value)) => {
            if let Some(field) = raw.cause.as_ref().map(|_| "cause") {
                return Err(Issue::new(
                    join(path, field),
                    "`cause` belongs to `expect_fault`; an attack that completes has none",
                ));
            }
            if !matches!(attack, Attack::Load(_)) {
                return Err(Issue::new(
                    join(path, "expect_read"),
                    "only a `load` reads a word; give `expect_fault` for this kind",
                ));
            }
            let read = values::number_u32(value)
                .map_err(|message| Issue::new(join(path, "expect_read"), message))?;
            AttackExpect::Completes { read }
        }
        (Some(_), Some(_)) => {
            return Err(Issue::new(
                join(path, "expect_read"),
                "give `expect_fault` (the architecture stops it) or `expect_read` (it completes), not both",
            ))
        }
        (None, None) => {
            return Err(Issue::new(
                path,
                "an attack needs `expect_fault` (the fault the architecture raises) or, for a load that completes, `expect_read`",
            ))
        }
    };
    Ok(AttackStep { attack, expect })
}

fn attack_of(raw: &raw::Attack, path: &str) -> Result<Attack, Issue> {
    use raw::AttackKind as K;
    let forged = matches!(
        raw.kind,
        K::ForgeFunctionReturn | K::ForgeExceptionReturn | K::ForgeExceptionReturnProcess
    );
    let target = match (raw.target, forged) {
        (Some(_), true) => {
            return Err(Issue::new(
                join(path, "target"),
                "a forged return aims at the secure stack the core picks itself; it takes no `target`",
            ))
        }
        (None, true) => None,
        (Some(t), false) => Some(target(t)),
        (None, false) => {
            return Err(Issue::new(
                join(path, "target"),
                "this attack needs a `target` (secure_ram, secure_flash, nsc_region, veneer_skipping_sg, sg_outside_nsc, secure_peripheral, secure_peripheral_ns_alias)",
            ))
        }
    };
    Ok(match (raw.kind, target) {
        (K::ForgeFunctionReturn, _) => Attack::ForgeFunctionReturn,
        (K::ForgeExceptionReturn, _) => Attack::ForgeExceptionReturn,
        (K::ForgeExceptionReturnProcess, _) => Attack::ForgeExceptionReturnProcess,
        (K::Load, Some(t)) => Attack::Load(t),
        (K::Store, Some(t)) => Attack::Store(t),
        (K::Branch, Some(t)) => Attack::Branch(t),
        (K::VectorTable, Some(t)) => Attack::VectorTable(t),
        (K::StackPointer, Some(t)) => Attack::StackPointer(t),
        (_, None) => unreachable!("every kind but the forged returns has a target (checked above)"),
    })
}

pub(crate) fn target(raw: raw::AttackTarget) -> AttackTarget {
    match raw {
        raw::AttackTarget::SecureRam => AttackTarget::SecureRam,
        raw::AttackTarget::SecureFlash => AttackTarget::SecureFlash,
        raw::AttackTarget::NscRegion => AttackTarget::NscRegion,
        raw::AttackTarget::VeneerSkippingSg => AttackTarget::VeneerSkippingSg,
        raw::AttackTarget::SgOutsideNsc => AttackTarget::SgOutsideNsc,
        raw::AttackTarget::SecurePeripheral => AttackTarget::SecurePeripheral,
        raw::AttackTarget::SecurePeripheralNsAlias => AttackTarget::SecurePeripheralNsAlias,
    }
}

/// The loader's spelling of a fault kind, as the agent link has it.
pub(crate) fn fault_kind(raw: raw::FaultKind) -> FaultKind {
    match raw {
        raw::FaultKind::SecureFault => FaultKind::SecureFault,
        raw::FaultKind::BusFault => FaultKind::BusFault,
        raw::FaultKind::UsageFault => FaultKind::UsageFault,
        raw::FaultKind::MemManage => FaultKind::MemManage,
        raw::FaultKind::HardFault => FaultKind::HardFault,
    }
}
