//! Release gating as a user meets it: bless, regress, quarantine, shard and merge, history, coverage — through the `hil` binary.

use std::path::{Path, PathBuf};

mod support;

use support::{copy_dir, hil, hil_command, repo, scratch_repo, text};

/// A repository with the sim and qemu rig files and `cases` in `conformance/device/`.
/// Removed when the value is dropped.
fn scratch(name: &str, cases: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = scratch_repo(&format!("hil-gating-{name}-"), &["sim", "qemu-an505"]);
    let dir = tmp.path();
    for (id, expect) in cases {
        write_case(dir, id, expect);
    }
    tmp
}

fn write_case(root: &Path, id: &str, expect: &str) {
    let text = format!(
        "id: device.{id}\ntitle: mvNoOp returns {expect}\nspec: {{ quote: \"Does nothing, and returns `Status::Okay`.\", source: \"mv_syscalls.h, mvNoOp\" }}\nsteps:\n  - call: mvNoOp\n    expect: {expect}\n"
    );
    std::fs::write(root.join(format!("conformance/device/{id}.yaml")), text).unwrap();
}

fn latest(root: &Path) -> PathBuf {
    std::fs::canonicalize(root.join("reports/latest")).unwrap()
}

#[test]
fn a_blessed_baseline_and_one_injected_regression_fail_the_gate_naming_it() {
    let tmp = scratch("regression", &[("one", "OKAY"), ("two", "OKAY")]);
    let root = tmp.path();
    assert_eq!(hil(root, &["run"]).status.code(), Some(0));
    let bless = hil(root, &["baseline", "bless"]);
    assert_eq!(bless.status.code(), Some(0), "{}", text(&bless));
    let baseline = root.join("reports/baselines/baseline.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(json["schema"], "hil-baseline/1");
    assert_eq!(json["results"]["sim"]["device.two"], "passed");

    // The same firmware passes the gate...
    assert_eq!(hil(root, &["run"]).status.code(), Some(0));
    let pass = hil(root, &["gate"]);
    assert_eq!(pass.status.code(), Some(0), "{}", text(&pass));
    assert!(text(&pass).contains("gate: PASS"), "{}", text(&pass));

    // ... one case regresses: the gate fails and names it.
    write_case(root, "two", "UNAVAILABLE");
    assert_eq!(hil(root, &["run"]).status.code(), Some(1));
    let fail = hil(root, &["gate"]);
    let out = text(&fail);
    assert_eq!(fail.status.code(), Some(1), "{out}");
    assert!(
        out.contains("gate: FAIL: 1 regressions (device.two on sim)"),
        "{out}"
    );
    let md = std::fs::read_to_string(latest(root).join("gate.md")).unwrap();
    assert!(md.contains("## regressions (1, fail)"), "{md}");
    let html = std::fs::read_to_string(latest(root).join("report.html")).unwrap();
    assert!(
        html.contains("id=\"gate\""),
        "the gate section is in report.html"
    );

    // A case of the baseline that is no longer run fails it too.
    std::fs::remove_file(root.join("conformance/device/one.yaml")).unwrap();
    hil(root, &["run"]);
    let out = text(&hil(root, &["gate"]));
    assert!(out.contains("1 vanished (device.one)"), "{out}");
}

#[test]
fn a_quarantined_failure_does_not_fail_the_gate_until_its_entry_expires() {
    let tmp = scratch("quarantine", &[("one", "OKAY"), ("two", "OKAY")]);
    let root = tmp.path();
    hil(root, &["run"]);
    hil(root, &["baseline", "bless"]);
    write_case(root, "two", "UNAVAILABLE");
    let quarantine = |expires: &str| {
        std::fs::write(
            root.join("conformance/quarantine.yaml"),
            format!("entries:\n  - case: device.two\n    rigs: [sim]\n    reason: misreports on purpose\n    link: https://example.org/issues/17\n    expires: {expires}\n"),
        )
        .unwrap();
    };

    quarantine("2999-12-31");
    let run = hil(root, &["run"]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "a quarantined failure does not fail the run: {}",
        text(&run)
    );
    assert!(text(&run).contains("(1 quarantined)"), "{}", text(&run));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(latest(root).join("results.json")).unwrap())
            .unwrap();
    let two = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case_id"] == "device.two")
        .unwrap();
    assert_eq!(two["outcome"]["status"], "failed");
    assert_eq!(two["quarantine"]["link"], "https://example.org/issues/17");
    let gate = hil(root, &["gate"]);
    assert_eq!(gate.status.code(), Some(0), "{}", text(&gate));
    let md = std::fs::read_to_string(latest(root).join("gate.md")).unwrap();
    assert!(md.contains("## quarantined failures (1, ignore)"), "{md}");

    quarantine("2001-01-31");
    let gate = hil(root, &["gate"]);
    let out = text(&gate);
    assert_eq!(gate.status.code(), Some(1), "{out}");
    assert!(
        out.contains("1 expired quarantine entries (device.two)"),
        "{out}"
    );
    assert!(out.contains("1 regressions (device.two on sim)"), "{out}");

    // A malformed entry is bad input, with its line.
    std::fs::write(
        root.join("conformance/quarantine.yaml"),
        "entries:\n  - case: device.two\n    reason: r\n    link: l\n    expires: soon\n",
    )
    .unwrap();
    let bad = hil(root, &["run"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad).contains("quarantine.yaml:5: entries[0].expires: `soon` is not a date"),
        "{}",
        text(&bad)
    );
}

