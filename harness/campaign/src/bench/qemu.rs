//! QEMU figures: wall time per case and for the suite, instructions per NSC round trip (OTA cut points per second: `qemu_ota`).
//!
//! Instructions are counted with `-icount shift=0` (one instruction per
//! virtual nanosecond), so the kernel's microsecond clock counts
//! instructions: 1 µs = 1000 instructions, deterministically.

use std::time::{Duration, Instant};

use hil_cases::Case;
use hil_rig::qemu::{Handshake, QemuConfig, QemuSession, SecureLoad, WayIn};
use hil_rig::{RigError, RigSession};
use mv_abi::Slot;
use mv_proto::{Placement, Primitive, Reply};

use super::Figure;
use crate::CampaignError;

/// Calls per measurement; the clock's 1 µs step is 1000 instructions, so
/// 2000 calls resolve half an instruction per call.
pub const CALLS: u32 = 2000;

fn addr(r: &Reply) -> Result<u32, RigError> {
    match r {
        Reply::Allocated { addr } => Ok(*addr),
        other => Err(RigError::Protocol {
            what: "bench allocation".into(),
            got: Box::new(other.clone()),
        }),
    }
}

fn alloc(s: &mut dyn RigSession, size: u32) -> Result<u32, RigError> {
    let p = Primitive::Alloc {
        size,
        align: 8,
        placement: Placement::NsRam,
        misalign: 0,
    };
    addr(&s.exec(vec![p])?[0])
}

fn read_u64(s: &mut dyn RigSession, at: u32) -> Result<u64, RigError> {
    match &s.exec(vec![Primitive::Read { addr: at, len: 8 }])?[0] {
        Reply::Bytes(b) => Ok(u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))),
        other => Err(RigError::Protocol {
            what: "bench read".into(),
            got: Box::new(other.clone()),
        }),
    }
}

/// Instructions for `CALLS` calls of `slot`, bracketed by two clock reads
/// in one batch on the device.
fn instructions(
    s: &mut dyn RigSession,
    slot: u32,
    args: [u32; 4],
    t0: u32,
    t1: u32,
) -> Result<f64, RigError> {
    let clock = |at| Primitive::Call {
        slot: Slot::GetMicroseconds.number(),
        args: [at, 0, 0, 0],
    };
    let series = Primitive::CallSeries {
        slot,
        args,
        step: [0; 4],
        count: CALLS,
    };
    s.exec(vec![Primitive::Batch(vec![clock(t0), series, clock(t1)])])?;
    let (a, b) = (read_u64(s, t0)?, read_u64(s, t1)?);
    Ok(b.saturating_sub(a) as f64 * 1000.0)
}

/// Instructions per round trip for mvNoOp, mvGetMicroseconds and a
/// notification write, each minus the same series of calls to slot 74,
/// which the agent's binding answers without entering the secure world:
/// what remains is SG, the veneer, the kernel's dispatch and the return.
pub fn round_trips(s: &mut dyn RigSession) -> Result<Vec<Figure>, RigError> {
    s.reset()?;
    let (t0, t1, out) = (alloc(s, 8)?, alloc(s, 8)?, alloc(s, 8)?);
    let ring = alloc(s, 64)?;
    let setup = alloc(s, 12)?;
    let handle = alloc(s, 4)?;
    let mut bytes = Vec::new();
    for v in [41u32, ring, 64] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    s.exec(vec![
        Primitive::Write {
            addr: setup,
            data: bytes,
        },
        Primitive::Call {
            slot: Slot::SetupNotifications.number(),
            args: [setup, handle, 0, 0],
        },
    ])?;
    let h = match &s.exec(vec![Primitive::Read {
        addr: handle,
        len: 4,
    }])?[0]
    {
        Reply::Bytes(b) => u32::from_le_bytes(b[..4].try_into().expect("4 bytes")),
        _ => 0,
    };
    let baseline = instructions(s, mv_abi::NSC_TABLE_ENTRIES, [0; 4], t0, t1)?;
    let mut figures = Vec::new();
    for (name, slot, args, target) in [
        ("mvNoOp round trip", Slot::NoOp.number(), [0; 4], Some(80.0)),
        (
            "mvGetMicroseconds round trip",
            Slot::GetMicroseconds.number(),
            [out, 0, 0, 0],
            None,
        ),
        (
            "notification write (mvTempTriggerNotification)",
            Slot::TempTriggerNotification.number(),
            [h, 1, 7, 0],
            None,
        ),
    ] {
        let total = instructions(s, slot, args, t0, t1)?;
        figures.push(Figure {
            name: name.to_owned(),
            value: (total - baseline) / f64::from(CALLS),
            unit: "instructions",
            target: target.map(|t| (t, "at most")),
        });
    }
    Ok(figures)
}

