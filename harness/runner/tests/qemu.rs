//! Every conformance case on `qemu-an505` against the real images, with parity; the campaigns on QEMU.
//!
//! One trial per case, all on one QEMU (reset between cases). Without
//! `qemu-system-arm` every trial is reported as *ignored* with the reason,
//! so a skip is visible in the test summary; CI sets `HIL_REQUIRE_QEMU=1`,
//! which turns a missing QEMU into a failure. A hang is caught per request by
//! the rig (`exec_timeout_ms`); the per-case limit here is generous so a busy
//! machine slows the suite down instead of failing it. A case must pass on QEMU (or
//! carry `skip: an505` with a reason) and produce the sim's transcript.
//!
//! The firmware images are built once, by the first trial
//! (`qemu-an505::firmware-images`): when they cannot be built, that trial
//! says why once and every other trial is ignored pointing at it. A toolchain
//! without the firmware target that cannot be fixed here (no rustup, offline)
//! is a missing prerequisite like QEMU: ignored, unless `HIL_REQUIRE_QEMU=1`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use hil_campaign::powercut::{self, QemuPlans};
use hil_campaign::{Observer, Setup};
use hil_report::{ExitCode, FanOut, Outcome};
use hil_rig::qemu::{build_images, QemuConfig, QemuSession};
use hil_rig::{load_rigs, RigError, RigKind, SimSession};
use hil_runner::run_case;
use libtest_mimic::{Arguments, Completion, Failed, Trial};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared QEMU: one process for the whole run, like `hil run`.
struct Rigs {
    qemu: QemuSession,
    sim: SimSession,
}

/// Why the images are not there: a toolchain that lacks the target (a
/// missing prerequisite), or a build that failed.
#[derive(Clone)]
enum NoImages {
    Toolchain(String),
    Build(String),
}

/// Builds the images once; every trial asks.
fn images(root: &Path) -> Result<(), NoImages> {
    static BUILT: OnceLock<Result<(), NoImages>> = OnceLock::new();
    BUILT
        .get_or_init(|| match build_images(root) {
            Ok(_) => Ok(()),
            Err(RigError::Toolchain(why)) => Err(NoImages::Toolchain(why)),
            Err(e) => Err(NoImages::Build(e.to_string())),
        })
        .clone()
}

const IMAGES_TRIAL: &str = "qemu-an505::firmware-images";

/// What every trial but the images' says when QEMU or the images are missing.
fn prerequisites(installed: bool, root: &Path) -> Option<Completion> {
    if !installed {
        return Some(Completion::ignored_with("qemu-system-arm is not installed"));
    }
    images(root).err().map(|_| {
        Completion::ignored_with(format!(
            "the firmware images are not built: see {IMAGES_TRIAL}"
        ))
    })
}

/// The campaign's lines, as `hil ota powercut` prints them.
struct Print;

impl Observer for Print {
    fn line(&self, text: &str) {
        println!("{text}");
    }
    fn progress(&self, _what: &str, _done: usize, _total: usize) {}
}

