//! `mqtt-loss.md`, `mqtt-loss.svg` and `mqtt-loss.json`: a sink drawing the campaign from its point events.
//!
//! Every point arrives as an [`Event::Point`] carrying its [`Observation`];
//! the case results arrive too, for the parity section when several rigs
//! ran. The files are written when the run finishes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hil_report::parity::{compare, render};
use hil_report::{CaseResult, Event, ReportError, Sink};

use super::report::{json, markdown, svg};
use super::sweep::Observation;
use super::CAMPAIGN;

/// Writes `<dir>/mqtt-loss.{md,svg,json}` at the end of the run.
pub struct MqttLossSink {
    dir: PathBuf,
    rigs: Vec<String>,
    by_rig: BTreeMap<String, Vec<Observation>>,
    results: Vec<CaseResult>,
}

impl MqttLossSink {
    pub fn new(dir: &Path) -> Self {
        MqttLossSink {
            dir: dir.to_owned(),
            rigs: Vec::new(),
            by_rig: BTreeMap::new(),
            results: Vec::new(),
        }
    }

    fn write(&self, file: &str, text: String) -> Result<(), ReportError> {
        let path = self.dir.join(file);
        std::fs::write(&path, text).map_err(|source| ReportError::Write { path, source })
    }
}

impl Sink for MqttLossSink {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        match event {
            Event::RunStarted(info) => self.rigs = info.rigs.clone(),
            Event::Point(point) if point.campaign == CAMPAIGN => {
                let observation: Observation =
                    serde_json::from_value(point.data.clone()).map_err(|source| {
                        ReportError::Json {
                            what: "an MQTT loss point",
                            source,
                        }
                    })?;
                self.by_rig
                    .entry(point.rig.clone())
                    .or_default()
                    .push(observation);
            }
            Event::CaseFinished(result) => self.results.push(result.clone()),
            Event::RunFinished { .. } => {
                let mut table = markdown(&self.by_rig);
                if self.rigs.len() > 1 {
                    let parity = render(&compare(&self.results), &self.rigs);
                    table.push_str(&parity.replace("# Parity", "## Parity"));
                }
                self.write("mqtt-loss.md", table)?;
                self.write("mqtt-loss.svg", svg(&self.by_rig))?;
                self.write("mqtt-loss.json", json(&self.by_rig))?;
            }
            _ => {}
        }
        Ok(())
    }
}
