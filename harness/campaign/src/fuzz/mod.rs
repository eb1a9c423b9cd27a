//! `hil fuzz`: the kernel boundary fuzzer at scale — any count and seed, on the sim in parallel streams or on QEMU's real secure image.
//!
//! ```text
//! seed ─▶ streams (seed of stream k: seed + k·φ) ─▶ one session each ─▶ batches of Primitive::Fuzz on the device
//!            └─ between batches: mvNoOp answers, guarded memory unchanged, log flush every EPOCH calls
//! findings (each with its replay command) ─▶ Event::Point ─▶ FuzzSink (fuzz.md, fuzz.json); a stream ─▶ one case result
//! ```
//!
//! The generator and the per-call checks run on the device
//! (`mv_agent_core`'s fuzzer): every slot `0..FUZZ_SLOTS`, arguments from
//! attacker's classes, ABI structs planted with nested pointers. Nothing
//! here names a call, so calls added to the kernel are fuzzed as they land.

mod report;
mod sink;
mod stream;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Instant;

use hil_report::{CaseResult, ExitCode, Outcome, SpecCitation};
use hil_rig::{connect, RigConfig, RigKind};

pub use report::markdown;
pub use sink::FuzzSink;
pub use stream::{
    run_stream, slot_name, Finding, Progress, StreamResult, StreamSpec, ARENA, EDGE, EPOCH,
};

use crate::{CampaignError, CampaignRun, Observer, Setup};

/// The campaign's name in point events.
pub const CAMPAIGN: &str = "fuzz";

const SPEC_QUOTE: &str = "Every pointer from the app, and every pointer nested in a struct, is a claim to be checked against non-secure memory before any side effect; after a side effect a bad pointer is LATEFAULT. The kernel never forms a Rust reference into app memory.";
const SPEC_SOURCE: &str = "design.md, Fixed facts: Pointer rule; firmware/ABI.md §2";
const SOURCE_FILE: &str = "firmware/agent-core/src/fuzz/mod.rs";

/// How much to fuzz.
#[derive(Clone, Debug)]
pub struct FuzzConfig {
    /// Calls in all, over every stream.
    pub calls: u64,
    pub seed: u64,
    /// Parallel streams (sim: one session and one thread each; QEMU: one).
    pub streams: usize,
    /// Calls per batch (per request to the agent).
    pub batch: u32,
}

