//! Exact cuts on a board with a probe: the core reset and held, run to flash operation N on hardware breakpoints in the flash driver, and the power cut by the rig's backend while it is held.
//!
//! The operations are counted from the reset, as the sim's calibration of
//! the same update counts them from the first boot, so `op<N>` names the
//! same operation on both; a board cuts *before* an operation only (a tear
//! inside one is the flash model's and QEMU's). This path needs a board: CI
//! tests what it refuses without one.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use hil_rig::probe::flash_ops::cut_at_flash_op;
use hil_rig::probe::{Lister, ProbeTarget};
use hil_rig::RigError;

use super::life::Failure;
use super::timeline::{SharedStage, Stage};
use super::BoardOta;
use crate::powercut::plan::{Cut, Outcome};
use crate::powercut::PlanError;

/// Why a board cannot take exact cuts: its rig file names no probe.
pub fn no_probe(file: &Path) -> PlanError {
    PlanError(format!(
        "{}: board.probe: exact cuts (op<N>) hold the core on a breakpoint in the flash driver through a debug probe, and the rig names none; add `probe: {{ selector: \"0483:374e\", chip: STM32U585AIIx }}` or cut by wall clock (kill<MS>ms)",
        file.display()
    ))
}

/// A cut a board cannot place: inside an operation.
pub fn check_exact(plan: &[Cut]) -> Result<(), PlanError> {
    match plan.iter().find(|c| c.inside) {
        Some(c) => Err(PlanError(format!(
            "`{c}`: a board cuts before an operation (op<N>); a cut inside one (op<N>i) needs a tear only the flash model and QEMU make"
        ))),
        None => Ok(()),
    }
}

impl BoardOta {
    /// The probe attached and the core held at its reset vector, so the
    /// operations are counted from the boot.
    pub(super) fn halted_at_reset(&self) -> Result<ProbeTarget, Failure> {
        let failed = |e: RigError| (Outcome::NoBoot, format!("the probe: {e}"));
        let Some(spec) = &self.config.probe else {
            return Err(failed(RigError::Link(no_probe(&self.file).to_string())));
        };
        let mut target = ProbeTarget::open(&Lister::new(), spec).map_err(|e| failed(e.into()))?;
        target.reset_and_halt().map_err(|e| failed(e.into()))?;
        Ok(target)
    }

    /// Runs the core to operation `at` and cuts the power there. Returns
    /// the stage the cloud link showed when the core was held.
    pub(super) fn exact_cut(
        &self,
        target: &mut ProbeTarget,
        at: Cut,
        stage: &SharedStage,
        gone: &AtomicBool,
    ) -> Result<Option<Stage>, Failure> {
        let mut seen = None;
        cut_at_flash_op(target, &self.images.secure, at, self.boot_timeout(), || {
            seen = Some(stage.get());
            self.board.power(false)?;
            gone.store(true, Ordering::SeqCst);
            Ok(())
        })
        .map_err(|e| (Outcome::NoBoot, format!("the exact cut at {at}: {e}")))?;
        Ok(seen)
    }
}
