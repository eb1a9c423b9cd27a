//! Small inline SVG charts for `report.html` (trends from the run history): no library, no font file.

use std::fmt::Write as _;

/// One bar: its label under the axis, its value, and whether it is bad.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub bad: bool,
}

/// A column chart of `bars` (oldest left) with a title and a unit; the
/// y axis runs from 0 to the largest value (or `max`, when given).
pub fn bar_chart(title: &str, unit: &str, bars: &[Bar], max: Option<f64>) -> String {
    let (w, h, left, bottom, top) = (640.0, 200.0, 48.0, 36.0, 24.0);
    let plot_h = h - bottom - top;
    let plot_w = w - left - 8.0;
    let top_value = max
        .unwrap_or_else(|| bars.iter().map(|b| b.value).fold(0.0, f64::max))
        .max(f64::MIN_POSITIVE);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="sans-serif" font-size="11" role="img" aria-label="{title}"><rect width="100%" height="100%" fill="white"/><text x="{left}" y="15" font-size="12" font-weight="bold">{title}</text>"##,
        title = escape(title)
    );
    for frac in [0.0, 0.5, 1.0] {
        let y = top + plot_h * (1.0 - frac);
        let _ = write!(
            s,
            r##"<line x1="{left}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#d0d7de"/><text x="{tx}" y="{ty:.1}" text-anchor="end">{v}{unit}</text>"##,
            x2 = left + plot_w,
            tx = left - 4.0,
            ty = y + 4.0,
            v = round(top_value * frac),
            unit = escape(unit)
        );
    }
    let n = bars.len().max(1) as f64;
    let slot = plot_w / n;
    let bar_w = (slot * 0.7).max(1.0);
    for (i, bar) in bars.iter().enumerate() {
        let bh = (bar.value / top_value).clamp(0.0, 1.0) * plot_h;
        let x = left + slot * i as f64 + (slot - bar_w) / 2.0;
        let colour = if bar.bad { "#cf222e" } else { "#2da44e" };
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{bh:.1}" fill="{colour}"><title>{label}: {v}{unit}</title></rect>"##,
            y = top + plot_h - bh,
            label = escape(&bar.label),
            v = round(bar.value),
            unit = escape(unit)
        );
        if bars.len() <= 12 || i % (bars.len() / 12 + 1) == 0 {
            let _ = write!(
                s,
                r##"<text x="{cx:.1}" y="{ly}" text-anchor="middle" fill="#57606a">{label}</text>"##,
                cx = x + bar_w / 2.0,
                ly = h - bottom + 14.0,
                label = escape(&short(&bar.label))
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn round(v: f64) -> String {
    if v >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// A run id's date part is enough under a bar.
fn short(label: &str) -> String {
    label.chars().take(13).collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
