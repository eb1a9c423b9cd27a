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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hil_cases::Case;
use hil_report::{
    host_name, Attempt, CaseResult, Event, ExitCode, FanOut, Outcome, Partition, RunInfo, Sink,
    SpecCitation,
};
use hil_rig::{connect, RigConfig, RigError, RigSession};
use tokio::sync::mpsc;

use crate::exec::{run_case, CaseRun};
use crate::parity::{compare, Difference};
use crate::policy::CasePolicy;

/// What to run.
pub struct Plan {
    pub rigs: Vec<RigConfig>,
    pub cases: Vec<Case>,
    /// The repository root, to make case paths relative in reports.
    pub root: PathBuf,
    /// The command line, recorded in the report.
    pub command: String,
    /// Retries and quarantine per case × rig.
    pub policy: CasePolicy,
    /// Sessions per rig that share its cases (`--jobs`): several QEMU
    /// instances of one rig kind; at least 1.
    pub jobs: usize,
    /// The shard of the selection these cases are, if any (recorded).
    pub partition: Option<Partition>,
    /// How many cases the selection picked before partitioning (recorded,
    /// so `hil merge` can tell a missing case from a missing shard).
    pub suite_selected: usize,
}

impl Plan {
    /// A plan of `cases` on `rigs`: no retries, no quarantine, one session
    /// per rig, not a shard.
    pub fn new(rigs: Vec<RigConfig>, cases: Vec<Case>, root: PathBuf, command: String) -> Plan {
        let suite_selected = cases.len();
        Plan {
            rigs,
            cases,
            root,
            command,
            policy: CasePolicy::default(),
            jobs: 1,
            partition: None,
            suite_selected,
        }
    }
}

/// How a run ended.
#[derive(Debug)]
pub struct RunSummary {
    pub exit_code: ExitCode,
    pub interrupted: bool,
    pub results: Vec<CaseResult>,
    /// Every distinct failure of a report sink (a file not written), in the
    /// order they first happened. Any makes the run a rig error (exit 3):
    /// a release must not gate on a report that is not there.
    pub report_errors: Vec<String>,
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
        attempts: Vec::new(),
        flaky: false,
        quarantine: None,
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
        partition: plan.partition,
        host: host_name(),
        selected: {
            let mut ids: Vec<String> = plan.cases.iter().map(|c| c.id.clone()).collect();
            ids.sort();
            ids
        },
        suite_selected: plan.suite_selected,
    };
    let _ = tx.send(Event::RunStarted(info));

    // One shared queue of cases per rig; `jobs` sessions of the rig take
    // from it, one case at a time each.
    let mut rigs = Vec::new();
    for rig_index in 0..plan.rigs.len() {
        let next = Arc::new(AtomicUsize::new(0));
        for _ in 0..plan.jobs.max(1) {
            let (plan, stop, tx, connector, next) = (
                plan.clone(),
                stop.clone(),
                tx.clone(),
                connector.clone(),
                next.clone(),
            );
            rigs.push(tokio::task::spawn_blocking(move || {
                run_rig(&plan, rig_index, &next, &stop, &tx, &connector)
            }));
        }
    }
    drop(tx);

    let mut results = Vec::new();
    let mut report_errors = Vec::new();
    while let Some(event) = rx.recv().await {
        if let Event::CaseFinished(r) = &event {
            results.push(r.clone());
        }
        deliver(&mut sinks, &event, &mut report_errors);
    }
    let mut interrupted = false;
    for rig in rigs {
        // A rig loop that panicked sent what it finished; the rest is missing.
        interrupted |= rig.await.unwrap_or(false);
    }
    let code = |report_errors: &[String]| {
        if interrupted {
            ExitCode::Interrupted
        } else if !report_errors.is_empty() {
            ExitCode::RigError
        } else {
            ExitCode::from_results(&results)
        }
    };
    let exit_code = code(&report_errors);
    deliver(
        &mut sinks,
        &Event::RunFinished {
            finished_at: now_rfc3339(),
            interrupted,
            exit_code: exit_code.code(),
        },
        &mut report_errors,
    );
    RunSummary {
        exit_code: code(&report_errors),
        interrupted,
        results,
        report_errors,
    }
}

/// Hands `event` to every sink; each distinct failure is printed once, when
/// it first happens, and kept (a full disk fails every later write the same way).
fn deliver(sinks: &mut FanOut, event: &Event, errors: &mut Vec<String>) {
    if let Err(e) = sinks.on_event(event) {
        for e in e.into_list() {
            let text = e.to_string();
            if !errors.contains(&text) {
                eprintln!("error: a report file was not written: {text}");
                errors.push(text);
            }
        }
    }
}

/// One session of a rig, on its own thread: takes the rig's next case
/// until none is left. True if `stop` left cases unrun.
fn run_rig(
    plan: &Plan,
    rig_index: usize,
    next: &AtomicUsize,
    stop: &AtomicBool,
    tx: &mpsc::UnboundedSender<Event>,
    connector: &Connector,
) -> bool {
    let rig = &plan.rigs[rig_index];
    let mut session = None;
    loop {
        if stop.load(Ordering::SeqCst) {
            return next.load(Ordering::SeqCst) < plan.cases.len();
        }
        let Some(case) = plan.cases.get(next.fetch_add(1, Ordering::SeqCst)) else {
            return false;
        };
        let _ = tx.send(Event::CaseStarted {
            rig: rig.name.clone(),
            case_id: case.id.clone(),
        });
        let skip = crate::skip_reason(case, rig.kind.images());
        let mut result = if let Some(reason) = skip {
            case_result(
                &rig.name,
                case,
                &plan.root,
                Outcome::Skipped { reason },
                None,
            )
        } else {
            // A session is opened when this worker first needs one.
            let session = session.get_or_insert_with(|| connector(rig));
            run_with_retries(plan, rig, case, session, stop)
        };
        result.quarantine = (plan.policy.quarantine)(&case.id, &rig.name);
        let _ = tx.send(Event::CaseFinished(result));
    }
}

/// Runs `case` until it passes or its retries are spent; earlier tries that
/// did not pass are kept as attempts, and a pass after one is flaky.
fn run_with_retries(
    plan: &Plan,
    rig: &RigConfig,
    case: &Case,
    session: &mut Result<Box<dyn RigSession>, RigError>,
    stop: &AtomicBool,
) -> CaseResult {
    let retries = (plan.policy.retries)(&case.id, &rig.name);
    let mut attempts = Vec::new();
    loop {
        let mut result = match session {
            Ok(session) => {
                let timeout =
                    Duration::from_millis(case.timeout_ms.map_or(rig.case_timeout_ms, u64::from));
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
        };
        let passed = matches!(result.outcome, Outcome::Passed | Outcome::Skipped { .. });
        let spent = attempts.len() as u32 >= retries;
        if passed || spent || session.is_err() || stop.load(Ordering::SeqCst) {
            result.flaky = passed && !attempts.is_empty();
            result.attempts = attempts;
            return result;
        }
        attempts.push(Attempt {
            outcome: result.outcome,
            duration_ms: result.duration_ms,
            transcript: result.transcript,
        });
    }
}
