//! One plan on QEMU: factory NVM or the golden run's NVM at the first cut, cuts requested life by life, the checks after every boot, convergence.

use std::time::{Duration, Instant};

use hil_cloud::{deliver, DeliveryEnd};
use mv_abi::MvWakeReason;
use mv_update::Phase as EnginePhase;

use super::{trace, QemuOta};
use crate::powercut::golden::Golden;
use crate::powercut::plan::{Convergence, Cut, Outcome, Phase, PointResult, Verified};
use crate::CampaignError;

impl QemuOta {
    /// One plan from the factory NVM, every life run, three clean boots at
    /// the end ([`Verified::Full`]): the way every point was run before
    /// snapshots, and still the way of the uncut run and the SIGKILLs.
    pub fn run_plan(
        &mut self,
        id: &str,
        plan: &[Cut],
        kill_after: Option<Duration>,
    ) -> PointResult {
        let mut result = new_point(id);
        if let Err((outcome, detail)) = self.lives(plan, kill_after, 0, None, &mut result) {
            result.outcome = outcome;
            result.detail = detail;
        }
        if kill_after.is_some() && !self.killed && result.outcome == Outcome::Ok {
            result.detail = "the update finished before the SIGKILL was due".into();
        }
        self.stop();
        result
    }

    /// One plan from the golden run's flash at its first cut: the NVM file
    /// is written with [`Golden::cut_flash_from_boot`] (the sim's one model of the
    /// golden run, the cut applied by the same flash model the image runs),
    /// then every later life runs on QEMU as in [`Self::run_plan`], and
    /// convergence is shown from NVM images ([`Convergence`]). A first cut
    /// that never fires in life 0 has nothing to start from: run in full.
    pub fn run_from_snapshot(&mut self, id: &str, plan: &[Cut], golden: &Golden) -> PointResult {
        if plan.first().is_none_or(|c| c.op >= golden.operations()) {
            return self.run_plan(id, plan, None);
        }
        let (mut result, lived) = self.lives_from_snapshot(id, plan, golden, None);
        if let Err((outcome, detail)) = lived {
            result.outcome = outcome;
            result.detail = detail;
        }
        self.stop();
        result
    }

    /// Writes the golden run's NVM at `plan`'s first cut (which fires in
    /// life 0) and runs lives `1..` (up to `last_life`, see [`Self::lives`]);
    /// the point so far, and how its lives ended.
    pub(super) fn lives_from_snapshot(
        &mut self,
        id: &str,
        plan: &[Cut],
        golden: &Golden,
        last_life: Option<usize>,
    ) -> (PointResult, Result<Lived, (Outcome, String)>) {
        let mut result = new_point(id);
        self.stop();
        let t = Instant::now();
        let started = self
            .nvm
            .write(&golden.cut_flash_from_boot(plan[0]).into_cells().to_vec())
            .map_err(|e| (Outcome::NoBoot, format!("cannot write the snapshot: {e}")));
        trace(&format!("snapshot written in {:?}", t.elapsed()));
        result.cuts_fired = 1;
        // Until convergence says how; a failure before it stays "snapshot".
        result.verified = Verified::Snapshot;
        self.converged_by = None;
        self.fast_converge = true;
        let lived = started.and_then(|()| self.lives(plan, None, 1, last_life, &mut result));
        self.fast_converge = false;
        if let (Ok(Lived::Converged), Some(by)) = (&lived, self.converged_by.take()) {
            result.verified = Verified::SnapshotConverged { by };
        }
        (result, lived)
    }

    /// Power went in `life`: counted; in life 0 the NVM is kept when asked
    /// ([`Self::keep_cut_nvm`]), to compare with the snapshot.
    fn power_lost(
        &mut self,
        life: usize,
        result: &mut PointResult,
    ) -> Result<(), (Outcome, String)> {
        result.cuts_fired += 1;
        if life == 0 && self.keep_cut_nvm {
            self.stop();
            self.cut_nvm = Some(
                self.read_nvm()
                    .map_err(|e| (Outcome::NoBoot, e.to_string()))?,
            );
        }
        Ok(())
    }

