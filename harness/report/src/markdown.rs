//! `summary.md`: the run at a glance, for people and CI job summaries.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::atomic::write_atomic;
use crate::cadence::Cadence;
use crate::error::ReportError;
use crate::event::{CaseResult, Event, Outcome};
use crate::schema::{track, RunReport, RunStatus};
use crate::sink::Sink;
use crate::transcripts::transcript_path;

/// Rewrites `<dir>/summary.md` on `RunStarted`, on `RunFinished`, and
/// between them after a finished case or a figure when a rewrite is due
/// ([`crate::cadence`]).
pub struct MarkdownSink {
    path: PathBuf,
    report: Option<RunReport>,
    cadence: Cadence,
}

impl MarkdownSink {
    pub fn new(dir: &Path) -> Self {
        MarkdownSink {
            path: dir.join("summary.md"),
            report: None,
            cadence: Cadence::default(),
        }
    }
}

impl Sink for MarkdownSink {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        let Some(report) = track(&mut self.report, event)? else {
            return Ok(());
        };
        let path = &self.path;
        self.cadence.rewrite(event, || {
            write_atomic(path, render_summary(report).as_bytes())
        })
    }
}

/// The Markdown summary of `report`. Links are relative to the report directory.
pub fn render_summary(report: &RunReport) -> String {
    let run = &report.run;
    let summary = &report.summary;
    let mut md = String::new();
    // `write!` into a String cannot fail; the results are ignored for brevity.
    let _ = writeln!(md, "# hil run `{}`: {}\n", run.run_id, verdict(report));
    let _ = writeln!(md, "- command: `{}`", inline(&run.command));
    let _ = writeln!(md, "- started: {}", run.started_at);
    if let Some(finished_at) = &report.finished_at {
        let _ = writeln!(md, "- finished: {finished_at}");
    }
    if let Some(exit_code) = report.exit_code {
        let _ = writeln!(md, "- exit code: {exit_code}");
    }
    let _ = writeln!(
        md,
        "- finished {} of {} planned case runs; hil {}, schema {}\n",
        summary.total, run.planned, run.hil_version, report.schema_version
    );

    md.push_str("| rig | passed | flaky | failed | quarantined | errors | skipped | total |\n");
    md.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    // Run order (as given on the command line), not alphabetical.
    for rig in report.rigs() {
        let counts = summary.per_rig.get(rig).cloned().unwrap_or_default();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(rig),
            counts.passed,
            counts.flaky,
            counts.failed,
            counts.quarantined,
            counts.errors,
            counts.skipped,
            counts.total
        );
    }
    let _ = writeln!(
        md,
        "| **all** | {} | {} | {} | {} | {} | {} | {} |",
        summary.passed,
        summary.flaky,
        summary.failed,
        summary.quarantined,
        summary.errors,
        summary.skipped,
        summary.total
    );

    section(&mut md, "Failed", report, |case| {
        matches!(case.outcome, Outcome::Failed { .. }) && case.quarantine.is_none()
    });
    section(
        &mut md,
        "Errors (rig problems, not verdicts)",
        report,
        |case| matches!(case.outcome, Outcome::Error { .. }) && case.quarantine.is_none(),
    );
    section(
        &mut md,
        "Quarantined (reported, not counted)",
        report,
        |case| {
            case.quarantine.is_some()
                && !matches!(case.outcome, Outcome::Passed | Outcome::Skipped { .. })
        },
    );
    section(&mut md, "Flaky (passed on a retry)", report, |case| {
        case.flaky
    });
    section(&mut md, "Skipped", report, |case| {
        matches!(case.outcome, Outcome::Skipped { .. })
    });
    md
}

/// `running`, `complete: all passed`, `interrupted: 1 failed, 2 errors` …
fn verdict(report: &RunReport) -> String {
    let summary = &report.summary;
    let status = report.status.as_str();
    if report.status == RunStatus::Running {
        return status.to_owned();
    }
    let mut problems = Vec::new();
    if summary.failed > 0 {
        problems.push(format!("{} failed", summary.failed));
    }
    if summary.quarantined > 0 {
        problems.push(format!("{} quarantined", summary.quarantined));
    }
    if summary.flaky > 0 {
        problems.push(format!("{} flaky", summary.flaky));
    }
    if summary.errors > 0 {
        let noun = if summary.errors == 1 {
            "error"
        } else {
            "errors"
        };
        problems.push(format!("{} {noun}", summary.errors));
    }
    if problems.is_empty() {
        format!("{status}, no failures")
    } else {
        format!("{status}, {}", problems.join(", "))
    }
}

fn section(md: &mut String, title: &str, report: &RunReport, wanted: fn(&CaseResult) -> bool) {
    let cases: Vec<&CaseResult> = report.cases.iter().filter(|case| wanted(case)).collect();
    if cases.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n## {title}\n");
    for case in cases {
        let _ = write!(
            md,
            "- `{}` on `{}`",
            inline(&case.case_id),
            inline(&case.rig)
        );
        match &case.outcome {
            Outcome::Failed {
                field,
                line,
                message,
                ..
            } => {
                let _ = write!(
                    md,
                    " at `{}:{line}` ({field}): {}",
                    inline(&case.file),
                    text(message)
                );
            }
            Outcome::Error { message } => {
                let _ = write!(md, " (`{}`): {}", inline(&case.file), text(message));
            }
            Outcome::Skipped { reason } => {
                let _ = write!(md, ": {}", text(reason));
            }
            Outcome::Passed => {
                let _ = write!(md, " after {} failed tr(y/ies)", case.attempts.len());
            }
        }
        if let Some(q) = &case.quarantine {
            let _ = write!(
                md,
                " [quarantined until {}: {}]",
                q.expires,
                text(&q.reason)
            );
        }
        if !matches!(case.outcome, Outcome::Skipped { .. }) {
            let link = transcript_path(&case.rig, &case.case_id);
            // Forward slashes on every platform: this is a URL, not a path.
            let link: Vec<_> = link.iter().map(|part| part.to_string_lossy()).collect();
            let _ = write!(md, " ([transcript]({}))", link.join("/"));
        }
        md.push('\n');
    }
}

/// Free text on one line.
fn text(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text inside a code span: one line, no backticks to close it early.
fn inline(s: &str) -> String {
    text(s).replace('`', "'")
}

/// Text inside a table cell: one line, pipes escaped.
fn cell(s: &str) -> String {
    text(s).replace('|', "\\|")
}
