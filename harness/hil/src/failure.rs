//! What a failed command prints, and which documented exit code it gets — from the error's type.
//!
//! Library errors say what kind of failure they are (`exit_code()` on
//! [`RigError`], [`RigConfigError`], [`ReportError`], [`CampaignError`]);
//! the CLI's own findings are [`BadInput`] (exit 2) or [`SystemFailure`]
//! (exit 3). The first typed error in the chain decides; an error no type
//! claims is bad input, as every error was before the codes were typed.

use std::fmt;

use hil_bundle::BundleError;
use hil_campaign::CampaignError;
use hil_report::{ExitCode, ReportError};
use hil_rig::{RigConfigError, RigError};

/// Bad input or config the CLI found (case files, rig files, a rig or
/// schema name): exit 2, nothing ran. Every problem is its own `error:` line.
#[derive(Debug)]
pub struct BadInput {
    pub problems: Vec<String>,
    /// A closing line (without `error:`).
    pub note: Option<String>,
}

impl BadInput {
    /// One problem.
    pub fn one(problem: impl Into<String>) -> BadInput {
        BadInput {
            problems: vec![problem.into()],
            note: None,
        }
    }
}

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.problems.join("; "))?;
        if let Some(note) = &self.note {
            write!(f, " ({note})")?;
        }
        Ok(())
    }
}

impl std::error::Error for BadInput {}

/// The machine failed a command that was running (no async runtime): exit 3.
#[derive(Debug)]
pub struct SystemFailure(pub String);

impl fmt::Display for SystemFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SystemFailure {}

/// The exit code of a command that failed with `error`.
pub fn exit_code(error: &anyhow::Error) -> ExitCode {
    error
        .chain()
        .find_map(classify)
        .unwrap_or(ExitCode::BadInput)
}

fn classify(cause: &(dyn std::error::Error + 'static)) -> Option<ExitCode> {
    if cause.is::<BadInput>() {
        return Some(ExitCode::BadInput);
    }
    if cause.is::<SystemFailure>() {
        return Some(ExitCode::RigError);
    }
    if let Some(e) = cause.downcast_ref::<CampaignError>() {
        return Some(e.exit_code());
    }
    if let Some(e) = cause.downcast_ref::<RigError>() {
        return Some(e.exit_code());
    }
    if let Some(e) = cause.downcast_ref::<RigConfigError>() {
        return Some(e.exit_code());
    }
    if let Some(e) = cause.downcast_ref::<ReportError>() {
        return Some(e.exit_code());
    }
    if let Some(e) = cause.downcast_ref::<hil_gate::InputError>() {
        return Some(e.exit_code());
    }
    if let Some(e) = cause.downcast_ref::<hil_gate::BaselineError>() {
        return Some(e.exit_code());
    }
    if let Some(e) = cause.downcast_ref::<hil_gate::RunSetError>() {
        return Some(e.exit_code());
    }
    if let Some(e) = cause.downcast_ref::<hil_history::HistoryError>() {
        return Some(e.exit_code());
    }
    if let Some(e) = cause.downcast_ref::<BundleError>() {
        // Writing the key or bundle failed while running; anything else is
        // about the files given.
        return Some(match e {
            BundleError::Write { .. } => ExitCode::RigError,
            _ => ExitCode::BadInput,
        });
    }
    None
}

/// Prints `error` for a person: `error: <what failed and what to do>`.
pub fn report(error: &anyhow::Error) {
    if let Some(bad) = error.downcast_ref::<BadInput>() {
        for problem in &bad.problems {
            eprintln!("error: {problem}");
        }
        if let Some(note) = &bad.note {
            eprintln!("{note}");
        }
    } else {
        eprintln!("error: {error:#}");
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use anyhow::Context as _;
    use hil_campaign::powercut::PlanError;
    use hil_campaign::CampaignError;
    use hil_report::{ExitCode, ReportError};
    use hil_rig::{RigConfigError, RigError};

    use super::{exit_code, BadInput, SystemFailure};

    fn code(error: impl Into<anyhow::Error>) -> ExitCode {
        exit_code(&error.into())
    }

    #[test]
    fn bad_input_and_config_exit_2() {
        assert_eq!(code(BadInput::one("no rig `x`")), ExitCode::BadInput);
        let rig_file = RigConfigError {
            file: "rigs/x.yaml".into(),
            line: Some(3),
            field: "kind".into(),
            message: "unknown rig kind".into(),
        };
        assert_eq!(code(rig_file), ExitCode::BadInput);
        let replay = CampaignError::from(PlanError("bogus".into()));
        assert_eq!(code(replay), ExitCode::BadInput);
        assert_eq!(code(anyhow::anyhow!("unclassified")), ExitCode::BadInput);
    }

    #[test]
    fn failures_while_running_exit_3_even_wrapped_in_context() {
        let qemu = RigError::Link("cannot start qemu-system-arm: not found".into());
        assert_eq!(code(CampaignError::from(qemu)), ExitCode::RigError);
        let build = RigError::Build("the firmware build failed".into());
        assert_eq!(code(build), ExitCode::RigError);
        let folder = ReportError::RunDirExists {
            path: PathBuf::from("reports/x"),
        };
        let wrapped = Err::<(), _>(folder)
            .context("cannot create the report folder")
            .unwrap_err();
        assert_eq!(exit_code(&wrapped), ExitCode::RigError);
        assert_eq!(code(SystemFailure("no runtime".into())), ExitCode::RigError);
    }
}
