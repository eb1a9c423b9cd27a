//! The gate's verdict for people: `gate.md` (a CI job summary) and the HTML section of `report.html`.

use std::fmt::Write as _;

use maud::{html, Markup};

use crate::gate::{GateReport, Kind};
use crate::policy::Rule;

const ORDER: [Kind; 12] = [
    Kind::Regression,
    Kind::NewCaseFailure,
    Kind::Error,
    Kind::Limit,
    Kind::Vanished,
    Kind::FewerRigs,
    Kind::ExpiredQuarantine,
    Kind::Flaky,
    Kind::StillFailing,
    Kind::Quarantined,
    Kind::Fixed,
    Kind::NewCase,
];

/// `gate.md`: the verdict line, then each kind of finding with its rule.
pub fn markdown(report: &GateReport, baseline_label: &str) -> String {
    let mut md = format!(
        "# {}\n\nBaseline: `{baseline_label}`\n",
        report.verdict_line()
    );
    for kind in ORDER {
        let of = report.of(kind);
        if of.is_empty() {
            continue;
        }
        let _ = writeln!(
            md,
            "\n## {} ({}, {})\n",
            kind.title(),
            of.len(),
            of[0].rule.as_str()
        );
        for f in of {
            let rig = if f.rig.is_empty() {
                String::new()
            } else {
                format!(" on `{}`", f.rig)
            };
            let _ = writeln!(md, "- `{}`{rig}: {}", f.subject, one_line(&f.detail));
        }
    }
    if !report.figures.is_empty() {
        md.push_str(
            "\n## Campaign figures\n\n| figure | now | baseline | limit |\n|---|---:|---:|---:|\n",
        );
        for f in &report.figures {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} |",
                f.key,
                f.value,
                f.baseline.map_or("—".into(), |v| v.to_string()),
                f.limit.map_or("—".into(), |v| v.to_string())
            );
        }
    }
    md
}

/// The gate section of `report.html`.
pub fn html_section(report: &GateReport, baseline_label: &str) -> Markup {
    let class = if report.passed() { "pass" } else { "fail" };
    html! {
        p class=(format!("verdict {class}")) { (report.verdict_line()) }
        p { "Baseline: " code { (baseline_label) } }
        @for kind in ORDER {
            @let of = report.of(kind);
            @if !of.is_empty() {
                h3 { (kind.title()) " (" (of.len()) ", " (of[0].rule.as_str()) ")" }
                table class=(format!("findings {}", rule_class(of[0].rule))) {
                    thead { tr { th { "case / figure" } th { "rig" } th { "what" } } }
                    tbody {
                        @for f in of {
                            tr { td { code { (f.subject) } } td { (f.rig) } td { (f.detail) } }
                        }
                    }
                }
            }
        }
        @if !report.figures.is_empty() {
            h3 { "Campaign figures" }
            table class="figures" {
                thead { tr { th { "figure" } th { "now" } th { "baseline" } th { "limit" } } }
                tbody {
                    @for f in &report.figures {
                        @let over = f.limit.is_some_and(|l| f.value > l);
                        tr class=(if over { "fail" } else { "" }) {
                            td { code { (f.key) } }
                            td class="num" { (f.value) }
                            td class="num" { (f.baseline.map_or("—".into(), |v| v.to_string())) }
                            td class="num" { (f.limit.map_or("—".into(), |v| v.to_string())) }
                        }
                    }
                }
            }
        }
    }
}

fn rule_class(rule: Rule) -> &'static str {
    match rule {
        Rule::Fail => "fail",
        Rule::Warn => "warn",
        Rule::Ignore => "info",
    }
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}
