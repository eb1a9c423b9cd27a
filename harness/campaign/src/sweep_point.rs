//! One point of a sweep campaign (overrun, MQTT loss) run on a rig: its point event for the campaign's sink and its case result.
//!
//! A sweep point is a case the harness writes itself: it passes when its
//! observation finds no problem, fails naming the problems, and is an
//! error when the rig could not run it. Every sweep reports it the same way.

use std::time::Instant;

use hil_report::{CampaignPoint, CaseResult, Outcome, SpecCitation};
use hil_rig::{RigError, RigSession};
use serde::Serialize;

use crate::{CampaignError, CampaignRun};

/// What a sweep point observed.
pub(crate) trait SweepObservation: Serialize {
    /// What disagrees with the truth; empty when the point passes.
    fn problems(&self) -> Vec<String>;
    /// The point's transcript (compared between rigs).
    fn transcript(&self) -> String;
}

/// What every point of one sweep reports as a case.
pub(crate) struct SweepCase {
    pub campaign: &'static str,
    pub area: &'static str,
    pub file: &'static str,
    pub tags: &'static [&'static str],
    pub quote: &'static str,
    pub source: &'static str,
}

/// One point: its id, title and plot group.
pub(crate) struct PointName {
    pub id: String,
    pub title: String,
    pub group: String,
}

impl SweepCase {
    /// Runs `measure` on `session` as point `name` of rig `rig`: reports
    /// it to `run` (a point event when observed, then its case result) and
    /// gives back the result and the observation.
    pub(crate) fn run_point<O: SweepObservation>(
        &self,
        run: &mut CampaignRun,
        rig: &str,
        name: PointName,
        session: &mut dyn RigSession,
        measure: impl FnOnce(&mut dyn RigSession) -> Result<O, RigError>,
    ) -> Result<(CaseResult, Option<O>), CampaignError> {
        run.started(rig, &name.id);
        let started = Instant::now();
        let (outcome, transcript, observed) = match measure(session) {
            Ok(obs) => {
                let problems = obs.problems();
                let outcome = if problems.is_empty() {
                    Outcome::Passed
                } else {
                    Outcome::Failed {
                        step: 0,
                        field: "point".into(),
                        line: 0,
                        message: problems.join("; "),
                    }
                };
                run.point(CampaignPoint {
                    campaign: self.campaign.into(),
                    rig: rig.to_owned(),
                    group: name.group,
                    id: name.id.clone(),
                    outcome: outcome.status().into(),
                    detail: problems.join("; "),
                    data: serde_json::to_value(&obs).map_err(|e| {
                        CampaignError::Failed(format!("cannot record {}: {e}", name.id))
                    })?,
                });
                (outcome, obs.transcript(), Some(obs))
            }
            Err(e) => (
                Outcome::Error {
                    message: e.to_string(),
                },
                String::new(),
                None,
            ),
        };
        let result = CaseResult {
            rig: rig.to_owned(),
            case_id: name.id,
            title: name.title,
            area: self.area.into(),
            file: self.file.into(),
            tags: self.tags.iter().map(|t| (*t).to_owned()).collect(),
            spec: SpecCitation {
                quote: self.quote.into(),
                source: self.source.into(),
            },
            outcome,
            duration_ms: started.elapsed().as_secs_f64() * 1e3,
            transcript,
            logs: session.take_device_log(),
            attempts: Vec::new(),
            flaky: false,
            quarantine: None,
        };
        run.finished(result.clone());
        Ok((result, observed))
    }
}
