//! Cut points without redoing deterministic work: start from the golden run's flash at the cut, join a verified run once the states are equal.
//!
//! The kernel, the device core, the flash model and the cloud are
//! deterministic, so two things every point of a sweep repeats are known:
//!
//! - **Life 0 up to the cut is the golden run.** Its flash at operation `n`
//!   is rebuilt from the golden run's trace (every operation with its data)
//!   by the same flash model, from a copy-on-write checkpoint at most
//!   [`CHECKPOINT_EVERY`] operations back; the cut is applied by arming the
//!   model exactly as a full run does, so even a torn write tears the same
//!   bytes. The device then starts its recovery from that flash
//!   ([`Verified::Snapshot`]).
//! - **A recovery that redoes the interrupted step ends where the golden
//!   run did.** Each step of an update ends with one journal record; a cut
//!   in the step of chunk `k` (or install page `k`) makes the recovery redo
//!   that step. The point predicts it: it arms a stop right after the step's
//!   record and, when power goes there, checks that the recovery performed
//!   exactly the golden run's operations for that step (offsets and data),
//!   that its flash now equals the golden run's after that record (all the
//!   cells, unit states included, compared byte for byte), and that it got
//!   there in the same context as the reference it joins: inside the
//!   download (the golden run) or inside a boot-time install (the
//!   [`Reference::BootInstall`] point, itself run to its end). The engine
//!   keeps nothing across a record that the journal does not say (its
//!   module doc: "skipping a torn one loses exactly the step it would have
//!   recorded, and that step is redone"), so from there the point *is* the
//!   reference: its remaining operations are the reference's and its checks
//!   passed there ([`Verified::Joined`]). A prediction that does not hold
//!   (a torn record, a journal page switch, another context) is not a
//!   failure: the point is rerun from the snapshot, every life to its end.
//! - **Convergence from the golden run's final flash is known**: a boot
//!   depends on the flash alone, and the golden run's three clean boots
//!   from those bytes changed nothing.
//!
//! A nested plan whose second cut (before an operation) lands after its
//! first recovery joined is, from that cut on, the single cut at the
//! matching golden operation ([`Reference::SingleCut`]). Other nested and
//! random plans start from the snapshot and run the rest in full. The campaign's tests run whole sweeps both ways and require the
//! same result at every point, a planted journal bug included.

use mv_flash::{FlashError, FlashOp, PAGE_SIZE};
use mv_update::journal::kind;
use mv_update::Layout;

use hil_sim::{SimCells, SimFlash};

mod meet;
mod offer;

use super::plan::{Calibration, Cut, Outcome, PointResult, Reference, Verified};
use super::scenario::{new_result, with_phase, Scenario, Stop};
use super::sim_device::CampaignDevice;
use crate::error::fail;
use crate::CampaignError;

/// Golden-run operations between two flash checkpoints (copy-on-write, so
/// a checkpoint costs the chunks written since the last one).
pub const CHECKPOINT_EVERY: u64 = 32;

/// The golden run, kept so points can start at their cut and join it.
pub struct Golden<'a> {
    scenario: &'a Scenario,
    calibration: &'a Calibration,
    /// Every operation of the golden run, with its data.
    log: Vec<FlashOp>,
    /// Flash after `i * CHECKPOINT_EVERY` operations.
    checkpoints: Vec<SimFlash>,
    /// Operation indices of the journal records, ascending.
    records: Vec<u64>,
    /// `(m, cells)`: the flash after operation `m - 1`, a journal record
    /// (chunk and install page records are where [`Self::predict`] joins;
    /// every record is where [`Self::meet_from_boot`] may); ascending by `m`.
    joins: Vec<(u64, SimCells)>,
    /// The flash the golden run converged on.
    final_cells: SimCells,
    /// The point whose boot-time install joins continue, if it passed.
    boot_install: Option<BootInstall>,
    /// The point offer cuts' recoveries join on a rig that cannot trace
    /// its flash, once [`Self::record_offer_reference`] recorded it and
    /// if it passed (the sim's own sweep never needs it).
    offer: Option<offer::OfferReference>,
}

/// The [`Reference::BootInstall`] point: cut just before the first install
/// page, so its recovery installs every page at boot.
struct BootInstall {
    /// Golden operation of its cut (the first install page's erase).
    cut_op: u64,
    /// Its recovery life's operations (the whole install and convergence).
    recovery_ops: u64,
    /// Its result, reported as its own point.
    result: PointResult,
}

