//! `powercut.jsonl` as points arrive; `powercut.md`, `.svg` and `.json` when the run ends.
//!
//! A campaign's points go out as [`Event::Point`]s. [`PowercutSink`] appends
//! each to `powercut.jsonl` the moment it arrives (a killed campaign leaves
//! every point it finished), keeps them, and when the run finishes writes
//! the table, the plot and every point as JSON, saying how many of the
//! planned points ran.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hil_report::{CampaignPoint, Event, ReportError, Sink};
use serde::{Deserialize, Serialize};

use super::plan::{Outcome, Phase, PointResult, Verified};
use super::report::{self, Section};

/// The campaign's name in point events.
pub const CAMPAIGN: &str = "powercut";

/// What the report says above its table, known only once the campaign is
/// over (rates, counts); the campaign fills it in before it finishes the run.
#[derive(Clone, Debug, Default)]
pub struct Closing {
    /// The paragraph at the top of `powercut.md` (and printed).
    pub header: String,
    /// Campaign facts for `powercut.json`.
    pub extra: serde_json::Value,
}

/// The record of a point in its event.
#[derive(Serialize, Deserialize)]
struct PointData {
    phase: Phase,
    cuts_fired: usize,
    life_ops: Vec<u64>,
    /// Absent in reports written before points said how they were verified.
    #[serde(default)]
    verified: Verified,
}

/// A point as an event.
pub(crate) fn point_event(rig: &str, kind: &str, p: &PointResult) -> CampaignPoint {
    let data = PointData {
        phase: p.phase,
        cuts_fired: p.cuts_fired,
        life_ops: p.life_ops.clone(),
        verified: p.verified,
    };
    CampaignPoint {
        campaign: CAMPAIGN.into(),
        rig: rig.into(),
        group: kind.into(),
        id: p.id.clone(),
        outcome: p.outcome.name().into(),
        detail: p.detail.clone(),
        data: serde_json::to_value(data).expect("a point always serializes"),
    }
}

/// An event back into a point.
fn point_result(point: &CampaignPoint) -> Result<PointResult, serde_json::Error> {
    let data: PointData = serde_json::from_value(point.data.clone())?;
    let outcome: Outcome = serde_json::from_value(serde_json::Value::from(point.outcome.as_str()))?;
    Ok(PointResult {
        id: point.id.clone(),
        phase: data.phase,
        outcome,
        detail: point.detail.clone(),
        cuts_fired: data.cuts_fired,
        life_ops: data.life_ops,
        verified: data.verified,
    })
}

/// Streams points to `powercut.jsonl`; writes `powercut.md`, `powercut.svg`
/// and `powercut.json` when the run finishes.
pub struct PowercutSink {
    dir: PathBuf,
    title: String,
    phases: Vec<Phase>,
    replay_hint: String,
    /// Points planned per section, in report order.
    planned: Vec<(String, usize)>,
    closing: Arc<Mutex<Closing>>,
    /// The sections (cut kinds) in report order, each with its points.
    kinds: Vec<(String, Vec<PointResult>)>,
    stream: Option<std::fs::File>,
}

impl PowercutSink {
    /// A sink for the campaign on `rig` whose sections plan `planned` points
    /// each; `closing` is read when the run finishes.
    pub fn new(
        dir: &Path,
        rig: &str,
        phases: &[Phase],
        replay_hint: &str,
        planned: Vec<(String, usize)>,
        closing: Arc<Mutex<Closing>>,
    ) -> Self {
        PowercutSink {
            dir: dir.to_owned(),
            title: format!("OTA power-cut campaign ({rig})"),
            phases: phases.to_vec(),
            replay_hint: replay_hint.to_owned(),
            kinds: planned
                .iter()
                .map(|(k, _)| (k.clone(), Vec::new()))
                .collect(),
            planned,
            closing,
            stream: None,
        }
    }

    fn write(&self, file: &str, text: String) -> Result<(), ReportError> {
        let path = self.dir.join(file);
        std::fs::write(&path, text).map_err(|source| ReportError::Write { path, source })
    }

    /// Appends one line to `powercut.jsonl` (opened on the first point).
    fn append(&mut self, kind: &str, p: &PointResult) -> Result<(), ReportError> {
        let path = self.dir.join("powercut.jsonl");
        if self.stream.is_none() {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|source| ReportError::Write {
                    path: path.clone(),
                    source,
                })?;
            self.stream = Some(file);
        }
        let mut line = serde_json::to_string(&report::point_json(kind, p)).map_err(|source| {
            ReportError::Json {
                what: "a power-cut point",
                source,
            }
        })?;
        line.push('\n');
        let file = self.stream.as_mut().expect("opened above");
        file.write_all(line.as_bytes())
            .map_err(|source| ReportError::Write { path, source })
    }

    /// `12 of 34 planned points (single 10/30, tamper 2/4)`.
    fn progress(&self) -> String {
        let planned: usize = self.planned.iter().map(|(_, n)| n).sum();
        let ran: usize = self.kinds.iter().map(|(_, p)| p.len()).sum();
        let each: Vec<String> = self
            .planned
            .iter()
            .map(|(kind, n)| {
                let done = self
                    .kinds
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map_or(0, |(_, p)| p.len());
                format!("{kind} {done}/{n}")
            })
            .collect();
        format!(
            "{ran} of {planned} planned points ran ({})",
            each.join(", ")
        )
    }
}

impl Sink for PowercutSink {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        match event {
            Event::Point(point) if point.campaign == CAMPAIGN => {
                let result = point_result(point).map_err(|source| ReportError::Json {
                    what: "a power-cut point",
                    source,
                })?;
                self.append(&point.group, &result)?;
                match self.kinds.iter_mut().find(|(kind, _)| *kind == point.group) {
                    Some((_, points)) => points.push(result),
                    None => self.kinds.push((point.group.clone(), vec![result])),
                }
            }
            Event::RunFinished { interrupted, .. } => {
                let closing = self
                    .closing
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                let progress = self.progress();
                let header = if *interrupted {
                    format!(
                        "**Interrupted** (Ctrl-C or SIGTERM): {progress}; the table holds those. {}",
                        closing.header
                    )
                } else {
                    format!("{} {progress}.", closing.header)
                };
                let sections: Vec<Section<'_>> = self
                    .kinds
                    .iter()
                    .map(|(kind, points)| Section { kind, points })
                    .collect();
                self.write(
                    "powercut.md",
                    report::markdown(&self.title, &header, &sections, &self.replay_hint),
                )?;
                self.write("powercut.svg", report::svg(&self.phases, &sections))?;
                let json = serde_json::to_string(&report::json(&sections, closing.extra)).map_err(
                    |source| ReportError::Json {
                        what: "powercut.json",
                        source,
                    },
                )?;
                self.write("powercut.json", json)?;
            }
            _ => {}
        }
        Ok(())
    }
}