/// (rig, case, status, transcript) of every result, sorted.
fn results(dir: &Path) -> Vec<(String, String, String, String)> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    let mut out: Vec<_> = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["rig"].as_str().unwrap().to_owned(),
                c["case_id"].as_str().unwrap().to_owned(),
                c["outcome"]["status"].as_str().unwrap().to_owned(),
                c["transcript"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn merging_three_shards_equals_the_unsharded_run_and_a_missing_or_doubled_shard_is_an_error() {
    let tmp = scratch("shards", &[]);
    let root = tmp.path();
    std::fs::remove_dir_all(root.join("conformance")).unwrap();
    copy_dir(&repo().join("conformance"), &root.join("conformance"));
    let whole = hil(root, &["run", "--reports", "reports/whole"]);
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole));
    let whole = std::fs::canonicalize(root.join("reports/whole/latest")).unwrap();

    for kind in ["count", "hash"] {
        let mut shards = Vec::new();
        for k in 1..=3 {
            let at = format!("reports/{kind}{k}");
            let out = hil(
                root,
                &[
                    "run",
                    "--partition",
                    &format!("{kind}:{k}/3"),
                    "--reports",
                    &at,
                ],
            );
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
            shards.push(std::fs::canonicalize(root.join(at).join("latest")).unwrap());
        }
        let args: Vec<&str> = shards.iter().map(|p| p.to_str().unwrap()).collect();
        let mut merge = vec!["merge", "--reports", "reports/merged"];
        merge.extend(&args);
        let out = hil(root, &merge);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let merged = std::fs::canonicalize(root.join("reports/merged/latest")).unwrap();
        assert_eq!(
            results(&merged),
            results(&whole),
            "{kind}: merged shards = unsharded run"
        );
        assert!(merged.join("report.html").exists());
        assert!(merged.join("junit.xml").exists());

        let missing = hil(root, &["merge", args[0], args[2]]);
        assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
        assert!(
            text(&missing).contains(&format!("shard {kind}:2/3 is missing")),
            "{}",
            text(&missing)
        );
        let doubled = hil(root, &["merge", args[0], args[1], args[1], args[2]]);
        assert_eq!(doubled.status.code(), Some(2), "{}", text(&doubled));
        assert!(
            text(&doubled).contains(&format!("shard {kind}:2/3 is given twice")),
            "{}",
            text(&doubled)
        );
    }
}

