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
            if is_case_file(&area) {
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
            Ok(entries) => files.extend(
                entries
                    .into_iter()
                    .filter(|file| file.is_file() && is_case_file(file)),
            ),
            Err(error) => errors.push(file_error(
                &area,
                format!("cannot read the area folder: {error}"),
            )),
        }
    }
    files
}

fn sorted_entries(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort();
    Ok(entries)
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
