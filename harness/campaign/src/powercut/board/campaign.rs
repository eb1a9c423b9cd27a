//! The board campaign end to end: the golden run, the wall-clock cuts spread over it (and exact ones through a probe), each point streamed into the usual reports; and the replay of one point by its id.

use std::sync::atomic::Ordering;
use std::time::Instant;

use hil_rig::board::BoardConfig;
use hil_rig::RigConfig;

use super::lives::LifeCut;
use super::probe_cut::{check_exact, no_probe};
use super::timeline::{Stage, StageCut, Timeline};
use super::BoardOta;
use crate::powercut::command::Replayed;
use crate::powercut::plan::{chosen_plans, plan_id, CampaignPlan, Cut, Phase, PlanError};
use crate::powercut::replay::{check_first_cut, Replay, UNCUT};
use crate::powercut::stream::{PowercutRun, PowercutSummary};
use crate::{CampaignError, Observer, Setup};

/// Which points the board campaign runs besides the golden run.
#[derive(Clone, Copy, Debug)]
pub struct BoardPlans {
    /// Wall-clock cuts spread evenly over the golden run's update time (a
    /// stage none of them lands in gets one more a quarter into it).
    pub kills: u32,
    /// Exact cuts at the sim's chosen operations (before each), through the probe.
    pub exact: bool,
    /// Run every Nth exact plan.
    pub stride: usize,
}

/// A board rig the campaign can use: one that can be flashed (every point
/// starts from the factory image), and with a probe when exact cuts are asked.
fn check_rig(rig: &RigConfig, config: &BoardConfig, exact: bool) -> Result<(), CampaignError> {
    if exact && config.probe.is_none() {
        return Err(no_probe(&rig.file).into());
    }
    if config.flash.is_none() {
        return Err(PlanError(format!(
            "{}: board.flash: every power-cut point starts from the factory image, and the rig names no way to write it; add `flash: {{ command: [...] }}`",
            rig.file.display()
        ))
        .into());
    }
    Ok(())
}

/// Runs the campaign on a board: the uncut golden run (its update time and
/// stages), then the exact cuts (with `plans.exact`) and the wall-clock
/// cuts, every one by the rig's power backend, each point streamed into
/// the report as it finishes.
pub fn run_board(
    rig: &RigConfig,
    config: &BoardConfig,
    plans: BoardPlans,
    setup: Setup,
    observer: &dyn Observer,
) -> Result<PowercutSummary, CampaignError> {
    check_rig(rig, config, plans.exact)?;
    let started_at = crate::now();
    let started = Instant::now();
    let stop = setup.stop.clone();
    let mut ota = BoardOta::open(&rig.name, rig.file.clone(), config)?;
    let calibration = ota.sim_scenario()?.calibrate()?;
    let exact: Vec<Vec<Cut>> = if plans.exact {
        chosen_plans(&calibration)
            .into_iter()
            .filter(|p| check_exact(p).is_ok() && p.len() == 1)
            .step_by(plans.stride.max(1))
            .collect()
    } else {
        Vec::new()
    };
    observer.line(&format!(
        "{}: golden update first (power by {}), then {} exact and about {} wall-clock cut(s)",
        rig.name,
        config.power.kind(),
        exact.len(),
        plans.kills
    ));
    let golden_started = Instant::now();
    let (golden, timeline) = ota.run_point(UNCUT, &[]);
    let golden_secs = golden_started.elapsed().as_secs_f64();
    observer.line(&format!(
        "  uncut: {} in {golden_secs:.1} s {}",
        golden.outcome.name(),
        golden.detail
    ));
    let delays = timeline.cut_points(plans.kills);
    let mut plan = CampaignPlan::default();
    plan.section("uncut", [String::from("update")]);
    plan.cuts("exact", &exact, &calibration);
    plan.section(
        "wallclock",
        delays.iter().map(|d| planned(*d).name().to_owned()),
    );
    let mut run = PowercutRun::start(
        setup,
        &rig.name,
        started_at,
        plan,
        &calibration.phases,
        &format!("cargo hil ota powercut --rig {} --replay", rig.name),
    )?;
    run.point("uncut", 0, golden.clone());
    let points_started = Instant::now();
    let mut ran = 0usize;
    let go = || !stop.load(Ordering::Relaxed);
    for (i, cut) in exact.iter().enumerate().take_while(|_| go()) {
        let (mut p, _) = ota.run_point(&plan_id(cut), &[LifeCut::Exact(cut[0])]);
        p.phase = calibration.phase(cut[0].op);
        observer.line(&format!("  {}: {} {}", p.id, p.outcome.name(), p.detail));
        run.point("exact", i, p);
        ran += 1;
    }
    let mut phases_cut = Vec::new();
    for (i, &cut) in delays.iter().enumerate().take_while(|_| go()) {
        let (mut p, _) = ota.run_point(&cut.id(), &[LifeCut::Wall(cut)]);
        if p.cuts_fired > 0 {
            phases_cut.push(p.phase.name());
        } else {
            // Where it was planned (the report groups it there).
            p.phase = planned(cut);
        }
        observer.line(&format!(
            "  {}: {} (cut in {}{}) {}",
            p.id,
            p.outcome.name(),
            p.phase.name(),
            if p.cuts_fired > 0 {
                ""
            } else {
                " as planned; none fired"
            },
            p.detail
        ));
        run.point("wallclock", i, p);
        ran += 1;
    }
    phases_cut.sort_unstable();
    phases_cut.dedup();
    let points_secs = points_started.elapsed().as_secs_f64();
    let per_point = if ran > 0 {
        points_secs / ran as f64
    } else {
        0.0
    };
    let secs = started.elapsed().as_secs_f64();
    let update = timeline.update_time().map(|d| d.as_secs_f64());
    let header = format!(
        "Rig `{}` (a board; power by its `{}` backend): the agent ({} bytes, stamped v1 and v2) updated over the board's cloud link; every check over its links (announced version and wake reason, the agent's SHA-256 of the app region, mvGetWakeReason, the resume chunk, three clean power cycles with COLDBOOT). \
         Golden update: {} — offer to the new app's hello {}; stages from the offer: {}. \
         {} exact cut(s) through the probe, {} wall-clock cut(s) by the power backend, landing in {}. {ran} point(s) in {points_secs:.1} s: {per_point:.1} s per point; {secs:.0} s in all.",
        rig.name,
        config.power.kind(),
        ota.app_bytes(),
        golden.outcome.name(),
        update.map_or("not measured (the golden run failed)".into(), |s| format!("{s:.2} s")),
        describe(&timeline),
        exact.len(),
        delays.len(),
        if phases_cut.is_empty() { "no phase".to_owned() } else { phases_cut.join(", ") },
    );
    let extra = serde_json::json!({
        "rig": rig.name,
        "kind": "board",
        "power": config.power.kind(),
        "update_seconds": update,
        "golden_seconds": golden_secs,
        "stages_ms": timeline.marks.iter().map(|(s, t)| serde_json::json!([format!("{s:?}").to_lowercase(), t.as_millis() as u64])).collect::<Vec<_>>(),
        "seconds_per_point": per_point,
        "seconds": secs,
        "power_ons": ota.power_ons,
        "phases_cut": phases_cut,
    });
    run.finish(header, extra, stop.load(Ordering::Relaxed))
}

