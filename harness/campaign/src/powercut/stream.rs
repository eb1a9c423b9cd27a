//! A power-cut campaign's report run: opened with the whole plan, fed point by point, each group's result written as it completes.
//!
//! The report folder exists from the moment the plan is known: every point
//! goes to the sinks as it finishes (`powercut.jsonl` grows line by line),
//! and a group — one (cut kind, phase) or one tamper class — becomes a case
//! result in `results.json`, `junit.xml` and `summary.md` as soon as its
//! last planned point is in, so a campaign killed at any instant leaves what
//! it finished. `results.json` plans one case per group; an interrupted
//! campaign closes its unfinished groups with the points they have.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use hil_report::{CaseResult, ExitCode, Outcome as CaseOutcome, SpecCitation};

use super::plan::{CampaignPlan, Outcome, Phase, PointResult};
use super::sink::{point_event, Closing, PowercutSink};
use crate::{CampaignError, CampaignRun, Setup};

const SPEC_QUOTE: &str = "A power cut at any instant must leave a device that boots, runs either the old app or the verified new one (never a mix), keeps the kernel reachable, and converges after further clean boots.";
const SPEC_SOURCE: &str = "design.md, OTA the way Microvisor does it; anchors-powercut.md §6";
/// Where the invariants every point is checked against live (the `file` of the group results).
const SOURCE_FILE: &str = "harness/campaign/src/powercut/scenario.rs";

/// How a power-cut campaign went.
#[derive(Debug)]
pub struct PowercutSummary {
    pub rig: String,
    /// The paragraph at the top of `powercut.md`.
    pub header: String,
    /// Every point that ran, with its section (cut kind), in the order they finished.
    pub points: Vec<(String, PointResult)>,
    /// Points the plan had.
    pub planned: usize,
    pub failures: usize,
    /// `powercut.md` of the run.
    pub report: PathBuf,
    pub interrupted: bool,
    pub exit_code: ExitCode,
}

/// The points of one group, and how many of its planned points are still out.
struct Group {
    kind: String,
    key: String,
    remaining: usize,
    points: Vec<PointResult>,
    /// Its case result was written.
    closed: bool,
}

/// An open power-cut report run.
pub struct PowercutRun {
    run: CampaignRun,
    rig: String,
    plan: CampaignPlan,
    groups: Vec<Group>,
    closing: Arc<Mutex<Closing>>,
    points: Vec<(String, PointResult)>,
    results: Vec<CaseResult>,
}

impl PowercutRun {
    /// Opens `reports/<run-id>/` for `plan` on `rig`, started at
    /// `started_at` (RFC 3339: when the command began, before planning).
    pub fn start(
        setup: Setup,
        rig: &str,
        started_at: String,
        plan: CampaignPlan,
        phases: &[Phase],
        replay_hint: &str,
    ) -> Result<PowercutRun, CampaignError> {
        let mut groups: Vec<Group> = Vec::new();
        for (kind, keys) in &plan.sections {
            for key in keys {
                match groups.iter_mut().find(|g| g.kind == *kind && g.key == *key) {
                    Some(g) => g.remaining += 1,
                    None => groups.push(Group {
                        kind: kind.clone(),
                        key: key.clone(),
                        remaining: 1,
                        points: Vec::new(),
                        closed: false,
                    }),
                }
            }
        }
        let closing = Arc::new(Mutex::new(Closing::default()));
        let planned: Vec<(String, usize)> = plan
            .sections
            .iter()
            .map(|(kind, keys)| (kind.clone(), keys.len()))
            .collect();
        let sink_closing = closing.clone();
        let run = CampaignRun::start_at(
            &setup.reports,
            &setup.command,
            vec![rig.to_owned()],
            groups.len(),
            started_at,
            setup.sinks,
            |dir| {
                vec![Box::new(PowercutSink::new(
                    dir,
                    rig,
                    phases,
                    replay_hint,
                    planned,
                    sink_closing,
                ))]
            },
        )?;
        Ok(PowercutRun {
            run,
            rig: rig.to_owned(),
            plan,
            groups,
            closing,
            points: Vec::new(),
            results: Vec::new(),
        })
    }