fn main() {
    let mut args = Arguments::from_args();
    // One QEMU, one case at a time.
    args.test_threads = Some(1);
    let root = repo();
    let suite = hil_cases::load_suite(&root.join("conformance")).expect("the suite loads");
    let installed = hil_rig::qemu::installed(Path::new("qemu-system-arm"));
    let required = std::env::var_os("HIL_REQUIRE_QEMU").is_some();
    if !installed && required {
        eprintln!("HIL_REQUIRE_QEMU is set but qemu-system-arm is not installed");
        std::process::exit(101);
    }
    let rig = load_rigs(&root.join("rigs"))
        .expect("the rigs load")
        .into_iter()
        .find(|r| r.name == "qemu-an505")
        .expect("rigs/qemu-an505.yaml");
    let RigKind::Qemu(config) = rig.kind.clone() else {
        panic!("rigs/qemu-an505.yaml is not a qemu-an505 rig")
    };
    let rigs = Arc::new(Mutex::new(None::<Rigs>));
    let shared = |rigs: &mut Option<Rigs>, name: &str, config: &QemuConfig| {
        if rigs.is_none() {
            *rigs = Some(Rigs {
                qemu: QemuSession::new(name, config.clone()),
                sim: SimSession::new("sim", hil_sim::SimConfig::default()),
            });
        }
    };

    let images_root = root.clone();
    let firmware_images = Trial::ignorable_test(IMAGES_TRIAL, move || {
        if !installed {
            return Ok(Completion::ignored_with("qemu-system-arm is not installed"));
        }
        match images(&images_root) {
            Ok(()) => Ok(Completion::Completed),
            Err(NoImages::Toolchain(why)) if !required => Ok(Completion::ignored_with(why)),
            Err(NoImages::Toolchain(why) | NoImages::Build(why)) => Err(Failed::from(why)),
        }
    });

    let (sweep_rigs, sweep_root) = (rigs.clone(), root.clone());
    let (sweep_config, sweep_rig) = (config.clone(), rig.name.clone());
    let overrun_sweep = Trial::ignorable_test("qemu-an505::overrun-sweep", move || {
        if let Some(skip) = prerequisites(installed, &sweep_root) {
            return Ok(skip);
        }
        let mut guard = sweep_rigs.lock().unwrap_or_else(|e| e.into_inner());
        shared(&mut guard, &sweep_rig, &sweep_config);
        let rigs = guard.as_mut().expect("made above");
        let mut failures = Vec::new();
        for point in hil_campaign::overrun::default_sweep() {
            let obs = hil_campaign::overrun::run_point(&mut rigs.qemu, point)
                .map_err(|e| Failed::from(format!("{}: {e}", point.id())))?;
            if !obs.problems().is_empty() {
                failures.push(format!("{}: {:?}", point.id(), obs.problems()));
            }
        }
        if failures.is_empty() {
            Ok(Completion::Completed)
        } else {
            Err(Failed::from(failures.join("\n")))
        }
    });

    // `hil bench`'s interrupt latency figures exist on the real images (the
    // figures themselves are measured under -icount by `hil bench`, never
    // asserted): an ordinary IRQ waits for the kernel's erase, so its
    // latency is positive.
    let (lat_rigs, lat_root) = (rigs.clone(), root.clone());
    let (lat_config, lat_rig) = (config.clone(), rig.name.clone());
    let irq_latency = Trial::ignorable_test("qemu-an505::irq-latency", move || {
        if let Some(skip) = prerequisites(installed, &lat_root) {
            return Ok(skip);
        }
        let mut guard = lat_rigs.lock().unwrap_or_else(|e| e.into_inner());
        shared(&mut guard, &lat_rig, &lat_config);
        let rigs = guard.as_mut().expect("made above");
        let figures = hil_campaign::bench::irq_latencies(&mut rigs.qemu)
            .map_err(|e| Failed::from(e.to_string()))?;
        match figures.as_slice() {
            [ordinary, fast, _ratio] if ordinary.value > 0.0 && fast.value >= 0.0 => {
                Ok(Completion::Completed)
            }
            other => Err(Failed::from(format!(
                "expected an ordinary latency above 0 beside a fast one: {:?}",
                other.iter().map(|f| (&f.name, f.value)).collect::<Vec<_>>()
            ))),
        }
    });

    // The boundary fuzzer against the real secure image: 100,000 calls drawn
    // and checked by the agent, secure memory compared through QEMU's
    // monitor after every batch.
    let (fuzz_rig, fuzz_rigs, fuzz_root) = (rig.clone(), rigs.clone(), root.clone());
    let fuzz_trial = Trial::ignorable_test("qemu-an505::fuzz", move || {
        if let Some(skip) = prerequisites(installed, &fuzz_root) {
            return Ok(skip);
        }
        drop(fuzz_rigs.lock().unwrap_or_else(|e| e.into_inner()).take());
        let reports = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
        let setup = Setup {
            reports: reports.path().to_owned(),
            command: "cargo test --test qemu".into(),
            sinks: FanOut::new(),
            stop: Default::default(),
        };
        let cfg = hil_campaign::fuzz::FuzzConfig {
            calls: 100_000,
            seed: 1,
            streams: 1,
            batch: 2_000,
        };
        let summary = hil_campaign::fuzz::run(&fuzz_rig, &cfg, setup, &Print)
            .map_err(|e| Failed::from(e.to_string()))?;
        println!(
            "qemu-an505 fuzz: {} calls, {:.0} calls/s, {} finding(s)",
            summary.calls,
            summary.calls_per_second(),
            summary.findings
        );
        if summary.exit_code == ExitCode::Passed && summary.calls == cfg.calls {
            Ok(Completion::Completed)
        } else {
            Err(Failed::from(
                std::fs::read_to_string(&summary.report).unwrap_or_default(),
            ))
        }
    });

    let (ota_config, ota_rigs, ota_root) = (config.clone(), rigs.clone(), root.clone());
    let ota_powercut = Trial::ignorable_test("qemu-an505::ota-powercut", move || {
        if let Some(skip) = prerequisites(installed, &ota_root) {
            return Ok(skip);
        }
        // The conformance QEMU spins while idle: stop it, the campaign
        // starts its own on the NVM file.
        drop(ota_rigs.lock().unwrap_or_else(|e| e.into_inner()).take());
        // Every third chosen cut (spread over all phases), the nested plans
        // and one SIGKILL, each checked on the persisted NVM and against the
        // sim's outcome for the same plan.
        let reports =
            std::env::temp_dir().join(format!("hil-ota-qemu-test-{}", std::process::id()));
        let setup = Setup {
            reports: reports.clone(),
            command: "cargo test --test qemu".into(),
            sinks: FanOut::new(),
            stop: Default::default(),
        };
        let plans = QemuPlans {
            kills: 1,
            stride: 3,
            jobs: 2,
        };
        let summary = powercut::run_qemu(ota_config, plans, setup, &Print)
            .map_err(|e| Failed::from(e.to_string()))?;
        let report = std::fs::read_to_string(&summary.report).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&reports);
        // The campaign's scratch folder (NVM file, logs) goes with it.
        let mine = format!("hil-{}-ota-qemu-", std::process::id());
        let left: Vec<String> = std::fs::read_dir(std::env::temp_dir())
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with(&mine))
                    .collect()
            })
            .unwrap_or_default();
        if !left.is_empty() {
            return Err(Failed::from(format!(
                "scratch folders left behind: {left:?}"
            )));
        }
        if summary.exit_code == ExitCode::Passed {
            Ok(Completion::Completed)
        } else {
            Err(Failed::from(report))
        }
    });

    let (snap_config, snap_rigs, snap_root) = (config.clone(), rigs.clone(), root.clone());
    let ota_snapshot =
        Trial::ignorable_test("qemu-an505::ota-snapshot-is-qemus-own-cut", move || {
            if let Some(skip) = prerequisites(installed, &snap_root) {
                return Ok(skip);
            }
            drop(snap_rigs.lock().unwrap_or_else(|e| e.into_inner()).take());
            snapshot_is_qemus_own_cut(snap_config).map_err(Failed::from)?;
            Ok(Completion::Completed)
        });

    let (join_config, join_rigs, join_root) = (config.clone(), rigs.clone(), root.clone());
    let ota_join = Trial::ignorable_test(
        "qemu-an505::ota-join-finds-what-the-full-run-finds",
        move || {
            if let Some(skip) = prerequisites(installed, &join_root) {
                return Ok(skip);
            }
            drop(join_rigs.lock().unwrap_or_else(|e| e.into_inner()).take());
            join_finds_what_the_full_run_finds(join_config).map_err(Failed::from)?;
            Ok(Completion::Completed)
        },
    );

    let (timeout_config, timeout_rigs, timeout_root) = (config.clone(), rigs.clone(), root.clone());
    let ota_timeout =
        Trial::ignorable_test("qemu-an505::ota-delivery-timeout-is-no-cut", move || {
            if let Some(skip) = prerequisites(installed, &timeout_root) {
                return Ok(skip);
            }
            drop(
                timeout_rigs
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take(),
            );
            delivery_timeout_is_no_cut(timeout_config).map_err(Failed::from)?;
            Ok(Completion::Completed)
        });

    let mut trials = vec![firmware_images];
    trials.extend(suite.cases.into_iter().map(|case| {
        let (rigs, config, rig_name, root) =
            (rigs.clone(), config.clone(), rig.name.clone(), root.clone());
        Trial::ignorable_test(format!("qemu-an505::{}", case.id), move || {
            if let Some(skip) = prerequisites(installed, &root) {
                return Ok(skip);
            }
            if let Some(reason) =
                hil_runner::skip_reason(&case, RigKind::Qemu(config.clone()).images())
            {
                return Ok(Completion::ignored_with(format!("skip: {reason}")));
            }
            let mut guard = rigs.lock().unwrap_or_else(|e| e.into_inner());
            shared(&mut guard, &rig_name, &config);
            let rigs = guard.as_mut().expect("made above");
            let on_qemu = run_case(&mut rigs.qemu, &case, Duration::from_secs(60));
            if !matches!(on_qemu.outcome, Outcome::Passed) {
                return Err(Failed::from(format!(
                    "{:?}\n{}",
                    on_qemu.outcome, on_qemu.transcript
                )));
            }
            if case.skip.contains_key("sim") {
                // Nothing to compare: the sim cannot run it (its reason is
                // in the case; `tests/conformance.rs` checks it fails there).
                return Ok(Completion::Completed);
            }
            let on_sim = run_case(&mut rigs.sim, &case, Duration::from_secs(10));
            if on_sim.transcript != on_qemu.transcript {
                let d = hil_runner::parity::compare(&[
                    result("sim", &case.id, on_sim.transcript),
                    result("qemu-an505", &case.id, on_qemu.transcript),
                ]);
                return Err(Failed::from(hil_runner::parity::render(
                    &d,
                    &["sim".into(), "qemu-an505".into()],
                )));
            }
            Ok(Completion::Completed)
        })
    }));
    trials.push(overrun_sweep);
    trials.push(irq_latency);
    trials.push(fuzz_trial);
    trials.push(ota_powercut);
    trials.push(ota_snapshot);
    trials.push(ota_join);
    trials.push(ota_timeout);
    let conclusion = libtest_mimic::run(&args, trials);
    // `exit` skips destructors: drop the session first so QEMU is killed.
    drop(rigs.lock().unwrap_or_else(|e| e.into_inner()).take());
    conclusion.exit();
}

