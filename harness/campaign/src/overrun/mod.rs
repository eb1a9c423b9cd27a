//! `hil overrun`: flood notification rings on every rig and check overrun detection.
//!
//! Every point of the sweep ([`default_sweep`]) runs on a fresh device of
//! each rig; each is one case result (passed when the observation agrees
//! with the truth) and one point event for [`OverrunSink`], which writes the
//! table and the plot. With several rigs, their transcripts are compared.
//! A shard (`--partition`, dealt as the suite's cases are) runs part of the
//! sweep: a lab spreads it over hosts, and a slow rig (QEMU as a board,
//! whose every byte in takes a turn of QEMU's main loop) checks its path on
//! a part of it.

mod report;
mod sink;
mod sweep;

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use hil_report::parity::{compare, Difference};
use hil_report::{CaseResult, ExitCode, Partition};
use hil_rig::{connect, RigConfig};

pub use report::{markdown, svg};
pub use sink::OverrunSink;
pub use sweep::{default_sweep, run_point, Observation, Point, SPEC_QUOTE, SPEC_SOURCE};

use crate::sweep_point::{PointName, SweepCase};
use crate::{CampaignError, CampaignRun, Setup};

/// The campaign's name in point events.
pub const CAMPAIGN: &str = "overrun";

/// How every point reports as a case.
const SWEEP_CASE: SweepCase = SweepCase {
    campaign: CAMPAIGN,
    area: "overrun",
    // Where the sweep and its checks live.
    file: "harness/campaign/src/overrun/sweep.rs",
    tags: &["overrun"],
    quote: SPEC_QUOTE,
    source: SPEC_SOURCE,
};

/// How `hil overrun` went.
pub struct OverrunSummary {
    /// The run's report folder.
    pub dir: PathBuf,
    pub rigs: Vec<String>,
    /// One result per point and rig, in the order they ran.
    pub results: Vec<CaseResult>,
    pub interrupted: bool,
    pub exit_code: ExitCode,
}

impl OverrunSummary {
    /// Points whose transcripts differ between rigs.
    pub fn parity(&self) -> Vec<Difference> {
        compare(&self.results)
    }

    /// The table and plot.
    pub fn table(&self) -> PathBuf {
        self.dir.join("overrun.md")
    }
}

/// The points of `points` in `partition`'s shard (all of them without one).
fn shard(mut points: Vec<Point>, partition: Option<&Partition>) -> Vec<Point> {
    let Some(partition) = partition else {
        return points;
    };
    points.sort_by_key(Point::id);
    points
        .into_iter()
        .enumerate()
        .filter(|(index, point)| partition.deals(*index, &point.id()))
        .map(|(_, point)| point)
        .collect()
}

/// The sweep (or `partition`'s shard of it) on every rig, through the
/// report sinks; stops taking points when `setup.stop` is set.
pub fn run(
    rigs: &[RigConfig],
    partition: Option<&Partition>,
    setup: Setup,
) -> Result<OverrunSummary, CampaignError> {
    let points = shard(default_sweep(), partition);
    let names: Vec<String> = rigs.iter().map(|r| r.name.clone()).collect();
    let mut run = CampaignRun::start(
        &setup.reports,
        &setup.command,
        names.clone(),
        rigs.len() * points.len(),
        setup.sinks,
        |dir| vec![Box::new(OverrunSink::new(dir))],
    )?;
    let stopped = || setup.stop.load(Ordering::SeqCst);
    let mut results = Vec::new();
    let mut interrupted = false;
    // Per rig: points, failing points, overruns no check saw, false alarms.
    let mut figures: Vec<(String, [usize; 4])> = Vec::new();
    'rigs: for rig in rigs {
        let mut session = connect(rig)?;
        figures.push((rig.name.clone(), [0; 4]));
        for &point in &points {
            if stopped() {
                interrupted = true;
                break 'rigs;
            }
            let name = PointName {
                id: point.id(),
                title: point.title(),
                group: format!("b{}", point.slots * 16),
            };
            let (result, observed) =
                SWEEP_CASE.run_point(&mut run, &rig.name, name, session.as_mut(), |s| {
                    run_point(s, point)
                })?;
            if let (Some(obs), Some((_, counts))) = (observed, figures.last_mut()) {
                counts[0] += 1;
                counts[1] += usize::from(!obs.problems().is_empty());
                counts[2] += usize::from(
                    obs.point.lost() > 0 && obs.reported.is_none() && !obs.sequence_gap,
                );
                counts[3] += usize::from(obs.point.lost() == 0 && obs.reported.is_some());
            }
            results.push(result);
        }
    }
    for (rig, [points, failures, undetected, false_alarms]) in figures {
        for (name, value) in [
            ("points", points),
            ("failures", failures),
            ("undetected", undetected),
            ("false_alarms", false_alarms),
        ] {
            run.figure(CAMPAIGN, &rig, name, value as f64);
        }
    }
    let dir = run.path().to_owned();
    let exit_code = run.finish(&results, interrupted)?;
    Ok(OverrunSummary {
        dir,
        rigs: names,
        results,
        interrupted,
        exit_code,
    })
}

#[cfg(test)]
mod tests {
    use super::{default_sweep, shard};
    use hil_report::Partition;

    #[test]
    fn every_point_lands_in_exactly_one_shard() {
        let all = default_sweep();
        assert_eq!(shard(all.clone(), None).len(), all.len());
        for kind in ["hash", "count"] {
            let mut seen: Vec<String> = (1..=8)
                .flat_map(|k| {
                    let p: Partition = format!("{kind}:{k}/8").parse().unwrap();
                    let part = shard(all.clone(), Some(&p));
                    assert!(!part.is_empty() && part.len() < all.len(), "{p}");
                    part.into_iter().map(|point| point.id())
                })
                .collect();
            seen.sort();
            let mut ids: Vec<String> = all.iter().map(|p| p.id()).collect();
            ids.sort();
            assert_eq!(seen, ids, "{kind}");
        }
    }
}
