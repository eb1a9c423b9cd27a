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
//! This is a prediction only: the rig's join rests on its own NVM at its
//! own stop (equal to the golden run's there, every byte, in the same
//! context), never on the sim's word. A wrong prediction costs a stop that
//! does not match, and the point runs in full.

use mv_flash::PAGE_SIZE;

use hil_sim::SimFlash;

use super::{Golden, Join};
use crate::powercut::plan::{Cut, Reference};
use crate::powercut::sim_device::CampaignDevice;

impl Golden<'_> {
    /// The first golden-run state the recovery from a single cut at `cut`
    /// reaches after its boot, on a device whose flash model counts
    /// operations from its boot (QEMU's image); `None` when it reaches
    /// none (or the recovery fails on the sim: the rig then runs the
    /// point in full and finds the failure itself).
    pub fn meet_from_boot(&self, cut: Cut) -> Option<Join> {
        if cut.op >= self.calibration.ops {
            return None;
        }
        let start = self.cut_flash_from_boot(cut);
        // Operations the boot itself performs (finishing an install, say):
        // a state reached there is in another context than the golden run's.
        let mut boot = CampaignDevice::off(start.clone());
        boot.boot().ok()?;
        let boot_ops = boot.flash().operations() - start.operations();

        let mut dev = CampaignDevice::off(start.clone());
        dev.flash_mut().enable_trace();
        let floor = Some(self.calibration.chunks_done(cut));
        self.scenario
            .life(&mut dev, floor, Some(&self.final_cells))
            .ok()?;
        let trace = dev.flash_mut().take_trace();

        let journal = dev.layout().journal;
        let mut flash = SimFlash::open(start.cells().clone(), start.map().size());
        for (i, op) in trace.iter().enumerate() {
            op.apply(&mut flash).ok()?;
            let ran = i as u64 + 1;
            if ran <= boot_ops || op.erase || !journal.contains(&(op.offset / PAGE_SIZE)) {
                continue;
            }
            // The golden records this one could be: the same unit, the same bytes.
            let met = self.joins.iter().find(|(m, cells)| {
                self.log[*m as usize - 1] == *op && flash.cells().same_as(cells)
            });
            if let Some(step) = met.and_then(|&(at, _)| at.checked_sub(ran)) {
                return Some(Join {
                    step,
                    at: step + ran,
                    reference: Reference::Golden,
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::powercut::golden::Golden;
    use crate::powercut::plan::{single_plans, Cut, Phase};
    use crate::powercut::scenario::{Scenario, Stop};
    use crate::powercut::sim_device::CampaignDevice;

    /// Every single cut of a small update: where the replay says the
    /// recovery meets the golden run, a recovery stopped there by an armed
    /// cut (as the rig stops it) is off after its boot with the golden
    /// run's flash; cuts that switch journal pages or record the verdict
    /// meet it too, and the ones whose recovery is on another journal page
    /// or installs at boot never do.
    #[test]
    fn an_armed_stop_lands_where_the_replay_meets_the_golden_run() {
        let s = Scenario::synthetic(8192 + 1000).unwrap();
        let cal = s.calibrate().unwrap();
        let golden = Golden::record(&s, &cal).unwrap();
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
            assert!(dev.last_start.is_some(), "{cut}: stopped in the boot");
            let at = golden.join_cells(join.at).unwrap();
            assert!(dev.flash().cells().same_as(at), "{cut}: another flash");
        }
        println!("joins per phase (met, points): {met:?}");
        for phase in [Phase::Rotate, Phase::Download] {
            let (joins, points) = met[&phase];
            assert!(joins * 2 > points, "{phase:?}: {joins} of {points} met");
        }
        assert!(met[&Phase::Verify].0 > 0, "no verify cut met");
        // A cut while staging the manifest leaves the new journal page
        // without `Begin`; the recovery's offer switches pages once more,
        // so its journal's sequence is one past the golden run's for good.
        for phase in [Phase::Offer, Phase::Install, Phase::Commit] {
            assert_eq!(met[&phase].0, 0, "{phase:?}: a boot-time recovery met");
        }
    }
}