/// The phase a cut is planned in.
fn planned(cut: StageCut) -> Phase {
    cut.stage.phase().unwrap_or(Phase::Download)
}

/// `offer 0 ms, download 40 ms, ...`.
fn describe(timeline: &Timeline) -> String {
    if timeline.marks.is_empty() {
        return "none".into();
    }
    timeline
        .marks
        .iter()
        .map(|(s, t)| format!("{} {} ms", format!("{s:?}").to_lowercase(), t.as_millis()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Replays one point of the board campaign by its id: `kill<MS>ms@STAGE`
/// (or `kill<MS>ms`, from the first offer, as campaigns before the
/// per-stage timing named them), `uncut`, or with a probe an exact plan
/// (`op<N>`).
pub fn replay_board(
    rig: &RigConfig,
    config: &BoardConfig,
    id: &str,
) -> Result<Replayed, CampaignError> {
    let replay = Replay::parse(id)?;
    let cuts = match &replay {
        Replay::Kill(after) => vec![LifeCut::Wall(StageCut {
            stage: Stage::Offer,
            after: *after,
        })],
        Replay::KillInStage { phase, after } => {
            let cut = StageCut::of(*phase, *after).ok_or_else(|| {
                PlanError(format!("`{id}`: the board's update has no stage `{}`", phase.name()))
            })?;
            vec![LifeCut::Wall(cut)]
        }
        Replay::Uncut => Vec::new(),
        Replay::Plan(plan) => {
            check_exact(plan)?;
            check_rig(rig, config, true)?;
            plan.iter().map(|&c| LifeCut::Exact(c)).collect()
        }
        Replay::Tamper(_) | Replay::Polite { .. } | Replay::Crash => {
            return Err(PlanError(format!(
                "`{id}` is not a point of the board campaign: a board replays kill<MS>ms@STAGE, kill<MS>ms, `{UNCUT}`, and with a probe op<N>"
            ))
            .into())
        }
    };
    check_rig(rig, config, false)?;
    let mut ota = BoardOta::open(&rig.name, rig.file.clone(), config)?;
    let calibration = ota.sim_scenario()?.calibrate()?;
    if let Replay::Plan(plan) = &replay {
        check_first_cut(plan, &calibration)?;
    }
    let (mut point, _) = ota.run_point(id, &cuts);
    if let Replay::Plan(plan) = &replay {
        point.phase = calibration.phase(plan[0].op);
    }
    let cuts = if cuts.is_empty() {
        String::new()
    } else {
        format!(
            "{} of {} cut(s) fired by the power backend, {} power-on(s)",
            point.cuts_fired,
            cuts.len(),
            ota.power_ons
        )
    };
    Ok(Replayed { point, cuts })
}
