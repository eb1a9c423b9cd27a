//! The run loop: rigs in parallel, cases in order per rig, one event stream.
//!
//! Every rig gets its own session on its own blocking thread
//! (`spawn_blocking`); a rig runs one case at a time. Each rig loop sends
//! [`Event`]s into one channel; a single async consumer feeds them to every
//! sink (files, terminal, parity) in order. A rig that cannot be reached marks
//! its cases as errors and the run goes on. When the stop flag is set (the
//! CLI's Ctrl-C/SIGTERM handler sets it) no rig starts another case; the
//! cases under way finish and the report is marked `interrupted`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hil_cases::Case;
use hil_report::{CaseResult, Event, ExitCode, FanOut, Outcome, RunInfo, Sink, SpecCitation};
use hil_rig::{connect, RigConfig, RigError, RigSession};
use tokio::sync::mpsc;

use crate::exec::{run_case, CaseRun};
use crate::parity::{compare, Difference};

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

impl RunSummary {
    /// Every case whose transcripts differ between two rigs of the run.
    pub fn parity(&self) -> Vec<Difference> {
        compare(&self.results)
    }
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

/// Run every case of the plan on every rig of the plan, feeding `sinks`,
/// until done or `stop` is set.
pub async fn run(plan: Plan, run_id: String, sinks: FanOut, stop: Arc<AtomicBool>) -> RunSummary {
    run_with(plan, run_id, sinks, Arc::new(connect), stop).await
}

/// [`run`], with the sessions opened by `connector`.
pub async fn run_with(
    plan: Plan,
    run_id: String,
    mut sinks: FanOut,
    connector: Connector,
    stop: Arc<AtomicBool>,
) -> RunSummary {
    let plan = Arc::new(plan);
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

    let mut rigs = Vec::new();
    for rig_index in 0..plan.rigs.len() {
        let (plan, stop, tx, connector) =
            (plan.clone(), stop.clone(), tx.clone(), connector.clone());
        rigs.push(tokio::task::spawn_blocking(move || {
            run_rig(&plan, rig_index, &stop, &tx, &connector)
        }));
    }
    drop(tx);

    let mut results = Vec::new();
    while let Some(event) = rx.recv().await {
        if let Event::CaseFinished(r) = &event {
            results.push(r.clone());
        }
        deliver(&mut sinks, &event);
    }
    let mut interrupted = false;
    for rig in rigs {
        // A rig loop that panicked sent what it finished; the rest is missing.
        interrupted |= rig.await.unwrap_or(false);
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
            exit_code: exit_code.code(),
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

/// One rig's cases, in order, on its own thread. True if `stop` left cases
/// unrun.
fn run_rig(
    plan: &Plan,
    rig_index: usize,
    stop: &AtomicBool,
    tx: &mpsc::UnboundedSender<Event>,
    connector: &Connector,
) -> bool {
    let rig = &plan.rigs[rig_index];
    let mut session = connector(rig);
    for case in &plan.cases {
        if stop.load(Ordering::SeqCst) {
            return true;
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
                    let run = run_case(session.as_mut(), case, timeout);
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
    false
}
