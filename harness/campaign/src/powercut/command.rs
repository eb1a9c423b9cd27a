//! The QEMU campaign end to end, and the replay of any point by its id on either rig.

use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hil_bundle::tamper::TamperClass;
use hil_rig::qemu::QemuConfig;

use super::golden::Golden;
use super::plan::{
    chosen_plans, plan_id, CampaignPlan, Convergence, Cut, Outcome, Phase, PlanError, PointResult,
    Verified,
};
use super::qemu::{schedule, with_references, QemuOta};
use super::replay::{
    check_first_cut, Replay, APP_CRASH_RESTART, POLITE_APP_RESTARTS, POLITE_TIMEOUT, UNCUT,
};
use super::stream::{PowercutRun, PowercutSummary};
use super::sweep::par_map;
use crate::{CampaignError, Observer, Setup};

/// A replayed point, and what to say about its cuts.
pub struct Replayed {
    pub point: PointResult,
    /// How many of the plan's cuts fired (empty for scenarios without cuts).
    pub cuts: String,
}

/// Replays one point of the sim campaign by its id.
pub fn replay_sim(app_size: usize, id: &str) -> Result<Replayed, CampaignError> {
    let replay = Replay::parse(id)?;
    replay.on_sim()?;
    let scenario = super::scenario::Scenario::synthetic(app_size)?;
    let calibration = scenario.calibrate()?;
    Ok(match replay {
        Replay::Plan(plan) => {
            check_first_cut(&plan, &calibration)?;
            let point = scenario.run_plan(&plan, Some(&calibration));
            let cuts = super::replay::cuts_note(&plan, &point);
            Replayed { point, cuts }
        }
        Replay::Uncut => Replayed {
            point: scenario.run_plan(&[], Some(&calibration)),
            cuts: String::new(),
        },
        Replay::Tamper(class) => Replayed {
            point: scenario.run_tamper(class),
            cuts: String::new(),
        },
        Replay::Polite { .. } | Replay::Crash | Replay::Kill(_) | Replay::KillInStage { .. } => {
            unreachable!("on_sim refused it")
        }
    })
}

/// Replays one point of the QEMU campaign by its id.
pub fn replay_qemu(config: QemuConfig, id: &str) -> Result<Replayed, CampaignError> {
    let replay = Replay::parse(id)?;
    if let Replay::KillInStage { .. } = replay {
        return Err(PlanError(format!(
            "`{id}` times its cut from the start of a stage, which the board campaign does; on qemu-an505 a kill is timed from the first offer: kill<MS>ms"
        ))
        .into());
    }
    let mut rig = QemuOta::new(config)?;
    let silent = super::super::Quiet;
    Ok(match replay {
        Replay::Plan(plan) => {
            let calibration = rig.sim_scenario()?.calibrate()?;
            check_first_cut(&plan, &calibration)?;
            let mut point = rig.run_plan(id, &plan, None);
            point.phase = calibration.phase(plan[0].op);
            let cuts = super::replay::cuts_note(&plan, &point);
            Replayed { point, cuts }
        }
        Replay::Uncut => Replayed {
            point: rig.run_plan(UNCUT, &[], None),
            cuts: String::new(),
        },
        Replay::KillInStage { .. } => unreachable!("refused above"),
        Replay::Kill(delay) => Replayed {
            point: rig.run_plan(id, &[], Some(delay)),
            cuts: String::new(),
        },
        Replay::Polite { app_restarts } => Replayed {
            point: polite_point(&mut rig, &silent, app_restarts),
            cuts: String::new(),
        },
        Replay::Crash => Replayed {
            point: crash_point(&mut rig, &silent),
            cuts: String::new(),
        },
        Replay::Tamper(class) => Replayed {
            point: tamper_point(&mut rig, &silent, class),
            cuts: String::new(),
        },
    })
}

/// A scenario's result as a point (told as it lands).
fn scenario_point(
    observer: &dyn Observer,
    id: &str,
    phase: Phase,
    run: Result<String, (Outcome, String)>,
) -> PointResult {
    let (outcome, detail) = match run {
        Ok(log) => (Outcome::Ok, log),
        Err(failed) => failed,
    };
    observer.line(&format!("  {id}: {} {detail}", outcome.name()));
    PointResult {
        id: id.to_owned(),
        phase,
        outcome,
        detail: if outcome == Outcome::Ok {
            String::new()
        } else {
            detail
        },
        cuts_fired: 0,
        life_ops: Vec::new(),
        verified: Verified::Full,
    }
}

fn polite_point(rig: &mut QemuOta, observer: &dyn Observer, app_restarts: bool) -> PointResult {
    let id = if app_restarts {
        POLITE_APP_RESTARTS
    } else {
        POLITE_TIMEOUT
    };
    let run = rig
        .run_polite(app_restarts)
        .map(|log| log.join("; "))
        .map_err(|e| (Outcome::NotUpdated, e.to_string()));
    scenario_point(observer, id, Phase::Verify, run)
}

