//! The campaigns end to end: run the points on a rig, write the report folder, return what happened.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hil_bundle::tamper::TamperClass;
use hil_rig::qemu::QemuConfig;

use super::plan::{chosen_plans, parse_plan, plan_id, Outcome, Phase, PointResult};
use super::qemu::QemuOta;
use super::report::Section;
use super::scenario::Scenario;
use super::sink::{write_report, PowercutSummary, ReportInfo};
use super::sweep::{self, CampaignConfig, CampaignResult};
use crate::{CampaignError, Observer, Setup};

/// Replays one plan on the sim.
pub fn replay_sim(app_size: usize, id: &str) -> Result<PointResult, CampaignError> {
    let plan = parse_plan(id)?;
    let scenario = Scenario::synthetic(app_size)?;
    let calibration = scenario.calibrate()?;
    Ok(scenario.run_plan(&plan, Some(&calibration)))
}

/// Replays one plan on QEMU.
pub fn replay_qemu(config: QemuConfig, id: &str) -> Result<PointResult, CampaignError> {
    let plan = parse_plan(id)?;
    let mut rig = QemuOta::new(config)?;
    Ok(rig.run_plan(id, &plan, None))
}

/// Runs the sim campaign and writes the report.
pub fn run_sim(
    cfg: &CampaignConfig,
    setup: Setup,
    observer: &dyn Observer,
) -> Result<PowercutSummary, CampaignError> {
    let result = sweep::run(
        cfg,
        &|what, done, total| observer.progress(what, done, total),
        &setup.stop,
    )?;
    let rate = result.cut_points() as f64 / (result.elapsed.as_secs_f64() * result.threads as f64);
    let header = format!(
        "Rig `sim`: a {} KiB app replacing a {} KiB one. Calibration: {} flash operations in the uncut download + install. \
         {} cut points ({} single: every operation before and inside; {} nested at depth 2; {} random multi-cut) in {:.1} s on {} thread(s): \
         {:.0} verified cut points per second per core.",
        result.app_size / 1024,
        (result.app_size + 4 * mv_update::CHUNK_SIZE as usize + 100) / 1024,
        result.calibration.ops,
        result.cut_points(),
        result.single.len(),
        result.nested.len(),
        result.random.len(),
        result.elapsed.as_secs_f64(),
        result.threads,
        rate
    );
    let sections = sections(&result);
    write_report(
        setup,
        ReportInfo {
            rig: "sim",
            header,
            phases: &result.calibration.phases,
            extra: serde_json::json!({
                "rig": "sim",
                "app_size": result.app_size,
                "calibration_ops": result.calibration.ops,
                "seconds": result.elapsed.as_secs_f64(),
                "threads": result.threads,
                "cut_points_per_second_per_core": rate,
                "interrupted": result.interrupted,
            }),
            replay_hint: "cargo hil ota powercut --replay",
            interrupted: result.interrupted,
        },
        &sections,
    )
}

fn sections(result: &CampaignResult) -> Vec<Section<'_>> {
    vec![
        Section {
            kind: "single",
            points: &result.single,
        },
        Section {
            kind: "nested",
            points: &result.nested,
        },
        Section {
            kind: "random",
            points: &result.random,
        },
        Section {
            kind: "tamper",
            points: &result.tamper,
        },
    ]
}

/// A scenario's result as a point (told as it lands).
fn scenario_point(
    observer: &dyn Observer,
    id: &str,
    phase: Phase,
    run: Result<String, CampaignError>,
    failed: Outcome,
) -> PointResult {
    let (outcome, detail) = match run {
        Ok(log) => (Outcome::Ok, log),
        Err(e) => (failed, e.to_string()),
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
    }
}

/// Which plans the QEMU campaign runs besides the scenarios.
#[derive(Clone, Copy, Debug)]
pub struct QemuPlans {
    /// Wall-clock SIGKILL cuts to add to the exact ones.
    pub kills: u32,
    /// Run every Nth exact plan (the nested ones always).
    pub stride: usize,
}

