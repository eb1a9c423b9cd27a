//! `powercut.md`, `.svg` and `.json` from a sink, and the report run that feeds it.
//!
//! A campaign's points go out as [`Event::Point`]s; [`PowercutSink`] keeps
//! them and, when the run finishes, writes the table, the plot and every
//! point as JSON. The case sinks get one result per (cut kind, phase) group
//! and per tamper class, so a release gates on the campaign like on a run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hil_report::{
    CampaignPoint, CaseResult, Event, ExitCode, Outcome as CaseOutcome, ReportError, Sink,
    SpecCitation,
};
use serde::{Deserialize, Serialize};

use super::plan::{Outcome, Phase, PointResult};
use super::report::{self, Section};
use crate::{CampaignError, CampaignRun, Setup};

/// The campaign's name in point events.
pub const CAMPAIGN: &str = "powercut";

const SPEC_QUOTE: &str = "A power cut at any instant must leave a device that boots, runs either the old app or the verified new one (never a mix), keeps the kernel reachable, and converges after further clean boots.";
const SPEC_SOURCE: &str = "design.md, OTA the way Microvisor does it; anchors-powercut.md §6";
/// Where the invariants every point is checked against live (the `file` of the group results).
const SOURCE_FILE: &str = "harness/campaign/src/powercut/scenario.rs";

/// What a campaign's report says besides its points.
pub struct ReportInfo<'a> {
    pub rig: &'a str,
    /// The paragraph at the top of `powercut.md` (and printed).
    pub header: String,
    /// Phase of every operation of the uncut update (the plot's time line).
    pub phases: &'a [Phase],
    /// Campaign facts for `powercut.json`.
    pub extra: serde_json::Value,
    /// The command that replays an id.
    pub replay_hint: &'a str,
    /// Ctrl-C stopped the campaign: the report holds what finished.
    pub interrupted: bool,
}

/// How a power-cut campaign went.
#[derive(Debug)]
pub struct PowercutSummary {
    pub rig: String,
    /// The paragraph at the top of `powercut.md`.
    pub header: String,
    pub points: usize,
    pub failures: usize,
    /// `powercut.md` of the run.
    pub report: PathBuf,
    pub interrupted: bool,
    pub exit_code: ExitCode,
}

/// The record of a point in its event.
#[derive(Serialize, Deserialize)]
struct PointData {
    phase: Phase,
    cuts_fired: usize,
    life_ops: Vec<u64>,
}

/// A point as an event.
fn point_event(rig: &str, kind: &str, p: &PointResult) -> CampaignPoint {
    let data = PointData {
        phase: p.phase,
        cuts_fired: p.cuts_fired,
        life_ops: p.life_ops.clone(),
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
    })
}

/// Writes `powercut.md`, `powercut.svg` and `powercut.json` when the run finishes.
pub struct PowercutSink {
    dir: PathBuf,
    title: String,
    header: String,
    phases: Vec<Phase>,
    extra: serde_json::Value,
    replay_hint: String,
    /// The sections (cut kinds) in report order, each with its points.
    kinds: Vec<(String, Vec<PointResult>)>,
}

impl PowercutSink {
    /// A sink for the sections `kinds` (in report order) of `info`'s campaign.
    pub fn new(dir: &Path, info: &ReportInfo<'_>, kinds: &[&str]) -> Self {
        PowercutSink {
            dir: dir.to_owned(),
            title: format!("OTA power-cut campaign ({})", info.rig),
            header: info.header.clone(),
            phases: info.phases.to_vec(),
            extra: info.extra.clone(),
            replay_hint: info.replay_hint.to_owned(),
            kinds: kinds
                .iter()
                .map(|k| ((*k).to_owned(), Vec::new()))
                .collect(),
        }
    }

    fn write(&self, file: &str, text: String) -> Result<(), ReportError> {
        let path = self.dir.join(file);
        std::fs::write(&path, text).map_err(|source| ReportError::Write { path, source })
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
                match self.kinds.iter_mut().find(|(kind, _)| *kind == point.group) {
                    Some((_, points)) => points.push(result),
                    None => self.kinds.push((point.group.clone(), vec![result])),
                }
            }
            Event::RunFinished { interrupted, .. } => {
                let header = if *interrupted {
                    format!(
                        "**Interrupted** (Ctrl-C): the points that finished. {}",
                        self.header
                    )
                } else {
                    self.header.clone()
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
                let json = serde_json::to_string(&report::json(&sections, self.extra.clone()))
                    .map_err(|source| ReportError::Json {
                        what: "powercut.json",
                        source,
                    })?;
                self.write("powercut.json", json)?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Writes the report folder: every point as an event (for powercut.md/.svg/.json),
/// one case result per group (results.json/junit.xml/summary.md).
pub fn write_report(
    setup: Setup,
    info: ReportInfo<'_>,
    sections: &[Section<'_>],
) -> Result<PowercutSummary, CampaignError> {
    let rig = info.rig;
    let groups = groups(rig, sections);
    let kinds: Vec<&str> = sections.iter().map(|s| s.kind).collect();
    let mut run = CampaignRun::start(
        &setup.reports,
        &setup.command,
        vec![rig.to_owned()],
        groups.len(),
        setup.sinks,
        |dir| vec![Box::new(PowercutSink::new(dir, &info, &kinds))],
    )?;
    for s in sections {
        for p in s.points {
            run.point(point_event(rig, s.kind, p));
        }
    }
    for g in &groups {
        run.started(rig, &g.case_id);
        run.finished(g.clone());
    }
    let points: usize = sections.iter().map(|s| s.points.len()).sum();
    let failures: usize = sections
        .iter()
        .map(|s| s.points.iter().filter(|p| p.outcome != Outcome::Ok).count())
        .sum();
    run.figure(CAMPAIGN, rig, "points", points as f64);
    run.figure(CAMPAIGN, rig, "failures", failures as f64);
    let report = run.path().join("powercut.md");
    let exit_code = run.finish(&groups, info.interrupted)?;
    Ok(PowercutSummary {
        rig: rig.to_owned(),
        header: info.header,
        points,
        failures,
        report,
        interrupted: info.interrupted,
        exit_code,
    })
}

/// One case result per (cuts, phase) group and per tamper class.
fn groups(rig: &str, sections: &[Section<'_>]) -> Vec<CaseResult> {
    let mut out = Vec::new();
    for s in sections {
        let mut by_phase: BTreeMap<String, Vec<&PointResult>> = BTreeMap::new();
        for p in s.points {
            let key = if s.kind == "tamper" {
                p.id.clone()
            } else {
                p.phase.name().to_owned()
            };
            by_phase.entry(key).or_default().push(p);
        }
        for (key, points) in by_phase {
            let failed: Vec<&&PointResult> =
                points.iter().filter(|p| p.outcome != Outcome::Ok).collect();
            let mut transcript = String::new();
            for p in &points {
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
            let (case_id, title) = if s.kind == "tamper" {
                (
                    format!("ota.tamper.{key}"),
                    format!("tampered bundle ({key}) is refused and the old app keeps running"),
                )
            } else {
                (format!("ota.powercut.{}.{key}", s.kind), format!("{} {} cut(s) during {key}: old or new app, never a mix; converges; resumes", points.len(), s.kind))
            };
            out.push(CaseResult {
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
            });
        }
    }
    out
}
