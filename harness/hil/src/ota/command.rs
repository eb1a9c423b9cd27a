//! `hil ota powercut`: run a campaign, write the report folder, return the exit code.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::{Context, Result};
use hil_report::{CaseResult, Outcome as CaseOutcome, SpecCitation};

use super::campaign::{self, CampaignConfig, CampaignResult, Outcome, PointResult};
use super::report::{self, Section};
use crate::campaign_run::CampaignRun;
use crate::ExitCode;

const SPEC_QUOTE: &str = "A power cut at any instant must leave a device that boots, runs either the old app or the verified new one (never a mix), keeps the kernel reachable, and converges after further clean boots.";
const SPEC_SOURCE: &str = "design.md, OTA the way Microvisor does it; anchors-powercut.md §6";

/// Replays one plan on the sim and prints what each life did.
pub fn replay_sim(app_size: usize, id: &str) -> Result<i32> {
    let plan = campaign::parse_plan(id)?;
    let scenario = campaign::Scenario::synthetic(app_size)?;
    let calibration = scenario.calibrate()?;
    let p = scenario.run_plan(&plan, Some(&calibration));
    println!(
        "{}: {} (first cut in phase {}, {} cut(s) fired, flash operations per life {:?}){}",
        p.id,
        p.outcome.name(),
        p.phase.name(),
        p.cuts_fired,
        p.life_ops,
        if p.detail.is_empty() {
            String::new()
        } else {
            format!("\n  {}", p.detail)
        }
    );
    Ok(if p.outcome == Outcome::Ok {
        0
    } else {
        ExitCode::CaseFailed as i32
    })
}

/// Runs the sim campaign and writes the report.
pub fn powercut_sim(cfg: &CampaignConfig, reports: &Path) -> Result<i32> {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len} cut points")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let stop = crate::campaign_run::ctrl_c_flag();
    let result = campaign::run(
        cfg,
        &|what, done, total| {
            bar.set_message(what.to_owned());
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
        &stop,
    )?;
    bar.finish_and_clear();
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
    println!("{header}");
    write_report(
        reports,
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

/// What a campaign's report says besides its points.
pub struct ReportInfo<'a> {
    pub rig: &'a str,
    /// The paragraph at the top of `powercut.md` (and printed).
    pub header: String,
    /// Phase of every operation of the uncut update (the plot's time line).
    pub phases: &'a [campaign::Phase],
    /// Campaign facts for `powercut.json`.
    pub extra: serde_json::Value,
    /// The command that replays an id.
    pub replay_hint: &'a str,
    /// Ctrl-C stopped the campaign: the report holds what finished.
    pub interrupted: bool,
}

/// Writes results.json/junit.xml/summary.md (one case per group) and
/// powercut.md/.svg/.json; prints the tally; returns the exit code.
pub fn write_report(reports: &Path, info: ReportInfo<'_>, sections: &[Section<'_>]) -> Result<i32> {
    let ReportInfo {
        rig,
        header,
        phases,
        extra,
        replay_hint,
        interrupted,
    } = info;
    let header = if interrupted {
        format!("**Interrupted** (Ctrl-C): the points that finished. {header}")
    } else {
        header
    };
    let groups = groups(rig, sections);
    let mut run = CampaignRun::start(reports, vec![rig.to_owned()], groups.len(), false)?;
    for g in &groups {
        run.started(rig, &g.case_id);
        run.finished(g.clone());
    }
    let dir = run.path().to_owned();
    std::fs::write(
        dir.join("powercut.md"),
        report::markdown(
            &format!("OTA power-cut campaign ({rig})"),
            &header,
            sections,
            replay_hint,
        ),
    )
    .context("cannot write powercut.md")?;
    std::fs::write(dir.join("powercut.svg"), report::svg(phases, sections))
        .context("cannot write powercut.svg")?;
    std::fs::write(
        dir.join("powercut.json"),
        serde_json::to_string(&report::json(sections, extra))?,
    )
    .context("cannot write powercut.json")?;
    let code = run.finish(&groups, interrupted);
    let failures: usize = sections
        .iter()
        .map(|s| s.points.iter().filter(|p| p.outcome != Outcome::Ok).count())
        .sum();
    let points: usize = sections.iter().map(|s| s.points.len()).sum();
    println!("{rig}: {points} points, {failures} failure(s)");
    println!("report: {}", dir.join("powercut.md").display());
    Ok(code as i32)
}

