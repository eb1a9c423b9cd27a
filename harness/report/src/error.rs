//! The one error type of report writing; messages name the file and the next step.

use std::io;
use std::path::PathBuf;

use crate::exit::ExitCode;

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot create report directory {path}: {source}; check that the reports root is writable or pass another one")]
    CreateDir { path: PathBuf, source: io::Error },

    #[error("report directory {path} already exists; run ids must be unique, so wait a moment and retry or remove the old directory")]
    RunDirExists { path: PathBuf },

    #[error("cannot write {path}: {source}; check free disk space and permissions of the report directory")]
    Write { path: PathBuf, source: io::Error },

    #[error("cannot point {link} at {target}: {source}; remove {link} by hand if it is not a symlink left by an earlier run")]
    Latest {
        link: PathBuf,
        target: PathBuf,
        source: io::Error,
    },

    #[error("cannot read {path}: {source}; check the permissions of the report directory")]
    Read { path: PathBuf, source: io::Error },

    #[error("{path}:{line}: not an event of this hil ({message}); the journal was changed by hand or written by another version")]
    Journal {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("cannot serialize {what}: {source}; this is a bug in hil-report, please report it")]
    Json {
        what: &'static str,
        source: serde_json::Error,
    },

    #[error("cannot serialize junit.xml: {source}; this is a bug in hil-report, please report it")]
    Junit { source: quick_junit::SerializeError },

    #[error("event `{event}` arrived before `run_started`; the engine must send run_started first (a bug in the engine)")]
    NotStarted { event: &'static str },

    /// More than one sink failed on one event: every one is kept.
    #[error("{} report files were not written: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<ReportError>),
}

impl ReportError {
    /// The single errors this one holds (itself, unless it is [`ReportError::Several`]).
    pub fn into_list(self) -> Vec<ReportError> {
        match self {
            ReportError::Several(errors) => errors,
            error => vec![error],
        }
    }

    /// `Ok` for none, the error itself for one, [`ReportError::Several`] for more.
    pub fn from_list(mut errors: Vec<ReportError>) -> Result<(), ReportError> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(ReportError::Several(errors)),
        }
    }

    /// A report that cannot be written leaves a run without its record:
    /// exit code 3, like any failure of the machinery while running.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::RigError
    }
}
