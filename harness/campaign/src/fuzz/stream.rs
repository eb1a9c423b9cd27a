//! One stream of the boundary fuzzer on one rig session: batches on the device, the host's checks between them.
//!
//! The agent draws and checks every call ([`mv_proto::Primitive::Fuzz`]);
//! between batches the host checks what the agent cannot: the kernel still
//! answers (`mvNoOp` is `OKAY`), and the memory no call may change
//! ([`RigSession::guarded_memory`]: secure memory outside the kernel's own
//! state, app code, the NVM) is as it was. Every [`EPOCH`] calls the device
//! is reset and the agent starts a fresh epoch of the stream: the kernel's
//! tables (32 rings, 16 system notifications, one log buffer) never stay
//! full for long, and the device's state at any call index is the same
//! however the stream is cut into batches, so a finding replays with
//! `--calls <index + 1>`. The cloud link stays down: the app's log messages
//! queue in the kernel instead of crossing the link mid-batch.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use hil_rig::{CloudAction, GuardedRegion, RigError, RigSession};
use mv_abi::{MvStatus, Slot};
use mv_proto::{
    FindingKind, FuzzBatch, FuzzCaller, FuzzFinding, Placement, Primitive, Reply, FUZZ_SLOTS,
};
use serde::{Deserialize, Serialize};

/// Calls of one epoch: a fresh device, and a fresh start of the generator.
pub const EPOCH: u64 = 65_536;
/// The arena the agent plants structs in, and the one at the end of app RAM.
pub const ARENA: u32 = 2048;
pub const EDGE: u32 = 256;

/// Something a stream found: a call that broke a rule, or a batch after
/// which the device was not as it must be.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Finding {
    pub seed: u64,
    /// The call's index in the stream; for a batch-level finding, the end
    /// of the batch (the call is one of `first..index`).
    pub index: u64,
    /// The first call of the batch it came from.
    pub first: u64,
    /// What broke.
    pub what: String,
    /// `slot (name)`, the arguments and r0, for a call finding.
    pub call: Option<String>,
    /// The command that replays it.
    pub replay: String,
}

/// How one stream went.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StreamResult {
    pub stream: usize,
    pub seed: u64,
    pub planned: u64,
    pub calls: u64,
    pub seconds: f64,
    /// `OKAY` answers per slot number.
    pub okay: Vec<u64>,
    /// Findings beyond those the agent listed (it lists a few per batch).
    pub unlisted: u64,
    /// `LATEFAULT`s the rig saw come from the bus-error window (documented,
    /// not findings; only the sim can tell).
    #[serde(default)]
    pub window_latefaults: u64,
    pub findings: Vec<Finding>,
    /// Why the stream ended before its calls ran, if it did.
    pub ended: Option<String>,
    /// The rig could not run the stream at all (no finding: exit 3).
    pub rig_error: bool,
}

/// What a running stream reports as it goes.
pub enum Progress {
    /// This many more calls ran.
    Calls(u64),
    Found(Finding),
}

/// The stream's place: what to run and how to name a replay.
pub struct StreamSpec<'a> {
    pub stream: usize,
    pub seed: u64,
    pub calls: u64,
    pub batch: u32,
    /// `cargo hil fuzz --rig <rig>`.
    pub replay_base: &'a str,
}

/// `mvGetDeviceId (5)`.
pub fn slot_name(slot: u32) -> String {
    match Slot::from_number(slot) {
        Some(s) => format!("{} ({slot})", s.name()),
        None => format!("slot {slot} (past the table)"),
    }
}

fn status_name(status: u32) -> String {
    match MvStatus::try_from(status) {
        Ok(s) => format!("{s:?}"),
        Err(_) => format!("{status:#x} (no MvStatus)"),
    }
}

