//! A campaign's run through the report sinks: one report folder, results as they come.
//!
//! `hil overrun` and `hil ota powercut` are not case files, but their points
//! (or groups of points) are case results, so releases gate on them through
//! the same `results.json`, `junit.xml` and `summary.md`, valid after every
//! result like any run's.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use hil_report::{new_run_id, CaseResult, Event, FanOut, ReportDir, RunInfo, Sink};

use crate::ExitCode;

/// RFC 3339 UTC now, as the report schema wants it.
fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// An open campaign run.
pub struct CampaignRun {
    dir: ReportDir,
    sinks: FanOut,
}

impl CampaignRun {
    /// Creates `reports/<run-id>/` and records the start of a run of
    /// `planned` results on `rigs`; `progress` adds the terminal bar.
    pub fn start(
        reports: &Path,
        rigs: Vec<String>,
        planned: usize,
        progress: bool,
    ) -> Result<Self> {
        let run_id = new_run_id(time::OffsetDateTime::now_utc());
        let dir = ReportDir::create(reports, &run_id).context("cannot create the report folder")?;
        let mut sinks = dir.file_sinks();
        if progress {
            sinks.add(Box::new(crate::progress::Progress::new()));
        }
        let mut run = CampaignRun { dir, sinks };
        run.emit(Event::RunStarted(RunInfo {
            run_id,
            started_at: now(),
            command: std::env::args().collect::<Vec<_>>().join(" "),
            rigs,
            planned,
            hil_version: env!("CARGO_PKG_VERSION").to_owned(),
        }));
        Ok(run)
    }

    /// The run's folder, for the campaign's own files.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn emit(&mut self, event: Event) {
        if let Err(err) = self.sinks.on_event(&event) {
            eprintln!("warning: a report sink failed: {err}");
        }
    }

    /// A point is about to run.
    pub fn started(&mut self, rig: &str, case_id: &str) {
        self.emit(Event::CaseStarted {
            rig: rig.to_owned(),
            case_id: case_id.to_owned(),
        });
    }

    /// A point's result (written to every sink at once).
    pub fn finished(&mut self, result: CaseResult) {
        self.emit(Event::CaseFinished(result));
    }

    /// Ends the run; its exit code from the results (130 if interrupted:
    /// the report then holds what finished and says it was interrupted).
    pub fn finish(mut self, results: &[CaseResult], interrupted: bool) -> ExitCode {
        let code = if interrupted {
            ExitCode::Interrupted
        } else {
            ExitCode::from_outcomes(results.iter().map(|r| &r.outcome))
        };
        self.emit(Event::RunFinished {
            finished_at: now(),
            interrupted,
            exit_code: code as i32,
        });
        code
    }
}

/// A flag that Ctrl-C sets (from a watcher thread), for campaigns that run
/// outside the async engine: they stop taking new points and still write
/// their report.
pub fn ctrl_c_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        if runtime.block_on(tokio::signal::ctrl_c()).is_ok() {
            eprintln!("interrupted: finishing the points under way, then writing the report");
            set.store(true, Ordering::Relaxed);
        }
    });
    flag
}
