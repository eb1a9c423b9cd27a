//! `hil bench`: the figures of every rig, printed with their targets as they are measured.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use hil_campaign::bench::{self, Figure, QemuBench};
use hil_report::{ExitCode, FanOut, Outcome};
use hil_rig::RigKind;
use hil_runner::{run_case_with, Plan, Selection, Writes};

use super::repo::{find_root, load_cases, pick_rigs};
use crate::failure::{BadInput, SystemFailure};

/// Which part of the bench to run alone (none set: all of it).
pub struct Only {
    pub cuts: bool,
    pub irq: bool,
    pub calls: bool,
    pub mqtt: bool,
    pub cases: bool,
    pub qemu_cuts: bool,
}

pub fn bench(root: Option<PathBuf>, calls: u64, only: Only) -> Result<ExitCode> {
    let Only {
        cuts: cuts_only,
        irq: irq_only,
        calls: calls_only,
        mqtt: mqtt_only,
        cases: cases_only,
        qemu_cuts: qemu_cuts_only,
    } = only;
    let root = find_root(root)?;
    if cases_only {
        bench_qemu_cases(&root)?;
        return Ok(ExitCode::Passed);
    }
    if qemu_cuts_only {
        let Some(qemu) = qemu_bench(&root)? else {
            return Ok(ExitCode::Passed);
        };
        println!("qemu-an505 OTA exact cuts, each way on the campaign's exact points (the first way on a few):");
        for f in qemu.ota(OTA_POINTS, OTA_JOBS)? {
            print_figure(&f);
        }
        return Ok(ExitCode::Passed);
    }
    if mqtt_only {
        bench_mqtt(&root)?;
        return Ok(ExitCode::Passed);
    }
    if calls_only {
        let Some(qemu) = qemu_bench(&root)? else {
            return Ok(ExitCode::Passed);
        };
        for f in qemu.round_trips()? {
            print_figure(&f);
        }
        return Ok(ExitCode::Passed);
    }
    if irq_only {
        let Some(qemu) = qemu_bench(&root)? else {
            return Ok(ExitCode::Passed);
        };
        for f in qemu.irq_latency()? {
            print_figure(&f);
        }
        return Ok(ExitCode::Passed);
    }
    if cuts_only {
        for f in bench::sim_cut_rate(128 * 1024, 400)? {
            print_figure(&f);
        }
        return Ok(ExitCode::Passed);
    }
    println!("hil bench: sim, {calls} calls per throughput figure (release build recommended)");
    for f in bench::syscall_rates(calls) {
        print_figure(&f);
    }
    // The whole suite through the engine, without writing report files.
    let cases = load_cases(&root, &Selection::default())?;
    let rigs = pick_rigs(&root, &["sim".to_owned()])?;
    let n = cases.len();
    let plan = Plan::new(rigs, cases, root.clone(), "hil bench".into());
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| SystemFailure(format!("cannot start the async runtime: {e}")))?;
    let started = Instant::now();
    let summary = runtime.block_on(hil_runner::run(
        plan,
        "bench".into(),
        FanOut::new(),
        Arc::default(),
    ));
    let wall = started.elapsed().as_secs_f64();
    println!(
        "  {:<56} {:>14.3} s  ({:.2}x under the 1 s target; {} cases, exit {})",
        "whole suite on sim (engine, no report files)",
        wall,
        1.0 / wall,
        n,
        summary.exit_code.code()
    );
    for f in bench::sim_cut_rate(128 * 1024, 400)? {
        print_figure(&f);
    }
    let http = bench::sim_http_round_trips(200)
        .map_err(|e| SystemFailure(format!("the sim's HTTP bench: {e}")))?;
    print_figure(&http);
    bench_mqtt(&root)?;
    bench_qemu(&root)?;
    Ok(ExitCode::Passed)
}

/// A figure with its target; the ratio is > 1 when the target is beaten.
fn print_figure(f: &Figure) {
    let target = f
        .target
        .map(|(t, how)| {
            let ratio = if how == "at most" {
                t / f.value
            } else {
                f.value / t
            };
            let digits = if ratio < 0.01 { 4 } else { 2 };
            format!("  ({ratio:.digits$}x the target of {how} {t:.0})")
        })
        .unwrap_or_default();
    let digits = if f.value < 1.0 { 3 } else { 1 };
    println!(
        "  {:<56} {:>14.digits$} {}{target}",
        f.name, f.value, f.unit
    );
}

/// `f` beside the floor it is measured against: how many times the floor's rate.
fn print_against(f: &Figure, floor: &Figure) {
    println!(
        "  {:<56} {:>14.1} {}  ({:.4}x the host floor)",
        f.name,
        f.value,
        f.unit,
        f.value / floor.value
    );
}