fn describe(f: &FuzzFinding) -> (String, String) {
    let what = match f.kind {
        FindingKind::NotAStatus => "r0 is no MvStatus".to_owned(),
        FindingKind::LateFault => {
            "LATEFAULT: the kernel accepted a range it could not reach".to_owned()
        }
        FindingKind::ChangedOnRefusal { offset } => {
            format!("refused, but app memory changed (arena byte {offset})")
        }
        FindingKind::Escape { accesses } => format!(
            "the kernel touched memory outside app memory ({accesses} access(es), refused by the rig's model)"
        ),
    };
    let caller = match f.caller {
        FuzzCaller::Thread => String::new(),
        FuzzCaller::Unprivileged => " (unprivileged)".to_owned(),
        FuzzCaller::Irq(irq) => format!(" (from the handler of IRQ {irq})"),
    };
    let call = format!(
        "{}{caller} args [{:#010x}, {:#010x}, {:#010x}, {:#010x}] -> {}",
        slot_name(f.slot),
        f.args[0],
        f.args[1],
        f.args[2],
        f.args[3],
        status_name(f.status)
    );
    (what, call)
}

/// Runs one stream on `session` until its calls ran, `stop` is set, or the
/// device stops answering.
pub fn run_stream(
    session: &mut dyn RigSession,
    spec: &StreamSpec<'_>,
    stop: &AtomicBool,
    progress: &mut dyn FnMut(Progress),
) -> StreamResult {
    let started = Instant::now();
    let mut result = StreamResult {
        stream: spec.stream,
        seed: spec.seed,
        planned: spec.calls,
        calls: 0,
        seconds: 0.0,
        okay: vec![0; FUZZ_SLOTS as usize],
        unlisted: 0,
        window_latefaults: 0,
        findings: Vec::new(),
        ended: None,
        rig_error: false,
    };
    let replay = |calls: u64| {
        format!(
            "{} --seed {:#x} --calls {calls} --streams 1",
            spec.replay_base, spec.seed
        )
    };
    let found =
        |result: &mut StreamResult, progress: &mut dyn FnMut(Progress), finding: Finding| {
            progress(Progress::Found(finding.clone()));
            result.findings.push(finding);
        };
    let mut guarded = None;
    let (mut arena, mut edge) = ((0, 0), (0, 0));
    let mut next = 0u64;
    while next < spec.calls && !stop.load(Ordering::SeqCst) {
        let fresh = next.is_multiple_of(EPOCH);
        if fresh {
            match setup(session) {
                Ok(epoch) => {
                    (arena, edge) = (epoch.arena, epoch.edge);
                    if guarded.is_none() {
                        guarded = epoch.guarded;
                    }
                }
                Err(e) if next == 0 => {
                    result.ended = Some(format!("the rig could not start the stream: {e}"));
                    result.rig_error = true;
                    break;
                }
                Err(e) => {
                    let what =
                        format!("the device did not come back for the epoch at call {next}: {e}");
                    found(
                        &mut result,
                        progress,
                        Finding {
                            seed: spec.seed,
                            index: next,
                            first: next,
                            what: what.clone(),
                            call: None,
                            replay: replay(next),
                        },
                    );
                    result.ended = Some(what);
                    break;
                }
            }
        }
        let epoch_end = (next / EPOCH + 1) * EPOCH;
        let end = spec.calls.min(next + u64::from(spec.batch)).min(epoch_end);
        let batch = FuzzBatch {
            seed: spec.seed,
            first: next,
            fresh,
            count: (end - next) as u32,
            arena,
            edge,
        };
        let first = next;
        let batch_finding = |what: String| Finding {
            seed: spec.seed,
            index: end,
            first,
            what,
            call: None,
            replay: replay(end),
        };
        let replies = catch_unwind(AssertUnwindSafe(|| {
            session.exec(vec![Primitive::Fuzz(batch.clone())])
        }));
        let report = match replies {
            Ok(Ok(mut replies)) => match replies.pop() {
                Some(Reply::Fuzzed(report)) => report,
                other => {
                    let what = format!("the agent answered {other:?} to calls {next}..{end}");
                    found(&mut result, progress, batch_finding(what.clone()));
                    result.ended = Some(what);
                    break;
                }
            },
            Ok(Err(e)) => {
                let what = format!("calls {next}..{end}: {e}");
                found(&mut result, progress, batch_finding(what.clone()));
                result.ended = Some(what);
                break;
            }
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                let what = format!("the kernel panicked in calls {next}..{end}: {message}");
                found(&mut result, progress, batch_finding(what.clone()));
                result.ended = Some(what);
                break;
            }
        };
        for f in &report.findings {
            let (what, call) = describe(f);
            found(
                &mut result,
                progress,
                Finding {
                    seed: spec.seed,
                    index: f.index,
                    first: next,
                    what,
                    call: Some(call),
                    replay: replay(f.index + 1),
                },
            );
        }
        result.unlisted += u64::from(report.more_findings);
        result.window_latefaults += u64::from(report.window_latefaults);
        for (total, n) in result.okay.iter_mut().zip(&report.okay) {
            *total += u64::from(*n);
        }
        result.calls += u64::from(report.calls);
        progress(Progress::Calls(u64::from(report.calls)));
        next = report.next;
        if let Err(what) = between_batches(session, next, &mut guarded) {
            found(&mut result, progress, batch_finding(what.clone()));
            result.ended = Some(what);
            break;
        }
    }
    result.seconds = started.elapsed().as_secs_f64();
    result
}

