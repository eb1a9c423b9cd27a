//! `hil overrun`: the notification-overrun sweep on the chosen rigs, through the report sinks.

use std::path::{Path, PathBuf};

use anyhow::Result;
use hil_campaign::{overrun, Setup};
use hil_report::{ExitCode, FanOut, Partition};

use super::repo::{command_line, find_root, pick_rigs, reports_dir};
use super::run::print_summary;
use crate::interrupt;
use crate::progress::Progress;

pub fn overrun(
    root: Option<PathBuf>,
    rigs: &[String],
    partition: Option<&Partition>,
    reports: &Path,
) -> Result<ExitCode> {
    let root = find_root(root)?;
    let rigs = pick_rigs(&root, rigs)?;
    let mut sinks = FanOut::new();
    sinks.add(Box::new(Progress::new()));
    let summary = overrun::run(
        &rigs,
        partition,
        Setup {
            reports: reports_dir(&root, reports),
            command: command_line(),
            sinks,
            stop: interrupt::flag(Some(interrupt::CAMPAIGN_NOTICE)),
        },
    )?;
    if summary.rigs.len() > 1 {
        println!(
            "parity: {} point(s) differ between {}",
            summary.parity().len(),
            summary.rigs.join(" and ")
        );
    }
    print_summary(&summary.results, summary.interrupted, &summary.dir);
    println!("overrun table and plot: {}", summary.table().display());
    Ok(summary.exit_code)
}
