//! The campaigns of `hil`: OTA power cuts, notification overrun, MQTT message loss, and the bench figures.
//!
//! A campaign is not a case file, but its points (or groups of points) are
//! case results, so releases gate on them through the same `results.json`,
//! `junit.xml` and `summary.md`; and every point also travels as an
//! [`hil_report::Event::Point`] to the campaign's own sinks, which draw its
//! table, plot and JSON (`overrun.md/.svg`, `powercut.md/.svg/.json`).
//!
//! ```text
//! overrun:  rigs ─▶ sweep points (run_point on a RigSession) ─▶ CampaignRun ─▶ case sinks + OverrunSink
//! powercut: sim sweep (SimOtaDevice) | QEMU plans (QemuOta on hil_rig's Launch) ─▶ CampaignRun ─▶ case sinks + PowercutSink
//! mqtt-loss: rigs ─▶ sweep points (floods through the lab broker, drained by App + MqttChannel) ─▶ CampaignRun ─▶ case sinks + MqttLossSink
//! fuzz:     streams (one session each) ─▶ Primitive::Fuzz batches ─▶ CampaignRun ─▶ case sinks + FuzzSink
//! bench:    figures (sim dispatch, sim cut points, QEMU per case, round trips, QEMU cut points) ─▶ the CLI prints them
//! ```
//!
//! Everything here is synchronous; a campaign stops taking points when the
//! shared stop flag is set and still writes its report, marked interrupted.
#![forbid(unsafe_code)]

mod app;
pub mod bench;
mod error;
pub mod fuzz;
mod mqtt_app;
pub mod mqtt_loss;
pub mod overrun;
pub mod point_sink;
pub mod powercut;
mod report_run;
mod svg;
mod sweep_point;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

pub use error::CampaignError;
pub use report_run::{now, CampaignRun};

use hil_report::FanOut;

/// Where and how a campaign reports, and when it must stop.
pub struct Setup {
    /// The folder run folders go into (`reports/`).
    pub reports: PathBuf,
    /// The command line, recorded in the report.
    pub command: String,
    /// Sinks besides the report files (the terminal's progress).
    pub sinks: FanOut,
    /// Set by Ctrl-C or SIGTERM: take no new point, write the report.
    pub stop: Arc<AtomicBool>,
}

/// What a campaign tells the person running it while it runs; the CLI
/// prints, tests may ignore it ([`Quiet`]).
pub trait Observer: Sync {
    /// One line: a point that just finished, a phase that starts.
    fn line(&self, text: &str);
    /// `done` of `total` points of `what` have finished (the sim sweep).
    fn progress(&self, what: &str, done: usize, total: usize);
}

/// An observer that says nothing.
pub struct Quiet;

impl Observer for Quiet {
    fn line(&self, _text: &str) {}
    fn progress(&self, _what: &str, _done: usize, _total: usize) {}
}
