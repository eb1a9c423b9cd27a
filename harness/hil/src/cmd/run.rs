//! `hil run`: the conformance cases on the chosen rigs, reported to `reports/<run-id>/`.
//!
//! Retries, quarantine and sharding are data of the run: `--retries N`
//! (and per case × rig in a nightly plan), `conformance/quarantine.yaml`
//! (results under an entry in force are reported and do not count), and
//! `--partition hash:k/n | count:k/n` (one shard of the selection, for one
//! CI job or labgrid place; `hil merge` joins them). `--jobs N` runs N
//! sessions of each rig (QEMU instances) that share its cases.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use hil_gate::{pattern_matches, today, Quarantine};
use hil_report::{run_id_now, CaseResult, ExitCode, Outcome, Partition, ReportDir};
use hil_runner::{partition, CasePolicy, ParitySink, Plan, RunSummary, Selection};

use super::repo::{
    command_line, find_root, load_quarantine, load_suite, pick_rigs, reports_dir, select,
};
use crate::failure::{BadInput, SystemFailure};
use crate::interrupt;
use crate::progress::Progress;

/// One rule of retries: cases matching `case` (an id or a `*` pattern) on
/// `rigs` (every rig when empty) get `retries` extra tries.
#[derive(Clone, Debug)]
pub struct RetryRule {
    pub case: String,
    pub rigs: Vec<String>,
    pub retries: u32,
}

/// What one run is asked to do (`hil run`, or one suite of `hil nightly`).
#[derive(Clone, Debug, Default)]
pub struct RunRequest {
    pub rigs: Vec<String>,
    pub selection: Selection,
    /// Extra tries of a case that fails, unless a rule says otherwise.
    pub retries: u32,
    /// Per case × rig retries; the first matching rule wins.
    pub retry_rules: Vec<RetryRule>,
    pub jobs: usize,
    pub partition: Option<Partition>,
    /// The quarantine file (default `conformance/quarantine.yaml`).
    pub quarantine: Option<PathBuf>,
    /// Run only the cases a quarantine entry names.
    pub quarantine_verify: bool,
    /// Wait for a board another run holds, instead of failing.
    pub wait_for_rigs: bool,
}

/// `hil run`: one report folder under `reports`.
pub fn run(root: Option<PathBuf>, request: &RunRequest, reports: &Path) -> Result<ExitCode> {
    let root = find_root(root)?;
    let prepared = prepare(&root, request)?;
    let reports = reports_dir(&root, reports);
    // A run id taken in the same instant is drawn again (not a bad input).
    let (dir, run_id) =
        ReportDir::create_new(&reports, run_id_now).context("cannot create the report folder")?;
    let summary = execute(&root, prepared, &dir, run_id)?;
    Ok(summary.exit_code)
}

/// A run whose inputs are loaded and checked: nothing has run yet.
pub struct Prepared {
    plan: Plan,
    quarantine: Quarantine,
    verify: bool,
    /// Record the run in the history (a nightly records its whole set instead).
    pub record: bool,
}

/// Loads and checks everything a run needs; any problem is bad input.
pub fn prepare(root: &Path, request: &RunRequest) -> Result<Prepared> {
    let suite = load_suite(root)?;
    let quarantine = load_quarantine(root, request.quarantine.as_deref(), &suite)?;
    let mut cases = select(suite, &request.selection)?;
    if request.quarantine_verify {
        cases.retain(|c| quarantine.names(&c.id));
        if cases.is_empty() {
            return Err(BadInput::one(
                "--quarantine-verify: no selected case is named by a quarantine entry; nothing to verify",
            )
            .into());
        }
    }
    let suite_selected = cases.len();
    if let Some(p) = &request.partition {
        cases = partition(cases, p);
        if cases.is_empty() {
            eprintln!("note: shard {p} holds none of the {suite_selected} selected cases");
        }
    }
    let mut rigs = pick_rigs(root, &request.rigs)?;
    for rig in &mut rigs {
        if let hil_rig::RigKind::Board(board) = &mut rig.kind {
            if request.jobs > 1 {
                return Err(BadInput::one(format!(
                    "--jobs {}: rig `{}` is one physical board; --jobs runs several sessions of a sim or QEMU rig",
                    request.jobs, rig.name
                ))
                .into());
            }
            board.wait_for_lock = request.wait_for_rigs;
            if !request.wait_for_rigs {
                // Fail now, naming the holder, rather than on every case.
                hil_rig::lock::RigLock::acquire(&hil_rig::lock::lock_dir(), &rig.name, false)
                    .map_err(|e| SystemFailure(e.to_string()))?;
            }
        }
    }
    let day = today();
    let q = quarantine.clone();
    let rules = request.retry_rules.clone();
    let default_retries = request.retries;
    let policy = CasePolicy {
        retries: Arc::new(move |case, rig| {
            rules
                .iter()
                .find(|r| {
                    pattern_matches(&r.case, case)
                        && (r.rigs.is_empty() || r.rigs.iter().any(|x| x == rig))
                })
                .map_or(default_retries, |r| r.retries)
        }),
        quarantine: Arc::new(move |case, rig| q.lookup(case, rig, day).map(|e| e.mark())),
    };
    let mut plan = Plan::new(rigs, cases, root.to_owned(), command_line());
    plan.policy = policy;
    plan.jobs = request.jobs.max(1);
    plan.partition = request.partition;
    plan.suite_selected = suite_selected;
    Ok(Prepared {
        plan,
        quarantine,
        verify: request.quarantine_verify,
        record: true,
    })
}

