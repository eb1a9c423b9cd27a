//! Runs a power or flash program (a `command` backend's argv, uhubctl, a flasher) and fails naming it, its exit status and what it said.

use std::process::Command;

use crate::RigError;

/// Runs `argv` and returns its standard output; `what` names it in errors
/// ("the power command", "uhubctl").
pub(crate) fn run(argv: &[String], what: &str) -> Result<String, RigError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| RigError::Link(format!("{what} is empty")))?;
    let out = Command::new(program).args(args).output().map_err(|e| {
        RigError::Link(format!(
            "cannot run {what} `{program}`: {e}; install it or fix the rig file's power section"
        ))
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        return Ok(stdout);
    }
    // The last thing a failing tool printed is usually why.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = stderr
        .lines()
        .chain(stdout.lines())
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| format!(": {}", l.trim()))
        .unwrap_or_default();
    Err(RigError::Link(format!(
        "{what} `{}` failed ({}){said}",
        argv.join(" "),
        out.status
    )))
}
