//! Every conformance case on `qemu-an505` against the real images, with parity.
//!
//! One trial per case, all on one QEMU (reset between cases). Without
//! `qemu-system-arm` every trial is reported as *ignored* with the reason,
//! so a skip is visible in the test summary; CI sets `HIL_REQUIRE_QEMU=1`,
//! which turns a missing QEMU into a failure. A hang is caught per request by
//! the rig (`exec_timeout_ms`); the per-case limit here is generous so a busy
//! machine slows the suite down instead of failing it. A case must pass on QEMU (or
//! carry `skip: qemu-an505` with a reason) and produce the sim's transcript.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hil::exec::run_case;
use hil::rig::{load_rigs, qemu::QemuSession, RigKind, SimSession};
use hil_report::Outcome;
use libtest_mimic::{Arguments, Completion, Failed, Trial};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn qemu_installed() -> bool {
    std::process::Command::new("qemu-system-arm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The shared QEMU: one process for the whole run, like `hil run`.
struct Rigs {
    runtime: tokio::runtime::Runtime,
    qemu: QemuSession,
    sim: SimSession,
}

fn main() {
    let mut args = Arguments::from_args();
    // One QEMU, one case at a time.
    args.test_threads = Some(1);
    let root = repo();
    let suite = hil_cases::load_suite(&root.join("conformance")).expect("the suite loads");
    let installed = qemu_installed();
    if !installed && std::env::var_os("HIL_REQUIRE_QEMU").is_some() {
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
    let sweep_rigs = rigs.clone();
    let (sweep_config, sweep_rig) = (config.clone(), rig.name.clone());
    let overrun_sweep = Trial::ignorable_test("qemu-an505::overrun-sweep", move || {
        if !installed {
            return Ok(Completion::ignored_with("qemu-system-arm is not installed"));
        }
        let mut guard = sweep_rigs.lock().unwrap_or_else(|e| e.into_inner());
        let rigs = guard.get_or_insert_with(|| Rigs {
            runtime: tokio::runtime::Runtime::new().expect("a runtime"),
            qemu: QemuSession::new(&sweep_rig, sweep_config),
            sim: SimSession::new("sim", hil_sim::SimConfig::default()),
        });
        let mut failures = Vec::new();
        for point in hil::overrun::default_sweep() {
            let obs = rigs
                .runtime
                .block_on(hil::overrun::run_point(&mut rigs.qemu, point))
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
    let ota_config = config.clone();
    let ota_rigs = rigs.clone();
    let ota_powercut = Trial::ignorable_test("qemu-an505::ota-powercut", move || {
        if !installed {
            return Ok(Completion::ignored_with("qemu-system-arm is not installed"));
        }
        // The conformance QEMU spins while idle: stop it, the campaign
        // starts its own on the NVM file.
        drop(ota_rigs.lock().unwrap_or_else(|e| e.into_inner()).take());
        // Every third chosen cut (spread over all phases), the nested plans
        // and one SIGKILL, each checked on the persisted NVM and against the
        // sim's outcome for the same plan.
        let reports =
            std::env::temp_dir().join(format!("hil-ota-qemu-test-{}", std::process::id()));
        let code = hil::ota::command::powercut_qemu(ota_config, 1, 3, &reports)
            .map_err(|e| Failed::from(format!("{e:#}")))?;
        let report = std::fs::read_dir(&reports)
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
            .and_then(|e| std::fs::read_to_string(e.path().join("powercut.md")).ok())
            .unwrap_or_default();
        let _ = std::fs::remove_dir_all(&reports);
        if code == 0 {
            Ok(Completion::Completed)
        } else {
            Err(Failed::from(report))
        }
    });
    let mut trials: Vec<Trial> = suite
        .cases
        .into_iter()
        .map(|case| {
            let (rigs, config, rig_name) = (rigs.clone(), config.clone(), rig.name.clone());
            Trial::ignorable_test(format!("qemu-an505::{}", case.id), move || {
                if !installed {
                    return Ok(Completion::ignored_with("qemu-system-arm is not installed"));
                }
                if let Some(reason) = case.skip.get(&rig_name) {
                    return Ok(Completion::ignored_with(format!("skip: {reason}")));
                }
                let mut guard = rigs.lock().unwrap_or_else(|e| e.into_inner());
                let rigs = guard.get_or_insert_with(|| Rigs {
                    runtime: tokio::runtime::Runtime::new().expect("a runtime"),
                    qemu: QemuSession::new(&rig_name, config),
                    sim: SimSession::new("sim", hil_sim::SimConfig::default()),
                });
                let on_qemu =
                    rigs.runtime
                        .block_on(run_case(&mut rigs.qemu, &case, Duration::from_secs(60)));
                if !matches!(on_qemu.outcome, Outcome::Passed) {
                    return Err(Failed::from(format!(
                        "{:?}\n{}",
                        on_qemu.outcome, on_qemu.transcript
                    )));
                }
                let on_sim =
                    rigs.runtime
                        .block_on(run_case(&mut rigs.sim, &case, Duration::from_secs(10)));
                if on_sim.transcript != on_qemu.transcript {
                    let d = hil::parity::compare(&[
                        result("sim", &case.id, on_sim.transcript),
                        result("qemu-an505", &case.id, on_qemu.transcript),
                    ]);
                    return Err(Failed::from(hil::parity::render(
                        &d,
                        &["sim".into(), "qemu-an505".into()],
                    )));
                }
                Ok(Completion::Completed)
            })
        })
        .collect();
    trials.push(overrun_sweep);
    trials.push(ota_powercut);
    let conclusion = libtest_mimic::run(&args, trials);
    // `exit` skips destructors: drop the session first so QEMU is killed.
    drop(rigs.lock().unwrap_or_else(|e| e.into_inner()).take());
    conclusion.exit();
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
    }
}