/// One way of running a case, to time beside the others.
struct CaseWay {
    way_in: WayIn,
    handshake: Handshake,
    load: SecureLoad,
    /// Each step's writes in a request of their own (the executor before
    /// they rode on the next request: `hil_runner::Writes::OnTheirOwn`).
    writes_alone: bool,
    name: &'static str,
}

/// The ways of a case, the current one first: frames in through the
/// shared-memory rings, QEMU loading only the secure image's boot part, a
/// step's writes riding on the next request; the previous executor, each
/// step's writes in a request of their own; the previous way, on the
/// UARTs; the way before issue 18, on the UARTs with the full hello, a
/// quiet wait and writes alone; and the previous reset, QEMU loading (and
/// rewriting at every reset) the whole secure image. A way that loads the
/// secure image otherwise runs on a QEMU of its own.
const WAYS: [CaseWay; 5] = [
    CaseWay {
        way_in: WayIn::Rings,
        handshake: Handshake::Ready,
        load: SecureLoad::FromNvm,
        writes_alone: false,
        name: "now",
    },
    CaseWay {
        way_in: WayIn::Rings,
        handshake: Handshake::Ready,
        load: SecureLoad::FromNvm,
        writes_alone: true,
        name: "the previous executor (a step's writes in requests of their own)",
    },
    CaseWay {
        way_in: WayIn::Uarts,
        handshake: Handshake::Ready,
        load: SecureLoad::FromNvm,
        writes_alone: false,
        name: "requests on the UARTs",
    },
    CaseWay {
        way_in: WayIn::Uarts,
        handshake: Handshake::FullHello,
        load: SecureLoad::FromNvm,
        writes_alone: true,
        name: "before issue 18 (UARTs, full hello, quiet wait, writes alone)",
    },
    CaseWay {
        way_in: WayIn::Rings,
        handshake: Handshake::Ready,
        load: SecureLoad::ByQemu,
        writes_alone: false,
        name: "the previous reset (QEMU rewrites the whole secure image)",
    },
];

/// `way`'s QEMU, set to go `way`.
fn way_session(sessions: &mut [QemuSession; 2], way: usize) -> &mut QemuSession {
    let way = &WAYS[way];
    let session = &mut sessions[usize::from(way.load == SecureLoad::ByQemu)];
    session.set_way_in(way.way_in);
    session.set_handshake(way.handshake);
    session
}

/// Resets timed alone, each way.
const RESETS: usize = 50;

/// How long an idle QEMU's CPU use is measured.
const IDLE_FOR: Duration = Duration::from_secs(4);

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(0.0)
}

/// The QEMU side of `hil bench`, one measurement at a time, so the CLI can
/// print each as it comes.
pub struct QemuBench {
    name: String,
    pub(super) config: QemuConfig,
}

/// What the suite on QEMU measured.
pub struct QemuCases {
    /// Cases run, and how many passed the current way.
    pub cases: usize,
    pub passed: usize,
    /// Each case that did not pass, by way: the case's id, the way's name
    /// and why (the outcome's one line), in the order they ran.
    pub failed: Vec<CaseFailure>,
    /// The median wall time per case (reset included) and of a reset
    /// alone, each beside the previous way, and the whole suite.
    pub figures: Vec<Figure>,
}

/// Runs one case on a session, each step's writes in requests of their own
/// if the `bool` says so; why it did not pass, if it did not.
pub type RunCase<'a> = dyn FnMut(&mut dyn RigSession, &Case, bool) -> Result<(), String> + 'a;

/// A case that did not pass one way, and why.
pub struct CaseFailure {
    pub case: String,
    pub way: &'static str,
    pub why: String,
}

impl QemuBench {
    /// The bench on the rig `name`.
    pub fn new(name: &str, config: QemuConfig) -> QemuBench {
        QemuBench {
            name: name.to_owned(),
            config,
        }
    }