/// Where a single cut's recovery should meet a reference.
#[derive(Clone, Copy, Debug)]
pub struct Join {
    /// First golden operation of the interrupted step.
    pub step: u64,
    /// Golden operations `step..at` are the step, ending with its record.
    pub at: u64,
    pub reference: Reference,
}

impl Join {
    /// Recovery operations of the step (what the recovery runs before it
    /// should meet the reference).
    pub fn ran(&self) -> u64 {
        self.at - self.step
    }
}

impl<'a> Golden<'a> {
    /// Runs the golden update once more, traced with data, and keeps what
    /// points start from and join; checks that its trace rebuilds its flash.
    pub fn record(
        scenario: &'a Scenario,
        calibration: &'a Calibration,
    ) -> Result<Golden<'a>, CampaignError> {
        let mut dev = scenario.factory().clone();
        dev.flash_mut().enable_trace();
        let traced = scenario.run_lives(&mut dev, &[], None, 0, new_result(&[]), None);
        if traced.outcome != Outcome::Ok {
            fail!("the uncut update fails: {}", traced.detail);
        }
        let log = dev.flash_mut().take_trace();
        if log.len() as u64 != calibration.ops {
            fail!(
                "the golden run did {} flash operations, the calibration {}",
                log.len(),
                calibration.ops
            );
        }
        let layout = dev.layout();
        let is_record =
            |op: &FlashOp| !op.erase && layout.journal.contains(&(op.offset / PAGE_SIZE));
        let mut flash = scenario.factory().flash().clone();
        let mut checkpoints = Vec::new();
        let mut joins = Vec::new();
        let mut records = Vec::new();
        for (i, op) in log.iter().enumerate() {
            if (i as u64).is_multiple_of(CHECKPOINT_EVERY) {
                checkpoints.push(flash.clone());
            }
            if let Err(e) = op.apply(&mut flash) {
                fail!("the golden run's operation {i} does not replay: {e:?}");
            }
            if is_record(op) {
                records.push(i as u64);
                joins.push((i as u64 + 1, flash.cells().clone()));
            }
        }
        if !flash.cells().same_as(dev.flash().cells()) {
            fail!("the golden run's trace does not rebuild its flash");
        }
        let mut golden = Golden {
            scenario,
            calibration,
            log,
            checkpoints,
            records,
            joins,
            final_cells: flash.cells().clone(),
            boot_install: None,
            offer: None,
        };
        golden.boot_install = golden.run_boot_install(&layout);
        Ok(golden)
    }

    /// Flash operations of the golden run (life 0 of an uncut update).
    pub fn operations(&self) -> u64 {
        self.calibration.ops
    }

    /// The flash the golden run converged on.
    pub fn final_cells(&self) -> &SimCells {
        &self.final_cells
    }

    /// The flash of life 0 cut at `cut` (powered off), as a full run leaves it.
    pub fn cut_flash(&self, cut: Cut) -> SimFlash {
        let base = cut.op / CHECKPOINT_EVERY * CHECKPOINT_EVERY;
        let mut flash = self.checkpoints[(base / CHECKPOINT_EVERY) as usize].clone();
        flash.arm(Cut {
            op: cut.op - base,
            inside: cut.inside,
        });
        for op in &self.log[base as usize..=cut.op as usize] {
            match op.apply(&mut flash) {
                Ok(()) | Err(FlashError::PowerLost) => {}
                Err(e) => unreachable!("the golden trace replayed once already: {e:?}"),
            }
        }
        debug_assert!(!flash.is_powered(), "the cut fires at its operation");
        flash
    }

    /// The flash of life 0 cut at `cut` as a device leaves it whose flash
    /// model counts operations from its boot, as QEMU's image does (it opens
    /// the model at every boot; the sim's factory flash has also counted
    /// its provisioning). The count picks how much of a torn operation
    /// lands, so this replays the golden run's operations from the factory
    /// flash, reopened, up to the cut: the same trace, the same model.
    pub fn cut_flash_from_boot(&self, cut: Cut) -> SimFlash {
        let factory = self.scenario.factory().flash();
        let mut flash = SimFlash::open(factory.cells().clone(), factory.map().size());
        flash.arm(cut);
        for op in &self.log[..=cut.op as usize] {
            match op.apply(&mut flash) {
                Ok(()) | Err(FlashError::PowerLost) => {}
                Err(e) => unreachable!("the golden trace replayed once already: {e:?}"),
            }
        }
        debug_assert!(!flash.is_powered(), "the cut fires at its operation");
        flash
    }

    /// Runs `plan` from the golden run's flash at its first cut, joining a
    /// reference where the recovery provably meets it.
    pub fn run_plan(&self, plan: &[Cut]) -> PointResult {
        let cal = Some(self.calibration);
        let Some(&first) = plan.first().filter(|c| c.op < self.calibration.ops) else {
            // The cut never fires in life 0: nothing to start from.
            return self.scenario.run_plan(plan, cal);
        };
        if let Some(b) = &self.boot_install {
            if plan == [boot_install_cut(b.cut_op)] {
                return b.result.clone();
            }
        }
        if plan.len() == 1 {
            if let Some(join) = self.predict(first) {
                if let Some(result) = self.try_join(plan, first, join) {
                    return with_phase(result, plan, cal);
                }
            }
        }
        if let [_, second] = plan {
            if let Some(result) = self.nested_join(plan, first, *second) {
                return with_phase(result, plan, cal);
            }
        }
        with_phase(self.run_from_snapshot(plan, first, None), plan, cal)
    }

    /// Life 0 from the snapshot, then every life to its end; `trace`: the
    /// recovery's operations are recorded (for the boot-install reference).
    fn run_from_snapshot(
        &self,
        plan: &[Cut],
        first: Cut,
        trace: Option<&mut Vec<FlashOp>>,
    ) -> PointResult {
        let mut dev = CampaignDevice::off(self.cut_flash(first));
        let mut result = self.after_first_cut(plan, first);
        if trace.is_some() {
            dev.flash_mut().enable_trace();
        }
        result = self.scenario.run_lives(
            &mut dev,
            plan,
            Some(self.calibration),
            1,
            result,
            Some(&self.final_cells),
        );
        if let Some(t) = trace {
            *t = dev.flash_mut().take_trace();
        }
        result
    }

    /// What life 0 of a full run reports when power goes at `first`.
    fn after_first_cut(&self, plan: &[Cut], first: Cut) -> PointResult {
        let mut result = new_result(plan);
        result.cuts_fired = 1;
        // The cut operation is counted: it began.
        result.life_ops.push(first.op + 1);
        result.verified = Verified::Snapshot;
        result
    }

    /// Where the recovery from a single cut at `cut` should meet a
    /// reference: after the record that ends the interrupted step.
    pub fn predict(&self, cut: Cut) -> Option<Join> {
        let i = self.records.partition_point(|&r| r < cut.op);
        let record = *self.records.get(i)?;
        if cut.inside && record == cut.op {
            // A torn record: the recovery writes it to the next slot.
            return None;
        }
        let reference = match self.log[record as usize].first {
            kind::CHUNK => Reference::Golden,
            kind::INSTALL_PAGE if self.boot_install.is_some() => Reference::BootInstall,
            _ => return None,
        };
        let step = i.checked_sub(1).map_or(0, |p| self.records[p] + 1);
        Some(Join {
            step,
            at: record + 1,
            reference,
        })
    }

    /// Runs the recovery from `first` up to the predicted join; `None` when
    /// the prediction did not hold (the caller reruns the point in full).
    fn try_join(&self, plan: &[Cut], first: Cut, join: Join) -> Option<PointResult> {
        let mut dev = CampaignDevice::off(self.cut_flash(first));
        let mut result = self.after_first_cut(plan, first);
        let ran = join.at - join.step;
        let start = dev.flash().operations();
        dev.flash_mut().enable_trace();
        dev.flash_mut().arm(Cut {
            op: ran,
            inside: false,
        });
        let floor = Some(self.calibration.chunks_done(first));
        let step = self.scenario.life(&mut dev, floor, Some(&self.final_cells));
        let ops = dev.flash().operations() - start;
        let stopped = !dev.flash().is_powered();
        match (step, stopped) {
            // The life ended before the stop: it ran to its end, as in full.
            (Ok(()), false) => {
                result.life_ops.push(ops);
                return Some(result);
            }
            (Err(Stop::Failed(outcome, detail)), false) => {
                result.life_ops.push(ops);
                result.outcome = outcome;
                result.detail = format!("life 1: {detail}");
                return Some(result);
            }
            (Err(Stop::PowerLost), true) => {}
            _ => return None,
        }
        let trace = dev.flash_mut().take_trace();
        let redone = ops == ran + 1
            && trace.len() as u64 == ran + 1
            && trace[..ran as usize] == self.log[join.step as usize..join.at as usize];
        // The context: a boot-time install stops inside `boot` (no app
        // started in this life); the download inside the delivery.
        let in_boot = dev.last_start.is_none();
        let context = match join.reference {
            Reference::Golden => !in_boot,
            Reference::BootInstall => in_boot,
            Reference::SingleCut | Reference::Offer => false,
        };
        if !redone || !context || !dev.flash().cells().same_as(self.join_cells(join.at)?) {
            return None;
        }
        let rest = match join.reference {
            Reference::Golden => self.calibration.ops - join.at,
            Reference::BootInstall => {
                let b = self.boot_install.as_ref()?;
                b.recovery_ops - (join.at - b.cut_op)
            }
            Reference::SingleCut | Reference::Offer => return None,
        };
        result.life_ops.push(ran + rest);
        result.verified = Verified::Joined {
            reference: join.reference,
            at_op: join.at,
            ran,
        };
        Some(result)
    }

    /// A depth-2 plan whose second cut (before an operation, so nothing
    /// tears) lands after its first recovery joined a reference: from the
    /// join on, that recovery performs the golden run's operations, so the
    /// second cut leaves the golden run's flash at operation `g` and every
    /// later life is the single cut at `g`'s recovery. Taken only when that
    /// single cut passed (its first recovery also checks the resume floor,
    /// a check the nested plan's later life does not make, so a pass
    /// carries over and a failure is rerun in full).
    fn nested_join(&self, plan: &[Cut], first: Cut, second: Cut) -> Option<PointResult> {
        if second.inside {
            return None;
        }
        let single = self.run_plan(&[first]);
        let Verified::Joined {
            reference,
            at_op,
            ran,
        } = single.verified
        else {
            return None;
        };
        // The first recovery's operations from the join on are golden ones
        // up to here (the boot-install reference's were checked to be).
        let end = match reference {
            Reference::Golden => self.calibration.ops,
            Reference::BootInstall => {
                let b = self.boot_install.as_ref()?;
                (b.cut_op + b.recovery_ops).min(self.calibration.ops)
            }
            Reference::SingleCut | Reference::Offer => return None,
        };
        let g = at_op + second.op.checked_sub(ran)?;
        if single.outcome != Outcome::Ok || g >= end {
            return None;
        }
        let tail = self.run_plan(&[Cut {
            op: g,
            inside: false,
        }]);
        if tail.outcome != Outcome::Ok {
            return None;
        }
        let mut result = self.after_first_cut(plan, first);
        result.life_ops.push(second.op + 1);
        result.life_ops.extend(&tail.life_ops[1..]);
        result.cuts_fired = 1 + tail.cuts_fired;
        result.verified = Verified::Joined {
            reference: Reference::SingleCut,
            at_op: g,
            ran: 0,
        };
        Some(result)
    }

    /// The golden run's flash after operation `at - 1`, where `at` ends a
    /// journal record (a join's [`Join::at`]).
    pub fn join_cells(&self, at: u64) -> Option<&SimCells> {
        let i = self.joins.binary_search_by_key(&at, |(m, _)| *m).ok()?;
        Some(&self.joins[i].1)
    }

    /// The [`Reference::BootInstall`] point's plan, if the sim's run of it
    /// passed (a rig that joins it must have run it in full itself).
    pub fn boot_install_plan(&self) -> Option<Vec<Cut>> {
        let b = self.boot_install.as_ref()?;
        Some(vec![boot_install_cut(b.cut_op)])
    }

    /// Runs the boot-install reference in full (from the snapshot) and keeps
    /// it if it passed and its recovery did the golden run's install
    /// operations; otherwise install-phase points are not joined.
    fn run_boot_install(&self, layout: &Layout) -> Option<BootInstall> {
        let start = self.log.iter().position(|op| {
            !op.erase
                && op.first == kind::INSTALL_START
                && layout.journal.contains(&(op.offset / PAGE_SIZE))
        })? as u64
            + 1;
        let cut = boot_install_cut(start);
        let mut trace = Vec::new();
        let result = with_phase(
            self.run_from_snapshot(&[cut], cut, Some(&mut trace)),
            &[cut],
            Some(self.calibration),
        );
        let last_page = *self
            .records
            .iter()
            .rev()
            .find(|&&r| self.log[r as usize].first == kind::INSTALL_PAGE)?;
        // Its whole recovery performs the golden run's operations from its
        // cut on (what lets a nested cut after a join map onto the golden run).
        let install = (start..=last_page).count();
        let same = trace.len() >= install
            && self.log.get(start as usize..start as usize + trace.len()) == Some(&trace[..]);
        (result.outcome == Outcome::Ok && same && result.life_ops.len() == 2).then(|| BootInstall {
            cut_op: start,
            recovery_ops: result.life_ops[1],
            result,
        })
    }
}

fn boot_install_cut(op: u64) -> Cut {
    Cut { op, inside: false }
}
