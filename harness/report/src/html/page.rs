//! The page: header and verdict, per-rig summary, failures and flaky cases first, parity, added sections, every case.

use std::path::Path;

use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::atomic::write_atomic;
use crate::error::ReportError;
use crate::event::{CaseResult, Outcome};
use crate::parity;
use crate::schema::{RunReport, RunStatus};

use super::style::CSS;

/// A section another part of `hil` adds to the page (the gate verdict,
/// campaigns, trends, coverage): its anchor, its heading and its body,
/// already rendered (and escaped) by its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlSection {
    pub id: String,
    pub title: String,
    pub body: String,
}

/// Writes `<dir>/report.html` (atomically).
pub fn write_html(
    dir: &Path,
    report: &RunReport,
    sections: &[HtmlSection],
) -> Result<(), ReportError> {
    write_atomic(
        &dir.join("report.html"),
        render_html(report, sections).as_bytes(),
    )
}

/// The whole page.
pub fn render_html(report: &RunReport, sections: &[HtmlSection]) -> String {
    let run = &report.run;
    let failing: Vec<&CaseResult> = report.cases.iter().filter(|c| c.counts_against()).collect();
    let flaky: Vec<&CaseResult> = report.cases.iter().filter(|c| c.flaky).collect();
    let quarantined: Vec<&CaseResult> = report
        .cases
        .iter()
        .filter(|c| {
            c.quarantine.is_some()
                && matches!(c.outcome, Outcome::Failed { .. } | Outcome::Error { .. })
        })
        .collect();
    let differences = if report.rigs().len() > 1 {
        parity::compare(&report.cases)
    } else {
        Vec::new()
    };
    let title = format!("hil {} — {}", run.run_id, headline(report));
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { (title) }
                    div class="meta" {
                        "command " code { (run.command) } " · started " (run.started_at)
                        @if let Some(f) = &report.finished_at { " · finished " (f) }
                        @if let Some(code) = report.exit_code { " · exit code " (code) }
                        @if !run.host.is_empty() { " · host " (run.host) }
                        @if let Some(p) = &run.partition { " · shard " (p.to_string()) }
                        " · hil " (run.hil_version) " · schema " (report.schema_version)
                    }
                }
                nav {
                    a href="#summary" { "Summary" }
                    @for s in sections { a href=(format!("#{}", s.id)) { (s.title) } }
                    a href="#failures" { "Failures (" (failing.len()) ")" }
                    a href="#flaky" { "Flaky (" (flaky.len()) ")" }
                    @if !quarantined.is_empty() { a href="#quarantined" { "Quarantined (" (quarantined.len()) ")" } }
                    @if report.rigs().len() > 1 { a href="#parity" { "Parity (" (differences.len()) ")" } }
                    a href="#cases" { "All cases (" (report.cases.len()) ")" }
                }
                main {
                    section id="summary" {
                        h2 { "Summary per rig" }
                        (summary_table(report))
                    }
                    @for s in sections.iter().filter(|s| s.id == "gate") {
                        section id=(s.id) { h2 { (s.title) } (PreEscaped(&s.body)) }
                    }
                    section id="failures" {
                        h2 { "Failures and rig errors (" (failing.len()) ")" }
                        @if failing.is_empty() { p class="muted" { "None." } }
                        @for case in &failing { (case_card(case, true)) }
                    }
                    section id="flaky" {
                        h2 { "Flaky: passed on a retry (" (flaky.len()) ")" }
                        @if flaky.is_empty() { p class="muted" { "None." } }
                        @for case in &flaky { (case_card(case, true)) }
                    }
                    @if !quarantined.is_empty() {
                        section id="quarantined" {
                            h2 { "Quarantined failures: reported, not counted (" (quarantined.len()) ")" }
                            @for case in &quarantined { (case_card(case, false)) }
                        }
                    }
                    @if report.rigs().len() > 1 {
                        section id="parity" {
                            h2 { "Parity between " (report.rigs().join(", ")) " (" (differences.len()) ")" }
                            @if differences.is_empty() {
                                p { "Every case that ran on more than one rig produced the same redacted transcript." }
                            } @else {
                                table {
                                    thead { tr { th { "case" } th { "line" } th { "rig" } th { "transcript" } th { "rig" } th { "transcript" } } }
                                    tbody {
                                        @for d in &differences {
                                            tr class="fail" {
                                                td { code { (d.case_id) } } td class="num" { (d.line) }
                                                td { (d.left_rig) } td { code { (d.left) } }
                                                td { (d.right_rig) } td { code { (d.right) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    @for s in sections.iter().filter(|s| s.id != "gate") {
                        section id=(s.id) { h2 { (s.title) } (PreEscaped(&s.body)) }
                    }
                    section id="cases" {
                        h2 { "All cases" }
                        (all_cases(report))
                    }
                }
            }
        }
    };
    page.into_string()
}

/// `complete: 3 failed, 1 flaky` / `complete: all passed` / `running`.
fn headline(report: &RunReport) -> String {
    let s = &report.summary;
    if report.status == RunStatus::Running {
        return "running".into();
    }
    let mut parts = Vec::new();
    let counted_failed = report.cases.iter().filter(|c| c.counts_against()).count();
    if counted_failed > 0 {
        parts.push(format!("{counted_failed} failed or errored"));
    }
    if s.flaky > 0 {
        parts.push(format!("{} flaky", s.flaky));
    }
    if s.quarantined > 0 {
        parts.push(format!("{} quarantined", s.quarantined));
    }
    let status = report.status.as_str();
    if parts.is_empty() {
        format!("{status}: {} passed, {} skipped", s.passed, s.skipped)
    } else {
        format!("{status}: {}", parts.join(", "))
    }
}

fn summary_table(report: &RunReport) -> Markup {
    let row = |name: &str, c: &crate::schema::RigSummary| {
        html! {
            tr {
                td { (name) }
                td class="num pass" { (c.passed) }
                td class=(if c.flaky > 0 { "num warn" } else { "num" }) { (c.flaky) }
                td class=(if c.failed > c.quarantined { "num fail" } else { "num" }) { (c.failed) }
                td class=(if c.quarantined > 0 { "num warn" } else { "num" }) { (c.quarantined) }
                td class=(if c.errors > 0 { "num fail" } else { "num" }) { (c.errors) }
                td class="num" { (c.skipped) }
                td class="num" { (c.total) }
            }
        }
    };
    let s = &report.summary;
    let all = crate::schema::RigSummary {
        total: s.total,
        passed: s.passed,
        failed: s.failed,
        errors: s.errors,
        skipped: s.skipped,
        flaky: s.flaky,
        quarantined: s.quarantined,
    };
    html! {
        table class="summary" {
            thead { tr {
                th { "rig" } th class="num" { "passed" } th class="num" { "flaky" } th class="num" { "failed" }
                th class="num" { "quarantined" } th class="num" { "errors" } th class="num" { "skipped" } th class="num" { "total" }
            } }
            tbody {
                @for rig in report.rigs() {
                    (row(rig, &s.per_rig.get(rig).cloned().unwrap_or_default()))
                }
                (row("all", &all))
            }
        }
        p class="muted" { "Finished " (s.total) " of " (report.run.planned) " planned case runs." }
    }
}

/// The status word a person reads for a result.
fn status(case: &CaseResult) -> &'static str {
    if case.flaky {
        "flaky"
    } else if case.quarantine.is_some()
        && !matches!(case.outcome, Outcome::Passed | Outcome::Skipped { .. })
    {
        "quarantined"
    } else {
        case.outcome.status()
    }
}

/// A failing (or flaky) case with everything needed to act on it.
fn case_card(case: &CaseResult, open: bool) -> Markup {
    let state = status(case);
    html! {
        div class=(format!("case {state}")) id=(format!("case-{}-{}", case.rig, case.case_id)) {
            h3 {
                span class=(format!("status {state}")) { (state) } " "
                code { (case.case_id) } " on " (case.rig)
            }
            p {
                (case.title) br;
                span class="muted" { (case.file)
                    @if let Outcome::Failed { line, field, .. } = &case.outcome { ":" (line) " (" (field) ")" }
                    " · " (format!("{:.1} ms", case.duration_ms)) }
            }
            @if let Some(detail) = case.outcome.detail() { p class="status failed" { (detail) } }
            @if let Some(q) = &case.quarantine {
                p class="status quarantined" { "Quarantined until " (q.expires) ": " (q.reason) " — " a href=(q.link) { (q.link) } }
            }
            blockquote { "“" (case.spec.quote) "” " span class="muted" { "(" (case.spec.source) ")" } }
            details open[open] {
                summary { "transcript" }
                pre { (case.transcript) }
            }
            @if !case.logs.is_empty() {
                details open[open] {
                    summary { "device logs (" (case.logs.len()) ")" }
                    pre { @for log in &case.logs { (log.to_string()) "\n" } }
                }
            }
            @for (n, attempt) in case.attempts.iter().enumerate() {
                details {
                    summary { "try " (n + 1) ": " (attempt.outcome.detail().unwrap_or_else(|| attempt.outcome.status().to_owned())) }
                    pre { (attempt.transcript) }
                }
            }
        }
    }
}

fn all_cases(report: &RunReport) -> Markup {
    html! {
        @for rig in report.rigs() {
            h3 { (rig) }
            table class="cases" {
                thead { tr { th { "case" } th { "status" } th class="num" { "ms" } th { "title and transcript" } } }
                tbody {
                    @for case in report.cases.iter().filter(|c| c.rig == rig) {
                        @let state = status(case);
                        tr {
                            td { code { (case.case_id) } }
                            td class=(format!("status {state}")) { (state) }
                            td class="num" { (format!("{:.1}", case.duration_ms)) }
                            td {
                                details {
                                    summary { (case.title) }
                                    blockquote { "“" (case.spec.quote) "” " span class="muted" { "(" (case.spec.source) ")" } }
                                    pre { (case.transcript) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
