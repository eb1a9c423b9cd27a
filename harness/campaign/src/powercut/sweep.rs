//! The sim's power-cut sweep: every operation before and inside, nested and random plans, the tampered bundles, in parallel, streamed.
//!
//! The plan is complete before the report opens: the nested plans depend on
//! the recovery length of every `nested_stride`-th single cut, so those
//! single cuts run first (they are reported with the others), then the
//! report opens with every section's size and each point goes to it as it
//! finishes.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use hil_bundle::tamper::TamperClass;

use super::golden::Golden;
use super::plan::{
    nested_plans, random_plans, single_plans, CampaignPlan, Cut, PointResult, Verified,
};
use super::scenario::Scenario;
use super::stream::{PowercutRun, PowercutSummary};
use crate::{CampaignError, Observer, Setup};

/// Campaign size.
#[derive(Clone, Debug)]
pub struct CampaignConfig {
    /// Bytes of the new app (the old one is 32 KiB larger).
    pub app_size: usize,
    /// Nested cuts for every `nested_stride`-th single cut (0: none).
    pub nested_stride: u64,
    /// Random multi-cut plans.
    pub random: u32,
    pub seed: u64,
    pub threads: usize,
    /// Run every point from the factory image to its end ([`Verified::Full`])
    /// instead of from the golden run's flash at its cut, joining it where
    /// provably equal ([`Golden`]).
    pub full_replay: bool,
}

/// Runs `f` over `items` on `threads` threads; `on_result(i, &r)` is called
/// on the calling thread as each result arrives (in completion order). Once
/// `stop` is set no new item starts; the finished ones come back in order.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
    on_result: &mut dyn FnMut(usize, &R),
    stop: &AtomicBool,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            let tx = tx.clone();
            let (next, f) = (&next, &f);
            scope.spawn(move || loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                if tx.send((i, f(item))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (i, r) in rx {
            on_result(i, &r);
            out[i] = Some(r);
        }
    });
    // Items start in order and every started one finishes, so after a stop
    // the results are a prefix of `items`, still aligned with it.
    out.into_iter().map_while(|r| r).collect()
}

