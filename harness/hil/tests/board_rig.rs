//! The `board` rig end to end on QEMU-as-a-board: the whole conformance suite and the overrun campaign through a `command` power backend, a `flash:` action and a `reset:` line, with parity against the sim; a shard on a board without `reset:`, power-cycled for every case, with parity against `qemu-an505`.
//!
//! Each test starts `hil emulate-board` (the real secure image and agent
//! under QEMU behind two stable ptys and an HTTP port) and writes a board
//! rig whose power is `hil emulate-board power URL on|off`, whose flashing
//! is `hil emulate-board flash URL` and (where it has one) whose reset line
//! is `hil emulate-board reset URL` — the code path a lab with any power
//! switch, flasher and reset line takes. The board's own log (`hil
//! emulate-board status`) shows what happened to it: power-on boots what
//! the flash holds, flashing happens once at the start and after a case
//! that changed the flash, never while powered, and a board with a reset
//! line is reset between cases rather than power-cycled.
//!
//! The whole suite's reference is the sim, not `qemu-an505`: running both
//! would double the QEMU time, and `hil-runner`'s `qemu` test already holds
//! every `qemu-an505` transcript to the sim's, so the board agreeing with
//! the sim is the board agreeing with QEMU. The power-cycle shard keeps
//! `qemu-an505` beside it to check that a case skipped for the AN505
//! images is skipped on the board with the same reason.
//!
//! The tests take turns (`board_rig_support`): one emulated board runs at a
//! time, since two side by side on a 2-core machine slow every case down
//! more than running them one after the other costs.
//!
//! It needs qemu-system-arm; without it it says so and passes, unless
//! `HIL_REQUIRE_QEMU=1` (CI sets it).

mod board_rig_support;
mod support;

use std::time::Instant;

use board_rig_support::{events, hil, text, Lab};

/// Which share of the suite runs on the board without a reset line: it
/// power-cycles QEMU for every case (about 1.3 s a case against about
/// 0.2 s with the reset line), so this path runs an eighth of the suite;
/// the shard is picked by hash, so every area is represented.
const SHARD: &str = "hash:1/8";

fn results(lab: &Lab) -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(lab.root().join("reports/latest/results.json")).unwrap(),
    )
    .unwrap()
}

/// The median time of a case that ran on `rig` (its reset included).
fn median_case_ms(results: &serde_json::Value, rig: &str) -> f64 {
    let mut ms: Vec<f64> = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rig"] == rig && c["outcome"]["status"] != "skipped")
        .map(|c| c["duration_ms"].as_f64().unwrap())
        .collect();
    ms.sort_by(f64::total_cmp);
    ms.get(ms.len() / 2).copied().unwrap_or(0.0)
}

/// Flashing happened at the start of the run (after the board's own first
/// flash), and the board was off whenever the run flashed it (the session
/// powers off first), so a flash never restarted a running board.
fn assert_flashed_only_while_off(log: &[String]) {
    let flashes = log.iter().filter(|e| e.as_str() == "flash").count();
    assert!(flashes >= 2, "no flash at the run's start: {log:?}");
    for (i, e) in log.iter().enumerate().skip(1) {
        if e == "flash" {
            assert_ne!(
                log[i - 1],
                "on",
                "flashed while powered at event {i}: {log:?}"
            );
        }
    }
}

#[test]
fn the_whole_suite_passes_on_a_board_reset_between_cases_with_the_sims_transcripts() {
    let Some(lab) = Lab::start_with("suite", true) else {
        return;
    };
    let started = Instant::now();
    let run = hil(lab.root(), &["run", "--rig", "an505-board", "--rig", "sim"]);
    let took = started.elapsed();
    let out = text(&run);
    assert_eq!(run.status.code(), Some(0), "{out}");
    assert!(
        out.contains("parity: 0 case(s) differ between an505-board and sim"),
        "{out}"
    );
    let results = results(&lab);
    let per_rig = &results["summary"]["per_rig"];
    let (board, sim) = (&per_rig["an505-board"], &per_rig["sim"]);
    // The same selection (no shard, no filter) on both rigs.
    assert_eq!(board["total"], sim["total"], "{per_rig}");
    let passed = board["passed"].as_u64().unwrap();
    let total = board["total"].as_u64().unwrap();
    assert_eq!(
        passed + board["skipped"].as_u64().unwrap(),
        total,
        "{per_rig}"
    );
    assert!(passed >= 300, "{passed} cases passed on the board: {out}");

    // The reset line readied the board for most cases; the power went on
    // at the start and again only where a reset will not do (a case that
    // changed the flash, which must be rewritten with the power off, or
    // lost the device).
    let log = events(&lab);
    let count = |what: &str| log.iter().filter(|e| e.as_str() == what).count();
    let (ons, resets, flashes) = (count("on"), count("reset"), count("flash"));
    assert!(
        resets + ons >= passed as usize,
        "{resets} resets and {ons} power-ons for {passed} cases: {log:?}"
    );
    assert!(
        ons * 4 < passed as usize,
        "{ons} power-ons for {passed} cases: the reset line must stand for most: {log:?}"
    );
    assert!(
        ons < flashes + 10,
        "{ons} power-ons for {flashes} flashes: a power cycle only where a reset will not do: {log:?}"
    );
    assert_flashed_only_while_off(&log);
    eprintln!(
        "the whole suite on the board with a reset line: {total} cases, {passed} passed, in {:.1} s; median case {:.0} ms; {resets} resets, {ons} power-ons, {flashes} flashes",
        took.as_secs_f64(),
        median_case_ms(&results, "an505-board"),
    );
}