    /// The images the rig runs (the key of a case's `skip:` for it).
    pub fn images(&self) -> &'static str {
        hil_rig::RigKind::Qemu(self.config.clone()).images()
    }

    /// Every case in `cases` (the caller leaves out those the rig skips,
    /// as the engine decides), once each way ([`WAYS`]) on the
    /// way's QEMU booted outside the measurement, one right after the other,
    /// which one first rotating, so a noisy machine weighs on all alike.
    /// Then resets alone, the ways in turn. `run` runs one case (with each
    /// step's writes in requests of their own if its `bool` says so) and
    /// says why it did not pass, if it did not (the engine's executor,
    /// which this crate does not hold).
    pub fn cases(
        &self,
        cases: &[&Case],
        run: &mut RunCase<'_>,
    ) -> Result<QemuCases, CampaignError> {
        // One QEMU per way of loading the secure image, each booted once
        // outside the measurement (the first boot builds and starts QEMU).
        let mut sessions = [SecureLoad::FromNvm, SecureLoad::ByQemu].map(|load| {
            let mut session = QemuSession::new(&self.name, self.config.clone());
            session.set_secure_load(load);
            session
        });
        for session in &mut sessions {
            session.reset()?;
        }
        let mut times = WAYS.map(|_| Vec::new());
        let mut passed = 0;
        let mut failed = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            for turn in 0..WAYS.len() {
                let way = (i + turn) % WAYS.len();
                let session = way_session(&mut sessions, way);
                let t = Instant::now();
                let ran = run(session, case, WAYS[way].writes_alone);
                times[way].push(t.elapsed().as_secs_f64() * 1e3);
                match ran {
                    Ok(()) => passed += usize::from(way == 0),
                    Err(why) => failed.push(CaseFailure {
                        case: case.id.clone(),
                        way: WAYS[way].name,
                        why,
                    }),
                }
            }
        }
        let mut resets = WAYS.map(|_| Vec::new());
        for i in 0..WAYS.len() * RESETS {
            let way = i % WAYS.len();
            let session = way_session(&mut sessions, way);
            let t = Instant::now();
            session.reset()?;
            resets[way].push(t.elapsed().as_secs_f64() * 1e3);
        }
        // The current way's QEMU after a reset the current way: the agent
        // waits for a request, as between every two.
        let now = way_session(&mut sessions, 0);
        now.reset()?;
        let idle = now.qemu_pid().and_then(|pid| idle_cpu_share(pid, IDLE_FOR));
        let suite = times[0].iter().sum::<f64>() / 1e3;
        let per_case = times.map(median);
        let per_reset = resets.map(median);
        let beside = |values: &[f64; WAYS.len()], figures: &mut Vec<Figure>| {
            for (way, value) in WAYS.iter().zip(values).skip(1) {
                figures.push(Figure {
                    name: format!("  {}, same run ({:.2}x now)", way.name, value / values[0]),
                    value: *value,
                    unit: "ms",
                    target: None,
                });
            }
        };
        let mut figures = vec![Figure {
            name: "median wall time per case, reset included".into(),
            value: per_case[0],
            unit: "ms",
            target: Some((20.0, "at most")),
        }];
        beside(&per_case, &mut figures);
        figures.push(Figure {
            name: format!("median reset alone, {RESETS} of them (system_reset to ready)"),
            value: per_reset[0],
            unit: "ms",
            target: None,
        });
        beside(&per_reset, &mut figures);
        if let Some(share) = idle {
            figures.push(Figure {
                name: format!(
                    "idle QEMU's CPU use, {} s with nothing sent (utime + stime)",
                    IDLE_FOR.as_secs()
                ),
                value: share * 100.0,
                unit: "% of a core",
                target: None,
            });
        }
        figures.push(Figure {
            name: "whole suite (the sum of its cases)".into(),
            value: suite,
            unit: "s",
            target: Some((15.0, "at most")),
        });
        Ok(QemuCases {
            cases: cases.len(),
            passed,
            failed,
            figures,
        })
    }

    /// Instructions per round trip, on a QEMU of its own that counts them
    /// (`-icount shift=0,sleep=off`).
    pub fn round_trips(&self) -> Result<Vec<Figure>, CampaignError> {
        let mut counting = self.config.clone();
        counting
            .extra_args
            .extend(["-icount".to_owned(), "shift=0,sleep=off".to_owned()]);
        let mut session = QemuSession::new(&format!("{}-icount", self.name), counting);
        Ok(round_trips(&mut session)?)
    }

    /// Interrupt latency while the kernel is busy inside a call, fast
    /// beside ordinary, on a QEMU of its own that counts instructions
    /// (`-icount shift=0,sleep=off`).
    pub fn irq_latency(&self) -> Result<Vec<Figure>, CampaignError> {
        let mut counting = self.config.clone();
        counting
            .extra_args
            .extend(["-icount".to_owned(), "shift=0,sleep=off".to_owned()]);
        let mut session = QemuSession::new(&format!("{}-irq-icount", self.name), counting);
        Ok(super::irq_latencies(&mut session)?)
    }

    /// Networking on QEMU: HTTP GET round trips, echo channel bytes per
    /// second, and the cloud UART's own rate towards the device (a 4 KiB
    /// frame the device takes and acknowledges) for comparison.
    pub fn net(&self) -> Result<Vec<Figure>, CampaignError> {
        let mut session = QemuSession::new(&format!("{}-net", self.name), self.config.clone());
        let http = super::http_round_trips(&mut session, 20)?;
        let echo = super::echo_throughput(&mut session, 8, 1024)?;
        let message = mv_proto::CloudToDevice::HttpBody {
            channel: 0,
            data: vec![0x55; 4096],
        };
        let bytes = mv_proto::encode_frame(&message)
            .map_err(|e| RigError::Link(format!("cannot encode the bench frame: {e:?}")))?
            .len();
        let mut total = std::time::Duration::ZERO;
        let rounds = 4;
        for _ in 0..rounds {
            total += session.time_cloud_message(&message)?;
        }
        let uart = Figure {
            name: format!("cloud UART towards the device ({bytes} B frames, acknowledged)"),
            value: (bytes * rounds) as f64 / total.as_secs_f64(),
            unit: "B/s",
            target: None,
        };
        Ok(vec![http, echo, uart])
    }

    /// MQTT publish→receive round trips through the lab broker, `n` of them.
    pub fn mqtt(&self, n: u32) -> Result<Figure, CampaignError> {
        let mut session = QemuSession::new(&format!("{}-mqtt", self.name), self.config.clone());
        let mut figure = super::mqtt_round_trips(&mut session, n)?;
        figure.name = format!("qemu-an505: {}", figure.name);
        Ok(figure)
    }
}

