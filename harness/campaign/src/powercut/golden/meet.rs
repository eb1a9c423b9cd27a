//! Where a single cut's recovery first meets the golden run, found by running that recovery on the sim: what a rig that cannot trace its flash (QEMU) stops at and compares.
//!
//! [`Golden::predict`] knows one kind of step by its structure: a chunk
//! (or install page) that the recovery redoes, ending with the golden
//! run's own record. A cut elsewhere (switching journal pages, staging
//! the manifest, recording the verdict, a torn record) also comes back
//! to the golden run, at a record the structure does not name. The sim
//! runs the very engine the image runs, over the very flash model, so the
//! recovery from the same snapshot ([`Golden::cut_flash_from_boot`]) is
//! run here once, traced, and replayed record by record: the first
//! record after which its flash equals the golden run's after one of its
//! records, byte for byte, outside the boot (the app up, the cloud
//! delivering), is where the rig should stop and compare.
//!
//! An offer cut's recovery never meets the golden run (its journal stays
//! one page switch ahead), but it meets the offer reference's recovery
//! ([`Reference::Offer`], `offer.rs`) after the same operations.
//!
//! A recovery that finishes an install at boot meets no golden state
//! outside the boot, but inside it, right after an install page's record,
//! it is where the [`Reference::BootInstall`] point's recovery passes (that
//! point's whole recovery performs the golden run's operations, checked
//! when it is recorded): the join is then to that reference, in the boot.
//!
//! This is a prediction only: the rig's join rests on its own NVM at its
//! own stop (equal to the golden run's there, every byte, in the same
//! context), never on the sim's word. A wrong prediction costs a stop that
//! does not match, and the point runs in full.

use mv_flash::{FlashOp, PAGE_SIZE};
use mv_update::journal::kind;

use hil_sim::{SimCells, SimFlash};

use super::{Golden, Join};
use crate::powercut::plan::{Cut, Reference};
use crate::powercut::sim_device::CampaignDevice;

impl Golden<'_> {
    /// The first golden-run state the recovery from a single cut at `cut`
    /// reaches, on a device whose flash model counts operations from its
    /// boot (QEMU's image): after its boot ([`Reference::Golden`]), or in
    /// a boot-time install, after an install page's record that the
    /// boot-install reference's recovery passes ([`Reference::BootInstall`]);
    /// `None` when it reaches none (or the recovery fails on the sim: the
    /// rig then runs the point in full and finds the failure itself).
    pub fn meet_from_boot(&self, cut: Cut) -> Option<Join> {
        if cut.op >= self.calibration.ops {
            return None;
        }
        let recovery = self.recovery_from_boot(cut)?;
        // Operations the boot itself performs (finishing an install, say):
        // a state reached there is in another context than the golden run's.
        let mut boot = CampaignDevice::off(recovery.start.clone());
        boot.boot().ok()?;
        let boot_ops = boot.flash().operations() - recovery.start.operations();
        recovery.find_at_records(|ran, op, flash| {
            let in_boot = ran <= boot_ops;
            if in_boot && op.first != kind::INSTALL_PAGE {
                return None;
            }
            // The golden records this one could be: the same unit, the same bytes.
            let met = self.joins.iter().find(|(m, cells)| {
                self.log[*m as usize - 1] == *op && flash.cells().same_as(cells)
            });
            let Some(step) = met.and_then(|&(at, _)| at.checked_sub(ran)) else {
                let offer = !in_boot && self.meets_offer(cut, ran, op, flash);
                return offer.then_some(Join {
                    step: 0,
                    at: ran,
                    reference: Reference::Offer,
                });
            };
            let at = step + ran;
            if !in_boot {
                return Some(Join {
                    step,
                    at,
                    reference: Reference::Golden,
                });
            }
            // Stopped after the last page's record, the recovery would run
            // on to its next operation, past the install's measurement:
            // nothing left to save.
            let next_is_record = self.records.binary_search(&at).is_ok();
            (self.boot_install_passes(at) && !next_is_record).then_some(Join {
                step,
                at,
                reference: Reference::BootInstall,
            })
        })
    }

    /// The recovery from a single cut at `cut`, run on the sim from the
    /// snapshot a device whose flash model counts operations from its boot
    /// starts from (QEMU's image); `None` if it fails on the sim.
    pub(super) fn recovery_from_boot(&self, cut: Cut) -> Option<Recovery> {
        let start = self.cut_flash_from_boot(cut);
        let mut dev = CampaignDevice::off(start.clone());
        dev.flash_mut().enable_trace();
        let floor = Some(self.calibration.chunks_done(cut));
        self.scenario
            .life(&mut dev, floor, Some(&self.final_cells))
            .ok()?;
        Some(Recovery {
            trace: dev.flash_mut().take_trace(),
            journal: dev.layout().journal,
            start,
        })
    }

    /// Whether the boot-install reference's recovery (which performs the
    /// golden run's operations from its cut on) is in the golden run's
    /// state after operation `at - 1`.
    fn boot_install_passes(&self, at: u64) -> bool {
        self.boot_install
            .as_ref()
            .is_some_and(|b| at > b.cut_op && at <= b.cut_op + b.recovery_ops)
    }

    /// Where a rig stops `reference`'s own run to find the state a join
    /// at `at` is compared with: that run's recovery operations up to
    /// there, and the flash there (the golden run's after operation
    /// `at - 1` for the golden run and the boot-install reference, the
    /// offer reference's after its recovery operation `at - 1`).
    pub fn reference_state(&self, reference: Reference, at: u64) -> Option<(u64, &SimCells)> {
        match reference {
            Reference::Golden => Some((at, self.join_cells(at)?)),
            Reference::BootInstall => {
                let b = self.boot_install.as_ref()?;
                if !self.boot_install_passes(at) {
                    return None;
                }
                Some((at - b.cut_op, self.join_cells(at)?))
            }
            Reference::Offer => Some((at, self.offer_cells(at)?)),
            Reference::SingleCut => None,
        }
    }
}

