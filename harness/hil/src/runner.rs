//! The run loop: rigs in parallel, cases in order per rig, one event stream.
//!
//! Every rig gets its own tokio task and session; a rig runs one case at a
//! time. Each task sends [`Event`]s into one channel; a single consumer feeds
//! them to every sink (files, terminal) in order. A rig that cannot be
//! reached marks its cases as errors and the run goes on; Ctrl-C stops
//! scheduling new cases and still finishes the report as `interrupted`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hil_cases::Case;
use hil_report::{CaseResult, Event, FanOut, Outcome, RunInfo, Sink, SpecCitation};
use tokio::sync::mpsc;

use crate::exec::{run_case, CaseRun};
use crate::rig::{connect, RigConfig, RigError, RigSession};
use crate::ExitCode;

/// What to run.
pub struct Plan {
    pub rigs: Vec<RigConfig>,
    pub cases: Vec<Case>,
    /// The repository root, to make case paths relative in reports.
    pub root: PathBuf,
    /// The command line, recorded in the report.
    pub command: String,
}

/// How a run ended.
#[derive(Debug)]
pub struct RunSummary {
    pub exit_code: ExitCode,
    pub interrupted: bool,
    pub results: Vec<CaseResult>,
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn relative(path: &Path, root: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The report record of one case on one rig.
pub fn case_result(
    rig: &str,
    case: &Case,
    root: &Path,
    outcome: Outcome,
    run: Option<CaseRun>,
) -> CaseResult {
    let (transcript, logs, duration_ms) = match run {
        Some(r) => (r.transcript, r.logs, r.duration.as_secs_f64() * 1e3),
        None => (String::new(), Vec::new(), 0.0),
    };
    CaseResult {
        rig: rig.to_owned(),
        case_id: case.id.clone(),
        title: case.title.clone(),
        area: case.area.clone(),
        file: relative(&case.path, root),
        tags: case.tags.clone(),
        spec: SpecCitation {
            quote: case.spec.quote.clone(),
            source: case.spec.source.clone(),
        },
        outcome,
        duration_ms,
        transcript,
        logs,
    }
}

/// Opens a session on a rig; tests substitute rigs that misbehave.
pub type Connector = Arc<dyn Fn(&RigConfig) -> Result<Box<dyn RigSession>, RigError> + Send + Sync>;

/// Run every case of the plan on every rig of the plan, feeding `sinks`.
pub async fn run(plan: Plan, run_id: String, sinks: FanOut) -> RunSummary {
    run_with(plan, run_id, sinks, Arc::new(connect)).await
}

/// [`run`], with the sessions opened by `connector`.
pub async fn run_with(
    plan: Plan,
    run_id: String,
    mut sinks: FanOut,
    connector: Connector,
) -> RunSummary {
    let plan = Arc::new(plan);
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = mpsc::unbounded_channel::<Event>();

    let info = RunInfo {
        run_id,
        started_at: now_rfc3339(),
        command: plan.command.clone(),
        rigs: plan.rigs.iter().map(|r| r.name.clone()).collect(),
        planned: plan.rigs.len() * plan.cases.len(),
        hil_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let _ = tx.send(Event::RunStarted(info));

    let mut tasks = Vec::new();
    for rig_index in 0..plan.rigs.len() {
        let (plan, stop, tx, connector) =
            (plan.clone(), stop.clone(), tx.clone(), connector.clone());
        tasks.push(tokio::spawn(async move {
            run_rig(&plan, rig_index, &stop, &tx, &connector).await
        }));
    }
    drop(tx);

    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut results = Vec::new();
    let mut interrupted = false;
    loop {
        tokio::select! {
            event = rx.recv() => match event {
                Some(event) => {
                    if let Event::CaseFinished(r) = &event {
                        results.push(r.clone());
                    }
                    deliver(&mut sinks, &event);
                }
                None => break,
            },
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                stop.store(true, Ordering::SeqCst);
            }
        }
    }
    for t in tasks {
        let _ = t.await;
    }
    let exit_code = if interrupted {
        ExitCode::Interrupted
    } else {
        ExitCode::from_outcomes(results.iter().map(|r| &r.outcome))
    };
    deliver(
        &mut sinks,
        &Event::RunFinished {
            finished_at: now_rfc3339(),
            interrupted,
            exit_code: exit_code as i32,
        },
    );
    RunSummary {
        exit_code,
        interrupted,
        results,
    }
}

fn deliver(sinks: &mut FanOut, event: &Event) {
    if let Err(e) = sinks.on_event(event) {
        eprintln!("warning: a report sink failed: {e}");
    }
}

async fn run_rig(
    plan: &Plan,
    rig_index: usize,
    stop: &AtomicBool,
    tx: &mpsc::UnboundedSender<Event>,
    connector: &Connector,
) {
    let rig = &plan.rigs[rig_index];
    let mut session = connector(rig);
    for case in &plan.cases {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let _ = tx.send(Event::CaseStarted {
            rig: rig.name.clone(),
            case_id: case.id.clone(),
        });
        let result = if let Some(reason) = case.skip.get(&rig.name) {
            case_result(
                &rig.name,
                case,
                &plan.root,
                Outcome::Skipped {
                    reason: reason.clone(),
                },
                None,
            )
        } else {
            match &mut session {
                Ok(session) => {
                    let timeout = Duration::from_millis(
                        case.timeout_ms.map_or(rig.case_timeout_ms, u64::from),
                    );
                    let run = run_case(session.as_mut(), case, timeout).await;
                    let outcome = run.outcome.clone();
                    case_result(&rig.name, case, &plan.root, outcome, Some(run))
                }
                Err(e) => case_result(
                    &rig.name,
                    case,
                    &plan.root,
                    Outcome::Error {
                        message: format!("cannot connect to rig {}: {e}", rig.name),
                    },
                    None,
                ),
            }
        };
        let _ = tx.send(Event::CaseFinished(result));
    }
}
