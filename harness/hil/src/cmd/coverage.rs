//! `hil coverage`: the ABI coverage matrix of a run set — every call's documented statuses and notifications, and which cases saw them on which rigs.
//!
//! Uncovered pairs come first. Prints the Markdown table and writes it to
//! `coverage.md` in the first folder.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use hil_gate::coverage::{matrix, Coverage, OutcomeKind};
use hil_report::ExitCode;

use super::repo::find_root;
use super::runs::{load_runs, run_dirs};
use crate::failure::SystemFailure;

pub fn coverage(root: Option<PathBuf>, dirs: &[PathBuf]) -> Result<ExitCode> {
    let root = find_root(root)?;
    let dirs = run_dirs(&root, dirs);
    let set = load_runs(&dirs)?;
    let coverage = matrix(set.cases()).map_err(|e| SystemFailure(e.to_string()))?;
    let md = markdown(&coverage);
    let path = dirs[0].join("coverage.md");
    std::fs::write(&path, &md)
        .map_err(|e| SystemFailure(format!("cannot write {}: {e}", path.display())))?;
    print!("{md}");
    println!("coverage: {}", path.display());
    Ok(ExitCode::Passed)
}

/// The matrix as Markdown: totals, then one row per pair, uncovered first.
pub fn markdown(c: &Coverage) -> String {
    let covered = c.pairs.iter().filter(|p| p.covered()).count();
    let calls: std::collections::BTreeSet<&str> = c
        .pairs
        .iter()
        .filter(|p| p.covered())
        .map(|p| p.call)
        .collect();
    let unreachable = c
        .pairs
        .iter()
        .filter(|p| !p.covered() && p.unreachable.is_some())
        .count();
    let mut md = format!(
        "# ABI coverage\n\n{covered} of {} documented (call, outcome) pairs observed ({unreachable} more unreachable in this kernel, each with its reason); {} of 72 calls observed at all; rigs: {}.\n\n",
        c.pairs.len(),
        calls.len(),
        c.rigs.join(", ")
    );
    md.push_str("| slot | call | outcome | observed by |\n|---:|---|---|---|\n");
    for p in &c.pairs {
        let kind = match p.kind {
            OutcomeKind::Status => "status",
            OutcomeKind::Event => "posts",
        };
        let seen = if let (true, Some(why)) = (p.seen.is_empty(), &p.unreachable) {
            format!("unreachable here: {why}")
        } else if p.seen.is_empty() {
            "**not observed**".to_owned()
        } else {
            p.seen
                .iter()
                .map(|(rig, cases)| {
                    let first: Vec<&str> = cases.iter().take(3).map(String::as_str).collect();
                    let more = if cases.len() > 3 {
                        format!(" +{}", cases.len() - 3)
                    } else {
                        String::new()
                    };
                    format!("{rig}: {}{more}", first.join(", "))
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let _ = writeln!(
            md,
            "| {} | `{}` | {kind} `{}` | {seen} |",
            p.slot, p.call, p.outcome
        );
    }
    if !c.undocumented.is_empty() {
        md.push_str("\n## Observed, not in the header's @retval list\n\n");
        for p in &c.undocumented {
            let rigs: Vec<&str> = p.seen.keys().map(String::as_str).collect();
            let _ = writeln!(md, "- `{}` → `{}` ({})", p.call, p.outcome, rigs.join(", "));
        }
    }
    md
}