/// CPU seconds of this process (all its threads) and of its reaped
/// children (the QEMUs), from `/proc/self/stat`.
#[derive(Clone, Copy)]
pub(super) struct CpuTimes {
    pub(super) own: f64,
    pub(super) children: f64,
}

impl CpuTimes {
    /// `None` where there is no `/proc` (the figure then goes without).
    pub(super) fn now() -> Option<CpuTimes> {
        let [utime, stime, cutime, cstime] = proc_cpu_secs("self")?;
        Some(CpuTimes {
            own: utime + stime,
            children: cutime + cstime,
        })
    }

    pub(super) fn since(&self, before: &CpuTimes) -> CpuTimes {
        CpuTimes {
            own: self.own - before.own,
            children: self.children - before.children,
        }
    }
}

/// utime, stime, cutime and cstime of process `pid` (or `self`), in
/// seconds, from `/proc/PID/stat`; `None` where there is no `/proc`.
fn proc_cpu_secs(pid: &str) -> Option<[f64; 4]> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command's closing parenthesis, from field 3 on:
    // utime, stime, cutime, cstime are fields 14 to 17, in clock ticks.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest
        .split_whitespace()
        .skip(11)
        .map(|f| f.parse::<f64>().ok());
    // USER_HZ: 100 on every Linux architecture QEMU runs on here.
    let mut next = || Some(fields.next()?? * 0.01);
    Some([next()?, next()?, next()?, next()?])
}

/// The share of a core QEMU `pid` used over `over`, nothing sent to it.
fn idle_cpu_share(pid: u32, over: Duration) -> Option<f64> {
    let used = |t: [f64; 4]| t[0] + t[1];
    let before = used(proc_cpu_secs(&pid.to_string())?);
    std::thread::sleep(over);
    let after = used(proc_cpu_secs(&pid.to_string())?);
    Some((after - before) / over.as_secs_f64())
}
