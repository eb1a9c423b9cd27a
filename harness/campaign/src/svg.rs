//! The frame every campaign plot shares: an SVG canvas on white with a centred title, and the plot's axes.

use std::fmt::Write;

/// A `w` × `h` canvas on white, titled; the caller closes it with `</svg>`.
pub(crate) fn canvas(w: f64, h: f64, title: &str) -> String {
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"20\" text-anchor=\"middle\">{title}</text>",
        w / 2.0
    );
    s
}

/// The x axis along the bottom and the y axis along the left, `margin` in from the edges.
pub(crate) fn axes(s: &mut String, w: f64, h: f64, margin: f64) {
    let _ = writeln!(
        s,
        "<line x1=\"{m}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" stroke=\"black\"/><line x1=\"{m}\" y1=\"{t}\" x2=\"{m}\" y2=\"{b}\" stroke=\"black\"/>",
        m = margin,
        b = h - margin,
        r = w - margin,
        t = margin
    );
}
