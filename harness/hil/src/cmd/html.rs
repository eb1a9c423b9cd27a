//! `report.html` with every section `hil` can add: the gate verdict, the campaigns' figures and plots, trends from the run history, the ABI coverage matrix.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use hil_gate::coverage::{matrix, OutcomeKind};
use hil_gate::{GateReport, RunSet};
use hil_report::{write_html, HtmlSection, RunReport};
use maud::html;

use crate::failure::SystemFailure;

/// Rewrites `<dir>/report.html` for the run set `set` (one run, shards or
/// a nightly's parts), with the gate's section when there is a verdict.
pub fn rewrite(
    root: &Path,
    dir: &Path,
    set: &RunSet,
    gate: Option<(&GateReport, &str)>,
) -> Result<()> {
    let report = match set.runs.as_slice() {
        [one] => one.report.clone(),
        _ => set.merged(
            &dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            &super::repo::command_line(),
        ),
    };
    let run_dirs: Vec<&Path> = set.runs.iter().map(|r| r.dir.as_path()).collect();
    write(root, dir, &report, &run_dirs, gate)
}

/// Writes `<dir>/report.html` for `report`, whose campaign files are in `run_dirs`.
pub fn write(
    root: &Path,
    dir: &Path,
    report: &RunReport,
    run_dirs: &[&Path],
    gate: Option<(&GateReport, &str)>,
) -> Result<()> {
    let mut sections = Vec::new();
    if let Some((gate, baseline)) = gate {
        sections.push(HtmlSection {
            id: "gate".into(),
            title: "Release gate".into(),
            body: hil_gate::html_section(gate, baseline).into_string(),
        });
    }
    if let Some(campaigns) = campaigns(report, run_dirs) {
        sections.push(campaigns);
    }
    if let Some(trends) = super::history::trends_section(root, report) {
        sections.push(trends);
    }
    if let Some(coverage) = coverage(report) {
        sections.push(coverage);
    }
    write_html(dir, report, &sections)
        .map_err(|e| SystemFailure(format!("cannot write report.html: {e}")))?;
    Ok(())
}

/// Figures per campaign and rig, and each campaign's plot, inline.
fn campaigns(report: &RunReport, run_dirs: &[&Path]) -> Option<HtmlSection> {
    let plots: Vec<(String, String)> = run_dirs
        .iter()
        .flat_map(|d| ["powercut.svg", "overrun.svg", "mqtt-loss.svg"].map(|f| d.join(f)))
        .filter_map(|path| {
            let svg = std::fs::read_to_string(&path).ok()?;
            let start = svg.find("<svg")?;
            Some((
                path.file_name()?.to_string_lossy().into_owned(),
                svg[start..].to_owned(),
            ))
        })
        .collect();
    if report.figures.is_empty() && plots.is_empty() {
        return None;
    }
    let body = html! {
        table class="figures" {
            thead { tr { th { "campaign" } th { "rig" } th { "figure" } th class="num" { "value" } } }
            tbody {
                @for f in &report.figures {
                    @let bad = f.value > 0.0 && matches!(f.name.as_str(), "failures" | "undetected" | "false_alarms" | "unaccounted" | "qos1_lost_fitting");
                    tr class=(if bad { "fail" } else { "" }) {
                        td { (f.campaign) } td { (f.rig) } td { (f.name) } td class="num" { (f.value) }
                    }
                }
            }
        }
        @for (name, svg) in &plots {
            h3 { (name) }
            (maud::PreEscaped(svg))
        }
    };
    Some(HtmlSection {
        id: "campaigns".into(),
        title: "Campaigns".into(),
        body: body.into_string(),
    })
}

/// The ABI coverage matrix: uncovered pairs first, covered ones folded.
fn coverage(report: &RunReport) -> Option<HtmlSection> {
    if report.cases.iter().all(|c| c.transcript.is_empty()) {
        return None;
    }
    let c = matrix(&report.cases).ok()?;
    let covered = c.pairs.iter().filter(|p| p.covered()).count();
    let row = |p: &hil_gate::coverage::Pair| {
        let kind = match p.kind {
            OutcomeKind::Status => "status",
            OutcomeKind::Event => "posts",
        };
        let mut seen = String::new();
        for (rig, cases) in &p.seen {
            let first: Vec<&str> = cases.iter().take(3).map(String::as_str).collect();
            let _ = write!(
                seen,
                "{rig}: {} ({} case(s)); ",
                first.join(", "),
                cases.len()
            );
        }
        html! {
            tr class=(if p.seen.is_empty() && p.unreachable.is_none() { "warn" } else { "" }) {
                td class="num" { (p.slot) } td { code { (p.call) } } td { (kind) " " code { (p.outcome) } }
                td { (p.doc) } td { (match (seen.is_empty(), &p.unreachable) {
                    (true, Some(why)) => format!("unreachable here: {why}"),
                    (true, None) => "not observed".to_owned(),
                    (false, _) => seen,
                }) }
            }
        }
    };
    let head = html! { thead { tr { th class="num" { "slot" } th { "call" } th { "outcome" } th { "SDK header" } th { "observed by" } } } };
    let body = html! {
        p { (covered) " of " (c.pairs.len()) " documented (call, outcome) pairs observed on " (c.rigs.join(", ")) ". Uncovered pairs first: a contributor's to-do list." }
        table class="coverage" {
            (head)
            tbody { @for p in c.pairs.iter().filter(|p| !p.covered()) { (row(p)) } }
        }
        details {
            summary { "covered pairs (" (covered) ")" }
            table class="coverage" {
                (head)
                tbody { @for p in c.pairs.iter().filter(|p| p.covered()) { (row(p)) } }
            }
        }
    };
    Some(HtmlSection {
        id: "coverage".into(),
        title: "ABI coverage".into(),
        body: body.into_string(),
    })
}