/// Runs a prepared plan into `dir` and prints its summary.
pub fn execute(
    root: &Path,
    prepared: Prepared,
    dir: &ReportDir,
    run_id: String,
) -> Result<RunSummary> {
    let _ = root;
    let mut sinks = dir.file_sinks();
    sinks.add(Box::new(ParitySink::new(dir.path())));
    sinks.add(Box::new(Progress::new()));
    let rig_names: Vec<String> = prepared.plan.rigs.iter().map(|r| r.name.clone()).collect();
    for entry in prepared.quarantine.expired(today()) {
        eprintln!(
            "warning: quarantine entry `{}` ({}:{}) expired on {}: its failures count again, and the gate fails on it",
            entry.case,
            prepared.quarantine.file,
            entry.line.unwrap_or(0),
            entry.expires
        );
    }
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| SystemFailure(format!("cannot start the async runtime: {e}")))?;
    let stop = interrupt::flag(None);
    let (verify, record) = (prepared.verify, prepared.record);
    let summary = runtime.block_on(hil_runner::run(prepared.plan, run_id, sinks, stop));
    print_summary(&summary.results, summary.interrupted, dir.path());
    if verify {
        for r in summary
            .results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Passed) && !r.flaky)
        {
            println!(
                "quarantine-verify: {} passes on {}: its quarantine entry may go",
                r.case_id, r.rig
            );
        }
    }
    if !summary.report_errors.is_empty() {
        eprintln!(
            "error: the report in {} is incomplete: {} distinct write failure(s), listed above; exit 3",
            dir.path().display(),
            summary.report_errors.len()
        );
    }
    if summary.report_errors.is_empty() {
        if let Some(report) = super::runs::read_report(dir.path()) {
            if record {
                super::history::record(root, &report)?;
            }
            super::html::write(root, dir.path(), &report, &[dir.path()], None)?;
        }
    }
    if rig_names.len() > 1 {
        let differences = summary.parity();
        for d in &differences {
            println!(
                "parity: {} differs between {} and {} at line {}",
                d.case_id, d.left_rig, d.right_rig, d.line
            );
        }
        println!(
            "parity: {} case(s) differ between {}",
            differences.len(),
            rig_names.join(" and ")
        );
    }
    Ok(summary)
}

/// Per rig and overall: passed, failed, errors, skipped; where the report is.
pub fn print_summary(results: &[CaseResult], interrupted: bool, dir: &Path) {
    let mut rigs: Vec<&str> = Vec::new();
    for r in results {
        if !rigs.contains(&r.rig.as_str()) {
            rigs.push(&r.rig);
        }
    }
    let summary = hil_report::Summary::tally(&[], results);
    for rig in rigs {
        let c = &summary.per_rig[rig];
        println!(
            "{rig}: {} passed, {} failed, {} errors, {} skipped{}",
            c.passed,
            c.failed,
            c.errors,
            c.skipped,
            extras(c.flaky, c.quarantined)
        );
    }
    if interrupted {
        println!("interrupted: the report holds the cases that finished");
    }
    println!("report: {}", dir.display());
    println!(
        "{} passed, {} failed, {} errors, {} skipped{}",
        summary.passed,
        summary.failed,
        summary.errors,
        summary.skipped,
        extras(summary.flaky, summary.quarantined)
    );
}

/// `` or ` (2 flaky, 1 quarantined)`.
fn extras(flaky: usize, quarantined: usize) -> String {
    let mut parts = Vec::new();
    if flaky > 0 {
        parts.push(format!("{flaky} flaky"));
    }
    if quarantined > 0 {
        parts.push(format!("{quarantined} quarantined"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}