/// The QEMU campaign starts each exact cut from the sim golden run's flash
/// at the cut instead of running life 0 on QEMU: for a torn write in the
/// download and a cut in the install, QEMU's own NVM after life 0's cut
/// must be that snapshot byte for byte, and the point from the snapshot
/// must come to what the full run from the factory NVM comes to.
fn snapshot_is_qemus_own_cut(config: QemuConfig) -> Result<(), String> {
    let fail = |e: hil_campaign::CampaignError| e.to_string();
    let mut rig = powercut::QemuOta::new(config).map_err(fail)?;
    let scenario = rig.sim_scenario().map_err(fail)?;
    let calibration = scenario.calibrate().map_err(fail)?;
    let golden = powercut::Golden::record(&scenario, &calibration).map_err(fail)?;
    let first = |phase: powercut::Phase, inside: bool| {
        let op = (0..calibration.ops).find(|&op| calibration.phase(op) == phase)?;
        // The middle of the phase: a chunk (or page) well inside it.
        let last = (op..calibration.ops)
            .take_while(|&o| calibration.phase(o) == phase)
            .last()?;
        Some(vec![powercut::Cut {
            op: (op + last) / 2,
            inside,
        }])
    };
    // And right after a chunk's record: where a download point's recovery
    // joins the golden run, QEMU's own uncut run must be there too.
    let join = first(powercut::Phase::Download, true)
        .and_then(|p| golden.predict(p[0]))
        .map(|j| {
            vec![powercut::Cut {
                op: j.at,
                inside: false,
            }]
        });
    let mut plans: Vec<_> = [
        first(powercut::Phase::Download, true),
        first(powercut::Phase::Install, false),
    ]
    .into_iter()
    .map(|p| p.expect("the update has both phases"))
    .collect();
    plans.push(join.ok_or("the download point predicts no join")?);
    rig.keep_cut_nvm = true;
    for plan in plans {
        let id = powercut::plan_id(&plan);
        let full = rig.run_plan(&id, &plan, None);
        let own = rig
            .take_cut_nvm()
            .ok_or(format!("{id}: life 0's cut did not fire"))?;
        let snapshot = golden.cut_flash_from_boot(plan[0]).into_cells().to_vec();
        if own != snapshot {
            let at = own.iter().zip(&snapshot).position(|(a, b)| a != b);
            return Err(format!(
                "{id}: QEMU's NVM after the cut differs from the snapshot (first at byte {at:?}, lengths {} and {})",
                own.len(),
                snapshot.len()
            ));
        }
        let fast = rig.run_from_snapshot(&id, &plan, &golden);
        println!(
            "{id}: full {} ({}), snapshot {} ({})",
            full.outcome.name(),
            full.verified.describe(),
            fast.outcome.name(),
            fast.verified.describe()
        );
        if full.outcome != powercut::Outcome::Ok || fast.outcome != full.outcome {
            return Err(format!(
                "{id}: from the factory {} {}; from the snapshot {} {}",
                full.outcome.name(),
                full.detail,
                fast.outcome.name(),
                fast.detail
            ));
        }
    }
    Ok(())
}

