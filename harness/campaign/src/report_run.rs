//! A campaign's run through the report sinks: one report folder, results as they come.
//!
//! `hil overrun` and `hil ota powercut` are not case files, but their points
//! (or groups of points) are case results, so releases gate on them through
//! the same `results.json`, `junit.xml` and `summary.md`, valid after every
//! result like any run's. Their points also go out as events for the
//! campaign's own sinks.

use std::path::Path;

use hil_report::{
    run_id_now, CampaignPoint, CaseResult, Event, ExitCode, FanOut, Figure, ReportDir, ReportError,
    RunInfo, Sink,
};

use crate::CampaignError;

/// RFC 3339 UTC now, as the report schema wants it.
pub fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// An open campaign run.
pub struct CampaignRun {
    dir: ReportDir,
    sinks: FanOut,
    /// Every distinct sink failure: the run goes on, but `finish` reports them all.
    failed: Vec<ReportError>,
}

impl CampaignRun {
    /// Creates `reports/<run-id>/` with the report file sinks, `extra`
    /// sinks (the terminal) and the campaign's own (`campaign` makes them
    /// for the folder), and records the start of a run of `planned`
    /// results on `rigs`.
    pub fn start(
        reports: &Path,
        command: &str,
        rigs: Vec<String>,
        planned: usize,
        extra: FanOut,
        campaign: impl FnOnce(&Path) -> Vec<Box<dyn Sink + Send>>,
    ) -> Result<Self, CampaignError> {
        Self::start_at(reports, command, rigs, planned, now(), extra, campaign)
    }

    /// [`CampaignRun::start`] of a run that began at `started_at` (RFC 3339),
    /// before the plan it reports was made.
    pub fn start_at(
        reports: &Path,
        command: &str,
        rigs: Vec<String>,
        planned: usize,
        started_at: String,
        extra: FanOut,
        campaign: impl FnOnce(&Path) -> Vec<Box<dyn Sink + Send>>,
    ) -> Result<Self, CampaignError> {
        let (dir, run_id) =
            ReportDir::create_new(reports, run_id_now).map_err(CampaignError::ReportFolder)?;
        let mut sinks = dir.file_sinks();
        for sink in campaign(dir.path()) {
            sinks.add(sink);
        }
        if !extra.is_empty() {
            sinks.add(Box::new(extra));
        }
        let mut run = CampaignRun {
            dir,
            sinks,
            failed: Vec::new(),
        };
        run.emit(Event::RunStarted(RunInfo {
            run_id,
            started_at,
            command: command.to_owned(),
            rigs,
            planned,
            hil_version: env!("CARGO_PKG_VERSION").to_owned(),
            partition: None,
            host: hil_report::host_name(),
            selected: Vec::new(),
            suite_selected: 0,
        }));
        Ok(run)
    }

    /// The run's folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn emit(&mut self, event: Event) {
        if let Err(err) = self.sinks.on_event(&event) {
            for err in err.into_list() {
                let text = err.to_string();
                if !self.failed.iter().any(|e| e.to_string() == text) {
                    eprintln!("error: a report file was not written: {text}");
                    self.failed.push(err);
                }
            }
        }
    }

    /// A point is about to run.
    pub fn started(&mut self, rig: &str, case_id: &str) {
        self.emit(Event::CaseStarted {
            rig: rig.to_owned(),
            case_id: case_id.to_owned(),
        });
    }

    /// One point as data, for the campaign's sinks.
    pub fn point(&mut self, point: CampaignPoint) {
        self.emit(Event::Point(point));
    }

    /// One measured figure (recorded in results.json, for the gate's limits).
    pub fn figure(&mut self, campaign: &str, rig: &str, name: &str, value: f64) {
        self.emit(Event::Figure(Figure {
            campaign: campaign.to_owned(),
            rig: rig.to_owned(),
            name: name.to_owned(),
            value,
        }));
    }

    /// A point's (or group's) result, written to every sink at once.
    pub fn finished(&mut self, result: CaseResult) {
        self.emit(Event::CaseFinished(result));
    }

    /// Ends the run; its exit code from the results (130 if interrupted:
    /// the report then holds what finished and says it was interrupted).
    /// A sink that failed along the way (a report file not written) makes
    /// this an error after the run is closed.
    pub fn finish(
        mut self,
        results: &[CaseResult],
        interrupted: bool,
    ) -> Result<ExitCode, CampaignError> {
        let code = if interrupted {
            ExitCode::Interrupted
        } else {
            ExitCode::from_outcomes(results.iter().map(|r| &r.outcome))
        };
        self.emit(Event::RunFinished {
            finished_at: now(),
            interrupted,
            exit_code: code.code(),
        });
        ReportError::from_list(self.failed)
            .map(|()| code)
            .map_err(Into::into)
    }
}
