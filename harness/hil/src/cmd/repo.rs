//! The repository a command works on: its root, its cases, its rigs, its reports folder.
//!
//! Every problem with them is [`BadInput`]: printed one per line, exit 2,
//! nothing runs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use hil_cases::Case;
use hil_gate::Quarantine;
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

/// The suite's cases that `selection` picks; every malformed file, every
/// `skip:` naming a rig that has no rig file, and a selection that picks
/// nothing are problems (a typo in `--filter` must not pass as "all green").
pub fn load_cases(root: &Path, selection: &Selection) -> Result<Vec<Case>> {
    select(load_suite(root)?, selection)
}

/// Every case of the suite.
pub fn load_suite(root: &Path) -> Result<Vec<Case>> {
    let suite = hil_cases::load_suite(&root.join("conformance")).map_err(|e| BadInput {
        problems: e.errors.iter().map(ToString::to_string).collect(),
        note: Some(format!(
            "{} malformed case file(s); nothing was run",
            e.errors.len()
        )),
    })?;
    if suite.cases.is_empty() {
        return Err(BadInput::one(format!(
            "the suite {} holds no case; nothing to run",
            root.join("conformance").display()
        ))
        .into());
    }
    Ok(suite.cases)
}

/// The cases `selection` picks; none is an error naming the selection.
pub fn select(cases: Vec<Case>, selection: &Selection) -> Result<Vec<Case>> {
    let total = cases.len();
    let picked: Vec<Case> = cases.into_iter().filter(|c| selection.matches(c)).collect();
    if picked.is_empty() {
        return Err(BadInput::one(format!(
            "no case matches {} (0 of {total} cases selected); `hil list` shows every id and tag",
            selection.describe()
        ))
        .into());
    }
    Ok(picked)
}

/// The names of every rig file.
pub fn rig_names(root: &Path) -> Result<Vec<String>> {
    Ok(all_rigs(root)?.into_iter().map(|r| r.name).collect())
}

/// The quarantine file given, else `conformance/quarantine.yaml` when it
/// exists, else none; checked against the suite and the rig files.
pub fn load_quarantine(root: &Path, file: Option<&Path>, suite: &[Case]) -> Result<Quarantine> {
    let default = root.join("conformance/quarantine.yaml");
    let path = match file {
        Some(file) => reports_dir(root, file),
        None if default.exists() => default,
        None => return Ok(Quarantine::default()),
    };
    let quarantine = Quarantine::load(&path).map_err(|errors| BadInput {
        problems: errors.iter().map(ToString::to_string).collect(),
        note: Some("the quarantine file is malformed; nothing was run".into()),
    })?;
    let errors = quarantine.check_against(suite, &rig_names(root)?);
    if !errors.is_empty() {
        return Err(BadInput {
            problems: errors.iter().map(ToString::to_string).collect(),
            note: None,
        }
        .into());
    }
    Ok(quarantine)
}

/// Every rig file of the repository.
/// Every rig file under `rigs/`, as written (whether it can run here is
/// the caller's question).
pub fn all_rigs(root: &Path) -> Result<Vec<RigConfig>> {
    load_rigs(&root.join("rigs")).map_err(|errors| {
        BadInput {
            problems: errors.iter().map(ToString::to_string).collect(),
            note: None,
        }
        .into()
    })
}

/// The rigs named (`sim` if none), from `rigs/`, each able to run here.
pub fn pick_rigs(root: &Path, names: &[String]) -> Result<Vec<RigConfig>> {
    let rigs = all_rigs(root)?;
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
