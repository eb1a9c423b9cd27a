//! The power-cut report: a table per phase and outcome, the plot along the update timeline, every point as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use hil_bundle::tamper::TamperClass;

use super::plan::{parse_plan, Outcome, Phase, PointResult};
use super::scenario::expected_rejection;

/// One group of points (single, nested, random, tamper, or a QEMU set).
pub struct Section<'a> {
    pub kind: &'a str,
    pub points: &'a [PointResult],
}

const OUTCOMES: [Outcome; 9] = Outcome::ALL;

/// `powercut.md`: per section and phase, how many points ended how; the
/// tamper classes; every failure with its replay id.
pub fn markdown(title: &str, header: &str, sections: &[Section<'_>], replay_hint: &str) -> String {
    let mut out =
        format!("# {title}\n\n{header}\n\n![outcomes along the update](powercut.svg)\n\n");
    out.push_str("| cuts | phase | points |");
    for o in OUTCOMES {
        let _ = write!(out, " {} |", o.name());
    }
    out.push_str("\n|---|---|---:|");
    for _ in OUTCOMES {
        out.push_str("---:|");
    }
    out.push('\n');
    for section in sections.iter().filter(|s| s.kind != "tamper") {
        let mut by_phase: BTreeMap<Phase, BTreeMap<Outcome, usize>> = BTreeMap::new();
        for p in section.points {
            *by_phase
                .entry(p.phase)
                .or_default()
                .entry(p.outcome)
                .or_default() += 1;
        }
        for (phase, counts) in &by_phase {
            let total: usize = counts.values().sum();
            let _ = write!(out, "| {} | {} | {total} |", section.kind, phase.name());
            for o in OUTCOMES {
                let _ = write!(out, " {} |", counts.get(&o).copied().unwrap_or(0));
            }
            out.push('\n');
        }
    }
    if let Some(tamper) = sections.iter().find(|s| s.kind == "tamper") {
        out.push_str("\n## Tampered bundles (each must leave the old app running)\n\n| class | must be refused with | outcome | detail |\n|---|---|---|---|\n");
        for p in tamper.points {
            let expected = TamperClass::ALL
                .into_iter()
                .find(|c| c.name() == p.id)
                .map_or_else(
                    || "?".to_owned(),
                    |c| format!("{:?}", expected_rejection(c)),
                );
            let _ = writeln!(
                out,
                "| {} | {expected} | {} | {} |",
                p.id,
                p.outcome.name(),
                p.detail
            );
        }
    }
    let failures: Vec<(&str, &PointResult)> = sections
        .iter()
        .flat_map(|s| s.points.iter().map(move |p| (s.kind, p)))
        .filter(|(_, p)| p.outcome != Outcome::Ok)
        .collect();
    let _ = writeln!(out, "\n## Failures: {}\n", failures.len());
    if !failures.is_empty() {
        let _ = writeln!(out, "Replay one with `{replay_hint} <id>`.\n");
        out.push_str("| cuts | id | phase | outcome | detail |\n|---|---|---|---|---|\n");
        for (kind, p) in failures.iter().take(200) {
            let _ = writeln!(
                out,
                "| {kind} | `{}` | {} | {} | {} |",
                p.id,
                p.phase.name(),
                p.outcome.name(),
                p.detail.replace('|', "\\|")
            );
        }
        if failures.len() > 200 {
            let _ = writeln!(
                out,
                "\n… and {} more in powercut.json",
                failures.len() - 200
            );
        }
    }
    out
}

/// `powercut.svg`: the update timeline (flash operations of the uncut run,
/// coloured by phase) and, under it, the outcome of the single cuts before
/// and inside each operation and of the nested/random plans by their first
/// cut. Green is ok, red a failure; a column is red if any point in it failed.
pub fn svg(phases: &[Phase], sections: &[Section<'_>]) -> String {
    let ops = phases.len().max(1);
    let (w, margin, row, gap) = (960.0_f64, 130.0_f64, 26.0_f64, 8.0_f64);
    let rows = [
        "phase",
        "single: before",
        "single: inside",
        "nested (first cut)",
        "random (first cut)",
    ];
    let h = 60.0 + rows.len() as f64 * (row + gap) + 40.0;
    let plot_w = w - margin - 20.0;
    let cols = plot_w as usize;
    let col_of = |op: u64| ((op as f64 / ops as f64) * cols as f64) as usize;
    let mut s = crate::svg::canvas(
        w,
        h,
        &format!("Power cuts along the update ({ops} flash operations of the uncut run)"),
    );
    let y_of = |r: usize| 40.0 + r as f64 * (row + gap);
    for (r, name) in rows.iter().enumerate() {
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{name}</text>",
            margin - 6.0,
            y_of(r) + row * 0.65
        );
    }
    // Phase band, one rect per run of equal phases.
    let colours = |p: Phase| match p {
        Phase::Rotate => "#8e7cc3",
        Phase::Offer => "#6fa8dc",
        Phase::Download => "#93c47d",
        Phase::Verify => "#ffd966",
        Phase::Install => "#f6b26b",
        Phase::Commit => "#c27ba0",
    };
    let mut start = 0;
    for i in 1..=phases.len() {
        if i == phases.len() || phases[i] != phases[start] {
            let (x0, x1) = (
                col_of(start as u64),
                col_of(i as u64).max(col_of(start as u64) + 1),
            );
            let _ = writeln!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{row}\" fill=\"{}\"><title>{} ops {}..{}</title></rect>",
                margin + x0 as f64,
                y_of(0),
                x1 - x0,
                colours(phases[start]),
                phases[start].name(),
                start,
                i
            );
            start = i;
        }
    }
    // Outcome rows: per column, none / all ok / any failure.
    let mut grid = vec![vec![0u8; cols + 1]; rows.len()];
    let first_op = |p: &PointResult| parse_plan(&p.id).ok().and_then(|c| c.first().copied());
    for section in sections {
        for p in section.points {
            let Some(cut) = first_op(p) else { continue };
            let r = match (section.kind, cut.inside) {
                ("single", false) => 1,
                ("single", true) => 2,
                ("nested", _) => 3,
                ("random", _) => 4,
                _ => continue,
            };
            let c = col_of(cut.op).min(cols);
            let v = if p.outcome == Outcome::Ok { 1 } else { 2 };
            grid[r][c] = grid[r][c].max(v);
        }
    }
    for (r, line) in grid.iter().enumerate().skip(1) {
        for (c, &v) in line.iter().enumerate() {
            if v == 0 {
                continue;
            }
            let _ = writeln!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"1\" height=\"{row}\" fill=\"{}\"/>",
                margin + c as f64,
                y_of(r),
                if v == 1 { "#38761d" } else { "#cc0000" }
            );
        }
    }
    let legend_y = y_of(rows.len()) + 10.0;
    let mut x = margin;
    for p in Phase::ALL {
        let _ = writeln!(
            s,
            "<rect x=\"{x}\" y=\"{legend_y}\" width=\"12\" height=\"12\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            colours(p),
            x + 16.0,
            legend_y + 10.0,
            p.name()
        );
        x += 90.0;
    }
    let _ = writeln!(
        s,
        "<rect x=\"{x}\" y=\"{legend_y}\" width=\"12\" height=\"12\" fill=\"#38761d\"/><text x=\"{}\" y=\"{}\">ok</text><rect x=\"{}\" y=\"{legend_y}\" width=\"12\" height=\"12\" fill=\"#cc0000\"/><text x=\"{}\" y=\"{}\">failure</text>",
        x + 16.0,
        legend_y + 10.0,
        x + 50.0,
        x + 66.0,
        legend_y + 10.0
    );
    s.push_str("</svg>\n");
    s
}

/// One point as `powercut.json` and `powercut.jsonl` record it.
pub fn point_json(kind: &str, p: &PointResult) -> serde_json::Value {
    json!({
        "kind": kind,
        "id": p.id,
        "phase": p.phase.name(),
        "outcome": p.outcome.name(),
        "detail": p.detail,
        "cuts_fired": p.cuts_fired,
        "life_ops": p.life_ops,
        "verified": p.verified.describe(),
    })
}

/// `powercut.json`: every point.
pub fn json(sections: &[Section<'_>], extra: serde_json::Value) -> serde_json::Value {
    let points: Vec<serde_json::Value> = sections
        .iter()
        .flat_map(|s| s.points.iter().map(move |p| point_json(s.kind, p)))
        .collect();
    json!({ "schema": "hil-powercut/1", "campaign": extra, "points": points })
}
