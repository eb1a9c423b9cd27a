//! The OTA power-cut campaign on a `board` rig, on QEMU-as-a-board: power cut by the rig's own `command` backend at wall-clock points of the measured update, every check made over the board's links, one point replayed by its id.
//!
//! The board (`hil emulate-board`) is what a lab's board is to the harness:
//! power on boots whatever its NVM holds, power off kills QEMU wherever the
//! update was, `flash` writes the factory image. The test checks the
//! campaign's verdicts (no failure), that no cut lands in a stage before
//! the one its id names (each is timed from the start of its own stage),
//! that all but one fire, in more than one stage, and, from the board's
//! own log, that every cut was a
//! real power-off through the backend: a point whose cut fired powers the
//! board on once more than one whose cut came too late.
//!
//! Exact cuts need a probe (`probe:` in the rig file), which QEMU-as-a-board
//! has not: asking for them is refused naming the rig file, before the board
//! is touched. The exact path itself runs only on a board with a probe.
//!
//! It needs qemu-system-arm; without it it says so and passes, unless
//! `HIL_REQUIRE_QEMU=1` (CI sets it).

mod board_rig_support;
mod support;

use std::time::Instant;

use board_rig_support::{events, hil, text, Lab};

const RIG: &str = "an505-board";

/// Power-ons of a point whose cut did not fire: one life and three clean
/// power cycles (a cut that fires adds the recovery's).
const ONS_UNCUT_POINT: usize = 4;

#[test]
fn the_power_cut_campaign_passes_on_the_board_rig_with_cuts_by_its_power_backend() {
    let Some(lab) = Lab::start("powercut") else {
        return;
    };
    let count = |log: &[String], what: &str| log.iter().filter(|e| e.as_str() == what).count();

    // Exact cuts without a probe: bad input naming the rig file's missing
    // `probe:`, and nothing switched.
    let before = events(&lab);
    for args in [vec!["--exact"], vec!["--replay", "op12"]] {
        let mut argv = vec!["ota", "powercut", "--rig", RIG];
        argv.extend(args);
        let refused = hil(lab.root(), &argv);
        let out = text(&refused);
        assert_eq!(refused.status.code(), Some(2), "{out}");
        assert!(
            out.contains(&format!("{RIG}.yaml: board.probe")) && out.contains("probe: {"),
            "{out}"
        );
    }
    assert_eq!(
        events(&lab),
        before,
        "a refused campaign switched the board"
    );

    let t = Instant::now();
    let run = hil(
        lab.root(),
        &["ota", "powercut", "--rig", RIG, "--kills", "1"],
    );
    let campaign_secs = t.elapsed().as_secs_f64();
    let out = text(&run);
    assert_eq!(run.status.code(), Some(0), "{out}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(lab.root().join("reports/latest/powercut.json")).unwrap(),
    )
    .unwrap();
    let points = report["points"].as_array().unwrap();
    for p in points {
        assert_eq!(p["outcome"], "ok", "{p}\n{out}");
    }
    let update = report["campaign"]["update_seconds"].as_f64().unwrap();
    assert!(update > 0.0, "{report}");
    let wall: Vec<&serde_json::Value> =
        points.iter().filter(|p| p["kind"] == "wallclock").collect();
    assert!(
        (4..=6).contains(&wall.len()),
        "{} wall-clock points: {out}",
        wall.len()
    );
    // Each cut is timed from the start of its own stage (`kill60ms@install`),
    // so a stage that ran slower than on the golden run cannot push it into
    // an earlier one's place: every cut that fires lands in the stage its
    // id names or, when that stage ran faster than on the golden run (a
    // loaded host makes them vary twofold), a later one; at most one cut
    // comes after the update was done, and the cuts land in the download
    // and at least one other stage.
    const ORDER: [&str; 4] = ["offer", "download", "verify", "install"];
    let rank = |stage: &str| ORDER.iter().position(|s| *s == stage);
    let mut fired = 0;
    let mut phases: Vec<&str> = Vec::new();
    for p in &wall {
        let id = p["id"].as_str().unwrap();
        let (_, planned) = id
            .split_once('@')
            .unwrap_or_else(|| panic!("{id}: no stage"));
        if p["cuts_fired"] != 1 {
            continue;
        }
        fired += 1;
        let landed = p["phase"].as_str().unwrap();
        assert!(
            rank(landed).unwrap_or(ORDER.len()) >= rank(planned).unwrap(),
            "{id} landed in an earlier stage: {p}\n{out}"
        );
        phases.push(landed);
    }
    assert!(fired + 1 >= wall.len(), "{fired} cuts fired: {out}");
    phases.sort_unstable();
    phases.dedup();
    assert!(
        phases.contains(&"download") && phases.len() >= 2,
        "the cuts landed in {phases:?} only: {out}"
    );

    // The board's own log: every point flashed once, and every cut that
    // fired was a power-off through the backend that the recovery had to
    // power on from (a point whose cut fired powers on once more).
    let after = events(&lab);
    let ons = count(&after, "on") - count(&before, "on");
    let flashes = count(&after, "flash") - count(&before, "flash");
    assert_eq!(flashes, 1 + wall.len(), "{after:?}");
    assert_eq!(
        ons,
        ONS_UNCUT_POINT * (1 + wall.len()) + fired,
        "power-ons seen by the board: {after:?}\n{out}"
    );
    assert_eq!(report["campaign"]["power_ons"], ons, "{report}");
    eprintln!(
        "board campaign: golden update {update:.2} s, {} points in {campaign_secs:.1} s ({:.1} s per cut point as the campaign measured), phases {phases:?}",
        points.len(),
        report["campaign"]["seconds_per_point"].as_f64().unwrap()
    );

    // A point replays by its id: a cut in the download (far from any
    // stage's edge, so it lands there again).
    let last = wall
        .iter()
        .find(|p| p["cuts_fired"] == 1 && p["phase"] == "download")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let replay = hil(
        lab.root(),
        &["ota", "powercut", "--rig", RIG, "--replay", &last],
    );
    let out = text(&replay);
    assert_eq!(replay.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!("{last}: ok (phase "))
            && out.contains("1 of 1 cut(s) fired by the power backend"),
        "{out}"
    );
    let replayed = events(&lab);
    assert_eq!(
        count(&replayed, "on") - count(&after, "on"),
        ONS_UNCUT_POINT + 1,
        "{replayed:?}"
    );
}
