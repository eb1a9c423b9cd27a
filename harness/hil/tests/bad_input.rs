//! Bad input found by using `hil` as a lab user does: each is refused with exit 2 and a message that names the place, and nothing is lost.

use std::process::Output;

mod support;

use support::{hil, repo, scratch_repo};

/// A repository of one rig (`sim`) and no cases, in a fresh folder.
fn scratch() -> tempfile::TempDir {
    scratch_repo("hil-bad-input-", &["sim"])
}

#[track_caller]
fn bad_input(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "`{needle}` not in: {stderr}");
    }
}

#[test]
fn bundle_refuses_to_write_over_its_signing_key() {
    let dir = scratch();
    let keys = dir.path().join("keys");
    assert!(hil(dir.path(), &["keys", "--out", keys.to_str().unwrap()])
        .status
        .success());
    let key = keys.join("signing-key.pem");
    let before = std::fs::read(&key).unwrap();
    let out = hil(
        dir.path(),
        &[
            "bundle",
            "app.elf",
            "--key",
            key.to_str().unwrap(),
            "-o",
            key.to_str().unwrap(),
            "--force",
        ],
    );
    bad_input(&out, &["is the signing key this bundle is made from"]);
    assert_eq!(std::fs::read(&key).unwrap(), before, "the key is intact");
}

#[test]
fn a_bad_key_names_a_command_that_exists() {
    let dir = scratch();
    let key = dir.path().join("not-a-key.pem");
    std::fs::write(&key, "hello").unwrap();
    let elf = repo().join("Cargo.toml");
    let out = hil(
        dir.path(),
        &[
            "bundle",
            elf.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "-o",
            dir.path().join("out.zip").to_str().unwrap(),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    // `create one with `hil keys --out <folder>``: run its subcommand.
    let suggested = stderr
        .split("create one with `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no command suggested: {stderr}"));
    let words: Vec<&str> = suggested
        .split_whitespace()
        .take_while(|w| !w.starts_with('-'))
        .collect();
    assert_eq!(words.first(), Some(&"hil"), "{suggested}");
    let help = hil(dir.path(), &[&words[1..], &["--help"]].concat());
    let usage = String::from_utf8_lossy(&help.stdout);
    assert!(
        usage.contains(&format!("Usage: {} ", words.join(" "))),
        "`{suggested}` is not a command of hil: {usage}"
    );
}

#[test]
fn a_qemu_binary_that_does_not_exist_is_config_not_a_rig_error() {
    let dir = scratch();
    std::fs::write(
        dir.path().join("rigs/q.yaml"),
        "name: q\nkind: qemu-an505\nqemu:\n  binary: /nonexistent/qemu-system-arm\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("conformance/device/noop.yaml"),
        "id: device.noop\ntitle: t\nspec: { quote: q, source: s }\nsteps:\n  - call: mvNoOp\n    expect: OKAY\n",
    )
    .unwrap();
    let out = hil(dir.path(), &["run", "--rig", "q"]);
    bad_input(
        &out,
        &["q.yaml:4: qemu.binary: `/nonexistent/qemu-system-arm` is not an executable file"],
    );
    assert!(!dir.path().join("reports").exists(), "nothing ran");
}

#[test]
fn a_rig_with_a_zero_case_timeout_is_refused() {
    let dir = scratch();
    std::fs::write(
        dir.path().join("rigs/fast.yaml"),
        "name: fast\nkind: sim\ncase_timeout_ms: 0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("conformance/device/noop.yaml"),
        "id: device.noop\ntitle: t\nspec: { quote: q, source: s }\nsteps:\n  - call: mvNoOp\n    expect: OKAY\n",
    )
    .unwrap();
    let out = hil(dir.path(), &["run", "--rig", "fast"]);
    bad_input(
        &out,
        &["fast.yaml:3: case_timeout_ms: must be at least 1 ms"],
    );
    assert!(!dir.path().join("reports").exists(), "nothing ran");
}

#[test]
fn an_allocation_no_rig_can_give_is_bad_input_at_load() {
    let dir = scratch();
    std::fs::write(
        dir.path().join("conformance/device/huge.yaml"),
        "id: device.huge\ntitle: t\nspec: { quote: q, source: s }\nsteps:\n  - alloc: { name: a, type: bytes, size: 0xFFFFFFFF }\n",
    )
    .unwrap();
    let out = hil(dir.path(), &["run"]);
    bad_input(
        &out,
        &[
            "huge.yaml:5:",
            "steps[0].alloc.size",
            "4294967295 bytes do not fit",
        ],
    );
    assert!(!dir.path().join("reports").exists(), "nothing ran");
}
