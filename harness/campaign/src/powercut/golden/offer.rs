//! The offer reference: the recovery of the first cut while staging the manifest, which the other offer cuts' recoveries meet.
//!
//! A cut while the offer stages the manifest leaves the new journal page
//! without `Begin`. The recovery's offer switches journal pages once more,
//! so its journal's sequence stays one past the golden run's for good: it
//! never meets the golden run. But every such recovery makes the same
//! offer from the same journal page over the same manifest page, so from
//! its first records on it is where the recovery of the phase's first cut
//! is. That point, run to its end, is the
//! [`crate::powercut::plan::Reference::Offer`]: the sim
//! records its recovery (every operation, its flash after each journal
//! record) and keeps it only if its run from the snapshot passed.
//! [`Golden::meet_from_boot`] then finds, for another offer cut, the first
//! record after which its recovery, having performed the same operations,
//! has the reference's flash byte for byte.
//!
//! As for the golden run, this is a prediction: a rig joins only on its
//! own NVM at its own stop, after it ran the reference itself.

use mv_flash::FlashOp;

use hil_sim::{SimCells, SimFlash};

use super::Golden;
use crate::powercut::plan::{Cut, Outcome, Phase, Reference};

/// The offer reference point, recorded.
pub(super) struct OfferReference {
    /// Its single cut (before the first offer operation).
    pub(super) cut: Cut,
    /// Its recovery's operations, from its boot.
    trace: Vec<FlashOp>,
    /// `(ran, cells)`: its flash after recovery operation `ran - 1`, a
    /// journal record; ascending by `ran`.
    states: Vec<(u64, SimCells)>,
}

impl Golden<'_> {
    /// Records the offer reference, if the update has an offer phase and
    /// the point passes on the sim, for a rig that joins offer cuts to it
    /// (QEMU). The sim's sweep does not: held, its recording slows the
    /// sweep's joins measurably (`hil bench --cuts-only`).
    pub fn record_offer_reference(&mut self) {
        self.offer = self.record_offer();
    }

    fn record_offer(&self) -> Option<OfferReference> {
        let op =
            (0..self.calibration.ops).find(|&op| self.calibration.phase(op) == Phase::Offer)?;
        let cut = Cut { op, inside: false };
        let run = self.run_from_snapshot(&[cut], cut, None);
        if run.outcome != Outcome::Ok {
            return None;
        }
        let recovery = self.recovery_from_boot(cut)?;
        let mut states = Vec::new();
        recovery.find_at_records(|ran, _, flash| {
            states.push((ran, flash.cells().clone()));
            None::<()>
        });
        let trace = recovery.trace;
        Some(OfferReference { cut, trace, states })
    }

    /// The offer reference's plan, if the sim's run of it passed (a rig
    /// that joins it must have run it itself).
    pub fn offer_plan(&self) -> Option<Vec<Cut>> {
        self.offer.as_ref().map(|o| vec![o.cut])
    }

    /// The references besides the golden run that the sim kept (the
    /// boot-install point, and the offer point once recorded), with their
    /// plans: points a rig that joins them must have run itself.
    pub fn references(&self) -> Vec<(Reference, Vec<Cut>)> {
        [
            (Reference::BootInstall, self.boot_install_plan()),
            (Reference::Offer, self.offer_plan()),
        ]
        .into_iter()
        .filter_map(|(reference, plan)| Some((reference, plan?)))
        .collect()
    }

    /// The offer reference's flash after its recovery operation `ran - 1`,
    /// where that operation is a journal record.
    pub fn offer_cells(&self, ran: u64) -> Option<&SimCells> {
        let o = self.offer.as_ref()?;
        let i = o.states.binary_search_by_key(&ran, |(r, _)| *r).ok()?;
        Some(&o.states[i].1)
    }

    /// Whether the recovery of `cut`, after recovery operation `ran - 1`
    /// (`op`, a journal record, outside the boot), with `flash`, is where
    /// the offer reference's is after the same operations.
    pub(super) fn meets_offer(&self, cut: Cut, ran: u64, op: &FlashOp, flash: &SimFlash) -> bool {
        let Some(o) = self.offer.as_ref().filter(|o| o.cut != cut) else {
            return false;
        };
        o.trace.get(ran as usize - 1) == Some(op)
            && self
                .offer_cells(ran)
                .is_some_and(|cells| flash.cells().same_as(cells))
    }
}
