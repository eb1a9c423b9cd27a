//! Load errors: where a case file is wrong (file, line, column, field) and what to change.
//!
//! Every stage of loading (YAML syntax, repeat expansion, serde, validation) reports
//! an [`Issue`] that names a field path; `parse` turns it into a [`CaseError`] by
//! looking the path up in the file's line index.

use std::fmt;
use std::path::PathBuf;

/// One thing wrong with one case file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CaseError {
    /// The file as it was named to the loader (e.g. `conformance/notifications/bad.yaml`).
    pub file: PathBuf,
    /// 1-based line of the offending node, when it is known.
    pub line: Option<usize>,
    /// 1-based column of the offending node, when it is known.
    pub column: Option<usize>,
    /// The field path, e.g. `steps[2].call`, `id`, or empty for the whole file.
    pub field: String,
    /// What is wrong and, where possible, what to write instead.
    pub message: String,
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every error of every file of a suite, sorted by file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SuiteError {
    pub errors: Vec<CaseError>,
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, error) in self.errors.iter().enumerate() {
            if n > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// An error before it has a file and a line: a field path and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issue {
    pub path: String,
    pub message: String,
}

impl Issue {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Issue {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// Joins a field path and a key: `join("steps[2]", "call")` is `steps[2].call`.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}
