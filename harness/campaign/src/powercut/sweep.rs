//! The sim's power-cut sweep: every operation before and inside, nested and random plans, the tampered bundles, in parallel.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hil_bundle::tamper::TamperClass;

use super::plan::{
    nested_plans, random_plans, single_plans, Calibration, Cut, Outcome, PointResult,
};
use super::scenario::Scenario;
use crate::CampaignError;

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
}

/// Everything a campaign measured.
pub struct CampaignResult {
    pub calibration: Calibration,
    pub single: Vec<PointResult>,
    pub nested: Vec<PointResult>,
    pub random: Vec<PointResult>,
    pub tamper: Vec<PointResult>,
    pub elapsed: Duration,
    pub threads: usize,
    pub app_size: usize,
    /// Ctrl-C stopped it: the lists hold the points that finished.
    pub interrupted: bool,
}

impl CampaignResult {
    /// Every cut point run (single, nested, random).
    pub fn cut_points(&self) -> usize {
        self.single.len() + self.nested.len() + self.random.len()
    }

    pub fn failures(&self) -> impl Iterator<Item = &PointResult> {
        self.single
            .iter()
            .chain(&self.nested)
            .chain(&self.random)
            .chain(&self.tamper)
            .filter(|p| p.outcome != Outcome::Ok)
    }
}

/// Runs `f` over `items` on `threads` threads, keeping the order; once
/// `stop` is set no new item starts, and only the finished ones come back.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
    done: &(dyn Fn(usize) + Sync),
    stop: &AtomicBool,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let slots = std::sync::Mutex::new(&mut out);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                slots.lock().expect("no panics while holding it")[i] = Some(r);
                done(1);
            });
        }
    });
    // Items start in order and every started one finishes, so after a stop
    // the results are a prefix of `items`, still aligned with it.
    out.into_iter().flatten().collect()
}

/// The whole campaign: calibrate, single, nested, random, tamper. Once
/// `stop` is set, what finished is returned (`interrupted` says so).
pub fn run(
    cfg: &CampaignConfig,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
    stop: &AtomicBool,
) -> Result<CampaignResult, CampaignError> {
    let started = Instant::now();
    let scenario = Scenario::synthetic(cfg.app_size)?;
    let calibration = scenario.calibrate()?;
    let threads = cfg.threads.max(1);
    let run_all = |what: &str, plans: &[Vec<Cut>]| {
        let count = AtomicUsize::new(0);
        let total = plans.len();
        par_map(
            plans,
            threads,
            |plan| scenario.run_plan(plan, Some(&calibration)),
            &|n| {
                let c = count.fetch_add(n, Ordering::Relaxed) + n;
                if c.is_multiple_of(1024) || c == total {
                    progress(what, c, total);
                }
            },
            stop,
        )
    };
    let plans = single_plans(&calibration);
    let single = run_all("single", &plans);
    let paired: Vec<(Vec<Cut>, PointResult)> =
        plans.into_iter().zip(single.iter().cloned()).collect();
    let nested = run_all("nested", &nested_plans(&paired, cfg.nested_stride));
    let random = run_all("random", &random_plans(&calibration, cfg.random, cfg.seed));
    let tamper = TamperClass::ALL
        .iter()
        .take_while(|_| !stop.load(Ordering::Relaxed))
        .map(|&class| scenario.run_tamper(class))
        .collect();
    Ok(CampaignResult {
        interrupted: stop.load(Ordering::Relaxed),
        calibration,
        single,
        nested,
        random,
        tamper,
        elapsed: started.elapsed(),
        threads,
        app_size: cfg.app_size,
    })
}
