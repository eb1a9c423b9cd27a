//! The `board` rig end to end on QEMU-as-a-board: the conformance suite through a `command` power backend and a `flash:` action, with parity against `qemu-an505`.
//!
//! The test starts `hil emulate-board` (the real secure image and agent
//! under QEMU behind two stable ptys and an HTTP port), writes a board rig
//! whose power is `hil emulate-board power URL on|off` and whose flashing is
//! `hil emulate-board flash URL` — the code path a lab with any power
//! switch and flasher takes — and runs the suite on it beside `qemu-an505`.
//! The board's own log (`hil emulate-board status`) shows what happened to
//! it: power-on boots what the flash holds, and flashing happens once at the
//! start and after a case that changed the flash, not at every power-on.
//!
//! It needs qemu-system-arm; without it it says so and passes, unless
//! `HIL_REQUIRE_QEMU=1` (CI sets it).

mod board_rig_support;

use board_rig_support::{events, hil, Lab};

/// Which share of the suite runs on the board: the whole suite power-cycles
/// QEMU for every case (see the README, "board" section, for the time it
/// takes here: about 1.3 s a case against 0.05 s for a QMP reset), so
/// `cargo test` runs an eighth of it; the shard is picked by hash, so every
/// area is represented.
const SHARD: &str = "hash:1/8";

#[test]
fn a_shard_of_the_suite_passes_on_the_board_rig_with_qemus_transcripts() {
    let Some(lab) = Lab::start("suite") else {
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
    let out = board_rig_support::text(&run);
    assert_eq!(run.status.code(), Some(0), "{out}");
    assert!(
        out.contains("parity: 0 case(s) differ between an505-board and qemu-an505"),
        "{out}"
    );
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(lab.root().join("reports/latest/results.json")).unwrap(),
    )
    .unwrap();
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

    // Each case power-cycled the board; flashing happened at the start of
    // the run (after the board's own first flash) and after the cases that
    // changed the flash, never as part of a power-on.
    let log = events(&lab);
    let count = |what: &str| log.iter().filter(|e| e.as_str() == what).count();
    let (ons, flashes) = (count("on"), count("flash"));
    assert!(
        ons as u64 >= passed,
        "{ons} power-ons for {passed} cases: {log:?}"
    );
    assert!(flashes >= 2, "no flash at the run's start: {log:?}");
    assert!(
        flashes < ons / 2,
        "{flashes} flashes for {ons} power-ons: power-on must not flash: {log:?}"
    );
    // The board was off whenever it was flashed by the run (the session
    // powers off first), so the flash never restarted a running board.
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