#[test]
fn runs_on_one_host_at_once_all_land_in_the_history() {
    let tmp = scratch("history", &[("one", "OKAY"), ("two", "OKAY")]);
    let root = tmp.path();
    // Four runs started together, each recording into the one file.
    let children: Vec<_> = (0..4)
        .map(|n| {
            hil_command(root)
                .args(["run", "--reports", &format!("reports/p{n}")])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let out = hil(root, &["history", "device.one", "--last", "50"]);
    let out = text(&out);
    assert!(out.contains("device.one"), "{out}");
    assert!(
        out.contains("   4   100%"),
        "4 runs recorded, all passed: {out}"
    );
}

#[test]
fn the_coverage_matrix_lists_uncovered_pairs_first_and_what_the_cases_observed() {
    let tmp = scratch("coverage", &[("one", "OKAY")]);
    let root = tmp.path();
    hil(root, &["run"]);
    let out = hil(root, &["coverage"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("1 of 305 documented (call, outcome) pairs observed"),
        "{md}"
    );
    let first_row = md.lines().find(|l| l.starts_with("| 0 ")).unwrap();
    assert!(first_row.contains("not observed"), "{first_row}");
    assert!(
        md.contains("| 27 | `mvNoOp` | status `OKAY` | sim: device.one |"),
        "{md}"
    );
    let uncovered = md.find("not observed").unwrap();
    let covered = md.find("sim: device.one").unwrap();
    assert!(uncovered < covered, "uncovered pairs come first");
}

#[test]
fn the_nightly_plan_runs_suites_and_campaigns_then_gates_with_one_exit_code() {
    let tmp = scratch("nightly", &[("one", "OKAY"), ("two", "OKAY")]);
    let root = tmp.path();
    std::fs::create_dir_all(root.join("rigs/plans")).unwrap();
    std::fs::write(
        root.join("rigs/plans/nightly.yaml"),
        "rigs: [sim]\nsuites:\n  - name: device\n    filters: [device.]\ncampaigns:\n  - { name: powercut-sim, kind: powercut, rig: sim, app_size: 8192, nested_stride: 0, random: 10 }\nretries:\n  default: 1\n",
    )
    .unwrap();
    let first = hil(root, &["nightly"]);
    let out = text(&first);
    assert_eq!(
        first.status.code(),
        Some(0),
        "no baseline yet: the parts' worst: {out}"
    );
    assert!(out.contains("gate: no baseline"), "{out}");
    let night = latest(root);
    assert!(night.join("parts/device/results.json").exists());
    assert!(night.join("parts/powercut-sim/powercut.svg").exists());
    let bless = hil(root, &["baseline", "bless"]);
    assert_eq!(bless.status.code(), Some(0), "{}", text(&bless));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("reports/baselines/baseline.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["figures"]["powercut.sim.failures"], 0.0);
    assert_eq!(json["results"]["sim"]["device.one"], "passed");

    let second = hil(root, &["nightly"]);
    let out = text(&second);
    assert_eq!(second.status.code(), Some(0), "{out}");
    assert!(out.contains("gate: PASS"), "{out}");
    let html = std::fs::read_to_string(latest(root).join("report.html")).unwrap();
    for id in [
        "gate",
        "campaigns",
        "trends",
        "coverage",
        "failures",
        "cases",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    assert!(html.contains("<svg"), "the power-cut plot is inline");

    // One regression in the suite: the nightly fails, naming it.
    write_case(root, "two", "UNAVAILABLE");
    let third = hil(root, &["nightly"]);
    let out = text(&third);
    assert_eq!(third.status.code(), Some(1), "{out}");
    assert!(out.contains("1 regressions (device.two on sim)"), "{out}");

    // A malformed plan is bad input with its line, and nothing runs.
    std::fs::write(
        root.join("rigs/plans/nightly.yaml"),
        "rigs: [sim]\nsuites:\n  - name: device\n    filter: [x]\n",
    )
    .unwrap();
    let bad = hil(root, &["nightly"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad).contains("nightly.yaml:4: suites[0]"),
        "{}",
        text(&bad)
    );
}

#[test]
fn a_board_another_run_holds_fails_naming_the_holder_or_is_waited_for() {
    let tmp = scratch("board-lock", &[("one", "OKAY")]);
    let root = tmp.path();
    // The board runs this repository's images (built once, then cached).
    std::fs::write(
        root.join("rigs/bench-u585.yaml"),
        format!(
            "name: bench-u585\nkind: board\nboard:\n  firmware: {}\n  agent_link: {{ serial: /nonexistent/ttyACM0 }}\n  cloud_link: {{ serial: /nonexistent/ttyACM1 }}\n  power: {{ command: {{ on: [\"true\"], off: [\"true\"] }} }}\n  images: stm32u585\n",
            std::fs::canonicalize(repo()).unwrap().display()
        ),
    )
    .unwrap();
    let locks = root.join("locks");
    let held = hil_rig::lock::RigLock::acquire(&locks, "bench-u585", false).unwrap();
    let run = |extra: &[&str]| {
        hil_command(root)
            .args(["run", "--rig", "bench-u585"])
            .args(extra)
            .output()
            .unwrap()
    };
    let busy = run(&[]);
    let out = text(&busy);
    assert_eq!(busy.status.code(), Some(3), "{out}");
    assert!(
        out.contains(&format!(
            "rig `bench-u585` is in use by pid {}",
            std::process::id()
        )),
        "{out}"
    );
    assert!(!root.join("reports").exists(), "nothing ran");

    // With --wait-for-rigs the run queues behind the holder (the lock is
    // released once it says it waits), then goes on to a serial port that
    // does not exist here: a rig error of its own.
    let mut waiting = hil_command(root)
        .args(["run", "--rig", "bench-u585", "--wait-for-rigs"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(waiting.stderr.take().unwrap());
    let mut said = String::new();
    loop {
        let mut line = String::new();
        let n = std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
        assert!(n > 0, "the run ended without waiting: {said}");
        said.push_str(&line);
        if line.contains("waiting for it") {
            break;
        }
    }
    assert!(
        said.contains("is in use by pid"),
        "it said whom it waits for: {said}"
    );
    drop(held);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(waiting.wait().unwrap().code(), Some(3), "{said}{rest}");
    assert!(
        rest.contains("/nonexistent/ttyACM0"),
        "then it used the board: {rest}"
    );
}
