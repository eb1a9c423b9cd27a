//! [`CampaignError`]: why a campaign could not run, and the exit code that says so.

use hil_bundle::BundleError;
use hil_cloud::DeploymentError;
use hil_report::{ExitCode, ReportError};
use hil_rig::RigError;

use crate::powercut::PlanError;

/// A campaign that could not run (or finish) — not a verdict on a point.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    /// A rig could not do what was asked: QEMU did not start, the images did
    /// not build, the device did not answer.
    #[error(transparent)]
    Rig(#[from] RigError),
    /// The report folder could not be made.
    #[error("cannot create the report folder: {0}")]
    ReportFolder(#[source] ReportError),
    /// A report file could not be written.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// A replay id that names no plan.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A bundle the campaign builds could not be made or read.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// A bundle the cloud cannot deploy.
    #[error(transparent)]
    Deployment(#[from] DeploymentError),
    /// A file the campaign works with (the NVM file, the agent ELF).
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A step of the campaign did not go as it must (the uncut update fails,
    /// a scenario's device misbehaves); the message says what happened.
    #[error("{0}")]
    Failed(String),
}

impl CampaignError {
    /// A bad replay id is bad input (2); anything else stopped a campaign
    /// that was running (3).
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CampaignError::Plan(_) => ExitCode::BadInput,
            CampaignError::Rig(_)
            | CampaignError::ReportFolder(_)
            | CampaignError::Report(_)
            | CampaignError::Bundle(_)
            | CampaignError::Deployment(_)
            | CampaignError::Io { .. }
            | CampaignError::Failed(_) => ExitCode::RigError,
        }
    }

    /// A file operation that failed, with what it was for.
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> CampaignError {
        let what = what.into();
        move |source| CampaignError::Io { what, source }
    }
}

/// `return Err(CampaignError::Failed(format!(...)))`.
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::CampaignError::Failed(format!($($arg)*)))
    };
}
pub(crate) use fail;