fn crash_point(rig: &mut QemuOta, observer: &dyn Observer) -> PointResult {
    let run = rig
        .run_crash()
        .map(|log| log.join("; "))
        .map_err(|e| (Outcome::NoBoot, e.to_string()));
    scenario_point(observer, APP_CRASH_RESTART, Phase::Verify, run)
}

fn tamper_point(rig: &mut QemuOta, observer: &dyn Observer, class: TamperClass) -> PointResult {
    let run = rig.run_tamper(class);
    scenario_point(observer, class.name(), Phase::Offer, run)
}

/// Which plans the QEMU campaign runs besides the scenarios.
#[derive(Clone, Copy, Debug)]
pub struct QemuPlans {
    /// Wall-clock SIGKILL cuts to add to the exact ones.
    pub kills: u32,
    /// Run every Nth exact plan (the nested ones always).
    pub stride: usize,
    /// QEMU instances running the exact plans side by side (each on an NVM
    /// file of its own).
    pub jobs: usize,
}

/// How the exact points showed convergence, counted.
#[derive(Default)]
struct HowVerified {
    reference: usize,
    fixed_point: usize,
    /// Three clean boots (a point the snapshot could not start).
    full: usize,
    /// Joined the golden run after the recovery redid its step.
    joined: usize,
}

