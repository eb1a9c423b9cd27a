//! QEMU OTA exact cuts per second: the ways of running the same points side by side in one run, with the CPU each took.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use hil_rig::qemu::SecureLoad;

use super::qemu::{CpuTimes, QemuBench};
use super::Figure;
use crate::powercut::{
    chosen_plans, par_map, plan_id, schedule, with_references, Golden, Outcome, PointResult,
    QemuOta, Reference, Verified,
};
use crate::CampaignError;

/// One way of running the points from the golden run's NVM at their cut
/// (the shared-memory ring, one QEMU per worker reset in place, a cut
/// halting the core).
#[derive(Clone, Copy)]
struct Setup {
    workers: usize,
    /// Join install and offer points to the boot-install and offer
    /// references (points of their own, run first, inside the clock).
    references: bool,
    secure_load: SecureLoad,
}

/// The points of one way of running the campaign, its wall time, and the
/// CPU time it took.
struct Way {
    points: Vec<PointResult>,
    secs: f64,
    cpu: Option<CpuTimes>,
}

impl QemuBench {
    /// OTA exact cuts per second, side by side in this run: the first way
    /// (factory NVM, every life, three clean boots, the cloud's frames over
    /// UART3, a QEMU process per boot) on `first_points` of the campaign's
    /// exact points, evenly spread (each takes seconds); then every exact
    /// point of the campaign (`hil ota powercut --rig qemu-an505`) from the
    /// golden run's NVM at the cut, joining the golden run where a recovery
    /// provably meets it, one QEMU per worker reset in place: an older way
    /// (QEMU loads the whole secure image, rewriting it at every reset,
    /// `jobs` QEMUs); the previous way (QEMU loads its boot part, which
    /// restores the rest from the NVM file, so a reset keeps QEMU's
    /// translations; install and offer points run to their end, `jobs`
    /// QEMUs); and now, on one and `jobs` QEMUs (the boot-install and
    /// offer references run first, inside the clock, and install and offer
    /// points join them). Each way
    /// starts its QEMUs before its clock (once per worker per campaign;
    /// that start is a figure of its own). The first
    /// way also keeps QEMU's own NVM at each first cut, to count how many
    /// equal the snapshot the other ways start from, and every other way's
    /// outcomes are compared with its own on its points.
    pub fn ota(&self, first_points: usize, jobs: usize) -> Result<Vec<Figure>, CampaignError> {
        let mut ota = QemuOta::new(self.config.clone())?;
        let scenario = ota.sim_scenario()?;
        let cal = scenario.calibrate()?;
        let mut golden = Golden::record(&scenario, &cal)?;
        golden.record_offer_reference();
        // The campaign's exact points, the references among them.
        let all = with_references(chosen_plans(&cal), &golden);
        let stride = (all.len() / first_points.max(1)).max(1);
        let plans: Vec<_> = all
            .iter()
            .step_by(stride)
            .take(first_points)
            .cloned()
            .collect();
        let n = plans.len();
        let n_all = all.len();
        // Every way runs them in the campaign's order: the references the
        // last ways join first, the points that may join them last.
        let scheduled: Vec<_> = schedule(&all, &cal, &golden)
            .into_iter()
            .map(|i| all[i].clone())
            .collect();
        let ok = |ps: &[PointResult]| ps.iter().filter(|p| p.outcome == Outcome::Ok).count();

        ota.reset_in_place = false;
        let t = Instant::now();
        let uncut = ota.run_plan("uncut", &[], None);
        let uncut_secs = t.elapsed().as_secs_f64();
        if uncut.outcome == Outcome::Ok {
            ota.adopt_reference()?;
        }

        ota.fast_link = false;
        ota.keep_cut_nvm = true;
        ota.secure_load = SecureLoad::ByQemu;
        let t = Instant::now();
        let mut full = Vec::new();
        let mut same_nvm = 0;
        let mut other_nvm = Vec::new();
        for plan in &plans {
            full.push(ota.run_plan(&plan_id(plan), plan, None));
            let snapshot = golden.cut_flash_from_boot(plan[0]).into_cells().to_vec();
            if ota.take_cut_nvm().as_ref() == Some(&snapshot) {
                same_nvm += 1;
            } else {
                other_nvm.push(plan_id(plan));
            }
        }
        let full_secs = t.elapsed().as_secs_f64();
        ota.keep_cut_nvm = false;
        ota.fast_link = true;

        let jobs = jobs.max(1);
        let mut pool = vec![ota];
        for _ in 1..jobs {
            let sibling = pool[0].sibling()?;
            pool.push(sibling);
        }
        let pool = Mutex::new(pool);
        let take = || pool.lock().unwrap_or_else(|e| e.into_inner());
        // The same points on `workers` rigs; the CPU time QEMU and the
        // harness took, the QEMUs shut down (reaped) at the end to count.
        // Each QEMU is started once per worker per campaign, before the
        // clock starts (a campaign has many more points than this bench:
        // [`QemuOta::warm_up`], measured on its own below).
        let warm_ups = Mutex::new(Vec::new());
        let run = |setup: Setup| {
            // `par_map`'s workers pop their rigs from the end of the pool.
            for (i, rig) in take().iter_mut().rev().enumerate() {
                rig.reset_in_place = false;
                rig.stop();
                rig.reset_in_place = true;
                rig.join = true;
                rig.join_references = setup.references;
                rig.forget_references();
                rig.secure_load = setup.secure_load;
                if i < setup.workers {
                    let warm = rig.warm_up()?;
                    warm_ups
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(warm);
                }
            }
            let cpu = CpuTimes::now();
            let t = Instant::now();

            let points = par_map(
                &scheduled,
                setup.workers,
                |plan| {
                    let mut rig = take().pop().expect("one rig per worker");
                    let p = rig.run_point(&plan_id(plan), plan, &golden);
                    take().push(rig);
                    p
                },
                &mut |_, _| {},
                &Default::default(),
            );
            let secs = t.elapsed().as_secs_f64();
            for rig in take().iter_mut() {
                rig.reset_in_place = false;
                rig.stop();
            }
            let cpu = cpu.zip(CpuTimes::now()).map(|(a, b)| b.since(&a));
            Ok::<_, CampaignError>(Way { points, secs, cpu })
        };
        let setup = |workers, secure_load, references| Setup {
            workers,
            references,
            secure_load,
        };
        let older = run(setup(jobs, SecureLoad::ByQemu, false))?;
        let previous = run(setup(jobs, SecureLoad::FromNvm, false))?;
        let now_1 = run(setup(1, SecureLoad::FromNvm, true))?;
        let now = run(setup(jobs, SecureLoad::FromNvm, true))?;
        let mut warm_ups = warm_ups.into_inner().unwrap_or_else(|e| e.into_inner());
        warm_ups.sort();
        let warm_up = warm_ups
            .get(warm_ups.len() / 2)
            .copied()
            .unwrap_or(Duration::ZERO);
        let previous_rate = n_all as f64 / previous.secs;
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        let way = |what: String, w: &Way| {
            let agree = full
                .iter()
                .filter(|a| {
                    w.points
                        .iter()
                        .any(|b| b.id == a.id && b.outcome == a.outcome)
                })
                .count();
            let rate = n_all as f64 / w.secs;
            let joined = |reference| {
                w.points
                    .iter()
                    .filter(|p| matches!(p.verified, Verified::Joined { reference: r, .. } if r == reference))
                    .count()
            };
            let joins = format!(
                "{} joined the golden run, {} the boot-install reference, {} the offer reference",
                joined(Reference::Golden),
                joined(Reference::BootInstall),
                joined(Reference::Offer)
            );
            let cpu = w.cpu.map_or(String::new(), |c| {
                format!(
                    "; CPU per point: QEMU {:.0} ms, harness {:.0} ms, which {cores} idle cores would turn into {:.1} points/s",
                    c.children * 1e3 / n_all as f64,
                    c.own * 1e3 / n_all as f64,
                    cores as f64 * n_all as f64 / (c.children + c.own),
                )
            });
            Figure {
                name: format!(
                    "{what} ({n_all} points, {} ok, {joins}; {agree}/{n} of the first way's as it; {:.2}x the previous way{cpu})",
                    ok(&w.points),
                    rate / previous_rate,
                ),
                value: rate,
                unit: "points/s",
                target: Some((25.0, "at least")),
            }
        };
        Ok(vec![
            Figure {
                name: format!(
                    "OTA uncut run in full, the reference (once per campaign: {})",
                    uncut.outcome.name()
                ),
                value: uncut_secs,
                unit: "s",
                target: None,
            },
            Figure {
                name: format!(
                    "OTA exact cuts, first way: factory NVM, 3 clean boots, UART, a QEMU per boot ({n} points, {} ok; {same_nvm}/{n} NVMs at the cut equal the snapshot{})",
                    ok(&full),
                    if other_nvm.is_empty() {
                        String::new()
                    } else {
                        format!(", not {}", other_nvm.join(", "))
                    }
                ),
                value: n as f64 / full_secs,
                unit: "points/s",
                target: Some((25.0, "at least")),
            },
            Figure {
                name: format!(
                    "QEMU start to the agent's first answer, paid once per worker per campaign, before each way's clock (median of {})",
                    warm_ups.len()
                ),
                value: warm_up.as_secs_f64() * 1e3,
                unit: "ms",
                target: None,
            },
            way(
                format!("OTA exact cuts joining the golden run, QEMU reset in place, whole secure image loaded by QEMU, {jobs} QEMUs (an older way)"),
                &older,
            ),
            way(
                format!("OTA exact cuts joining the golden run, QEMU reset in place, secure code restored from the NVM, install and offer points run to their end, {jobs} QEMUs (the previous way)"),
                &previous,
            ),
            way(
                "OTA exact cuts as now (install and offer points joining the boot-install and offer references, which run first, inside the clock), 1 QEMU".into(),
                &now_1,
            ),
            way(
                format!("OTA exact cuts joining the golden run, the boot-install and the offer reference (which run first, inside the clock), QEMU reset in place, secure code restored from the NVM, {jobs} QEMUs (now)"),
                &now,
            ),
        ])
    }
}