    /// Point `index` of section `kind` finished: to every sink now, and its
    /// group's result once the group is complete.
    pub fn point(&mut self, kind: &str, index: usize, p: PointResult) {
        self.run.point(point_event(&self.rig, kind, &p));
        let key = self
            .plan
            .sections
            .iter()
            .find(|(k, _)| k == kind)
            .and_then(|(_, keys)| keys.get(index))
            .cloned();
        let at = match key {
            Some(key) => self
                .groups
                .iter()
                .position(|g| g.kind == kind && g.key == key),
            None => None,
        };
        let at = at.unwrap_or_else(|| {
            // Not in the plan: a group of its own, complete at once.
            self.groups.push(Group {
                kind: kind.to_owned(),
                key: p.phase.name().to_owned(),
                remaining: 1,
                points: Vec::new(),
                closed: false,
            });
            self.groups.len() - 1
        });
        let group = &mut self.groups[at];
        group.points.push(p.clone());
        group.remaining = group.remaining.saturating_sub(1);
        self.points.push((kind.to_owned(), p));
        if self.groups[at].remaining == 0 {
            self.close(at, false);
        }
    }

    /// Writes group `at`'s result (`partial`: the campaign stopped before
    /// all its points ran).
    fn close(&mut self, at: usize, partial: bool) {
        let group = &mut self.groups[at];
        if group.closed || group.points.is_empty() {
            return;
        }
        group.closed = true;
        let result = group_result(&self.rig, group, partial);
        self.run.started(&self.rig, &result.case_id);
        self.run.finished(result.clone());
        self.results.push(result);
    }

    /// Ends the run: unfinished groups are closed with what they have;
    /// `header` and `extra` go to the top of `powercut.md` and into
    /// `powercut.json`. Interrupted when `stopped` and points are missing.
    pub fn finish(
        mut self,
        header: String,
        extra: serde_json::Value,
        stopped: bool,
    ) -> Result<PowercutSummary, CampaignError> {
        let interrupted = stopped && self.points.len() < self.plan.points();
        for at in 0..self.groups.len() {
            self.close(at, true);
        }
        *self.closing.lock().unwrap_or_else(|e| e.into_inner()) = Closing {
            header: header.clone(),
            extra,
        };
        let failures = self
            .points
            .iter()
            .filter(|(_, p)| p.outcome != Outcome::Ok)
            .count();
        // The gate's campaign figures (reports/baselines/gate-policy.yaml).
        let rig = self.rig.clone();
        self.run
            .figure(super::CAMPAIGN, &rig, "points", self.points.len() as f64);
        self.run
            .figure(super::CAMPAIGN, &rig, "failures", failures as f64);
        let report = self.run.path().join("powercut.md");
        let exit_code = self.run.finish(&self.results, interrupted)?;
        Ok(PowercutSummary {
            rig: self.rig,
            header,
            planned: self.plan.points(),
            points: self.points,
            failures,
            report,
            interrupted,
            exit_code,
        })
    }
}

/// One group's case result.
fn group_result(rig: &str, group: &Group, partial: bool) -> CaseResult {
    let points = &group.points;
    let failed: Vec<&PointResult> = points.iter().filter(|p| p.outcome != Outcome::Ok).collect();
    let mut transcript = String::new();
    for p in points {
        transcript.push_str(&format!(
            "{} {}{}\n",
            p.id,
            p.outcome.name(),
            if p.detail.is_empty() {
                String::new()
            } else {
                format!(": {}", p.detail)
            }
        ));
    }
    let outcome = if failed.is_empty() {
        CaseOutcome::Passed
    } else {
        CaseOutcome::Failed {
            step: 0,
            field: "cut".into(),
            line: 0,
            message: format!(
                "{} of {} point(s) failed; replay ids: {}",
                failed.len(),
                points.len(),
                failed
                    .iter()
                    .take(5)
                    .map(|p| format!("{} ({})", p.id, p.outcome.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    };
    let key = &group.key;
    let (case_id, mut title) = if group.kind == "tamper" {
        (
            format!("ota.tamper.{key}"),
            format!("tampered bundle ({key}) is refused and the old app keeps running"),
        )
    } else {
        (
            format!("ota.powercut.{}.{key}", group.kind),
            format!(
                "{} {} cut(s) during {key}: old or new app, never a mix; converges; resumes",
                points.len(),
                group.kind
            ),
        )
    };
    if partial {
        title.push_str(&format!(
            " (interrupted: {} of {} planned points ran)",
            points.len(),
            points.len() + group.remaining
        ));
    }
    CaseResult {
        rig: rig.to_owned(),
        case_id,
        title,
        area: "ota".into(),
        file: SOURCE_FILE.into(),
        tags: vec!["ota".into(), "powercut".into()],
        spec: SpecCitation {
            quote: SPEC_QUOTE.into(),
            source: SPEC_SOURCE.into(),
        },
        outcome,
        duration_ms: 0.0,
        transcript: if transcript.len() > 200_000 {
            format!("{} points; see powercut.json\n", points.len())
        } else {
            transcript
        },
        logs: Vec::new(),
        attempts: Vec::new(),
        flaky: false,
        quarantine: None,
    }
}
