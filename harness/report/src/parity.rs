//! Parity: the same case must produce the same redacted transcript on every rig.
//!
//! A difference is a bug in one of the rigs; [`compare`] lists every one and
//! [`render`] writes them as Markdown. The engine's `parity.md` and the
//! overrun campaign's parity section both come from here.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::event::{CaseResult, Outcome};

/// One case whose transcripts differ between two rigs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub case_id: String,
    pub left_rig: String,
    pub right_rig: String,
    /// The first line that differs (1-based), with both versions.
    pub line: usize,
    pub left: String,
    pub right: String,
}

/// Compare every case that ran (passed or failed) on more than one rig
/// against the first rig it ran on. Skipped and errored runs are not
/// compared: they have no complete transcript.
pub fn compare(results: &[CaseResult]) -> Vec<Difference> {
    let mut by_case: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for r in results {
        if matches!(r.outcome, Outcome::Passed | Outcome::Failed { .. }) {
            by_case.entry(&r.case_id).or_default().push(r);
        }
    }
    let mut differences = Vec::new();
    for (case_id, runs) in by_case {
        let first = runs[0];
        for other in &runs[1..] {
            if other.transcript != first.transcript {
                let (line, left, right) = first_difference(&first.transcript, &other.transcript);
                differences.push(Difference {
                    case_id: case_id.to_owned(),
                    left_rig: first.rig.clone(),
                    right_rig: other.rig.clone(),
                    line,
                    left,
                    right,
                });
            }
        }
    }
    differences
}

fn first_difference(a: &str, b: &str) -> (usize, String, String) {
    let (mut la, mut lb) = (a.lines(), b.lines());
    let mut n = 0;
    loop {
        n += 1;
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (x, y) => {
                let show = |l: Option<&str>| {
                    l.map_or_else(|| "<end of transcript>".to_owned(), str::to_owned)
                };
                return (n, show(x), show(y));
            }
        }
    }
}

/// The parity section as Markdown (written next to the run's summary).
pub fn render(differences: &[Difference], compared_rigs: &[String]) -> String {
    let mut out = format!("# Parity between {}\n\n", compared_rigs.join(", "));
    if differences.is_empty() {
        out.push_str(
            "Every case that ran on more than one rig produced the same redacted transcript.\n",
        );
        return out;
    }
    let _ = writeln!(out, "{} case(s) differ:\n", differences.len());
    for d in differences {
        let _ = writeln!(
            out,
            "- `{}`: line {}\n  - {}: `{}`\n  - {}: `{}`",
            d.case_id, d.line, d.left_rig, d.left, d.right_rig, d.right
        );
    }
    out
}