/// Runs the sim campaign, streaming every point into the report.
pub fn run_sim(
    cfg: &CampaignConfig,
    setup: Setup,
    observer: &dyn Observer,
) -> Result<PowercutSummary, CampaignError> {
    let started_at = crate::now();
    let started = Instant::now();
    let stop = setup.stop.clone();
    let threads = cfg.threads.max(1);
    let scenario = Scenario::synthetic(cfg.app_size)?;
    let calibration = scenario.calibrate()?;
    let golden = match cfg.full_replay {
        true => None,
        false => Some(Golden::record(&scenario, &calibration)?),
    };
    let how: [AtomicUsize; 3] = Default::default();
    let run_plan = |plan: &Vec<Cut>| {
        let point = match &golden {
            Some(g) => g.run_plan(plan),
            None => scenario.run_plan(plan, Some(&calibration)),
        };
        let slot = match point.verified {
            Verified::Full => 0,
            Verified::Snapshot | Verified::SnapshotConverged { .. } => 1,
            Verified::Joined { .. } => 2,
        };
        how[slot].fetch_add(1, Ordering::Relaxed);
        point
    };

    // The single cuts the nested plans start from, first.
    let singles = single_plans(&calibration);
    let probed: Vec<usize> = match cfg.nested_stride {
        0 => Vec::new(),
        stride => (0..singles.len()).step_by(stride as usize).collect(),
    };
    let probe_plans: Vec<Vec<Cut>> = probed.iter().map(|&i| singles[i].clone()).collect();
    observer.line(&format!(
        "sim: {} flash operations in the update; running the {} single cuts the nested plans start from",
        calibration.ops,
        probe_plans.len()
    ));
    let probe = par_map(&probe_plans, threads, run_plan, &mut |_, _| {}, &stop);
    let paired: Vec<(Vec<Cut>, PointResult)> = probe_plans
        .iter()
        .cloned()
        .zip(probe.iter().cloned())
        .collect();
    let nested = nested_plans(&paired, 1);
    let random = random_plans(&calibration, cfg.random, cfg.seed);

    let mut plan = CampaignPlan::default();
    plan.cuts("single", &singles, &calibration);
    plan.cuts("nested", &nested, &calibration);
    plan.cuts("random", &random, &calibration);
    plan.section("tamper", TamperClass::ALL.map(|c| c.name().to_owned()));
    let planned = plan.points();
    let mut run = PowercutRun::start(
        setup,
        "sim",
        started_at,
        plan,
        &calibration.phases,
        "cargo hil ota powercut --replay",
    )?;
    observer.line(&format!(
        "sim: {planned} points planned ({} single, {} nested, {} random, 8 tamper)",
        singles.len(),
        nested.len(),
        random.len()
    ));

    for (&i, p) in probed.iter().zip(probe) {
        run.point("single", i, p);
    }
    let rest: Vec<usize> = (0..singles.len())
        .filter(|i| probed.binary_search(i).is_err())
        .collect();
    let rest_plans: Vec<Vec<Cut>> = rest.iter().map(|&i| singles[i].clone()).collect();
    let (probed_len, singles_len) = (probed.len(), singles.len());
    let mut section = |what: &str, plans: &[Vec<Cut>], index: &dyn Fn(usize) -> usize| {
        // The probed single cuts already ran.
        let (mut n, total) = if what == "single" {
            (probed_len, singles_len)
        } else {
            (0, plans.len())
        };
        par_map(
            plans,
            threads,
            run_plan,
            &mut |i, p: &PointResult| {
                run.point(what, index(i), p.clone());
                n += 1;
                if n.is_multiple_of(256) || n == total {
                    observer.progress(what, n, total);
                }
            },
            &stop,
        )
        .len()
    };
    let done = probed_len + section("single", &rest_plans, &|i| rest[i]);
    let nested_done = section("nested", &nested, &|i| i);
    let random_done = section("random", &random, &|i| i);
    let mut tamper_done = 0;
    for (i, class) in TamperClass::ALL.into_iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        run.point("tamper", i, scenario.run_tamper(class));
        tamper_done += 1;
    }

    let elapsed = started.elapsed().as_secs_f64();
    let cut_points = done + nested_done + random_done;
    let rate = cut_points as f64 / (elapsed * threads as f64);
    let header = format!(
        "Rig `sim`: a {} KiB app replacing a {} KiB one. Calibration: {} flash operations in the uncut download + install. \
         {cut_points} cut points ({done} single: every operation before and inside; {nested_done} nested at depth 2; {random_done} random multi-cut) and {tamper_done} tampered bundles in {elapsed:.1} s on {threads} thread(s): \
         {rate:.0} verified cut points per second per core. \
         Verified: {} run in full from the factory image, {} from the golden run's flash at the cut, {} of those joined a verified reference (see each point's `verified`).",
        cfg.app_size / 1024,
        (cfg.app_size + 4 * mv_update::CHUNK_SIZE as usize + 100) / 1024,
        calibration.ops,
        how[0].load(Ordering::Relaxed),
        how[1].load(Ordering::Relaxed) + how[2].load(Ordering::Relaxed),
        how[2].load(Ordering::Relaxed),
    );
    let extra = serde_json::json!({
        "rig": "sim",
        "app_size": cfg.app_size,
        "calibration_ops": calibration.ops,
        "seconds": elapsed,
        "threads": threads,
        "planned_points": planned,
        "cut_points_per_second_per_core": rate,
        "full_replay": cfg.full_replay,
        "verified": {
            "full": how[0].load(Ordering::Relaxed),
            "snapshot": how[1].load(Ordering::Relaxed),
            "joined": how[2].load(Ordering::Relaxed),
        },
    });
    run.finish(header, extra, stop.load(Ordering::Relaxed))
}