#[test]
fn a_shard_of_the_suite_passes_on_a_board_without_reset_power_cycled_for_every_case() {
    let Some(lab) = Lab::start("shard") else {
        return;
    };
    let run = hil(
        lab.root(),
        &[
            "run",
            "--rig",
            "an505-board",
            "--rig",
            "qemu-an505",
            "--partition",
            SHARD,
        ],
    );
    let out = text(&run);
    assert_eq!(run.status.code(), Some(0), "{out}");
    assert!(
        out.contains("parity: 0 case(s) differ between an505-board and qemu-an505"),
        "{out}"
    );
    let results = results(&lab);
    let per_rig = &results["summary"]["per_rig"];
    let (board, qemu) = (&per_rig["an505-board"], &per_rig["qemu-an505"]);
    for counter in ["total", "passed", "skipped"] {
        assert_eq!(board[counter], qemu[counter], "{counter}: {per_rig}");
    }
    let passed = board["passed"].as_u64().unwrap();
    assert!(passed >= 30, "{passed} cases passed on the board: {out}");
    // A case skipped for the AN505 images is skipped on the board too, with
    // the same reason.
    let skipped = |rig: &str| -> Vec<(String, String)> {
        results["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["rig"] == rig && c["outcome"]["status"] == "skipped")
            .map(|c| (c["case_id"].to_string(), c["outcome"]["reason"].to_string()))
            .collect()
    };
    assert_eq!(skipped("an505-board"), skipped("qemu-an505"));

    // Without a reset line each case power-cycled the board; flashing
    // happened at the start and after the cases that changed the flash,
    // never as part of a power-on.
    let log = events(&lab);
    let count = |what: &str| log.iter().filter(|e| e.as_str() == what).count();
    let (ons, flashes) = (count("on"), count("flash"));
    assert_eq!(count("reset"), 0, "a board without `reset:`: {log:?}");
    assert!(
        ons as u64 >= passed,
        "{ons} power-ons for {passed} cases: {log:?}"
    );
    assert!(
        flashes < ons / 2,
        "{flashes} flashes for {ons} power-ons: power-on must not flash: {log:?}"
    );
    assert_flashed_only_while_off(&log);
    eprintln!(
        "a shard on the board without a reset line: {passed} passed; median case {:.0} ms (qemu-an505 beside it: {:.0} ms)",
        median_case_ms(&results, "an505-board"),
        median_case_ms(&results, "qemu-an505"),
    );
}

/// Which share of the overrun sweep runs on the board: its 522 points took
/// a median 0.93 s each there (measured under a load average of 16; a
/// reset and a flood through the UART). `hil-runner`'s `qemu` test runs the
/// whole sweep on `qemu-an505`; the board shows its own path through the
/// same points. This shard (71 points) holds every ring size of the full
/// grid (every flood, centre count and reader delay).
const OVERRUN_SHARD: &str = "hash:1/8";

#[test]
fn the_overrun_campaign_runs_on_a_board_with_the_sims_observations() {
    let Some(lab) = Lab::start_with("overrun", true) else {
        return;
    };
    let run = hil(
        lab.root(),
        &[
            "overrun",
            "--rig",
            "an505-board",
            "--rig",
            "sim",
            "--partition",
            OVERRUN_SHARD,
        ],
    );
    let out = text(&run);
    assert_eq!(run.status.code(), Some(0), "{out}");
    assert!(
        out.contains("parity: 0 point(s) differ between an505-board and sim"),
        "{out}"
    );
    let results = results(&lab);
    let board = &results["summary"]["per_rig"]["an505-board"];
    let sim = &results["summary"]["per_rig"]["sim"];
    assert_eq!(board["failed"], 0, "{board}");
    assert_eq!(board["errors"], 0, "{board}");
    let points = board["passed"].as_u64().unwrap();
    assert!(points >= 10, "{points} points passed on the board: {out}");
    // The shard, and only it, ran on both rigs; it holds every ring size
    // of the full grid (the sizes with every flood, centre count and delay).
    let sweep = hil_campaign::overrun::default_sweep();
    let partition: hil_report::Partition = OVERRUN_SHARD.parse().unwrap();
    assert_eq!(board["total"], sim["total"], "{results}");
    let ids: Vec<&str> = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["rig"] == "an505-board")
        .map(|c| c["case_id"].as_str().unwrap())
        .collect();
    assert!(ids.len() < sweep.len(), "{} points", ids.len());
    for bytes in [32, 48, 64, 128, 256, 512, 1024] {
        let group = format!("overrun.b{bytes}-");
        assert!(
            ids.iter().any(|id| id.starts_with(&group)),
            "no {bytes}-byte ring in {partition}: {ids:?}"
        );
    }
    let table = std::fs::read_to_string(lab.root().join("reports/latest/overrun.md")).unwrap();
    assert!(table.contains("an505-board"), "{table}");
    // The board was reset between points, not power-cycled.
    let log = events(&lab);
    let resets = log.iter().filter(|e| e.as_str() == "reset").count();
    assert!(
        resets as u64 + 1 >= points,
        "{resets} resets for {points} points: {log:?}"
    );
}
