//! What the malformed-case tests share: one case header, its file, and an assertion on the error's field, line and message.
#![allow(dead_code)]

use std::path::Path;

use hil_cases::{parse_case, CaseError};

pub const FILE: &str = "conformance/notifications/bad.yaml";

/// The header every malformed case shares; `steps:` is line 6, the first step line 7.
pub const HEADER: &str = "\
id: notifications.bad
title: A malformed case
spec:
  quote: \"the buffer is too small\"
  source: \"mv_syscalls.h (SDK 0.7.0)\"
";

pub fn with_steps(steps: &str) -> String {
    format!("{HEADER}steps:\n{steps}")
}

pub fn error_of(text: &str) -> CaseError {
    match parse_case(Path::new(FILE), "notifications", text) {
        Ok(case) => panic!(
            "expected an error, got a case with {} steps",
            case.steps.len()
        ),
        Err(error) => error,
    }
}

/// Asserts the error's field, line, and that its message contains each of `needles`.
#[track_caller]
pub fn assert_error(text: &str, field: &str, line: usize, needles: &[&str]) -> CaseError {
    let error = error_of(text);
    assert_eq!(error.field, field, "field of: {error}");
    assert_eq!(error.line, Some(line), "line of: {error}");
    for needle in needles {
        assert!(error.message.contains(needle), "`{needle}` not in: {error}");
    }
    assert_eq!(error.file, Path::new(FILE));
    error
}