/// MQTT publish→receive round trips through the lab broker: the host-only
/// floor, the sim and QEMU (when installed), one after the other in this
/// run, each rig as a ratio of the floor. The broker is the run's
/// (`hil_rig::broker_kind`: mosquitto, or the embedded one without it).
fn bench_mqtt(root: &Path) -> Result<()> {
    let broker = match hil_rig::broker_kind().map_err(SystemFailure)? {
        hil_rig::BrokerKind::Mosquitto(_) => "mosquitto",
        hil_rig::BrokerKind::Embedded { .. } => "the embedded broker (rumqttd)",
    };
    println!("MQTT publish→receive round trips through {broker}, side by side:");
    let floor = bench::host_round_trips(MQTT_FLOOR_TRIPS)?;
    print_figure(&floor);
    let sim = bench::sim_mqtt_round_trips(MQTT_SIM_TRIPS)
        .map_err(|e| SystemFailure(format!("the sim's MQTT bench: {e}")))?;
    print_against(&sim, &floor);
    if let Some(qemu) = qemu_bench(root)? {
        print_against(&qemu.mqtt(MQTT_QEMU_TRIPS)?, &floor);
    }
    Ok(())
}

/// QEMU OTA cut points the first way runs (each takes seconds); the other
/// ways run every exact point of the campaign.
const OTA_POINTS: usize = 6;
const OTA_JOBS: usize = 2;

/// Round trips per MQTT figure: each takes a second or two where it runs.
const MQTT_FLOOR_TRIPS: u32 = 2000;
const MQTT_SIM_TRIPS: u32 = 300;
const MQTT_QEMU_TRIPS: u32 = 30;

/// QEMU figures: per-case and suite wall time, instructions per round
/// trip, OTA cut points per second. Skipped, and said so, without QEMU.
/// The QEMU bench on `rigs/qemu-an505.yaml`, or `None` (said why) without QEMU.
fn qemu_bench(root: &Path) -> Result<Option<QemuBench>> {
    if !hil_rig::qemu::installed(Path::new("qemu-system-arm")) {
        println!("qemu-an505: skipped (qemu-system-arm is not installed)");
        return Ok(None);
    }
    let rig = pick_rigs(root, &["qemu-an505".to_owned()])?.remove(0);
    let RigKind::Qemu(config) = rig.kind.clone() else {
        return Err(BadInput::one("rigs/qemu-an505.yaml is not a qemu-an505 rig").into());
    };
    Ok(Some(QemuBench::new(&rig.name, config)))
}

/// The conformance suite on QEMU, case by case: the median time per case
/// (reset included) and the whole suite.
fn bench_qemu_cases(root: &Path) -> Result<()> {
    let Some(qemu) = qemu_bench(root)? else {
        return Ok(());
    };
    let cases = load_cases(root, &Selection::default())?;
    // The cases `hil run` would run on this rig here: the same skips.
    let (run, skipped): (Vec<&hil_cases::Case>, Vec<_>) = cases
        .iter()
        .partition(|c| hil_runner::skip_reason(c, qemu.images()).is_none());
    let measured = qemu.cases(&run, &mut |session, case, writes_alone| {
        let writes = if writes_alone {
            Writes::OnTheirOwn
        } else {
            Writes::WithNextRequest
        };
        let run = run_case_with(session, case, Duration::from_secs(20), writes);
        match run.outcome.detail() {
            None => Ok(()),
            Some(why) => Err(format!("{}: {why}", run.outcome.status())),
        }
    })?;
    println!(
        "qemu-an505 ({} cases, {} passed; {} skipped as `hil run` skips them here):",
        measured.cases,
        measured.passed,
        skipped.len()
    );
    for failure in &measured.failed {
        println!(
            "  did not pass {}: {}: {}",
            failure.way, failure.case, failure.why
        );
    }
    for f in &measured.figures {
        print_figure(f);
    }
    Ok(())
}

fn bench_qemu(root: &Path) -> Result<()> {
    let Some(qemu) = qemu_bench(root)? else {
        return Ok(());
    };
    let rig = pick_rigs(root, &["qemu-an505".to_owned()])?.remove(0);
    let cases = load_cases(root, &Selection::default())?;
    bench_qemu_cases(root)?;
    for f in qemu.round_trips()? {
        print_figure(&f);
    }
    for f in qemu.irq_latency()? {
        print_figure(&f);
    }
    for f in qemu.net()? {
        print_figure(&f);
    }
    for f in qemu.ota(OTA_POINTS, OTA_JOBS)? {
        print_figure(&f);
    }
    // Several QEMU instances sharing the suite (`hil run --jobs N`): the
    // same engine and cases, one and two sessions.
    for jobs in [1, 2] {
        let mut plan = Plan::new(
            vec![rig.clone()],
            cases.clone(),
            root.to_owned(),
            "hil bench".into(),
        );
        plan.jobs = jobs;
        let runtime = tokio::runtime::Runtime::new()
            .map_err(|e| SystemFailure(format!("cannot start the async runtime: {e}")))?;
        let started = Instant::now();
        let summary = runtime.block_on(hil_runner::run(
            plan,
            "bench".into(),
            FanOut::new(),
            Arc::default(),
        ));
        let passed = summary
            .results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Passed | Outcome::Skipped { .. }))
            .count();
        print_figure(&Figure {
            name: format!(
                "whole suite through the engine, --jobs {jobs} ({passed}/{} ok)",
                cases.len()
            ),
            value: started.elapsed().as_secs_f64(),
            unit: "s",
            target: None,
        });
    }
    Ok(())
}
