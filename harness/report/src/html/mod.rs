//! `report.html`: the run for people, in a browser — self-contained (inline CSS and SVG, no script, nothing fetched).
//!
//! Failures and flaky cases come first, each with the spec sentence it
//! checks, its transcript and its decoded device logs; then parity
//! differences, the sections other parts of `hil` add (the gate verdict,
//! campaign tables and plots, trends from the run history, the ABI
//! coverage matrix), and every case. [`HtmlSink`] writes it when a run
//! finishes; `hil gate`, `hil merge` and `hil nightly` write it again with
//! their sections ([`write_html`]).

mod page;
mod sink;
mod style;
pub mod svg;

pub use page::{render_html, write_html, HtmlSection};
pub use sink::HtmlSink;
