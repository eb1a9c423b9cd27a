//! `hil` as users meet it: bad input, failures while running, exit codes, parity between rigs.
//!
//! (The engine with rigs that die or hang mid-case is tested in
//! `harness/runner/tests/engine.rs`.)

mod support;

use support::{copy_dir, hil, repo, scratch_repo};

/// A repository holding the sim rig file, removed when the value is dropped.
fn scratch(name: &str) -> tempfile::TempDir {
    scratch_repo(&format!("hil-engine-{name}-"), &["sim"])
}

const GOOD: &str = r#"id: device.noop
title: mvNoOp returns OKAY
spec: { quote: "mvNoOp", source: "mv_syscalls.h" }
steps:
  - call: mvNoOp
    expect: OKAY
"#;

#[test]
fn a_malformed_case_file_exits_2_naming_file_line_and_field() {
    let tmp = scratch("malformed");
    let root = tmp.path();
    std::fs::write(root.join("conformance/device/noop.yaml"), GOOD).unwrap();
    let bad = "id: device.bad\ntitle: t\nspec: { quote: q, source: s }\nsteps:\n  - call: mvNoOpp\n    expect: OKAY\n";
    std::fs::write(root.join("conformance/device/bad.yaml"), bad).unwrap();
    let out = hil(root, &["run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("bad.yaml:5:"),
        "names the file and line: {stderr}"
    );
    assert!(
        stderr.contains("steps[0].call"),
        "names the field: {stderr}"
    );
    assert!(
        stderr.contains("did you mean `mvNoOp`?"),
        "suggests the right name: {stderr}"
    );
    assert!(!root.join("reports").exists(), "nothing ran, no report");
}

#[test]
fn a_passing_run_exits_0_and_writes_the_report() {
    let tmp = scratch("pass");
    let root = tmp.path();
    std::fs::write(root.join("conformance/device/noop.yaml"), GOOD).unwrap();
    let out = hil(root, &["run"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results = std::fs::read_to_string(root.join("reports/latest/results.json")).unwrap();
    let report: hil_report::RunReport = serde_json::from_str(&results).unwrap();
    assert_eq!(report.summary.passed, 1);
    assert!(root.join("reports/latest/junit.xml").exists());
    assert!(root
        .join("reports/latest/transcripts/sim/device.noop.txt")
        .exists());
}

#[test]
fn a_failing_case_exits_1() {
    let tmp = scratch("fail");
    let root = tmp.path();
    std::fs::write(
        root.join("conformance/device/noop.yaml"),
        GOOD.replace("OKAY", "UNAVAILABLE"),
    )
    .unwrap();
    let out = hil(root, &["run"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("returned OKAY, expected UNAVAILABLE"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_rig_exits_2() {
    let tmp = scratch("rig");
    let root = tmp.path();
    std::fs::write(root.join("conformance/device/noop.yaml"), GOOD).unwrap();
    let out = hil(root, &["run", "--rig", "nosuch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rig `nosuch`"));
}

#[test]
fn a_bad_replay_id_is_bad_input_and_exits_2() {
    let tmp = scratch("replay");
    let root = tmp.path();
    let out = hil(root, &["ota", "powercut", "--replay", "op12x"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("error: `op12x` is not a cut (op<N> or op<N>i)"),
        "{stderr}"
    );
}

#[test]
fn a_firmware_build_that_fails_during_ota_powercut_is_a_rig_error_and_exits_3() {
    // A qemu-an505 rig whose repository is no Cargo workspace: the images
    // cannot be built, which is a failure while running, not bad input.
    let tmp = scratch("no-firmware");
    let root = tmp.path();
    std::fs::copy(
        repo().join("rigs/qemu-an505.yaml"),
        root.join("rigs/qemu-an505.yaml"),
    )
    .unwrap();
    let out = hil(root, &["ota", "powercut", "--rig", "qemu-an505"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "stderr: {stderr}");
    // A machine without the firmware target first says, in one line, that
    // it installs it; the error follows.
    assert!(
        stderr
            .lines()
            .any(|line| line.starts_with("error: the firmware build failed")),
        "{stderr}"
    );
    assert!(!root.join("reports").exists(), "no campaign ran, no report");
}

#[test]
fn two_sims_with_different_seeds_and_ids_agree_on_every_transcript() {
    // Handles (seed) and the device id differ; redaction must hide both.
    let tmp = scratch("parity");
    let root = tmp.path();
    let other = std::fs::read_to_string(repo().join("rigs/sim.yaml"))
        .unwrap()
        .replace("name: sim", "name: sim-b")
        .replace("seed: 0x5EED", "seed: 0xABCDEF")
        .replace(
            "UV0123456789abcdef0123456789abcdef",
            "UVffffffffffffffffffffffffffffffff",
        );
    std::fs::write(root.join("rigs/sim-b.yaml"), other).unwrap();
    // Both run the sim's images: a case's `skip: sim` holds on both.
    std::fs::remove_dir_all(root.join("conformance")).unwrap();
    copy_dir(&repo().join("conformance"), &root.join("conformance"));
    let out = hil(root, &["run", "--rig", "sim", "--rig", "sim-b"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("parity: 0 case(s) differ between sim and sim-b"),
        "{stdout}"
    );
    let parity = std::fs::read_to_string(root.join("reports/latest/parity.md")).unwrap();
    assert!(parity.contains("same redacted transcript"), "{parity}");
}

#[test]
fn a_filter_that_selects_no_case_is_bad_input_not_a_green_run() {
    let tmp = scratch("empty-selection");
    let root = tmp.path();
    std::fs::write(root.join("conformance/device/noop.yaml"), GOOD).unwrap();
    let out = hil(root, &["run", "--filter", "devcie."]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("no case matches --filter devcie. (0 of 1 cases selected)"),
        "{stderr}"
    );
    assert!(!root.join("reports").exists(), "nothing ran, no report");
}

#[test]
fn an_empty_suite_is_bad_input() {
    let tmp = scratch("empty-suite");
    let root = tmp.path();
    let out = hil(root, &["run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("holds no case"), "{stderr}");
}

#[test]
fn a_skip_naming_a_rig_rather_than_the_images_it_runs_is_bad_input() {
    let tmp = scratch("skip-unknown");
    let root = tmp.path();
    let case = GOOD.replace(
        "steps:",
        "skip:\n  qemu-an505: a rig's name, not the images it runs\nsteps:",
    );
    std::fs::write(root.join("conformance/device/noop.yaml"), case).unwrap();
    let out = hil(root, &["run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(
        stderr.contains("noop.yaml:5:3: skip.qemu-an505: no rig runs `qemu-an505`: a skip names the images a rig runs (sim, an505, stm32u585)"),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_case_file_is_bad_input() {
    let tmp = scratch("unreadable");
    let root = tmp.path();
    std::fs::write(root.join("conformance/device/noop.yaml"), GOOD).unwrap();
    std::fs::write(root.join("conformance/device/other.YAML"), GOOD).unwrap();
    std::os::unix::fs::symlink(
        root.join("conformance/device/nowhere.yaml"),
        root.join("conformance/device/dangling.yaml"),
    )
    .unwrap();
    let out = hil(root, &["run"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("other.YAML"), "{stderr}");
    assert!(stderr.contains("dangling.yaml"), "{stderr}");
}

#[test]
fn a_report_that_cannot_be_written_fails_the_run_and_names_every_file() {
    // A full disk, as the process sees it: files may not grow past 1 KiB
    // (`ulimit -f`, with SIGXFSZ ignored so a write fails with EFBIG).
    // results.json and junit.xml hold the transcripts and outgrow that;
    // summary.md does not.
    let tmp = scratch("full-disk");
    let root = tmp.path();
    for n in 0..6 {
        std::fs::write(
            root.join(format!("conformance/device/noop{n}.yaml")),
            GOOD.replace("device.noop", &format!("device.noop{n}")),
        )
        .unwrap();
    }
    let script = format!(
        "trap '' XFSZ; ulimit -f 1; exec '{}' --root '{}' run",
        env!("CARGO_BIN_EXE_hil"),
        root.display()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stderr.contains("results.json"), "{stderr}");
    assert!(stderr.contains("junit.xml"), "{stderr}");
    assert!(stderr.contains("the report in"), "{stderr}");
    assert!(stderr.contains("is incomplete"), "{stderr}");
}