/// One case result per (cuts, phase) group and per tamper class.
fn groups(rig: &str, sections: &[Section<'_>]) -> Vec<CaseResult> {
    let mut out = Vec::new();
    for s in sections {
        let mut by_phase: std::collections::BTreeMap<String, Vec<&PointResult>> =
            Default::default();
        for p in s.points {
            let key = if s.kind == "tamper" {
                p.id.clone()
            } else {
                p.phase.name().to_owned()
            };
            by_phase.entry(key).or_default().push(p);
        }
        for (key, points) in by_phase {
            let failed: Vec<&&PointResult> =
                points.iter().filter(|p| p.outcome != Outcome::Ok).collect();
            let mut transcript = String::new();
            for p in &points {
                transcript.push_str(&format!(
                    "{} {}{}\n",
                    p.id,
                    p.outcome.name(),
                    if p.detail.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", p.detail)
                    }
                ));
            }
            let outcome = if failed.is_empty() {
                CaseOutcome::Passed
            } else {
                CaseOutcome::Failed {
                    step: 0,
                    field: "cut".into(),
                    line: 0,
                    message: format!(
                        "{} of {} point(s) failed; replay ids: {}",
                        failed.len(),
                        points.len(),
                        failed
                            .iter()
                            .take(5)
                            .map(|p| format!("{} ({})", p.id, p.outcome.name()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            };
            let (case_id, title) = if s.kind == "tamper" {
                (
                    format!("ota.tamper.{key}"),
                    format!("tampered bundle ({key}) is refused and the old app keeps running"),
                )
            } else {
                (format!("ota.powercut.{}.{key}", s.kind), format!("{} {} cut(s) during {key}: old or new app, never a mix; converges; resumes", points.len(), s.kind))
            };
            out.push(CaseResult {
                rig: rig.to_owned(),
                case_id,
                title,
                area: "ota".into(),
                file: "harness/hil/src/ota/campaign.rs".into(),
                tags: vec!["ota".into(), "powercut".into()],
                spec: SpecCitation {
                    quote: SPEC_QUOTE.into(),
                    source: SPEC_SOURCE.into(),
                },
                outcome,
                duration_ms: 0.0,
                transcript: if transcript.len() > 200_000 {
                    format!("{} points; see powercut.json\n", points.len())
                } else {
                    transcript
                },
                logs: Vec::new(),
            });
        }
    }
    out
}

/// Exact cut points worth the time QEMU takes: the first and last operation
/// of every phase and the middle of the long ones, before and inside, plus
/// two nested plans (a second cut early in the recovery of an install cut).
pub fn chosen_plans(cal: &campaign::Calibration) -> Vec<Vec<campaign::Cut>> {
    use hil_sim::flash::CutPoint;
    let mut ops: Vec<u64> = Vec::new();
    for phase in campaign::Phase::ALL {
        let at: Vec<u64> = (0..cal.ops)
            .filter(|&op| cal.phases[op as usize] == phase)
            .collect();
        if let (Some(&first), Some(&last)) = (at.first(), at.last()) {
            ops.extend([first, last]);
            if at.len() > 16 {
                ops.push(at[at.len() / 2]);
            }
        }
    }
    ops.sort_unstable();
    ops.dedup();
    let mut plans: Vec<Vec<CutPoint>> = ops
        .iter()
        .flat_map(|&op| [false, true].map(|inside| vec![CutPoint { op, inside }]))
        .collect();
    let install: Vec<u64> = (0..cal.ops)
        .filter(|&op| cal.phases[op as usize] == campaign::Phase::Install)
        .collect();
    if let Some(&mid) = install.get(install.len() / 2) {
        for second in [0, 1] {
            plans.push(vec![
                CutPoint {
                    op: mid,
                    inside: true,
                },
                CutPoint {
                    op: second,
                    inside: true,
                },
            ]);
        }
    }
    plans
}

/// A scenario's result as a point (printed as it lands).
fn scenario_point(
    id: &str,
    phase: campaign::Phase,
    run: Result<String>,
    failed: Outcome,
) -> PointResult {
    let (outcome, detail) = match run {
        Ok(log) => (Outcome::Ok, log),
        Err(e) => (failed, format!("{e:#}")),
    };
    println!("  {id}: {} {detail}", outcome.name());
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

/// Runs the QEMU campaign: exact cuts (also run on the sim for parity) and SIGKILLs.
/// `stride`: run every Nth exact plan (the nested ones always).
pub fn powercut_qemu(
    config: crate::rig::qemu::QemuConfig,
    kills: u32,
    stride: usize,
    reports: &Path,
) -> Result<i32> {
    let started = Instant::now();
    let mut rig = super::qemu::QemuOta::new(config)?;
    let scenario = rig.sim_scenario()?;
    let calibration = scenario.calibrate()?;
    let plans: Vec<_> = chosen_plans(&calibration)
        .into_iter()
        .enumerate()
        .filter(|(i, p)| p.len() > 1 || i % stride.max(1) == 0)
        .map(|(_, p)| p)
        .collect();
    println!(
        "qemu-an505: {} flash operations in the update (sim calibration of the same ROMs); {} exact cut plan(s), {} SIGKILL(s)",
        calibration.ops,
        plans.len(),
        kills
    );
    let uncut_started = Instant::now();
    let uncut = rig.run_plan("uncut", &[], None);
    let uncut_secs = uncut_started.elapsed().as_secs_f64();
    println!(
        "  uncut update: {} in {uncut_secs:.1} s",
        uncut.outcome.name()
    );
    let mut exact = Vec::new();
    let mut parity = 0;
    let stop = crate::campaign_run::ctrl_c_flag();
    let go = || !stop.load(Ordering::Relaxed);
    for plan in plans.iter().take_while(|_| go()) {
        let id = campaign::plan_id(plan);
        let mut p = rig.run_plan(&id, plan, None);
        p.phase = calibration
            .phases
            .get(plan[0].op as usize)
            .copied()
            .unwrap_or(campaign::Phase::Commit);
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
        println!("  {id}: {} {}", p.outcome.name(), p.detail);
        exact.push(p);
    }
    let mut killed = Vec::new();
    for k in (0..kills).take_while(|_| go()) {
        // Spread the kills over the uncut update (first offer to the new app's hello).
        let delay = std::time::Duration::from_secs_f64(
            rig.update_secs * f64::from(k + 1) / f64::from(kills + 1),
        );
        let id = format!("kill{}ms", delay.as_millis());
        let mut p = rig.run_plan(&id, &[], Some(delay));
        p.phase = campaign::Phase::Download;
        println!("  {id}: {} {}", p.outcome.name(), p.detail);
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
            id,
            campaign::Phase::Verify,
            run,
            Outcome::NotUpdated,
        ));
    }
    let run = rig.run_crash().map(|log| log.join("; "));
    app.push(scenario_point(
        "app-crash-restart",
        campaign::Phase::Verify,
        run,
        Outcome::NoBoot,
    ));
    let tamper: Vec<PointResult> = hil_bundle::tamper::TamperClass::ALL
        .into_iter()
        .map(|class| {
            let run = rig.run_tamper(class);
            scenario_point(
                class.name(),
                campaign::Phase::Offer,
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
    println!("{header}");
    let interrupted = stop.load(Ordering::Relaxed);
    write_report(
        reports,
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
