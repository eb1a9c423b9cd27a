//! One sink for every sweep campaign: it gathers the campaign's points per rig and writes the campaign's files when the run finishes.
//!
//! Every point arrives as an [`Event::Point`] carrying the campaign's
//! observation as JSON; the case results arrive too, for the parity
//! section of the table when several rigs ran. What differs between
//! campaigns — which points are theirs, how their table, plot and data are
//! drawn — is a [`CampaignFiles`].

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use hil_report::parity::{compare, render};
use hil_report::{CaseResult, Event, ReportError, Sink};
use serde::de::DeserializeOwned;

/// Every rig's observations, in the order the points ran.
pub type ByRig<O> = BTreeMap<String, Vec<O>>;

/// What one campaign draws from its points.
pub trait CampaignFiles {
    /// A point's observation, as its event carries it.
    type Observation: DeserializeOwned;
    /// The campaign name its point events carry.
    const CAMPAIGN: &'static str;
    /// A point, for an error message ("an overrun point").
    const WHAT: &'static str;
    /// The table's file name; the parity section is added to it.
    const TABLE: &'static str;
    /// The table (Markdown).
    fn table(by_rig: &ByRig<Self::Observation>) -> String;
    /// Every other file: name and contents (the plot, data).
    fn others(by_rig: &ByRig<Self::Observation>) -> Vec<(&'static str, String)>;
}

/// Writes a campaign's files into the run folder at the end of the run.
pub struct PointSink<F: CampaignFiles> {
    dir: PathBuf,
    rigs: Vec<String>,
    by_rig: ByRig<F::Observation>,
    results: Vec<CaseResult>,
    files: PhantomData<F>,
}

impl<F: CampaignFiles> PointSink<F> {
    pub fn new(dir: &Path) -> Self {
        PointSink {
            dir: dir.to_owned(),
            rigs: Vec::new(),
            by_rig: BTreeMap::new(),
            results: Vec::new(),
            files: PhantomData,
        }
    }

    fn write(&self, file: &str, text: String) -> Result<(), ReportError> {
        let path = self.dir.join(file);
        std::fs::write(&path, text).map_err(|source| ReportError::Write { path, source })
    }
}

impl<F: CampaignFiles> Sink for PointSink<F> {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        match event {
            Event::RunStarted(info) => self.rigs = info.rigs.clone(),
            Event::Point(point) if point.campaign == F::CAMPAIGN => {
                let observation: F::Observation = serde_json::from_value(point.data.clone())
                    .map_err(|source| ReportError::Json {
                        what: F::WHAT,
                        source,
                    })?;
                self.by_rig
                    .entry(point.rig.clone())
                    .or_default()
                    .push(observation);
            }
            Event::CaseFinished(result) => self.results.push(result.clone()),
            Event::RunFinished { .. } => {
                let mut table = F::table(&self.by_rig);
                if self.rigs.len() > 1 {
                    let parity = render(&compare(&self.results), &self.rigs);
                    table.push_str(&parity.replace("# Parity", "## Parity"));
                }
                self.write(F::TABLE, table)?;
                for (file, text) in F::others(&self.by_rig) {
                    self.write(file, text)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}