/// The QEMU campaign stops a point's recovery right after the golden-run
/// record it first comes back to and, when the NVM is the golden run's
/// there, takes the rest as the golden run's (or as the boot-install or
/// offer reference's, which QEMU runs first and which must pass). On
/// the campaign's single cuts in every phase (some join, some must not),
/// each point joined or not must come to what the same point comes to from
/// the snapshot with every life run; a joined point's full run must end on
/// the uncut run's converged NVM byte for byte, or, for an offer point,
/// show its convergence as the offer reference's run did; download points
/// join the golden run, install points the boot-install reference, offer
/// points the offer reference, and points of a fourth phase join too.
fn join_finds_what_the_full_run_finds(config: QemuConfig) -> Result<(), String> {
    let fail = |e: hil_campaign::CampaignError| e.to_string();
    let mut rig = powercut::QemuOta::new(config).map_err(fail)?;
    let scenario = rig.sim_scenario().map_err(fail)?;
    let calibration = scenario.calibrate().map_err(fail)?;
    let mut golden = powercut::Golden::record(&scenario, &calibration).map_err(fail)?;
    golden.record_offer_reference();
    let uncut = rig.run_plan("uncut", &[], None);
    if uncut.outcome != powercut::Outcome::Ok {
        return Err(format!("the uncut run: {}", uncut.detail));
    }
    rig.adopt_reference().map_err(fail)?;
    // The references first (run in full, as their own points), then the
    // campaign's other single cuts.
    let references: Vec<_> = golden.references().into_iter().map(|(_, p)| p).collect();
    let offer_plan = golden
        .references()
        .into_iter()
        .find(|(r, _)| *r == powercut::Reference::Offer)
        .map(|(_, p)| p);
    if references.len() != 2 || offer_plan.is_none() {
        return Err(format!(
            "the sim kept {} references, expected the boot-install and the offer point",
            references.len()
        ));
    }
    let chosen: Vec<_> = powercut::chosen_plans(&calibration)
        .into_iter()
        .filter(|p| p.len() == 1 && !references.contains(p))
        .collect();
    let plans: Vec<_> = references.iter().chain(&chosen).cloned().collect();
    let mut offer_end = None;
    let mut joined = std::collections::BTreeMap::new();
    for plan in &plans {
        let id = powercut::plan_id(plan);
        rig.join = true;
        let fast = rig.run_point(&id, plan, &golden);
        rig.join = false;
        let full = rig.run_point(&id, plan, &golden);
        println!(
            "{id}: joining {} ({}), in full {} ({})",
            fast.outcome.name(),
            fast.verified.describe(),
            full.outcome.name(),
            full.verified.describe()
        );
        if Some(plan) == offer_plan.as_ref() {
            offer_end = Some(full.verified);
        }
        if fast.outcome != full.outcome || full.outcome != powercut::Outcome::Ok {
            return Err(format!(
                "{id}: joining {} {}; in full {} {}",
                fast.outcome.name(),
                fast.detail,
                full.outcome.name(),
                full.detail
            ));
        }
        if let powercut::Verified::Joined { reference, .. } = fast.verified {
            let phase = calibration.phase(plan[0].op);
            *joined.entry(phase).or_insert(0) += 1;
            let expected = match phase {
                powercut::Phase::Install => powercut::Reference::BootInstall,
                powercut::Phase::Offer => powercut::Reference::Offer,
                _ => powercut::Reference::Golden,
            };
            if reference != expected {
                return Err(format!("{id}: joined {reference:?} in {}", phase.name()));
            }
            // The reference's end: the golden run's converged NVM, or the
            // offer reference's own way of converging (its journal is a
            // page switch ahead of the uncut run's for good).
            let by_reference = match reference {
                powercut::Reference::Offer => {
                    offer_end.ok_or("the offer reference did not run first")?
                }
                _ => powercut::Verified::SnapshotConverged {
                    by: powercut::Convergence::Reference,
                },
            };
            if full.verified != by_reference {
                return Err(format!(
                    "{id} joined the golden run, but in full it ended {}",
                    full.verified.describe()
                ));
            }
        }
    }
    println!("joined per phase: {joined:?}");
    let must = [
        powercut::Phase::Download,
        powercut::Phase::Install,
        powercut::Phase::Offer,
    ];
    if must.iter().any(|p| !joined.contains_key(p)) || joined.len() < 4 {
        return Err(format!(
            "of {} points, joined per phase: {joined:?} (the download, the install, the offer and another phase must join)",
            plans.len()
        ));
    }
    Ok(())
}

