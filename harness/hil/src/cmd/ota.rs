//! `hil ota powercut`: the power-cut campaign on the sim, on QEMU or on a board, or the replay of one point.

use std::path::PathBuf;

use anyhow::Result;
use hil_campaign::powercut::{
    self, BoardPlans, CampaignConfig, Outcome, PointResult, PowercutSummary, QemuPlans, Replayed,
};
use hil_campaign::Setup;
use hil_report::{ExitCode, FanOut};
use hil_rig::RigKind;

use super::repo::{command_line, find_root, pick_rigs, reports_dir};
use crate::failure::BadInput;
use crate::interrupt;
use crate::progress::Terminal;

/// The options of `hil ota powercut` (see `hil ota powercut --help`).
#[derive(clap::Args)]
pub struct Powercut {
    /// `sim` (exhaustive), `qemu-an505` (exact cuts and SIGKILL on
    /// persisted NVM) or a board rig (cuts by its power backend).
    #[arg(long, default_value = "sim")]
    pub rig: String,
    /// Bytes of the new app (the old one is 32 KiB larger).
    #[arg(long, default_value_t = 128 * 1024)]
    pub app_size: usize,
    /// Nested (depth-2) cuts for every Nth single cut; 0 for none.
    #[arg(long, default_value_t = 16)]
    pub nested_stride: u64,
    /// Random multi-cut plans (2-5 cuts each).
    #[arg(long, default_value_t = 2000)]
    pub random: u32,
    /// Seed of the random plans.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Worker threads; on qemu-an505, QEMU instances running the exact
    /// cuts side by side (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// sim: run every point from the factory image to its end instead of
    /// starting at the golden run's flash and joining it (same results,
    /// slower; each point's report says how it was verified).
    #[arg(long)]
    pub full_replay: bool,
    /// Replay one point by its id (e.g. `op1234i+op5`) and print what happened.
    #[arg(long, value_name = "ID")]
    pub replay: Option<String>,
    /// qemu-an505: wall-clock SIGKILL cuts to add to the exact ones; a
    /// board: wall-clock cuts by its power backend, spread over the
    /// golden update (a stage none lands in gets one more).
    #[arg(long, default_value_t = 3)]
    pub kills: u32,
    /// qemu-an505: run every Nth exact plan (nested plans always run);
    /// a board: every Nth exact cut with `--exact`.
    #[arg(long, default_value_t = 1)]
    pub stride: usize,
    /// A board rig with a probe: also cut at exact flash operations
    /// (the core held on a breakpoint in the flash driver while the
    /// power backend cuts).
    #[arg(long)]
    pub exact: bool,
    /// Where the report folder goes.
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
}

pub fn powercut(root: Option<PathBuf>, o: Powercut) -> Result<ExitCode> {
    let root = find_root(root)?;
    let rig = pick_rigs(&root, &[o.rig])?.remove(0);
    let setup = || Setup {
        reports: reports_dir(&root, &o.reports),
        command: command_line(),
        sinks: FanOut::new(),
        stop: interrupt::flag(Some(interrupt::CAMPAIGN_NOTICE)),
    };
    if let RigKind::Board(board) = &rig.kind {
        if let Some(id) = o.replay {
            let replayed = powercut::replay_board(&rig, board, &id)?;
            print_replay(&replayed);
            return Ok(verdict(&replayed.point));
        }
        let plans = BoardPlans {
            kills: o.kills,
            exact: o.exact,
            stride: o.stride,
        };
        let summary = powercut::run_board(&rig, board, plans, setup(), &Terminal::lines())?;
        print(&summary);
        return Ok(summary.exit_code);
    }
    if o.exact {
        return Err(BadInput::one(format!(
            "--exact is for a board rig with a probe; `{}` is not a board (qemu-an505 always cuts at exact operations)",
            rig.name
        ))
        .into());
    }
    if let RigKind::Qemu(qemu) = &rig.kind {
        if let Some(id) = o.replay {
            let replayed = powercut::replay_qemu(qemu.clone(), &id)?;
            print_replay(&replayed);
            return Ok(verdict(&replayed.point));
        }
        let plans = QemuPlans {
            kills: o.kills,
            stride: o.stride,
            // `--threads`: QEMU instances side by side, one per core by default.
            jobs: o
                .threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        };
        let summary = powercut::run_qemu(qemu.clone(), plans, setup(), &Terminal::lines())?;
        print(&summary);
        return Ok(summary.exit_code);
    }
    if let Some(id) = o.replay {
        let replayed = powercut::replay_sim(o.app_size, &id)?;
        print_replay(&replayed);
        return Ok(verdict(&replayed.point));
    }
    let cfg = CampaignConfig {
        app_size: o.app_size,
        nested_stride: o.nested_stride,
        random: o.random,
        seed: o.seed,
        threads: o
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        full_replay: o.full_replay,
    };
    let terminal = Terminal::with_bar();
    let summary = powercut::run_sim(&cfg, setup(), &terminal);
    terminal.finish();
    let summary = summary?;
    print(&summary);
    Ok(summary.exit_code)
}

/// `op12i: ok (first cut in phase download, 1 cut(s) fired, flash operations per life [..])`.
fn print_replay(r: &Replayed) {
    let p = &r.point;
    let mut facts = vec![format!("phase {}", p.phase.name())];
    if !r.cuts.is_empty() {
        facts.push(r.cuts.clone());
    }
    if !p.life_ops.is_empty() {
        facts.push(format!("flash operations per life {:?}", p.life_ops));
    }
    println!(
        "{}: {} ({}){}",
        p.id,
        p.outcome.name(),
        facts.join(", "),
        if p.detail.is_empty() {
            String::new()
        } else {
            format!("\n  {}", p.detail)
        }
    );
}

/// A replayed point passes or fails like a case.
fn verdict(p: &PointResult) -> ExitCode {
    if p.outcome == Outcome::Ok {
        ExitCode::Passed
    } else {
        ExitCode::CaseFailed
    }
}

fn print(summary: &PowercutSummary) {
    println!("{}", summary.header);
    println!(
        "{}: {} of {} planned points, {} failure(s){}",
        summary.rig,
        summary.points.len(),
        summary.planned,
        summary.failures,
        if summary.interrupted {
            " (interrupted)"
        } else {
            ""
        }
    );
    println!("report: {}", summary.report.display());
}