/// Runs the QEMU campaign: exact cuts (also run on the sim for parity),
/// SIGKILLs, polite deployment, app crashes and the tampered bundles.
pub fn run_qemu(
    config: QemuConfig,
    plans: QemuPlans,
    setup: Setup,
    observer: &dyn Observer,
) -> Result<PowercutSummary, CampaignError> {
    let started = Instant::now();
    let mut rig = QemuOta::new(config)?;
    let scenario = rig.sim_scenario()?;
    let calibration = scenario.calibrate()?;
    let chosen: Vec<_> = chosen_plans(&calibration)
        .into_iter()
        .enumerate()
        .filter(|(i, p)| p.len() > 1 || i % plans.stride.max(1) == 0)
        .map(|(_, p)| p)
        .collect();
    observer.line(&format!(
        "qemu-an505: {} flash operations in the update (sim calibration of the same ROMs); {} exact cut plan(s), {} SIGKILL(s)",
        calibration.ops,
        chosen.len(),
        plans.kills
    ));
    let uncut_started = Instant::now();
    let uncut = rig.run_plan("uncut", &[], None);
    let uncut_secs = uncut_started.elapsed().as_secs_f64();
    observer.line(&format!(
        "  uncut update: {} in {uncut_secs:.1} s",
        uncut.outcome.name()
    ));
    let mut exact = Vec::new();
    let mut parity = 0;
    let go = || !setup.stop.load(Ordering::Relaxed);
    for plan in chosen.iter().take_while(|_| go()) {
        let id = plan_id(plan);
        let mut p = rig.run_plan(&id, plan, None);
        p.phase = calibration
            .phases
            .get(plan[0].op as usize)
            .copied()
            .unwrap_or(Phase::Commit);
        let sim = scenario.run_plan(plan, Some(&calibration));
        if sim.outcome != p.outcome {
            parity += 1;
            p.detail = format!(
                "{} (the sim says {} for the same plan)",
                p.detail,
                sim.outcome.name()
            );
            if p.outcome == Outcome::Ok {
                p.outcome = Outcome::NotConverged;
            }
        }
        observer.line(&format!("  {id}: {} {}", p.outcome.name(), p.detail));
        exact.push(p);
    }
    let mut killed = Vec::new();
    for k in (0..plans.kills).take_while(|_| go()) {
        // Spread the kills over the uncut update (first offer to the new app's hello).
        let delay = Duration::from_secs_f64(
            rig.update_secs * f64::from(k + 1) / f64::from(plans.kills + 1),
        );
        let id = format!("kill{}ms", delay.as_millis());
        let mut p = rig.run_plan(&id, &[], Some(delay));
        p.phase = Phase::Download;
        observer.line(&format!("  {id}: {} {}", p.outcome.name(), p.detail));
        killed.push(p);
    }
    // Scenarios without cuts: polite deployment both ways, the tampered
    // bundles, crashes; each an `ok` or the failure it met.
    let mut app = Vec::new();
    for app_restarts in [true, false] {
        let id = if app_restarts {
            "polite-app-restarts"
        } else {
            "polite-timeout"
        };
        let run = rig.run_polite(app_restarts).map(|log| log.join("; "));
        app.push(scenario_point(
            observer,
            id,
            Phase::Verify,
            run,
            Outcome::NotUpdated,
        ));
    }
    let run = rig.run_crash().map(|log| log.join("; "));
    app.push(scenario_point(
        observer,
        "app-crash-restart",
        Phase::Verify,
        run,
        Outcome::NoBoot,
    ));
    let tamper: Vec<PointResult> = TamperClass::ALL
        .into_iter()
        .map(|class| {
            let run = rig.run_tamper(class);
            scenario_point(
                observer,
                class.name(),
                Phase::Offer,
                run,
                Outcome::TamperAccepted,
            )
        })
        .collect();
    let points = exact.len() + killed.len();
    let secs = started.elapsed().as_secs_f64();
    let header = format!(
        "Rig `qemu-an505`: the agent ({} bytes, stamped v1 and v2) updated over the cloud link (UART3) into NVM that is QEMU's file-backed PSRAM. \
         Uncut update: {} in {uncut_secs:.1} s. {} exact cuts (at the sim's operation numbers: request in NVM, counted down by the image's flash driver) and {} SIGKILLs; \
         {} outcome(s) differ from the sim's for the same plan. {points} points in {secs:.0} s: {:.2} cut points per second.",
        rig.old_rom.len(),
        uncut.outcome.name(),
        exact.len(),
        killed.len(),
        parity,
        points as f64 / secs
    );
    let uncut_slice = [uncut];
    let sections = vec![
        Section {
            kind: "uncut",
            points: &uncut_slice,
        },
        Section {
            kind: "single",
            points: &exact,
        },
        Section {
            kind: "sigkill",
            points: &killed,
        },
        Section {
            kind: "app",
            points: &app,
        },
        Section {
            kind: "tamper",
            points: &tamper,
        },
    ];
    let interrupted = setup.stop.load(Ordering::Relaxed);
    write_report(
        setup,
        ReportInfo {
            rig: "qemu-an505",
            header,
            phases: &calibration.phases,
            extra: serde_json::json!({
                "rig": "qemu-an505",
                "calibration_ops": calibration.ops,
                "seconds": secs,
                "parity_differences": parity,
                "cut_points_per_second": points as f64 / secs,
                "interrupted": interrupted,
            }),
            replay_hint: "cargo hil ota powercut --rig qemu-an505 --replay",
            interrupted,
        },
        &sections,
    )
}
