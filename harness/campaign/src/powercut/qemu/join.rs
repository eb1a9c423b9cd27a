//! Joining the golden run on QEMU: a single cut's recovery stopped right after the golden-run record it first comes back to, its NVM compared with the golden run's there.
//!
//! The sim's join ([`crate::powercut::golden`]) carries over to the real
//! image, in every stage whose recovery comes back to the golden run
//! while the app runs. The point asks the sim where
//! ([`Golden::meet_from_boot`]: the same engine and flash model, from the
//! same snapshot, replayed record by record): after recovery operation
//! `ran`, the journal record that leaves the golden run's flash after its
//! operation `at`. A cut in the step of chunk `k` comes back after that
//! chunk's record; a cut while switching journal pages (the old page
//! stays the active one until the new header is programmed), after the
//! switch is redone for the new offer; a cut while recording the verdict,
//! after the verdict. The point
//! asks the image for a second cut right after that record (before the
//! next operation, so nothing tears) and runs the recovery on QEMU with
//! every check of a full run up to there: the NVM after the boot,
//! `mvGetWakeReason`, and the resume (the device asks for the chunk the
//! journal lists). When the power goes there, after the app came up (the
//! golden run's context: the delivery, or the app's own restart into the
//! install that follows it), and the NVM equals the golden run's after
//! that record byte for byte (every cell: data, unit states, journal, the
//! cut request cleared), the device is in the golden run's state at that
//! operation, in the same context; a boot and the engine depend on those
//! bytes alone, so the rest of the point is the golden run's rest, which
//! the campaign's uncut run on QEMU ran to its end, checked and converged
//! ([`Verified::Joined`]). The sim only says where to look: the join
//! rests on QEMU's own NVM at QEMU's own stop. Anything else (the power
//! went elsewhere, in the boot, one byte different) is no failure: the
//! point runs again from the snapshot, every life to its end. A check
//! that fails before the stop fails the point, as it would in full: up to
//! the stop the two runs are the same run.
//!
//! Two more references, each a point QEMU runs itself once per campaign
//! before any point joins it (`references.rs`):
//! - **the boot-install reference** ([`Reference::BootInstall`]). A cut
//!   while installing is finished at power-on: the kernel installs before
//!   the app starts, where the golden run installed in the app's restart
//!   (another context, with its own wake reason). Its recovery meets the
//!   golden run's flash inside the boot, right after the record of the
//!   page it redid, which is where the point cut just before the first
//!   install page passes in its own boot-time install. Such a point stops
//!   in the boot (no app started), and joins there.
//! - **the offer reference** ([`Reference::Offer`]). A cut while staging
//!   the manifest leaves the new journal page without `Begin`, so the
//!   recovery's offer switches pages once more and its journal's sequence
//!   stays one past the golden run's: it never meets the golden run. It
//!   meets the recovery of the phase's first cut, after the same
//!   operations, once the app is up.
//!
//! Not joined, run in full: torn records (rewritten to the next slot, the
//! journal differs from then on); commit cuts and the last install page's
//! (their boot has no page left to redo before it measures and commits, so
//! a stop saves nothing), and nested plans. Those points converge from NVM
//! images instead of clean boots ([`crate::powercut::plan::Convergence`]).

use std::time::Instant;

use super::lives::Lived;
use super::{trace, QemuOta};
use crate::powercut::golden::{Golden, Join};
use crate::powercut::plan::{Cut, PointResult, Reference, Verified};

impl QemuOta {
    /// One exact point the quickest verified way: joined to the golden run
    /// where the recovery provably meets it ([`Self::join`] set), else from
    /// the snapshot with every life run ([`Self::run_from_snapshot`]).
    pub fn run_point(&mut self, id: &str, plan: &[Cut], golden: &Golden) -> PointResult {
        let t = Instant::now();
        let result = self.run_point_now(id, plan, golden);
        trace(&format!(
            "point {id}: {} ({}) in {:?}",
            result.outcome.name(),
            result.verified.describe(),
            t.elapsed()
        ));
        result
    }

    fn run_point_now(&mut self, id: &str, plan: &[Cut], golden: &Golden) -> PointResult {
        if self.join {
            if let Some(reference) = self.reference_of(plan, golden) {
                return self.run_reference(id, plan, golden, reference);
            }
            if let [first] = plan {
                let t = std::time::Instant::now();
                let join = golden.meet_from_boot(*first);
                trace(&format!("prediction for {id} in {:?}", t.elapsed()));
                if let Some(joined) = join.and_then(|j| self.try_join(id, *first, j, golden)) {
                    return joined;
                }
            }
        }
        self.run_from_snapshot(id, plan, golden)
    }

    /// The recovery from `first` up to `join`; `None` when the prediction
    /// did not hold (the caller runs the point in full).
    fn try_join(
        &mut self,
        id: &str,
        first: Cut,
        join: Join,
        golden: &Golden,
    ) -> Option<PointResult> {
        if !self.may_join(golden, join.reference, join.at) {
            return None;
        }
        let boot_install = join.reference == Reference::BootInstall;
        let (_, at) = golden.reference_state(join.reference, join.at)?;
        let stop = Cut {
            op: join.ran(),
            inside: false,
        };
        let t = Instant::now();
        let (mut result, lived) = self.lives_from_snapshot(id, &[first, stop], golden, Some(1));
        self.stop();
        let in_boot = match lived {
            Ok(Lived::Stopped { in_boot }) => in_boot,
            // The life ended before the stop: it ran to its end, as in full.
            Ok(Lived::Converged) => {
                result.cuts_fired = 1;
                return Some(result);
            }
            Err((outcome, detail)) => {
                if self.nvm.power_went_off().unwrap_or(true) {
                    // Failed as the stop came: not a check of the full run.
                    return None;
                }
                result.outcome = outcome;
                result.detail = detail;
                return Some(result);
            }
        };
        let nvm = self.read_nvm().ok()?;
        let differs = if nvm.len() == at.len() {
            at.first_difference(0, &nvm)
        } else {
            Some(0)
        };
        trace(&format!(
            "join at op {} ({}): first difference {differs:?}, in {:?}",
            join.at,
            if in_boot {
                "in boot"
            } else {
                "after the app came up"
            },
            t.elapsed()
        ));
        // The context: the reference's own (the golden run after the app
        // came up, the boot-install reference in the boot).
        if in_boot != boot_install || differs.is_some() {
            return None;
        }
        result.cuts_fired = 1;
        result.verified = Verified::Joined {
            reference: join.reference,
            at_op: join.at,
            ran: join.ran(),
        };
        Some(result)
    }
}
