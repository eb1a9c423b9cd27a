//! What the `hil` binary's test files share: the repository, copying folders, and `hil` run in a scratch repository.

// Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's root (rig files, conformance cases, firmware).
pub fn repo() -> PathBuf {
    std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")).unwrap()
}

/// A scratch repository named after `prefix` with an empty
/// `conformance/device/` and the repository's `rigs/<rig>.yaml` for each
/// of `rigs`; removed when the value is dropped.
pub fn scratch_repo(prefix: &str, rigs: &[&str]) -> tempfile::TempDir {
    let tmp = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("conformance/device")).unwrap();
    std::fs::create_dir_all(dir.join("rigs")).unwrap();
    for rig in rigs {
        let file = format!("rigs/{rig}.yaml");
        std::fs::copy(repo().join(&file), dir.join(&file)).unwrap();
    }
    tmp
}

/// `hil --root ROOT`, its rig locks and run history kept in `root`, ready
/// for arguments.
pub fn hil_command(root: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hil"));
    command
        .arg("--root")
        .arg(root)
        .env("HIL_LOCK_DIR", root.join("locks"))
        .env("HIL_HISTORY", root.join("reports/history.sqlite"));
    command
}

/// `hil --root ROOT ARGS...` run to its end.
pub fn hil(root: &Path, args: &[&str]) -> Output {
    hil_command(root).args(args).output().unwrap()
}

/// Stdout, then stderr.
pub fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Copies the folder `from` to `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
