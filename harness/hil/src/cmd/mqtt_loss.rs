//! `hil mqtt-loss`: the MQTT message-loss sweep on the chosen rigs, through the report sinks.

use std::path::{Path, PathBuf};

use anyhow::Result;
use hil_campaign::{mqtt_loss, Setup};
use hil_report::{ExitCode, FanOut};

use super::repo::{command_line, find_root, pick_rigs, reports_dir};
use super::run::print_summary;
use crate::interrupt;
use crate::progress::Progress;

pub fn mqtt_loss(
    root: Option<PathBuf>,
    rigs: &[String],
    reports: &Path,
    quick: bool,
) -> Result<ExitCode> {
    let root = find_root(root)?;
    let rigs = pick_rigs(&root, rigs)?;
    let points = if quick {
        mqtt_loss::quick_sweep()
    } else {
        mqtt_loss::default_sweep()
    };
    let mut sinks = FanOut::new();
    sinks.add(Box::new(Progress::new()));
    let summary = mqtt_loss::run(
        &rigs,
        &points,
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
    for (rig, observations) in &summary.observations {
        let t = mqtt_loss::Totals::of(observations);
        println!(
            "{rig}: {} points, {} messages sent, {} received, {} recorded lost, {} unaccounted, {} QoS 1 lost that fit",
            t.points, t.sent, t.received, t.lost, t.unaccounted, t.qos1_lost_fitting
        );
    }
    println!("MQTT loss table and plot: {}", summary.table().display());
    Ok(summary.exit_code)
}
