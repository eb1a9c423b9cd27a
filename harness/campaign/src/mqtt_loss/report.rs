//! The MQTT loss campaign's table, plot and JSON (`mqtt-loss.md`, `.svg`, `.json`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::sweep::{Observation, TOPIC_BYTES};

/// Per rig: points, messages sent, received, recorded lost, unaccounted,
/// QoS 1 messages lost that fit, failing points.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub points: u32,
    pub sent: u32,
    pub received: u32,
    pub lost: u32,
    pub unaccounted: u32,
    pub qos1_lost_fitting: u32,
    pub failures: u32,
}

impl Totals {
    pub fn of<'a>(observations: impl IntoIterator<Item = &'a Observation>) -> Totals {
        let mut t = Totals::default();
        for o in observations {
            t.points += 1;
            t.sent += o.point.flood;
            t.received += o.stored();
            t.lost += o.lost();
            t.unaccounted += o.unaccounted();
            if o.point.qos > 0 && o.point.fits() {
                t.qos1_lost_fitting += o.lost();
            }
            t.failures += u32::from(!o.problems().is_empty());
        }
        t
    }
}

/// Markdown: per rig, one row per receive buffer and QoS, then every
/// failing point. Embeds the plot.
pub fn markdown(by_rig: &BTreeMap<String, Vec<Observation>>) -> String {
    let mut out = String::from(
        "# MQTT message-loss campaign\n\n\
         Floods from the harness's client through the broker into an app that reads only once the flood is in; \
         every message must be received or recorded lost (`mvMqttReceiveLostMessageInfo`), QoS 1 messages that fit are never lost.\n\n\
         ![lost fraction against offered load](mqtt-loss.svg)\n\n",
    );
    for (rig, observations) in by_rig {
        let all = Totals::of(observations);
        let _ = writeln!(
            out,
            "## {rig}\n\n{} points, {} messages sent: {} received, {} recorded lost, **{} unaccounted**, {} QoS 1 lost that fit, {} failing points\n",
            all.points, all.sent, all.received, all.lost, all.unaccounted, all.qos1_lost_fitting, all.failures
        );
        out.push_str("| receive buffer | QoS | points | sent | received | recorded lost | lost with topic | unaccounted | duplicates | corrupted | guard bytes hit | failures |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        let mut groups: BTreeMap<(u32, u32), Vec<&Observation>> = BTreeMap::new();
        for o in observations {
            groups
                .entry((o.point.buffer, o.point.qos))
                .or_default()
                .push(o);
        }
        for ((buffer, qos), obs) in &groups {
            let t = Totals::of(obs.iter().copied());
            let named: u32 = obs.iter().map(|o| o.lost_named()).sum();
            let duplicates: u32 = obs.iter().map(|o| o.duplicates).sum();
            let corrupted: u32 = obs.iter().map(|o| o.corrupted).sum();
            let guards = obs.iter().filter(|o| !o.guards_intact).count();
            let _ = writeln!(
                out,
                "| {buffer} B | {qos} | {} | {} | {} | {} | {named} | {} | {duplicates} | {corrupted} | {guards} | {} |",
                t.points, t.sent, t.received, t.lost, t.unaccounted, t.failures
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

/// Bytes a flood offers the buffer, as a multiple of its size.
fn load(o: &Observation) -> f64 {
    f64::from(o.point.flood * (TOPIC_BYTES + o.point.payload)) / f64::from(o.point.buffer)
}

/// A scatter plot of the fraction of a flood recorded lost (y) against the
/// load it offered (x, log scale: flood bytes / buffer bytes), one colour
/// per rig, rigs a few pixels apart; QoS 0 filled, QoS 1 as rings; a point
/// with any message unaccounted for is a black cross.
pub fn svg(by_rig: &BTreeMap<String, Vec<Observation>>) -> String {
    let (w, h, margin) = (680.0_f64, 440.0_f64, 56.0_f64);
    let loads: Vec<f64> = by_rig.values().flatten().map(load).collect();
    let lo = loads.iter().copied().fold(f64::INFINITY, f64::min).min(0.1);
    let hi = loads.iter().copied().fold(1.0, f64::max) * 1.5;
    let (llo, lhi) = (lo.log10().floor(), hi.log10().ceil());
    let x = |v: f64| margin + (v.log10() - llo) / (lhi - llo) * (w - 2.0 * margin);
    let y = |v: f64| h - margin - v * (h - 2.0 * margin);
    let mut s = crate::svg::canvas(
        w,
        h,
        "MQTT floods: fraction recorded lost vs offered load (every message accounted for)",
    );
    crate::svg::axes(&mut s, w, h, margin);
    // The buffer's own size: to its right, a flood cannot all be held at once.
    let _ = writeln!(
        s,
        "<line x1=\"{0:.1}\" y1=\"{1}\" x2=\"{0:.1}\" y2=\"{2}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/><text x=\"{3:.1}\" y=\"{4}\" fill=\"#666\">flood = buffer</text>",
        x(1.0),
        margin,
        h - margin,
        x(1.0) + 4.0,
        margin + 12.0
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">offered load: flood bytes (topic + payload) / receive-buffer bytes</text>",
        w / 2.0,
        h - 14.0
    );
    let _ = writeln!(
        s,
        "<text x=\"16\" y=\"{}\" transform=\"rotate(-90 16 {})\" text-anchor=\"middle\">fraction of the flood recorded lost</text>",
        h / 2.0,
        h / 2.0
    );
    let mut decade = llo;
    while decade <= lhi {
        let v = 10f64.powf(decade);
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{v}</text>",
            x(v),
            h - margin + 16.0
        );
        decade += 1.0;
    }
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{tick}</text>",
            margin - 6.0,
            y(tick) + 4.0
        );
    }
    let colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];
    // The legend sits right of centre, between the flood that fits (lost
    // fraction 0) and the one that never does (1), where no point falls.
    let (legend_x, legend_y) = (w - 300.0, h / 2.0 - 40.0);
    for (i, (rig, observations)) in by_rig.iter().enumerate() {
        let colour = colours[i % colours.len()];
        let ly = legend_y + 16.0 * i as f64;
        let _ = writeln!(
            s,
            "<circle cx=\"{legend_x}\" cy=\"{ly}\" r=\"4\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\">{rig}</text>",
            legend_x + 10.0,
            ly + 4.0
        );
        for o in observations {
            // Rigs side by side (they often agree exactly): a few pixels apart.
            let (cx, cy) = (
                x(load(o)) + 5.0 * i as f64,
                y(f64::from(o.lost()) / f64::from(o.point.flood)),
            );
            if o.unaccounted() > 0 {
                let _ = writeln!(
                    s,
                    "<path d=\"M{:.1} {:.1}l8 8m0 -8l-8 8\" stroke=\"black\" stroke-width=\"2\"/>",
                    cx - 4.0,
                    cy - 4.0
                );
            } else if o.point.qos == 0 {
                let _ = writeln!(
                    s,
                    "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"4\" fill=\"{colour}\" fill-opacity=\"0.6\"/>"
                );
            } else {
                let _ = writeln!(
                    s,
                    "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"6\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>"
                );
            }
        }
    }
    let ly = legend_y + 16.0 * by_rig.len() as f64;
    let _ = writeln!(
        s,
        "<circle cx=\"{legend_x}\" cy=\"{ly}\" r=\"4\" fill=\"#555\"/><text x=\"{tx}\" y=\"{}\">QoS 0</text>\n<circle cx=\"{legend_x}\" cy=\"{}\" r=\"6\" fill=\"none\" stroke=\"#555\"/><text x=\"{tx}\" y=\"{}\">QoS 1 (lost only when it can never fit)</text>",
        ly + 4.0,
        ly + 16.0,
        ly + 20.0,
        tx = legend_x + 10.0,
    );
    let _ = writeln!(
        s,
        "<path d=\"M{:.1} {:.1}l8 8m0 -8l-8 8\" stroke=\"black\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\">a message unaccounted for</text>",
        legend_x - 4.0,
        ly + 28.0,
        legend_x + 10.0,
        ly + 36.0
    );
    s.push_str("</svg>\n");
    s
}

/// Every point by rig, with the rig's totals.
pub fn json(by_rig: &BTreeMap<String, Vec<Observation>>) -> String {
    let rigs: serde_json::Map<String, serde_json::Value> = by_rig
        .iter()
        .map(|(rig, observations)| {
            let t = Totals::of(observations);
            (
                rig.clone(),
                serde_json::json!({
                    "points": t.points,
                    "sent": t.sent,
                    "received": t.received,
                    "lost": t.lost,
                    "unaccounted": t.unaccounted,
                    "qos1_lost_fitting": t.qos1_lost_fitting,
                    "failures": t.failures,
                    "observations": observations,
                }),
            )
        })
        .collect();
    let doc = serde_json::json!({ "campaign": super::CAMPAIGN, "rigs": rigs });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