/// What an epoch starts with: the arenas on a fresh device, and its guarded memory.
struct Epoch {
    arena: (u32, u32),
    edge: (u32, u32),
    guarded: Option<Vec<GuardedRegion>>,
}

/// A fresh device, the two arenas, wall time set and the link down, the guarded memory as it starts.
fn setup(session: &mut dyn RigSession) -> Result<Epoch, RigError> {
    session.set_deadline(None);
    session.reset()?;
    let alloc = |size, placement| Primitive::Alloc {
        size,
        align: 16,
        placement,
        misalign: 0,
    };
    // Both arenas at the top of app RAM (ns_ram_end grows down: the edge
    // first, ending at the end of app RAM, the arena right below it). The
    // kernel may write any app RAM a range names, and ranges run upwards
    // from memory the fuzzer owns, so everything they can reach is the
    // fuzzer's: never the agent's own memory, nor the privileged-only and
    // bus-error windows below (whose LATEFAULTs are documented, not
    // findings; the conformance cases and the kernel's quick fuzz take them).
    let replies = session.exec(vec![
        alloc(EDGE, Placement::NsRamEnd),
        alloc(ARENA, Placement::NsRamEnd),
    ])?;
    let addr = |r: Option<&Reply>| match r {
        Some(Reply::Allocated { addr }) => Ok(*addr),
        other => Err(RigError::Link(format!(
            "the agent answered {other:?} to the arena's allocation"
        ))),
    };
    let (edge, arena) = (addr(replies.first())?, addr(replies.get(1))?);
    // Wall time set (mvGetWallTime has something to give), the link down
    // (the app's log messages queue until the next epoch's flush).
    session.cloud(&CloudAction::SyncTimeUs(1_767_225_600_000_000))?;
    session.cloud(&CloudAction::Link { online: false })?;
    Ok(Epoch {
        arena: (arena, ARENA),
        edge: (edge, EDGE),
        guarded: session.guarded_memory()?,
    })
}

/// The host's checks after a batch.
fn between_batches(
    session: &mut dyn RigSession,
    next: u64,
    guarded: &mut Option<Vec<GuardedRegion>>,
) -> Result<(), String> {
    let mut checks = || -> Result<Option<String>, RigError> {
        session.take_server_log()?;
        let noop = session.exec(vec![Primitive::Call {
            slot: Slot::NoOp as u32,
            args: [0; 4],
        }])?;
        if noop != [Reply::Status(MvStatus::Okay as u32)] {
            return Ok(Some(format!(
                "after call {next} the kernel answers mvNoOp with {noop:?}"
            )));
        }
        if let Some(before) = guarded.as_ref() {
            let now = session.guarded_memory()?.unwrap_or_default();
            for (was, is) in before.iter().zip(&now) {
                if let Some(at) = is.changed_since(was) {
                    let what = format!("by call {next}, {} changed at {at:#010x}", is.name);
                    *guarded = Some(now);
                    return Ok(Some(what));
                }
            }
        }
        Ok(None)
    };
    match checks() {
        Ok(None) => Ok(()),
        Ok(Some(what)) => Err(what),
        Err(e) => Err(format!("after call {next} the device did not answer: {e}")),
    }
}
