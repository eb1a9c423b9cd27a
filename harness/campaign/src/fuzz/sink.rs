//! `fuzz.md` and `fuzz.json` from the run's events: the streams, every finding with its replay command, which calls were reached.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hil_report::{CampaignPoint, Event, ReportError, Sink};

use super::report;
use super::stream::{Finding, StreamResult};
use super::CAMPAIGN;

/// A finding as an event.
pub(crate) fn finding_point(rig: &str, stream: usize, f: &Finding) -> CampaignPoint {
    CampaignPoint {
        campaign: CAMPAIGN.into(),
        rig: rig.into(),
        group: "finding".into(),
        id: format!("stream{stream}.call{}", f.index),
        outcome: "failed".into(),
        detail: f.what.clone(),
        data: serde_json::to_value(f).expect("a finding always serializes"),
    }
}

/// A finished stream as an event.
pub(crate) fn stream_point(rig: &str, r: &StreamResult) -> CampaignPoint {
    let clean = r.findings.is_empty() && r.unlisted == 0 && !r.rig_error;
    CampaignPoint {
        campaign: CAMPAIGN.into(),
        rig: rig.into(),
        group: "stream".into(),
        id: format!("stream{}", r.stream),
        outcome: if clean { "passed" } else { "failed" }.into(),
        detail: r.ended.clone().unwrap_or_default(),
        data: serde_json::to_value(r).expect("a stream always serializes"),
    }
}

/// Collects the streams and findings; writes `fuzz.md` and `fuzz.json`
/// when the run finishes.
pub struct FuzzSink {
    dir: PathBuf,
    rig: String,
    /// The paragraph at the top, set by the campaign before it finishes.
    header: Arc<Mutex<String>>,
    streams: Vec<serde_json::Value>,
    findings: Vec<serde_json::Value>,
}

impl FuzzSink {
    pub fn new(dir: &Path, rig: &str, header: Arc<Mutex<String>>) -> Self {
        FuzzSink {
            dir: dir.to_owned(),
            rig: rig.to_owned(),
            header,
            streams: Vec::new(),
            findings: Vec::new(),
        }
    }

    fn write(&self, file: &str, text: String) -> Result<(), ReportError> {
        let path = self.dir.join(file);
        std::fs::write(&path, text).map_err(|source| ReportError::Write { path, source })
    }
}

impl Sink for FuzzSink {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        match event {
            Event::Point(p) if p.campaign == CAMPAIGN => match p.group.as_str() {
                "stream" => self.streams.push(p.data.clone()),
                _ => self.findings.push(p.data.clone()),
            },
            Event::RunFinished { interrupted, .. } => {
                let header = self
                    .header
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                let streams: Vec<StreamResult> = self
                    .streams
                    .iter()
                    .filter_map(|v| serde_json::from_value(v.clone()).ok())
                    .collect();
                self.write(
                    "fuzz.md",
                    report::markdown(&self.rig, &header, &streams, *interrupted),
                )?;
                let json = serde_json::json!({
                    "schema": "hil-fuzz/1",
                    "rig": self.rig,
                    "streams": self.streams,
                    "findings": self.findings,
                });
                self.write(
                    "fuzz.json",
                    serde_json::to_string_pretty(&json).map_err(|source| ReportError::Json {
                        what: "fuzz.json",
                        source,
                    })?,
                )?;
            }
            _ => {}
        }
        Ok(())
    }
}
