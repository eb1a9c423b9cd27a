//! `hil fuzz`: the kernel boundary fuzzer on the sim (parallel streams) or on QEMU's real secure image.

use std::path::PathBuf;

use anyhow::Result;
use hil_campaign::fuzz::{self, FuzzConfig};
use hil_campaign::Setup;
use hil_report::{ExitCode, FanOut};
use hil_rig::RigKind;

use super::repo::{command_line, find_root, pick_rigs, reports_dir};
use crate::interrupt;
use crate::progress::Terminal;

/// The options of `hil fuzz` (see `hil fuzz --help`).
#[derive(clap::Args)]
pub struct Fuzz {
    /// `sim` (parallel streams) or `qemu-an505` (the real secure image).
    #[arg(long, default_value = "sim")]
    pub rig: String,
    /// Calls in all (default: 10,000,000 on the sim, 100,000 on QEMU).
    #[arg(long)]
    pub calls: Option<u64>,
    /// Seed of stream 0 (decimal or 0x hex); stream k uses seed + k·0x9e3779b97f4a7c15.
    #[arg(long, default_value = "1", value_parser = parse_seed)]
    pub seed: u64,
    /// Parallel streams on the sim (default: every core); QEMU runs one.
    #[arg(long)]
    pub streams: Option<usize>,
    /// Calls per request to the agent (default: 50,000 on the sim, 2,000 on QEMU).
    #[arg(long)]
    pub batch: Option<u32>,
    #[arg(long, default_value = "reports")]
    pub reports: PathBuf,
}

/// Calls when `--calls` is not given: the sim's 10 million take seconds per
/// core; QEMU runs each call on the emulated core.
const SIM_CALLS: u64 = 10_000_000;
const QEMU_CALLS: u64 = 100_000;
/// Calls per request: the sim's batches only cost a round trip in memory; a
/// QEMU batch must finish within the rig's `exec_timeout_ms`.
const SIM_BATCH: u32 = 50_000;
const QEMU_BATCH: u32 = 2_000;

pub fn fuzz(root: Option<PathBuf>, o: Fuzz) -> Result<ExitCode> {
    let root = find_root(root)?;
    let rig = pick_rigs(&root, &[o.rig])?.remove(0);
    let qemu = matches!(rig.kind, RigKind::Qemu(_));
    let cfg = FuzzConfig {
        calls: o.calls.unwrap_or(if qemu { QEMU_CALLS } else { SIM_CALLS }),
        seed: o.seed,
        streams: o
            .streams
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        batch: o.batch.unwrap_or(if qemu { QEMU_BATCH } else { SIM_BATCH }),
    };
    let setup = Setup {
        reports: reports_dir(&root, &o.reports),
        command: command_line(),
        sinks: FanOut::new(),
        stop: interrupt::flag(Some(interrupt::CAMPAIGN_NOTICE)),
    };
    let terminal = Terminal::with_bar_of("calls");
    let summary = fuzz::run(&rig, &cfg, setup, &terminal);
    terminal.finish();
    let summary = summary?;
    println!(
        "{}: {} calls in {:.1} s ({:.0} calls/s) over {} stream(s), {} finding(s){}",
        summary.rig,
        summary.calls,
        summary.seconds,
        summary.calls_per_second(),
        summary.streams.len(),
        summary.findings,
        if summary.interrupted {
            " (interrupted)"
        } else {
            ""
        }
    );
    for s in &summary.streams {
        if let Some(why) = &s.ended {
            println!(
                "stream {} (seed {:#x}) ended early: {why}",
                s.stream, s.seed
            );
        }
    }
    println!("report: {}", summary.report.display());
    Ok(summary.exit_code)
}

/// A seed as decimal or `0x` hex (the report prints hex).
pub fn parse_seed(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => text.replace('_', "").parse(),
    };
    parsed.map_err(|e| format!("`{text}` is not a seed (decimal or 0x hex): {e}"))
}
