//! One plan on QEMU: factory NVM, cuts requested life by life, the checks after every boot, convergence.

use std::time::{Duration, Instant};

use hil_cloud::{deliver, DeliveryEnd};
use mv_abi::MvWakeReason;
use mv_update::Phase as EnginePhase;

use super::{trace, QemuOta};
use crate::powercut::plan::{Cut, Outcome, Phase, PointResult, Verified};
use crate::CampaignError;

impl QemuOta {
    /// One plan: factory NVM, then lives until the new app runs and converges.
    pub fn run_plan(
        &mut self,
        id: &str,
        plan: &[Cut],
        kill_after: Option<Duration>,
    ) -> PointResult {
        let mut result = PointResult {
            id: id.to_owned(),
            phase: Phase::Rotate,
            outcome: Outcome::Ok,
            detail: String::new(),
            cuts_fired: 0,
            life_ops: Vec::new(),
            verified: Verified::Full,
        };
        if let Err((outcome, detail)) = self.lives(plan, kill_after, &mut result) {
            result.outcome = outcome;
            result.detail = detail;
        }
        if kill_after.is_some() && !self.killed && result.outcome == Outcome::Ok {
            result.detail = "the update finished before the SIGKILL was due".into();
        }
        self.stop();
        result
    }
    fn lives(
        &mut self,
        plan: &[Cut],
        kill_after: Option<Duration>,
        result: &mut PointResult,
    ) -> Result<(), (Outcome, String)> {
        let lost = |e: CampaignError| (Outcome::NoBoot, e.to_string());
        self.provision().map_err(lost)?;
        for life in 0..plan.len() + 3 {
            if let Some(&cut) = plan.get(life) {
                self.request_cut(cut).map_err(lost)?;
            }
            if !self.boot().map_err(lost)? {
                result.cuts_fired += 1;
                continue;
            }
            let (version, phase) = self.check_booted()?;
            let reason = self
                .wake_reason()
                .map_err(|e| (Outcome::NoBoot, format!("the kernel did not answer: {e}")))?;
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
                return self.converge();
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
                    result.cuts_fired += 1;
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
                result.cuts_fired += 1;
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
            return self.converge();
        }
        Err((
            Outcome::NoBoot,
            "power was lost in more lives than the plan has cuts".into(),
        ))
    }
    /// Three more boots: the app comes up, the NVM does not change.
    fn converge(&mut self) -> Result<(), (Outcome, String)> {
        self.kill_at = None;
        self.stop();
        let before = self
            .read_nvm()
            .map_err(|e| (Outcome::NoBoot, e.to_string()))?;
        for boot in 1..=3 {
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
                "three clean boots changed the NVM".into(),
            ));
        }
        Ok(())
    }
}
