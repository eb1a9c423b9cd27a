//! The repository a command works on: its root, its cases, its rigs, its reports folder.
//!
//! Every problem with them is [`BadInput`]: printed one per line, exit 2,
//! nothing runs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hil_cases::Case;
use hil_rig::{load_rigs, RigConfig};
use hil_runner::Selection;

use crate::failure::BadInput;

/// The root given, or the nearest folder at or above the current one with
/// both `conformance/` and `rigs/`.
pub fn find_root(explicit: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(root) = explicit {
        return Ok(root);
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    cwd.ancestors()
        .find(|d| d.join("conformance").is_dir() && d.join("rigs").is_dir())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            BadInput::one(format!(
                "no folder with conformance/ and rigs/ at or above {}; run hil inside the repository or pass --root",
                cwd.display()
            ))
            .into()
        })
}

/// The suite's cases that `selection` picks; every malformed file is a problem.
pub fn load_cases(root: &Path, selection: &Selection) -> Result<Vec<Case>> {
    match hil_cases::load_suite(&root.join("conformance")) {
        Ok(suite) => Ok(suite
            .cases
            .into_iter()
            .filter(|c| selection.matches(c))
            .collect()),
        Err(e) => Err(BadInput {
            problems: e.errors.iter().map(ToString::to_string).collect(),
            note: Some(format!(
                "{} malformed case file(s); nothing was run",
                e.errors.len()
            )),
        }
        .into()),
    }
}

/// The rigs named (`sim` if none), from `rigs/`, each able to run here.
pub fn pick_rigs(root: &Path, names: &[String]) -> Result<Vec<RigConfig>> {
    let rigs = load_rigs(&root.join("rigs")).map_err(|errors| BadInput {
        problems: errors.iter().map(ToString::to_string).collect(),
        note: None,
    })?;
    let wanted: Vec<String> = if names.is_empty() {
        vec!["sim".into()]
    } else {
        names.to_vec()
    };
    wanted
        .iter()
        .map(|name| match rigs.iter().find(|r| &r.name == name) {
            // A rig that cannot run here (no QEMU) is config: nothing runs.
            Some(r) => match r.check_runnable() {
                Ok(()) => Ok(r.clone()),
                Err(e) => Err(BadInput::one(e.to_string()).into()),
            },
            None => {
                let known: Vec<&str> = rigs.iter().map(|r| r.name.as_str()).collect();
                Err(BadInput::one(format!(
                    "no rig `{name}` (rigs/{name}.yaml); known rigs: {}",
                    known.join(", ")
                ))
                .into())
            }
        })
        .collect()
}

/// `reports` under the root unless it is absolute.
pub fn reports_dir(root: &Path, reports: &Path) -> PathBuf {
    if reports.is_absolute() {
        reports.to_owned()
    } else {
        root.join(reports)
    }
}

/// The command line, as the report records it.
pub fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}
