//! Reading a YAML input file (quarantine, gate policy, nightly plan) into raw types, with file:line:field errors.
//!
//! Every input of the gate is validated like the case files: serde with the
//! field path of the failure, then checks on the raw values that name the
//! field; the line comes from the case loader's [`LineIndex`], the one index
//! of YAML positions in the project.

use std::path::{Path, PathBuf};

use hil_cases::LineIndex;
use hil_report::ExitCode;
use serde::de::DeserializeOwned;

/// One thing wrong with one input file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{}: {message}", .file.display(), .line.map(|l| format!(":{l}")).unwrap_or_default(), if .field.is_empty() { String::new() } else { format!(": {}", .field) })]
pub struct InputError {
    pub file: PathBuf,
    pub line: Option<usize>,
    /// The field path, e.g. `entries[2].expires`; empty for the whole file.
    pub field: String,
    pub message: String,
}

impl InputError {
    /// A bad input file is bad input: exit 2, nothing is judged.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::BadInput
    }
}

/// A parsed input file: its raw value and where its fields are.
pub struct Input<T> {
    pub raw: T,
    pub file: PathBuf,
    index: LineIndex,
}

impl<T> Input<T> {
    /// An error at `field` of this file.
    pub fn error(&self, field: &str, message: impl Into<String>) -> InputError {
        InputError {
            file: self.file.clone(),
            line: self.index.locate(field).map(|p| p.line),
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Reads and deserializes `file`.
pub fn read<T: DeserializeOwned>(file: &Path) -> Result<Input<T>, InputError> {
    let text = std::fs::read_to_string(file).map_err(|e| InputError {
        file: file.to_owned(),
        line: None,
        field: String::new(),
        message: format!("cannot read: {e}"),
    })?;
    parse(file, &text)
}

/// Deserializes `text`, read from `file`.
pub fn parse<T: DeserializeOwned>(file: &Path, text: &str) -> Result<Input<T>, InputError> {
    let index = LineIndex::build(text);
    let de = serde_yaml::Deserializer::from_str(text);
    let raw = serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        let line = e
            .inner()
            .location()
            .map(|l| l.line())
            .or_else(|| index.locate(&field).map(|p| p.line));
        let message = bare_message(&e.into_inner().to_string(), &field);
        InputError {
            file: file.to_owned(),
            line,
            field,
            message,
        }
    })?;
    Ok(Input {
        raw,
        file: file.to_owned(),
        index,
    })
}

/// serde_yaml's message without what the error already says elsewhere:
/// the field path in front and the `at line N column M` behind.
fn bare_message(message: &str, field: &str) -> String {
    let message = message
        .strip_prefix(&format!("{field}: "))
        .unwrap_or(message);
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// `YYYY-MM-DD`.
pub fn parse_date(text: &str) -> Result<time::Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text.trim(), &format)
        .map_err(|_| format!("`{text}` is not a date; write YYYY-MM-DD"))
}

/// Today, UTC (what expiry dates are compared with).
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}
