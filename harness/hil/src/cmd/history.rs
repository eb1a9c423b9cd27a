//! `hil history [CASE] [--rig RIG]`: pass rate, flakiness, first failing run and duration trends over the last N runs, from `reports/history.sqlite`.
//!
//! Every `hil run`, `hil merge` and `hil nightly` records its run there;
//! [`record`] is how, and [`trends_section`] puts the trends in report.html.

use std::path::{Path, PathBuf};

use anyhow::Result;
use hil_history::History;
use hil_report::{svg, ExitCode, HtmlSection, RunReport};
use maud::{html, PreEscaped};

use super::repo::find_root;

/// The history file of a repository.
pub fn path(root: &Path) -> PathBuf {
    std::env::var_os("HIL_HISTORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("reports/history.sqlite"))
}

/// Records `report`; a history that cannot be written is an error (exit 3).
pub fn record(root: &Path, report: &RunReport) -> Result<()> {
    let mut history = History::open(&path(root))?;
    history.record(report)?;
    Ok(())
}

pub fn history(
    root: Option<PathBuf>,
    case: Option<&str>,
    rig: Option<&str>,
    last: usize,
) -> Result<ExitCode> {
    let root = find_root(root)?;
    let file = path(&root);
    if !file.exists() {
        println!(
            "no run history yet ({}): every hil run records one",
            file.display()
        );
        return Ok(ExitCode::Passed);
    }
    let history = History::open(&file)?;
    let pattern = case.map(|c| {
        if c.contains('*') {
            c.to_owned()
        } else {
            format!("*{c}*")
        }
    });
    let stats = history.cases(pattern.as_deref(), rig, last)?;
    println!(
        "{:<56} {:<12} {:>4} {:>6} {:>6}  {:<26} duration ms (oldest..newest)",
        "case", "rig", "runs", "pass%", "flaky%", "failing since"
    );
    // Failing cases first, then flaky, then the rest.
    let mut stats = stats;
    stats.sort_by_key(|s| (s.failing_since.is_none(), s.flaky == 0, s.case_id.clone()));
    for s in &stats {
        let durations: Vec<String> = s.durations.iter().map(|d| format!("{d:.1}")).collect();
        println!(
            "{:<56} {:<12} {:>4} {:>5.0}% {:>5.0}%  {:<26} {}",
            s.case_id,
            s.rig,
            s.runs,
            s.pass_rate() * 100.0,
            s.flaky_rate() * 100.0,
            s.failing_since.as_deref().unwrap_or("-"),
            durations.join(" ")
        );
    }
    println!("\nlast {last} runs:");
    for r in history.runs(last)? {
        println!(
            "{}  {:<12} {:>4} results, {:>4} passed, {:>3} failed, {:>3} flaky, {:>9.1} ms of cases",
            r.run_id, r.host, r.total, r.passed, r.failed, r.flaky, r.duration_ms
        );
    }
    Ok(ExitCode::Passed)
}

/// Trends for report.html: pass rate and case time of the last 30 runs,
/// and the cases that fail or flake now with when they started.
pub fn trends_section(root: &Path, report: &RunReport) -> Option<HtmlSection> {
    let file = path(root);
    if !file.exists() {
        return None;
    }
    let history = History::open(&file).ok()?;
    let runs = history.runs(30).ok()?;
    if runs.is_empty() {
        return None;
    }
    let rate: Vec<svg::Bar> = runs
        .iter()
        .map(|r| svg::Bar {
            label: r.run_id.clone(),
            value: if r.total == 0 {
                0.0
            } else {
                100.0 * r.passed as f64 / r.total as f64
            },
            bad: r.failed > 0,
        })
        .collect();
    let time: Vec<svg::Bar> = runs
        .iter()
        .map(|r| svg::Bar {
            label: r.run_id.clone(),
            value: r.duration_ms / 1000.0,
            bad: false,
        })
        .collect();
    let troubled: Vec<hil_history::CaseStats> = history
        .cases(None, None, 30)
        .ok()?
        .into_iter()
        .filter(|s| {
            (s.failing_since.is_some() || s.flaky > 0)
                && report
                    .cases
                    .iter()
                    .any(|c| c.case_id == s.case_id && c.rig == s.rig)
        })
        .collect();
    let body = html! {
        p class="muted" { "From " code { (file.display().to_string()) } ": the last " (runs.len()) " run(s) recorded on this host." }
        (PreEscaped(svg::bar_chart("pass rate per run", "%", &rate, Some(100.0))))
        (PreEscaped(svg::bar_chart("time in cases per run", " s", &time, None)))
        @if !troubled.is_empty() {
            h3 { "Failing or flaky over the last 30 runs" }
            table {
                thead { tr { th { "case" } th { "rig" } th class="num" { "runs" } th class="num" { "pass rate" } th class="num" { "flaky" } th { "failing since" } } }
                tbody {
                    @for s in &troubled {
                        tr class=(if s.failing_since.is_some() { "fail" } else { "warn" }) {
                            td { code { (s.case_id) } } td { (s.rig) } td class="num" { (s.runs) }
                            td class="num" { (format!("{:.0}%", s.pass_rate() * 100.0)) } td class="num" { (s.flaky) }
                            td { (s.failing_since.clone().unwrap_or_else(|| "-".into())) }
                        }
                    }
                }
            }
        }
    };
    Some(HtmlSection {
        id: "trends".into(),
        title: "Trends".into(),
        body: body.into_string(),
    })
}