/// The seed of stream `k`: stream 0 has the run's seed, so `--streams 1`
/// with a stream's seed replays that stream.
pub fn stream_seed(seed: u64, k: usize) -> u64 {
    seed.wrapping_add((k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// How a fuzz run went.
pub struct FuzzSummary {
    pub rig: String,
    pub streams: Vec<StreamResult>,
    pub calls: u64,
    pub seconds: f64,
    pub findings: usize,
    /// `fuzz.md` of the run.
    pub report: PathBuf,
    pub interrupted: bool,
    pub exit_code: ExitCode,
}

impl FuzzSummary {
    pub fn calls_per_second(&self) -> f64 {
        self.calls as f64 / self.seconds.max(1e-9)
    }
}

/// Fuzzes `rig` as `cfg` says; findings and progress go to `observer` as
/// they come, the report to `setup.reports`.
pub fn run(
    rig: &RigConfig,
    cfg: &FuzzConfig,
    setup: Setup,
    observer: &dyn Observer,
) -> Result<FuzzSummary, CampaignError> {
    let streams = match rig.kind {
        RigKind::Qemu(_) | RigKind::Board(_) => 1,
        RigKind::Sim(_) => cfg.streams.max(1),
    };
    let batch = cfg.batch.max(1);
    let replay_base = format!("cargo hil fuzz --rig {}", rig.name);
    let specs: Vec<StreamSpec<'_>> = (0..streams)
        .map(|k| StreamSpec {
            stream: k,
            seed: stream_seed(cfg.seed, k),
            calls: cfg.calls / streams as u64 + u64::from(k == 0) * (cfg.calls % streams as u64),
            batch,
            replay_base: &replay_base,
        })
        .collect();
    let closing = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink_closing = closing.clone();
    let mut run = CampaignRun::start(
        &setup.reports,
        &setup.command,
        vec![rig.name.clone()],
        streams,
        setup.sinks,
        |dir| vec![Box::new(FuzzSink::new(dir, &rig.name, sink_closing))],
    )?;
    observer.line(&format!(
        "{}: {} calls in {streams} stream(s) from seed {:#x}, {batch} calls per batch",
        rig.name, cfg.calls, cfg.seed
    ));
    let started = Instant::now();
    let stop = setup.stop.clone();
    let (tx, rx) = mpsc::channel::<(usize, Progress)>();
    let mut results: Vec<StreamResult> = Vec::new();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for spec in &specs {
            let (tx, stop) = (tx.clone(), &stop);
            handles.push(scope.spawn(move || {
                let k = spec.stream;
                match connect(rig) {
                    Ok(mut session) => run_stream(session.as_mut(), spec, stop, &mut |p| {
                        let _ = tx.send((k, p));
                    }),
                    Err(e) => StreamResult {
                        stream: k,
                        seed: spec.seed,
                        planned: spec.calls,
                        calls: 0,
                        seconds: 0.0,
                        okay: Vec::new(),
                        unlisted: 0,
                        window_latefaults: 0,
                        findings: Vec::new(),
                        ended: Some(format!("cannot connect to rig {}: {e}", rig.name)),
                        rig_error: true,
                    },
                }
            }));
        }
        drop(tx);
        let (mut done, mut found) = (0u64, 0usize);
        let mut last_line = Instant::now();
        for (k, p) in rx {
            match p {
                Progress::Calls(n) => {
                    done += n;
                    observer.progress("calls", done as usize, cfg.calls as usize);
                    if last_line.elapsed().as_secs() >= 10 {
                        last_line = Instant::now();
                        let rate = done as f64 / started.elapsed().as_secs_f64();
                        observer.line(&format!(
                            "  {done} of {} calls, {rate:.0} calls/s, {found} finding(s) so far",
                            cfg.calls
                        ));
                    }
                }
                Progress::Found(finding) => {
                    found += 1;
                    observer.line(&format!(
                        "  FINDING stream {k} call {}: {}{} — replay: {}",
                        finding.index,
                        finding.what,
                        finding
                            .call
                            .as_deref()
                            .map(|c| format!(": {c}"))
                            .unwrap_or_default(),
                        finding.replay
                    ));
                    run.point(sink::finding_point(&rig.name, k, &finding));
                }
            }
        }
        for h in handles {
            if let Ok(r) = h.join() {
                results.push(r);
            }
        }
    });
    results.sort_by_key(|r| r.stream);
    let seconds = started.elapsed().as_secs_f64();
    let calls: u64 = results.iter().map(|r| r.calls).sum();
    let findings: usize = results
        .iter()
        .map(|r| r.findings.len() + r.unlisted as usize)
        .sum();
    let mut cases = Vec::new();
    for r in &results {
        run.point(sink::stream_point(&rig.name, r));
        let case = stream_case(&rig.name, r);
        run.started(&rig.name, &case.case_id);
        run.finished(case.clone());
        cases.push(case);
    }
    let interrupted =
        stop.load(Ordering::SeqCst) && results.iter().map(|r| r.calls).sum::<u64>() < cfg.calls;
    *closing.lock().unwrap_or_else(|e| e.into_inner()) = report::header(
        &rig.name,
        cfg,
        calls,
        seconds,
        findings,
        matches!(rig.kind, RigKind::Qemu(_)),
    );
    let report = run.path().join("fuzz.md");
    let exit_code = run.finish(&cases, interrupted)?;
    Ok(FuzzSummary {
        rig: rig.name.clone(),
        streams: results,
        calls,
        seconds,
        findings,
        report,
        interrupted,
        exit_code,
    })
}

/// One stream as a case result: passed with no finding.
fn stream_case(rig: &str, r: &StreamResult) -> CaseResult {
    let mut transcript = format!(
        "stream {} seed {:#x}: {} of {} calls in {:.1} s ({:.0} calls/s)\n",
        r.stream,
        r.seed,
        r.calls,
        r.planned,
        r.seconds,
        r.calls as f64 / r.seconds.max(1e-9)
    );
    for f in &r.findings {
        transcript.push_str(&format!(
            "call {}: {}{}\n  replay: {}\n",
            f.index,
            f.what,
            f.call
                .as_deref()
                .map(|c| format!(": {c}"))
                .unwrap_or_default(),
            f.replay
        ));
    }
    if r.unlisted > 0 {
        transcript.push_str(&format!(
            "and {} more findings in those batches\n",
            r.unlisted
        ));
    }
    let outcome = if r.rig_error {
        Outcome::Error {
            message: r.ended.clone().unwrap_or_default(),
        }
    } else if r.findings.is_empty() && r.unlisted == 0 {
        Outcome::Passed
    } else {
        let first = r
            .findings
            .first()
            .map(|f| {
                format!(
                    "; first: call {}: {} (replay: {})",
                    f.index, f.what, f.replay
                )
            })
            .unwrap_or_default();
        Outcome::Failed {
            step: 0,
            field: "call".into(),
            line: 0,
            message: format!(
                "{} finding(s){first}",
                r.findings.len() + r.unlisted as usize
            ),
        }
    };
    CaseResult {
        rig: rig.to_owned(),
        case_id: format!("fuzz.boundary.stream{}", r.stream),
        title: format!(
            "{} random calls (seed {:#x}): no escape, no panic, no change on refusal",
            r.planned, r.seed
        ),
        area: "fuzz".into(),
        file: SOURCE_FILE.into(),
        tags: vec!["fuzz".into(), "boundary".into()],
        spec: SpecCitation {
            quote: SPEC_QUOTE.into(),
            source: SPEC_SOURCE.into(),
        },
        outcome,
        duration_ms: r.seconds * 1e3,
        transcript,
        logs: Vec::new(),
        attempts: Vec::new(),
        flaky: false,
        quarantine: None,
    }
}
