//! Case files and suites on disk: reading, the area of a file, duplicate ids.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{CaseError, SuiteError};
use crate::lines::LineIndex;
use crate::model::{Case, Suite};
use crate::parse::parse_case;

/// Folders of `conformance/` that hold no cases.
const NOT_AREAS: &[&str] = &["schema"];

/// Files at the top of `conformance/` that are not cases (the quarantine
/// list of `hil-gate`).
const NOT_CASES: &[&str] = &["quarantine.yaml"];

/// Loads one case file; its area is the name of the folder it is in.
pub fn load_case_file(path: &Path) -> Result<Case, CaseError> {
    let folder = path.parent().and_then(Path::file_name).unwrap_or_default();
    let Some(area) = folder.to_str() else {
        return Err(file_error(
            path,
            format!(
                "the folder name `{}` is not valid UTF-8; an area folder is named like the ids in it ([a-z0-9-]), so rename it",
                folder.to_string_lossy()
            ),
        ));
    };
    let text = fs::read_to_string(path)
        .map_err(|error| file_error(path, format!("cannot read the file: {error}")))?;
    parse_case(path, area, &text)
}

/// Loads every `<dir>/<area>/*.yaml` (not `schema/`, not deeper folders), reporting
/// every file's error and every duplicate id; the cases come sorted by id.
pub fn load_suite(dir: &Path) -> Result<Suite, SuiteError> {
    let mut errors = Vec::new();
    let mut cases = Vec::new();
    for file in case_files(dir, &mut errors) {
        match load_case_file(&file) {
            Ok(case) => cases.push(case),
            Err(error) => errors.push(error),
        }
    }
    cases.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.path.cmp(&b.path)));
    let mut first_file: HashMap<&str, &Path> = HashMap::new();
    for case in &cases {
        match first_file.get(case.id.as_str()) {
            None => {
                first_file.insert(&case.id, &case.path);
            }
            Some(first) => errors.push(duplicate(case, first)),
        }
    }
    if errors.is_empty() {
        Ok(Suite { cases })
    } else {
        errors.sort_by(|a, b| {
            (&a.file, a.line, a.column, &a.field).cmp(&(&b.file, b.line, b.column, &b.field))
        });
        Err(SuiteError { errors })
    }
}

/// The case files of a suite, sorted by path.
fn case_files(dir: &Path, errors: &mut Vec<CaseError>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let areas = match sorted_entries(dir) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(file_error(
                dir,
                format!("cannot read the suite folder: {error}"),
            ));
            return files;
        }
    };
    for area in areas {
        let name = area
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        if area.is_file() {
            if looks_like_case(&area) && !NOT_CASES.contains(&name) {
                errors.push(file_error(
                    &area,
                    "a case file belongs in an area folder: conformance/<area>/<name>.yaml"
                        .to_owned(),
                ));
            }
            continue;
        }
        if NOT_AREAS.contains(&name) {
            continue;
        }
        match sorted_entries(&area) {
            Ok(entries) => {
                for entry in entries {
                    match area_entry(&entry) {
                        Ok(true) => files.push(entry),
                        Ok(false) => {}
                        Err(message) => errors.push(file_error(&entry, message)),
                    }
                }
            }
            Err(error) => errors.push(file_error(
                &area,
                format!("cannot read the area folder: {error}"),
            )),
        }
    }
    files
}

/// Whether an entry of an area folder is a case file to load; an error for
/// an entry that looks like a case but cannot be one (a run must never
/// drop a case without saying so).
fn area_entry(entry: &Path) -> Result<bool, String> {
    let name = entry
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    if name.starts_with('.') {
        return Ok(false);
    }
    // `metadata` follows symlinks: a dangling or looping link fails here.
    let metadata = match fs::metadata(entry) {
        Ok(metadata) => metadata,
        Err(error) => {
            let link = fs::symlink_metadata(entry).is_ok_and(|m| m.file_type().is_symlink());
            return Err(if link {
                format!(
                    "cannot follow this symlink ({error}); point it at a case file or remove it"
                )
            } else {
                format!("cannot read: {error}")
            });
        }
    };
    if metadata.is_dir() {
        return Err(
            "a folder inside an area is not read: case files live directly in conformance/<area>/; move its cases up or remove it"
                .to_owned(),
        );
    }
    let extension = entry
        .extension()
        .and_then(|ext| ext.to_str())
        .unwrap_or_default();
    if is_case_file(entry) {
        return Ok(metadata.is_file());
    }
    if looks_like_case(entry) {
        return Err(format!(
            "the extension `.{extension}` is not read; case files end in `.yaml` (lower case): rename it"
        ));
    }
    Ok(false)
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort();
    Ok(entries)
}

/// `.yaml` or `.yml` in any case: a file the author meant as a case.
fn looks_like_case(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| matches!(ext.to_ascii_lowercase().as_str(), "yaml" | "yml"))
}

fn is_case_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|ext| ext.to_str()),
        Some("yaml" | "yml")
    )
}

fn duplicate(case: &Case, first: &Path) -> CaseError {
    // The file parsed a moment ago; reading it again only finds the id's line.
    let position = fs::read_to_string(&case.path)
        .ok()
        .and_then(|text| LineIndex::build(&text).locate("id"));
    CaseError {
        file: case.path.clone(),
        line: position.map(|position| position.line),
        column: position.map(|position| position.column),
        field: "id".to_owned(),
        message: format!(
            "id `{}` is also used by {}; ids are unique in the suite",
            case.id,
            first.display()
        ),
    }
}

fn file_error(path: &Path, message: String) -> CaseError {
    CaseError {
        file: path.to_owned(),
        line: None,
        column: None,
        field: String::new(),
        message,
    }
}