/// A single cut's recovery, as the sim ran it.
pub(super) struct Recovery {
    /// The flash it started from.
    pub(super) start: SimFlash,
    /// Its operations, from its boot.
    pub(super) trace: Vec<FlashOp>,
    /// The journal's pages.
    journal: [u32; 2],
}

impl Recovery {
    /// Replays the recovery record by record: `at_record` sees the
    /// operations run so far, the journal record just written and the
    /// flash then; the first answer it gives, if any.
    pub(super) fn find_at_records<T>(
        &self,
        mut at_record: impl FnMut(u64, &FlashOp, &SimFlash) -> Option<T>,
    ) -> Option<T> {
        let mut flash = SimFlash::open(self.start.cells().clone(), self.start.map().size());
        for (i, op) in self.trace.iter().enumerate() {
            op.apply(&mut flash).ok()?;
            if op.erase || !self.journal.contains(&(op.offset / PAGE_SIZE)) {
                continue;
            }
            if let Some(found) = at_record(i as u64 + 1, op, &flash) {
                return Some(found);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::powercut::golden::Golden;
    use crate::powercut::plan::{single_plans, Cut, Phase, Reference};
    use crate::powercut::scenario::{Scenario, Stop};
    use crate::powercut::sim_device::CampaignDevice;

    /// Every single cut of a small update: where the replay says the
    /// recovery meets the golden run, a recovery stopped there by an armed
    /// cut (as the rig stops it) is off with the golden run's flash, after
    /// its boot, or inside it for a boot-time install (the boot-install
    /// reference); cuts that switch journal pages or record the verdict
    /// meet it too, install cuts meet the boot-install reference, offer
    /// cuts the offer reference, and commit cuts (whose boot only
    /// measures and commits) none.
    #[test]
    fn an_armed_stop_lands_where_the_replay_meets_the_golden_run() {
        let s = Scenario::synthetic(8192 + 1000).unwrap();
        let cal = s.calibrate().unwrap();
        let mut golden = Golden::record(&s, &cal).unwrap();
        golden.record_offer_reference();
        let mut met: BTreeMap<Phase, (usize, usize)> = BTreeMap::new();
        for plan in single_plans(&cal) {
            let cut = plan[0];
            let phase = cal.phase(cut.op);
            let count = met.entry(phase).or_default();
            count.1 += 1;
            let Some(join) = golden.meet_from_boot(cut) else {
                continue;
            };
            count.0 += 1;
            let mut dev = CampaignDevice::off(golden.cut_flash_from_boot(cut));
            dev.flash_mut().arm(Cut {
                op: join.ran(),
                inside: false,
            });
            let floor = Some(cal.chunks_done(cut));
            let stopped = s.life(&mut dev, floor, Some(golden.final_cells()));
            assert!(
                matches!(stopped, Err(Stop::PowerLost)),
                "{cut}: not stopped"
            );
            let in_boot = join.reference == Reference::BootInstall;
            assert_eq!(dev.last_start.is_none(), in_boot, "{cut}: {join:?}");
            assert_eq!(in_boot, phase == Phase::Install, "{cut}: {join:?}");
            let offer = join.reference == Reference::Offer;
            assert_eq!(offer, phase == Phase::Offer, "{cut}: {join:?}");
            let at = if offer {
                golden.offer_cells(join.at).unwrap()
            } else {
                golden.join_cells(join.at).unwrap()
            };
            assert!(dev.flash().cells().same_as(at), "{cut}: another flash");
        }
        println!("joins per phase (met, points): {met:?}");
        for phase in [Phase::Rotate, Phase::Offer, Phase::Download, Phase::Install] {
            let (joins, points) = met[&phase];
            assert!(joins * 2 > points, "{phase:?}: {joins} of {points} met");
        }
        assert!(met[&Phase::Verify].0 > 0, "no verify cut met");
        // A commit cut's recovery has no install page left to redo.
        assert_eq!(met[&Phase::Commit].0, 0, "a commit cut's recovery met");
        // The offer reference's own cut joins nothing (it is the reference).
        let own = golden.offer_plan().unwrap()[0];
        assert!(golden.meet_from_boot(own).is_none());
    }
}