impl HowVerified {
    fn count(&mut self, verified: Verified) {
        match verified {
            Verified::SnapshotConverged {
                by: Convergence::Reference,
            } => self.reference += 1,
            Verified::SnapshotConverged {
                by: Convergence::FixedPoint,
            } => self.fixed_point += 1,
            Verified::Full => self.full += 1,
            Verified::Joined { .. } => self.joined += 1,
            // A point that failed before converging.
            Verified::Snapshot => {}
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs the QEMU campaign: exact cuts (also run on the sim for parity),
/// SIGKILLs, polite deployment, app crashes and the tampered bundles, each
/// point streamed into the report as it finishes.
pub fn run_qemu(
    config: QemuConfig,
    plans: QemuPlans,
    setup: Setup,
    observer: &dyn Observer,
) -> Result<PowercutSummary, CampaignError> {
    let started_at = crate::now();
    let started = Instant::now();
    let stop = setup.stop.clone();
    let mut rig = QemuOta::new(config)?;
    let scenario = rig.sim_scenario()?;
    let calibration = scenario.calibrate()?;
    let mut golden = Golden::record(&scenario, &calibration)?;
    golden.record_offer_reference();
    let chosen = with_references(
        chosen_plans(&calibration)
            .into_iter()
            .enumerate()
            .filter(|(i, p)| p.len() > 1 || i % plans.stride.max(1) == 0)
            .map(|(_, p)| p)
            .collect(),
        &golden,
    );
    let mut plan = CampaignPlan::default();
    plan.section("uncut", [String::from("update")]);
    plan.cuts("single", &chosen, &calibration);
    plan.section(
        "sigkill",
        (0..plans.kills).map(|_| Phase::Download.name().to_owned()),
    );
    plan.section("app", (0..3).map(|_| Phase::Verify.name().to_owned()));
    plan.section("tamper", TamperClass::ALL.map(|c| c.name().to_owned()));
    let mut run = PowercutRun::start(
        setup,
        "qemu-an505",
        started_at,
        plan,
        &calibration.phases,
        "cargo hil ota powercut --rig qemu-an505 --replay",
    )?;
    observer.line(&format!(
        "qemu-an505: {} flash operations in the update (sim calibration of the same ROMs); {} exact cut plan(s), {} SIGKILL(s)",
        calibration.ops,
        chosen.len(),
        plans.kills
    ));
    let go = || !stop.load(Ordering::Relaxed);
    let uncut_started = Instant::now();
    let uncut = rig.run_plan(UNCUT, &[], None);
    let uncut_secs = uncut_started.elapsed().as_secs_f64();
    observer.line(&format!(
        "  uncut update: {} in {uncut_secs:.1} s",
        uncut.outcome.name()
    ));
    let uncut_outcome = uncut.outcome;
    // Its NVM, unchanged by its three clean boots, is what points that
    // end on the same bytes converge to; it also tells whether QEMU ends
    // where the sim's golden run ends.
    let reference = match uncut_outcome {
        Outcome::Ok => Some(rig.adopt_reference()?),
        _ => None,
    };
    let sim_final_equal = reference
        .as_ref()
        .map(|nvm| golden.final_cells().to_vec() == *nvm);
    run.point("uncut", 0, uncut);
    let exact_started = Instant::now();
    let jobs = plans.jobs.max(1).min(chosen.len().max(1));
    let mut pool = vec![rig];
    for _ in 1..jobs {
        let sibling = pool[0].sibling()?;
        pool.push(sibling);
    }
    let pool = Mutex::new(pool);
    let by = Mutex::new(HowVerified::default());
    let run_point = |plan: &Vec<Cut>| {
        let mut rig = lock(&pool).pop().expect("one rig per worker");
        let id = plan_id(plan);
        let mut p = rig.run_point(&id, plan, &golden);
        lock(&pool).push(rig);
        lock(&by).count(p.verified);
        p.phase = calibration.phase(plan[0].op);
        let sim = scenario.run_plan(plan, Some(&calibration));
        let differs = sim.outcome != p.outcome;
        if differs {
            p.detail = format!(
                "{} (the sim says {} for the same plan)",
                p.detail,
                sim.outcome.name()
            );
            if p.outcome == Outcome::Ok {
                p.outcome = Outcome::NotConverged;
            }
        }
        (p, differs)
    };
    // The references other points join first, those points last.
    let order = schedule(&chosen, &calibration, &golden);
    let scheduled: Vec<_> = order.iter().map(|&i| chosen[i].clone()).collect();
    let exact_points = par_map(
        &scheduled,
        jobs,
        run_point,
        &mut |j, (p, _)| {
            observer.line(&format!("  {}: {} {}", p.id, p.outcome.name(), p.detail));
            run.point("single", order[j], p.clone());
        },
        &stop,
    );
    let exact = exact_points.len();
    let parity = exact_points.iter().filter(|(_, differs)| *differs).count();
    let exact_secs = exact_started.elapsed().as_secs_f64();
    let mut pool = pool.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut rig = pool.swap_remove(0);
    drop(pool);
    let by = by.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut killed = 0;
    for k in (0..plans.kills).take_while(|_| go()) {
        // Spread the kills over the uncut update (first offer to the new app's hello).
        let delay = Duration::from_secs_f64(
            rig.update_secs * f64::from(k + 1) / f64::from(plans.kills + 1),
        );
        let id = format!("kill{}ms", delay.as_millis());
        let mut p = rig.run_plan(&id, &[], Some(delay));
        p.phase = Phase::Download;
        observer.line(&format!("  {id}: {} {}", p.outcome.name(), p.detail));
        run.point("sigkill", k as usize, p);
        killed += 1;
    }
    // Scenarios without cuts: polite deployment both ways, the crash, the
    // tampered bundles; each an `ok` or the failure it met.
    for (i, app_restarts) in [true, false].into_iter().enumerate() {
        if go() {
            let p = polite_point(&mut rig, observer, app_restarts);
            run.point("app", i, p);
        }
    }
    if go() {
        let p = crash_point(&mut rig, observer);
        run.point("app", 2, p);
    }
    for (i, class) in TamperClass::ALL.into_iter().enumerate() {
        if go() {
            let p = tamper_point(&mut rig, observer, class);
            run.point("tamper", i, p);
        }
    }
    let points = exact + killed;
    let secs = started.elapsed().as_secs_f64();
    let header = format!(
        "Rig `qemu-an505`: the agent ({} bytes, stamped v1 and v2) updated over the cloud link (UART3) into NVM that is QEMU's file-backed PSRAM. \
         Uncut update: {} in {uncut_secs:.1} s, run in full with three clean boots; its converged NVM {} the sim golden run's final flash. \
         {exact} exact cuts (at the sim's operation numbers: request in NVM, counted down by the image's flash driver), each started from the golden run's NVM at its first cut, \
         on {jobs} QEMU instance(s) in {exact_secs:.1} s ({:.2} exact cuts per second); {} joined the golden run, the boot-install or the offer reference (the recovery stopped after the step it redid, its NVM the reference's there byte for byte, the reference run by QEMU itself); convergence shown by the uncut run's NVM for {}, by one clean boot changing nothing for {}, by three clean boots for {}. \
         {killed} SIGKILLs from the factory NVM; {parity} outcome(s) differ from the sim's for the same plan. {points} points in {secs:.0} s: {:.2} cut points per second.",
        rig.old_rom.len(),
        uncut_outcome.name(),
        match sim_final_equal {
            Some(true) => "equals",
            Some(false) => "differs from",
            None => "(none: the uncut run failed) cannot be compared with",
        },
        exact as f64 / exact_secs,
        by.joined,
        by.reference,
        by.fixed_point,
        by.full,
        points as f64 / secs
    );
    let extra = serde_json::json!({
        "rig": "qemu-an505",
        "calibration_ops": calibration.ops,
        "seconds": secs,
        "parity_differences": parity,
        "cut_points_per_second": points as f64 / secs,
        "exact_cuts_per_second": exact as f64 / exact_secs,
        "jobs": jobs,
        "uncut_nvm_equals_sim_final": sim_final_equal,
        "converged": {
            "reference": by.reference,
            "fixed_point": by.fixed_point,
            "three_boots": by.full,
        },
        "joined": by.joined,
    });
    run.finish(header, extra, stop.load(Ordering::Relaxed))
}
