//! The firmware target must be installed before the images build: check it, install it through rustup, or say what to run.
//!
//! `rust-toolchain.toml` lists `thumbv8m.main-none-eabi`, but rustup only
//! installs what it lists when it installs the toolchain itself (and not at
//! all with `RUSTUP_AUTO_INSTALL=0`). Without the target every firmware
//! crate fails to compile with its own wall of errors; one line naming the
//! command is what a person needs.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::build::TARGET;
use crate::RigError;

/// What to do before building, given what the toolchain has.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// The target is there: build.
    Build,
    /// rustup can add it: say so, add it, then build.
    Install,
    /// Nothing here can add it: the error to return.
    Fail(String),
}

/// `rustup target add` for the firmware target, as a person would type it.
fn add_command() -> String {
    format!("rustup target add {TARGET}")
}

/// Is the target one of the lines `rustup target list --installed` printed?
fn listed(installed: &str) -> bool {
    installed.lines().any(|line| line.trim() == TARGET)
}

/// The decision: `installed` is the output of `rustup target list
/// --installed`, or `None` when rustup could not be run; then the
/// toolchain's sysroot is the only witness (`in_sysroot`).
fn decide(installed: Option<&str>, in_sysroot: impl FnOnce() -> bool) -> Step {
    match installed {
        Some(list) if listed(list) => Step::Build,
        Some(_) => Step::Install,
        None if in_sysroot() => Step::Build,
        None => Step::Fail(format!(
            "the {TARGET} target is not installed and rustup is not available to add it; \
             install it for this Rust toolchain (with rustup: `{}`)",
            add_command()
        )),
    }
}

/// What a failed `rustup target add` becomes: one line, naming the command.
fn install_failed(stderr: &str) -> RigError {
    let why = stderr
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("no message");
    RigError::Toolchain(format!(
        "the {TARGET} target is not installed and adding it failed ({why}); run `{}`",
        add_command()
    ))
}

/// Runs `rustup` in `root` (so `rust-toolchain.toml` picks the toolchain);
/// `None` if it cannot be run at all.
fn rustup(root: &Path, args: &[&str]) -> Option<std::process::Output> {
    let mut command = Command::new("rustup");
    command.current_dir(root).args(args);
    hil_proc::output(command).ok()
}

/// Does the sysroot of the `rustc` cargo would use hold the target's libraries?
fn in_sysroot(root: &Path) -> bool {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut command = Command::new(rustc);
    command.current_dir(root).args(["--print", "sysroot"]);
    let Ok(out) = hil_proc::output(command) else {
        // No rustc to ask: let cargo say what is wrong.
        return true;
    };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    sysroot.join("lib/rustlib").join(TARGET).is_dir()
}

/// Makes sure the firmware target is installed for the toolchain that builds
/// in `root`: installs it through rustup (saying so on one line) when it is
/// missing, or fails with one line naming the command to run.
pub fn ensure_target(root: &Path) -> Result<(), RigError> {
    let listing = rustup(root, &["target", "list", "--installed"])
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned());
    match decide(listing.as_deref(), || in_sysroot(root)) {
        Step::Build => Ok(()),
        Step::Fail(message) => Err(RigError::Toolchain(message)),
        Step::Install => {
            eprintln!("installing the {TARGET} target ({})", add_command());
            match rustup(root, &["target", "add", TARGET]) {
                Some(out) if out.status.success() => Ok(()),
                Some(out) => Err(install_failed(&String::from_utf8_lossy(&out.stderr))),
                None => Err(install_failed("rustup could not be run")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{decide, install_failed, listed, Step, TARGET};

    const WITH: &str = "thumbv8m.main-none-eabi\nx86_64-unknown-linux-gnu\n";
    const WITHOUT: &str = "x86_64-unknown-linux-gnu\n";

    #[test]
    fn the_installed_list_is_read_line_by_line() {
        assert!(listed(WITH));
        assert!(listed("  thumbv8m.main-none-eabi  \r\n"));
        assert!(!listed(WITHOUT));
        assert!(!listed("thumbv8m.main-none-eabihf\n"));
        assert!(!listed(""));
    }

    #[test]
    fn a_listed_target_builds_and_a_missing_one_is_installed() {
        assert_eq!(decide(Some(WITH), || unreachable!()), Step::Build);
        assert_eq!(decide(Some(WITHOUT), || unreachable!()), Step::Install);
    }

    #[test]
    fn without_rustup_the_sysroot_decides_and_a_missing_target_names_the_command() {
        assert_eq!(decide(None, || true), Step::Build);
        let Step::Fail(message) = decide(None, || false) else {
            panic!("no rustup and no target must fail");
        };
        assert!(!message.contains('\n'), "one line: {message}");
        assert!(
            message.contains(&format!("rustup target add {TARGET}")),
            "{message}"
        );
    }

    #[test]
    fn a_failed_install_is_one_line_naming_the_command() {
        let error = install_failed("info: downloading component\nerror: could not download file\n")
            .to_string();
        assert!(!error.contains('\n'), "{error}");
        assert!(error.contains("could not download file"), "{error}");
        assert!(
            error.contains(&format!("run `rustup target add {TARGET}`")),
            "{error}"
        );
    }
}
