//! The documented exit codes of `hil`.

use hil_report::Outcome;

/// What `hil` exits with (README "Exit codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Every case passed (or was skipped with a reason).
    Passed = 0,
    /// At least one case failed its expectations, and no rig errored.
    CaseFailed = 1,
    /// Bad input or config: a malformed case or rig file, an unknown rig.
    BadInput = 2,
    /// A rig could not run a case (crash, hang, lost link); results are incomplete.
    RigError = 3,
    /// Stopped by Ctrl-C; the report is valid and marked `interrupted`.
    Interrupted = 130,
}

impl ExitCode {
    /// Rig errors win over failures: an incomplete run must not look like a
    /// plain failure to a release gate.
    pub fn from_outcomes<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> ExitCode {
        let mut code = ExitCode::Passed;
        for o in outcomes {
            match o {
                Outcome::Error { .. } => return ExitCode::RigError,
                Outcome::Failed { .. } => code = ExitCode::CaseFailed,
                Outcome::Passed | Outcome::Skipped { .. } => {}
            }
        }
        code
    }
}
