//! The overrun campaign's table and plot (`overrun.md`, `overrun.svg`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::sweep::Observation;

/// Markdown: per rig and ring size, the floods tried, losses, what the
/// documented method and the sequence numbers caught, and the largest flood
/// survived without loss; then every failing point. Embeds the plot.
pub fn markdown(by_rig: &BTreeMap<String, Vec<Observation>>) -> String {
    let mut out = String::from(
        "# Notification overrun campaign\n\n![detected versus actual loss](overrun.svg)\n\n",
    );
    for (rig, observations) in by_rig {
        let _ = writeln!(out, "## {rig}\n");
        out.push_str("| ring | points | largest flood without loss | overruns | seen by the documented check | caught only by sequence numbers | undetected | false alarms | guard bytes hit | failures |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        let mut sizes: BTreeMap<u32, Vec<&Observation>> = BTreeMap::new();
        for o in observations {
            sizes.entry(o.point.slots * 16).or_default().push(o);
        }
        for (bytes, obs) in &sizes {
            let survived = obs
                .iter()
                .filter(|o| o.point.lost() == 0)
                .map(|o| o.point.flood)
                .max()
                .unwrap_or(0);
            let overruns = obs.iter().filter(|o| o.point.lost() > 0).count();
            let seen = obs
                .iter()
                .filter(|o| o.point.lost() > 0 && o.reported.is_some())
                .count();
            let by_sequence = obs
                .iter()
                .filter(|o| o.point.lost() > 0 && o.reported.is_none() && o.sequence_gap)
                .count();
            let undetected = obs
                .iter()
                .filter(|o| o.point.lost() > 0 && o.reported.is_none() && !o.sequence_gap)
                .count();
            let false_alarms = obs
                .iter()
                .filter(|o| o.point.lost() == 0 && o.reported.is_some())
                .count();
            let guards = obs.iter().filter(|o| !o.guards_intact).count();
            let failures = obs.iter().filter(|o| !o.problems().is_empty()).count();
            let _ = writeln!(
                out,
                "| {bytes} B | {} | {survived} | {overruns} | {seen} | {by_sequence} | {undetected} | {false_alarms} | {guards} | {failures} |",
                obs.len()
            );
        }
        let failing: Vec<&Observation> = observations
            .iter()
            .filter(|o| !o.problems().is_empty())
            .collect();
        if !failing.is_empty() {
            let _ = writeln!(out, "\nFailing points:\n");
            for o in failing {
                let _ = writeln!(out, "- `{}`: {}", o.point.id(), o.problems().join("; "));
            }
        }
        out.push('\n');
    }
    out
}

/// A scatter plot of reported `lost_at_least` (y) against the actual loss
/// (x), one colour per rig; the diagonal is an exact count. Points the
/// method cannot see sit on the x axis, marked as rings.
pub fn svg(by_rig: &BTreeMap<String, Vec<Observation>>) -> String {
    let (w, h, margin) = (640.0_f64, 420.0_f64, 50.0_f64);
    let max = by_rig
        .values()
        .flatten()
        .map(|o| o.point.lost().max(o.reported.unwrap_or(0)))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let x = |v: f64| margin + (v.max(0.5).log2() + 1.0) / (max.log2() + 1.0) * (w - 2.0 * margin);
    let y =
        |v: f64| h - margin - (v.max(0.5).log2() + 1.0) / (max.log2() + 1.0) * (h - 2.0 * margin);
    let mut s = crate::svg::canvas(
        w,
        h,
        "Notification overruns: reported lost (lower bound) vs actual lost, log scale",
    );
    crate::svg::axes(&mut s, w, h, margin);
    let _ = writeln!(
        s,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
        x(1.0),
        y(1.0),
        x(max),
        y(max)
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">actual records lost</text>",
        w / 2.0,
        h - 12.0
    );
    let _ = writeln!(
        s,
        "<text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">reported lost_at_least</text>",
        h / 2.0,
        h / 2.0
    );
    let mut tick = 1.0;
    while tick <= max {
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{tick}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{tick}</text>",
            x(tick),
            h - margin + 15.0,
            margin - 5.0,
            y(tick) + 4.0
        );
        tick *= 4.0;
    }
    let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
    for (i, (rig, observations)) in by_rig.iter().enumerate() {
        let colour = colours[i % colours.len()];
        let _ = writeln!(
            s,
            "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{rig}</text>",
            w - 150.0,
            margin + 16.0 * i as f64,
            w - 140.0,
            margin + 4.0 + 16.0 * i as f64
        );
        for o in observations.iter().filter(|o| o.point.lost() > 0) {
            let (cx, cy) = (
                x(f64::from(o.point.lost())),
                y(f64::from(o.reported.unwrap_or(0))),
            );
            let style = if o.reported.is_some() {
                format!("fill=\"{colour}\" fill-opacity=\"0.5\"")
            } else {
                format!("fill=\"none\" stroke=\"{colour}\"")
            };
            let _ = writeln!(s, "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"3\" {style}/>");
        }
    }
    s.push_str("</svg>\n");
    s
}
