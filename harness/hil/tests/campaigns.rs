//! The campaigns stopped mid-run, as a lab stops them: nothing they finished is lost, and the report knows the whole plan.
//!
//! - `hil ota powercut` killed with SIGKILL (`timeout -s KILL`): the report
//!   folder is there, `results.json` is valid and says how much was planned,
//!   and every point that finished is in `powercut.jsonl`.
//! - `hil ota powercut` interrupted (SIGINT): exit 130, the report marked
//!   interrupted, `started_at` the real start, and `powercut.md` says how
//!   many of the planned points ran.
//! - `hil overrun` interrupted: exit 130, `results.json` interrupted (not
//!   left at `running`), `overrun.md` written.
//!
//! And `hil mqtt-loss --quick` runs to the end on the sim and, when QEMU is
//! installed, on QEMU: every message accounted for, the same on both.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::repo;

fn start(args: &[&str], reports: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_hil"))
        .arg("--root")
        .arg(repo())
        .args(args)
        .arg("--reports")
        .arg(reports)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until `ready` holds, or fails after two minutes.
fn wait_for(hil: &mut Child, what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !ready() {
        if let Ok(Some(status)) = hil.try_wait() {
            panic!("hil exited ({status}) before {what}");
        }
        if Instant::now() > deadline {
            let _ = hil.kill();
            panic!("no {what} within two minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

fn signal(hil: &Child, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &hil.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal}");
}

fn report(dir: &Path) -> hil_report::RunReport {
    let text = std::fs::read_to_string(dir.join("results.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn timestamp(text: &str) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).unwrap()
}

#[test]
fn a_powercut_campaign_killed_with_sigkill_leaves_its_points_and_plan() {
    let reports = tempfile::tempdir().unwrap();
    let latest = reports.path().join("latest");
    let mut hil = start(&["ota", "powercut"], reports.path());
    let stream = latest.join("powercut.jsonl");
    wait_for(&mut hil, "streamed points", || lines(&stream) >= 20);
    hil.kill().unwrap();
    hil.wait().unwrap();
    let report = report(&latest);
    assert_eq!(
        report.status,
        hil_report::RunStatus::Running,
        "killed, not finished"
    );
    assert!(
        report.run.planned > 3,
        "the plan's groups: {}",
        report.run.planned
    );
    // Every streamed line is a whole point (the last may be cut mid-write).
    let text = std::fs::read_to_string(&stream).unwrap();
    let whole = text
        .lines()
        .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
        .count();
    assert!(whole >= 20, "{whole} whole points");
}

#[test]
fn an_interrupted_powercut_campaign_says_how_much_of_the_plan_ran() {
    let reports = tempfile::tempdir().unwrap();
    let latest = reports.path().join("latest");
    let before = time::OffsetDateTime::now_utc();
    let mut hil = start(&["ota", "powercut"], reports.path());
    let stream = latest.join("powercut.jsonl");
    wait_for(&mut hil, "streamed points", || lines(&stream) >= 20);
    let interrupted_at = time::OffsetDateTime::now_utc();
    signal(&hil, "INT");
    let status = hil.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let report = report(&latest);
    assert_eq!(report.status, hil_report::RunStatus::Interrupted);
    let started = timestamp(&report.run.started_at);
    assert!(
        started >= before - Duration::from_secs(1) && started <= interrupted_at,
        "started_at {started} is not the start (spawned {before}, interrupted {interrupted_at})"
    );
    let md = std::fs::read_to_string(latest.join("powercut.md")).unwrap();
    let ran = lines(&stream);
    let (said_ran, planned) = md
        .split("**Interrupted** (Ctrl-C or SIGTERM): ")
        .nth(1)
        .and_then(|rest| {
            let mut words = rest.split_whitespace();
            let ran: usize = words.next()?.parse().ok()?;
            let planned: usize = words.nth(1)?.parse().ok()?;
            Some((ran, planned))
        })
        .unwrap_or_else(|| panic!("no `N of M planned points` in\n{md}"));
    assert_eq!(said_ran, ran, "powercut.md and powercut.jsonl agree");
    assert!(planned > 10_000, "the whole plan, not what ran: {planned}");
}

#[test]
fn an_interrupted_overrun_campaign_writes_its_report() {
    let reports = tempfile::tempdir().unwrap();
    let latest = reports.path().join("latest");
    let mut hil = start(&["overrun"], reports.path());
    wait_for(&mut hil, "a finished point", || {
        std::fs::read_to_string(latest.join("results.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<hil_report::RunReport>(&t).ok())
            .is_some_and(|r| !r.cases.is_empty())
    });
    signal(&hil, "INT");
    let status = hil.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let report = report(&latest);
    assert_eq!(report.status, hil_report::RunStatus::Interrupted);
    assert_eq!(report.exit_code, Some(130));
    assert!(report.cases.len() < report.run.planned);
    let md = std::fs::read_to_string(latest.join("overrun.md")).unwrap();
    assert!(!md.is_empty());
}

#[test]
fn hil_fuzz_runs_any_count_and_seed_and_reports_calls_per_second() {
    let reports = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hil"))
        .arg("--root")
        .arg(repo())
        .args([
            "fuzz",
            "--calls",
            "123457",
            "--seed",
            "0xC0FFEE",
            "--reports",
        ])
        .arg(reports.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("123457 calls in"), "{stdout}");
    assert!(stdout.contains("calls/s"), "{stdout}");
    assert!(stdout.contains("0 finding(s)"), "{stdout}");
    let latest = reports.path().join("latest");
    let md = std::fs::read_to_string(latest.join("fuzz.md")).unwrap();
    assert!(md.contains("`0xc0ffee`"), "the seed of stream 0: {md}");
    let report = report(&latest);
    assert!(report
        .cases
        .iter()
        .all(|c| c.case_id.starts_with("fuzz.boundary.stream")));
    assert_eq!(report.exit_code, Some(0));
}

#[test]
fn hil_fuzz_refuses_a_seed_that_is_no_number() {
    let out = Command::new(env!("CARGO_BIN_EXE_hil"))
        .arg("--root")
        .arg(repo())
        .args(["fuzz", "--seed", "0xZZ"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a seed"));
}

#[test]
fn the_quick_mqtt_loss_sweep_accounts_for_every_message_on_every_rig() {
    if hil_rig::mosquitto_path().is_none() && !hil_rig::mosquitto_required() {
        eprintln!("skipped: the MQTT loss campaign needs mosquitto (HIL_REQUIRE_MOSQUITTO=1 makes this a failure)");
        return;
    }
    let qemu = hil_rig::qemu::installed(Path::new("qemu-system-arm"));
    assert!(
        qemu || std::env::var_os("HIL_REQUIRE_QEMU").is_none(),
        "HIL_REQUIRE_QEMU is set but qemu-system-arm is not installed"
    );
    let mut rigs = vec!["--rig", "sim"];
    if qemu {
        rigs.extend(["--rig", "qemu-an505"]);
    } else {
        eprintln!("qemu-system-arm is not installed: the MQTT loss sweep runs on the sim only");
    }
    let reports = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hil"))
        .arg("--root")
        .arg(repo())
        .args(["mqtt-loss", "--quick"])
        .args(&rigs)
        .arg("--reports")
        .arg(reports.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let latest = reports.path().join("latest");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(latest.join("mqtt-loss.json")).unwrap())
            .unwrap();
    let by_rig = json["rigs"].as_object().unwrap();
    assert_eq!(by_rig.len(), rigs.len() / 2, "{json}");
    for (rig, t) in by_rig {
        let n = |k: &str| t[k].as_u64().unwrap();
        assert_eq!(n("points"), 4, "{rig}");
        assert_eq!(
            n("unaccounted"),
            0,
            "{rig}: every message received or recorded lost"
        );
        assert_eq!(n("qos1_lost_fitting"), 0, "{rig}: QoS 1 redelivered");
        assert_eq!(n("failures"), 0, "{rig}");
        assert_eq!(n("received") + n("lost"), n("sent"), "{rig}");
        // The sweep makes both outcomes: a check that saw no loss proves little.
        assert!(n("lost") > 0 && n("received") > 0, "{rig}: {t}");
    }
    if qemu {
        assert!(stdout.contains("parity: 0 point(s) differ"), "{stdout}");
    }
    let md = std::fs::read_to_string(latest.join("mqtt-loss.md")).unwrap();
    assert!(md.contains("**0 unaccounted**"), "{md}");
    assert!(std::fs::read_to_string(latest.join("mqtt-loss.svg"))
        .unwrap()
        .starts_with("<svg"));
}

#[test]
fn hil_bench_mqtt_only_prints_every_rig_beside_the_host_floor() {
    // Any broker will do: mosquitto, or the embedded one without it.
    let out = Command::new(env!("CARGO_BIN_EXE_hil"))
        .arg("--root")
        .arg(repo())
        .args(["bench", "--mqtt-only"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The figures are measured, never asserted: they exist, beside the floor.
    assert!(
        stdout.contains("host floor: rumqttc↔broker round trips/s"),
        "{stdout}"
    );
    let mut rigs = vec!["sim: MQTT publish→receive"];
    if hil_rig::qemu::installed(Path::new("qemu-system-arm")) {
        rigs.push("qemu-an505: MQTT publish→receive");
    }
    for rig in rigs {
        let line = stdout.lines().find(|l| l.contains(rig));
        assert!(
            line.is_some_and(|l| l.contains("x the host floor")),
            "{rig}: {stdout}"
        );
    }
}
