//! `hil list`: the cases a run would include.

use std::path::PathBuf;

use anyhow::Result;
use hil_report::ExitCode;
use hil_runner::Selection;

use super::repo::{find_root, load_cases};

pub fn list(root: Option<PathBuf>, selection: &Selection) -> Result<ExitCode> {
    let root = find_root(root)?;
    for case in load_cases(&root, selection)? {
        println!("{:<56} {}", case.id, case.title);
    }
    Ok(ExitCode::Passed)
}
