//! The documented exit codes of `hil` (README "Exit codes"), and how a run's outcomes map to one.
//!
//! They live next to the report schema because `results.json` records the
//! exit code of a finished run: the file and the process must agree.

use crate::event::{CaseResult, Outcome};

/// What `hil` exits with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Every case passed (or was skipped with a reason).
    Passed = 0,
    /// At least one case failed its expectations, and no rig errored.
    CaseFailed = 1,
    /// Bad input or config: a malformed case or rig file, an unknown rig,
    /// an unknown schema name, a bad replay id. Nothing ran.
    BadInput = 2,
    /// A rig could not run a case (crash, hang, lost link), or a rig, device
    /// or I/O failure stopped a command (QEMU did not start, the firmware did
    /// not build, the report folder cannot be written); results are incomplete.
    RigError = 3,
    /// Stopped by Ctrl-C (or SIGTERM); the report is valid and marked `interrupted`.
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

    /// [`ExitCode::from_outcomes`] over the results that count: a failure
    /// or error covered by a quarantine entry is reported, not counted.
    pub fn from_results(results: &[CaseResult]) -> ExitCode {
        ExitCode::from_outcomes(
            results
                .iter()
                .filter(|r| r.quarantine.is_none())
                .map(|r| &r.outcome),
        )
    }

    /// The process exit status.
    pub fn code(self) -> i32 {
        self as i32
    }
}

#[cfg(test)]
mod tests {
    use super::ExitCode;
    use crate::event::Outcome;

    #[test]
    fn a_rig_error_outranks_a_failure() {
        let failed = Outcome::Failed {
            step: 0,
            field: "steps[0]".into(),
            line: 1,
            message: "m".into(),
        };
        let error = Outcome::Error {
            message: "lost".into(),
        };
        assert_eq!(
            ExitCode::from_outcomes([Outcome::Passed].iter()),
            ExitCode::Passed
        );
        assert_eq!(
            ExitCode::from_outcomes([Outcome::Passed, failed.clone()].iter()),
            ExitCode::CaseFailed
        );
        assert_eq!(
            ExitCode::from_outcomes([failed, error, Outcome::Passed].iter()),
            ExitCode::RigError
        );
        assert_eq!(ExitCode::Interrupted.code(), 130);
    }
}