/// A delivery whose answer does not come in time, with the power on, is
/// reported as the timeout it is: no cut fired, and the point fails
/// saying so (read as a cut, the next boot's recovery would hide a device
/// that hangs). The cloud is given no time to wait, so the device's
/// first answer (to the offer) is late on a QEMU that runs on; the
/// planned cut, in the download, is never reached.
fn delivery_timeout_is_no_cut(config: QemuConfig) -> Result<(), String> {
    let fail = |e: hil_campaign::CampaignError| e.to_string();
    let mut rig = powercut::QemuOta::new(config).map_err(fail)?;
    let scenario = rig.sim_scenario().map_err(fail)?;
    let calibration = scenario.calibrate().map_err(fail)?;
    let op = (0..calibration.ops)
        .find(|&op| calibration.phase(op) == powercut::Phase::Download)
        .ok_or("no download")?;
    let plan = [powercut::Cut { op, inside: false }];
    rig.delivery_timeout = Duration::ZERO;
    for reset_in_place in [true, false] {
        rig.reset_in_place = reset_in_place;
        let p = rig.run_plan(&powercut::plan_id(&plan), &plan, None);
        println!(
            "reset in place {reset_in_place}: {} after {} cut(s): {}",
            p.outcome.name(),
            p.cuts_fired,
            p.detail
        );
        if p.outcome == powercut::Outcome::Ok
            || p.cuts_fired != 0
            || !p.detail.contains("a timeout, not a power cut")
        {
            return Err(format!(
                "reset in place {reset_in_place}: {} after {} cut(s): {}",
                p.outcome.name(),
                p.cuts_fired,
                p.detail
            ));
        }
    }
    Ok(())
}

fn result(rig: &str, id: &str, transcript: String) -> hil_report::CaseResult {
    hil_report::CaseResult {
        rig: rig.into(),
        case_id: id.into(),
        title: String::new(),
        area: String::new(),
        file: String::new(),
        tags: vec![],
        spec: hil_report::SpecCitation {
            quote: String::new(),
            source: String::new(),
        },
        outcome: Outcome::Passed,
        duration_ms: 0.0,
        transcript,
        logs: vec![],
        attempts: Vec::new(),
        flaky: false,
        quarantine: None,
    }
}