    /// Lives `from..` of `plan` (life 0 starts on the factory NVM); with
    /// `last_life`, power going in that life ends the run there
    /// ([`Lived::Stopped`]).
    fn lives(
        &mut self,
        plan: &[Cut],
        kill_after: Option<Duration>,
        from: usize,
        last_life: Option<usize>,
        result: &mut PointResult,
    ) -> Result<Lived, (Outcome, String)> {
        let lost = |e: CampaignError| (Outcome::NoBoot, e.to_string());
        if from == 0 {
            self.stop();
            self.provision().map_err(lost)?;
        }
        for life in from..plan.len() + 3 {
            if let Some(&cut) = plan.get(life) {
                self.request_cut(cut).map_err(lost)?;
            }
            if !self.boot().map_err(lost)? {
                self.power_lost(life, result)?;
                if last_life == Some(life) {
                    return Ok(Lived::Stopped { in_boot: true });
                }
                continue;
            }
            let t = Instant::now();
            let (version, phase) = self.check_booted()?;
            let reason = self
                .wake_reason()
                .map_err(|e| (Outcome::NoBoot, format!("the kernel did not answer: {e}")))?;
            trace(&format!("NVM checks + wake reason in {:?}", t.elapsed()));
            if version == 2 {
                if life > 0
                    && reason != MvWakeReason::ApplicationUpdate as u8
                    && reason != MvWakeReason::ColdBoot as u8
                {
                    return Err((
                        Outcome::NotConverged,
                        format!("wake reason {reason} after the update"),
                    ));
                }
                return self.converge().map(|()| Lived::Converged);
            }
            if life == 0 {
                self.kill_at = kill_after.map(|d| Instant::now() + d);
                self.killed = false;
            }
            let deployment = self.new.clone();
            let update_started = Instant::now();
            let t = Instant::now();
            let delivery = deliver(self, &deployment);
            trace(&format!("delivery {:?} in {:?}", delivery.end, t.elapsed()));
            if let EnginePhase::Downloading { next_chunk, .. } = phase {
                if let Some(first) = delivery.first_chunk {
                    if first != next_chunk {
                        return Err((Outcome::NoResume, format!("the journal lists {next_chunk} chunk(s), the device asked for chunk {first}")));
                    }
                }
            }
            match delivery.end {
                DeliveryEnd::Installing => {}
                DeliveryEnd::LinkDown => {
                    self.link_down_was_cut()?;
                    self.power_lost(life, result)?;
                    if last_life == Some(life) {
                        return Ok(Lived::Stopped { in_boot: false });
                    }
                    continue;
                }
                other => {
                    return Err((
                        Outcome::NotUpdated,
                        format!("the device answered the verified bundle with {other:?}"),
                    ))
                }
            }
            // Installing: the device restarts the app in place and installs first.
            self.boots += 1;
            let t = Instant::now();
            let up = self.await_hello().map_err(lost)?;
            trace(&format!("restart + install in {:?}", t.elapsed()));
            if !up {
                self.power_lost(life, result)?;
                if last_life == Some(life) {
                    return Ok(Lived::Stopped { in_boot: false });
                }
                continue;
            }
            // The update is in: a wall-clock cut not yet due is moot.
            self.kill_at = None;
            if plan.is_empty() && kill_after.is_none() {
                self.update_secs = update_started.elapsed().as_secs_f64();
            }
            let (version, _) = self.check_booted()?;
            let reason = self
                .wake_reason()
                .map_err(|e| (Outcome::NoBoot, format!("the kernel did not answer: {e}")))?;
            if version != 2 {
                return Err((
                    Outcome::NotUpdated,
                    "the restart after staging did not install the update".into(),
                ));
            }
            if reason != MvWakeReason::ApplicationUpdate as u8 {
                return Err((
                    Outcome::NotUpdated,
                    format!("wake reason {reason} after the install, expected APPLICATIONUPDATE"),
                ));
            }
            return self.converge().map(|()| Lived::Converged);
        }
        Err((
            Outcome::NoBoot,
            "power was lost in more lives than the plan has cuts".into(),
        ))
    }
    /// The app is up on the new image: show that it converges. In full,
    /// three more boots each come up and answer, and the NVM is the same
    /// after them. From a snapshot, from NVM images: equal to the uncut
    /// run's converged NVM, or one clean boot that changes nothing.
    fn converge(&mut self) -> Result<(), (Outcome, String)> {
        let t = Instant::now();
        let converged = self.converge_now();
        trace(&format!(
            "converged ({:?}) in {:?}",
            converged.as_ref().map(|()| self.converged_by),
            t.elapsed()
        ));
        converged
    }

    fn converge_now(&mut self) -> Result<(), (Outcome, String)> {
        self.kill_at = None;
        self.stop();
        let before = self
            .read_nvm()
            .map_err(|e| (Outcome::NoBoot, e.to_string()))?;
        if self.fast_converge && self.converged_nvm.as_deref() == Some(&before[..]) {
            self.converged_by = Some(Convergence::Reference);
            return Ok(());
        }
        let boots = if self.fast_converge { 1 } else { 3 };
        for boot in 1..=boots {
            match self.boot() {
                Ok(true) => {}
                other => {
                    return Err((
                        Outcome::NotConverged,
                        format!("clean boot {boot}: {other:?}"),
                    ))
                }
            }
            self.wake_reason()
                .map_err(|e| (Outcome::NotConverged, format!("clean boot {boot}: {e}")))?;
            self.stop();
        }
        let after = self
            .read_nvm()
            .map_err(|e| (Outcome::NoBoot, e.to_string()))?;
        if before != after {
            return Err((
                Outcome::NotConverged,
                format!(
                    "{} changed the NVM",
                    if boots == 1 {
                        "one clean boot"
                    } else {
                        "three clean boots"
                    }
                ),
            ));
        }
        if self.fast_converge {
            self.converged_by = Some(Convergence::FixedPoint);
        }
        Ok(())
    }
}

/// How [`QemuOta::lives`] ended when no check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lived {
    /// The new app runs and the NVM converged.
    Converged,
    /// Power went in the last life asked for: in its first boot, before
    /// any app started (`in_boot`), or once the app had started.
    Stopped { in_boot: bool },
}

fn new_point(id: &str) -> PointResult {
    PointResult {
        id: id.to_owned(),
        phase: Phase::Rotate,
        outcome: Outcome::Ok,
        detail: String::new(),
        cuts_fired: 0,
        life_ops: Vec::new(),
        verified: Verified::Full,
    }
}
