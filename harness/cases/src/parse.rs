//! One case text → a validated [`Case`]: YAML, repeat expansion, serde, validation.

use std::path::Path;

use crate::error::{CaseError, Issue};
use crate::expand;
use crate::lines::LineIndex;
use crate::model::Case;
use crate::serde_errors;
use crate::validate;

/// Parses and validates the text of one case file.
///
/// `path_label` is only used in errors and as [`Case::path`]; `area` is the folder
/// the file is in, which the id must start with.
pub fn parse_case(path_label: &Path, area: &str, text: &str) -> Result<Case, CaseError> {
    let mut doc: serde_yaml::Value = serde_yaml::from_str(text).map_err(|error| CaseError {
        file: path_label.to_owned(),
        line: error.location().map(|location| location.line()),
        column: error.location().map(|location| location.column()),
        field: String::new(),
        message: format!("YAML syntax: {}", syntax_message(&error)),
    })?;
    let index = LineIndex::build(text);
    let locate = |issue: Issue| {
        let position = index.locate(&issue.path);
        CaseError {
            file: path_label.to_owned(),
            line: position.map(|position| position.line),
            column: position.map(|position| position.column),
            field: issue.path,
            message: issue.message,
        }
    };
    let origins = expand::expand(&mut doc).map_err(locate)?;
    let raw = serde_errors::deserialize_case(doc, &origins).map_err(locate)?;
    validate::case(raw, area, path_label, &origins, &index).map_err(locate)
}

/// serde_yaml's message without its trailing " at line L column C" (the error
/// carries the position separately).
fn syntax_message(error: &serde_yaml::Error) -> String {
    let message = error.to_string();
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}
