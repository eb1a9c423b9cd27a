//! The references points join besides the golden run, run on QEMU once per campaign: each to its end, and stopped at every state a point will be compared with.
//!
//! The golden run is QEMU's uncut update, run in full. The boot-install
//! and offer references ([`Reference::BootInstall`], [`Reference::Offer`])
//! are points of their own: the sim recorded where their recoveries pass
//! (`golden/meet.rs`, `golden/offer.rs`), but QEMU runs each itself before
//! any point joins it:
//! - **to its end** from the snapshot, with every check of a full point,
//!   as its own point of the campaign, which [`schedule`] puts first; if
//!   it fails, nothing joins it (its point reports the failure), and a
//!   point that comes before it ran (another QEMU still running it) runs
//!   in full;
//! - **stopped at each state a point is compared with**, the first time a
//!   point asks to join there (once per QEMU): QEMU's own run of the
//!   reference, cut right after that record, in the same context (in the
//!   boot for the boot-install reference, the app up for the offer
//!   reference), must have exactly the NVM the point's stop is compared
//!   with; a state it does not reach is not joined at.

use std::sync::{Arc, Mutex, MutexGuard};

use super::lives::Lived;
use super::{trace, QemuOta};
use crate::powercut::golden::Golden;
use crate::powercut::plan::{plan_id, Calibration, Cut, Outcome, Phase, PointResult, Reference};

/// The references a campaign's QEMUs have run, shared by them all.
pub(crate) type Shared = Arc<Mutex<Vec<RanReference>>>;

/// A reference a QEMU of the campaign ran to its end.
#[derive(Clone, Debug)]
pub(crate) struct RanReference {
    reference: Reference,
    /// Whether its run passed: only then does any point join it.
    passed: bool,
}

/// `plans` with the references' plans (the boot-install and offer
/// points the sim kept) added where missing: they are points of the
/// campaign too, and run before the points that join them.
pub fn with_references(mut plans: Vec<Vec<Cut>>, golden: &Golden) -> Vec<Vec<Cut>> {
    for (_, plan) in golden.references() {
        if !plans.contains(&plan) {
            plans.push(plan);
        }
    }
    plans
}

/// The order to run `plans` in: the references first (the boot-install
/// and offer points), the points that may join them last, the rest
/// between; indices into `plans`.
pub fn schedule(plans: &[Vec<Cut>], calibration: &Calibration, golden: &Golden) -> Vec<usize> {
    let references = golden.references();
    let rank = |plan: &Vec<Cut>| {
        if references.iter().any(|(_, r)| r == plan) {
            0
        } else if plan.len() == 1
            && matches!(calibration.phase(plan[0].op), Phase::Offer | Phase::Install)
        {
            2
        } else {
            1
        }
    };
    let mut order: Vec<usize> = (0..plans.len()).collect();
    order.sort_by_key(|&i| rank(&plans[i]));
    order
}

impl QemuOta {
    /// The reference `plan` is (when this rig joins references), if any.
    pub(super) fn reference_of(&self, plan: &[Cut], golden: &Golden) -> Option<Reference> {
        if !self.join_references {
            return None;
        }
        golden
            .references()
            .into_iter()
            .find(|(_, p)| p == plan)
            .map(|(reference, _)| reference)
    }

    /// Runs the point `reference` is to its end and shares how it went
    /// with every QEMU of the campaign.
    pub(super) fn run_reference(
        &mut self,
        id: &str,
        plan: &[Cut],
        golden: &Golden,
        reference: Reference,
    ) -> PointResult {
        let result = self.run_from_snapshot(id, plan, golden);
        let passed = result.outcome == Outcome::Ok;
        trace(&format!("{reference:?} reference {id}: passed {passed}"));
        let mut shared = lock(&self.references);
        shared.retain(|r| r.reference != reference);
        shared.push(RanReference { reference, passed });
        result
    }

    /// Whether a join at `at` may take the rest as `reference`'s: the
    /// golden run's always (QEMU's uncut run ran it in full); another's
    /// when a QEMU of the campaign ran it and it passed and, stopped at
    /// `at` on this QEMU (once), was found there. A point that comes
    /// before its reference ran is run in full.
    pub(super) fn may_join(&mut self, golden: &Golden, reference: Reference, at: u64) -> bool {
        if reference == Reference::Golden {
            return true;
        }
        let passed = lock(&self.references)
            .iter()
            .any(|r| r.reference == reference && r.passed);
        if !passed {
            return false;
        }
        if let Some(&found) = self.found.get(&(reference, at)) {
            return found;
        }
        let found = match golden
            .references()
            .into_iter()
            .find(|(r, _)| *r == reference)
        {
            Some((_, plan)) => self.reference_has_state(golden, reference, &plan, at),
            None => false,
        };
        self.found.insert((reference, at), found);
        found
    }

    /// Forgets every reference run (for a campaign run again on the same
    /// rigs: the bench's ways).
    pub fn forget_references(&mut self) {
        lock(&self.references).clear();
        self.found.clear();
    }

    /// `reference`'s own run stopped where a join at `at` is compared:
    /// off in the reference's context, with exactly that NVM.
    fn reference_has_state(
        &mut self,
        golden: &Golden,
        reference: Reference,
        plan: &[Cut],
        at: u64,
    ) -> bool {
        let Some((ran, cells)) = golden.reference_state(reference, at) else {
            return false;
        };
        let stop = Cut {
            op: ran,
            inside: false,
        };
        let id = plan_id(plan);
        let (_, lived) = self.lives_from_snapshot(&id, &[plan[0], stop], golden, Some(1));
        self.stop();
        let in_boot = reference == Reference::BootInstall;
        let found = lived == Ok(Lived::Stopped { in_boot })
            && self.read_nvm().is_ok_and(|nvm| {
                nvm.len() == cells.len() && cells.first_difference(0, &nvm).is_none()
            });
        trace(&format!(
            "{reference:?} reference stopped at {at} ({ran} recovery ops): found {found}"
        ));
        found
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, Vec<RanReference>> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}
