//! `hil bench`: throughput of the sim, measured side by side in one run.
//!
//! Reports syscalls per second through the kernel's full dispatch (slot
//! decode, pointer checks, copies) and through the agent primitive path the
//! harness uses, and the wall time of the whole conformance suite on `sim`.
//! Figures are printed with their target; nothing here is asserted.

use std::time::{Duration, Instant};

use hil_sim::{SimConfig, SimDevice};
use mv_abi::{AbiStruct, MvNotificationSetup, Slot};
use mv_proto::{Placement, Primitive, Reply};

/// One measured figure.
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    pub target: Option<(f64, &'static str)>,
}

fn rate(name: &str, n: u64, elapsed: Duration, target: Option<f64>) -> Figure {
    Figure {
        name: name.to_owned(),
        value: n as f64 / elapsed.as_secs_f64(),
        unit: "calls/s",
        target: target.map(|t| (t, "at least")),
    }
}

fn alloc(dev: &mut SimDevice, size: u32, align: u32) -> u32 {
    match dev.execute(&Primitive::Alloc {
        size,
        align,
        placement: Placement::NsRam,
        misalign: 0,
    }) {
        Reply::Allocated { addr } => addr,
        other => panic!("the sim refused a bench allocation: {other:?}"),
    }
}

/// Syscall throughput on one fresh sim device, `n` calls per figure.
pub fn syscall_rates(n: u64) -> Vec<Figure> {
    let mut dev = SimDevice::boot(&SimConfig::default());
    let out = alloc(&mut dev, 8, 8);
    let ring = alloc(&mut dev, 1024, 8);
    let setup = alloc(&mut dev, 12, 4);
    let handle = alloc(&mut dev, 4, 4);
    let mut bytes = [0u8; 12];
    MvNotificationSetup {
        irq: 41,
        buffer: ring,
        buffer_size: 1024,
    }
    .encode(&mut bytes);
    dev.execute(&Primitive::Write {
        addr: setup,
        data: bytes.to_vec(),
    });
    let kernel = dev.kernel_mut();
    assert_eq!(
        kernel.dispatch(Slot::SetupNotifications.number(), [setup, handle, 0, 0]),
        0
    );
    let mut h = [0u8; 4];
    let _ = mv_kernel::board::NsMemory::read_ns(kernel.board_mut(), handle, &mut h);
    let h = u32::from_le_bytes(h);

    let mut figures = Vec::new();
    let mut measure = |name: &str, slot: Slot, args: [u32; 4], dev: &mut SimDevice| {
        let start = Instant::now();
        let kernel = dev.kernel_mut();
        for _ in 0..n {
            std::hint::black_box(kernel.dispatch(slot.number(), std::hint::black_box(args)));
        }
        figures.push(rate(name, n, start.elapsed(), Some(1e6)));
    };
    measure("dispatch mvNoOp", Slot::NoOp, [0; 4], &mut dev);
    measure(
        "dispatch mvGetMicroseconds (check + write)",
        Slot::GetMicroseconds,
        [out, 0, 0, 0],
        &mut dev,
    );
    measure(
        "dispatch mvTempTriggerNotification (ring write + pend)",
        Slot::TempTriggerNotification,
        [h, 1, 7, 0],
        &mut dev,
    );

    let start = Instant::now();
    let call = Primitive::Call {
        slot: Slot::NoOp.number(),
        args: [0; 4],
    };
    for _ in 0..n {
        std::hint::black_box(dev.execute(&call));
    }
    let agent = rate("agent primitive Call(mvNoOp)", n, start.elapsed(), None);
    figures.push(agent);
    figures
}

/// Instructions retired per NSC round trip on QEMU, and the per-case and
/// whole-suite wall times. `session` must run QEMU with `-icount shift=0`
/// (one instruction per virtual nanosecond), so the kernel's microsecond
/// clock counts instructions: 1 µs = 1000 instructions, deterministically.
pub mod qemu {
    use mv_abi::Slot;
    use mv_proto::{Placement, Primitive, Reply};

    use super::Figure;
    use crate::rig::{RigError, RigSession};

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

    async fn alloc(s: &mut dyn RigSession, size: u32) -> Result<u32, RigError> {
        let p = Primitive::Alloc {
            size,
            align: 8,
            placement: Placement::NsRam,
            misalign: 0,
        };
        addr(&s.exec(vec![p]).await?[0])
    }

    async fn read_u64(s: &mut dyn RigSession, at: u32) -> Result<u64, RigError> {
        match &s.exec(vec![Primitive::Read { addr: at, len: 8 }]).await?[0] {
            Reply::Bytes(b) => Ok(u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))),
            other => Err(RigError::Protocol {
                what: "bench read".into(),
                got: Box::new(other.clone()),
            }),
        }
    }

    /// Instructions for `CALLS` calls of `slot`, bracketed by two clock reads
    /// in one batch on the device.
    async fn instructions(
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
        s.exec(vec![Primitive::Batch(vec![clock(t0), series, clock(t1)])])
            .await?;
        let (a, b) = (read_u64(s, t0).await?, read_u64(s, t1).await?);
        Ok(b.saturating_sub(a) as f64 * 1000.0)
    }

    /// Instructions per round trip for mvNoOp, mvGetMicroseconds and a
    /// notification write, each minus the same series of calls to slot 74,
    /// which the agent's binding answers without entering the secure world:
    /// what remains is SG, the veneer, the kernel's dispatch and the return.
    pub async fn round_trips(s: &mut dyn RigSession) -> Result<Vec<Figure>, RigError> {
        s.reset().await?;
        let (t0, t1, out) = (alloc(s, 8).await?, alloc(s, 8).await?, alloc(s, 8).await?);
        let ring = alloc(s, 64).await?;
        let setup = alloc(s, 12).await?;
        let handle = alloc(s, 4).await?;
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
        ])
        .await?;
        let h = match &s
            .exec(vec![Primitive::Read {
                addr: handle,
                len: 4,
            }])
            .await?[0]
        {
            Reply::Bytes(b) => u32::from_le_bytes(b[..4].try_into().expect("4 bytes")),
            _ => 0,
        };
        let baseline = instructions(s, mv_abi::SLOT_COUNT, [0; 4], t0, t1).await?;
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
            let total = instructions(s, slot, args, t0, t1).await?;
            figures.push(Figure {
                name: name.to_owned(),
                value: (total - baseline) / f64::from(CALLS),
                unit: "instructions",
                target: target.map(|t| (t, "at most")),
            });
        }
        Ok(figures)
    }
}

/// OTA power-cut throughput.
pub mod ota {
    use std::time::Instant;

    use super::Figure;
    use crate::ota::campaign::Scenario;
    use hil_sim::flash::CutPoint;

    /// Verified cut points per second on one core, for an update of
    /// `app_size` bytes with torn writes: `points` single cuts spread evenly
    /// over the whole update (before and inside in turn), each run to the
    /// end and checked. Also the cost of one uncut update and of one SHA-256
    /// over the 1 MiB measurement region (each verified point needs two), so
    /// the rate can be read against what bounds it.
    pub fn sim_cut_rate(app_size: usize, points: u64) -> anyhow::Result<Vec<Figure>> {
        let scenario = Scenario::synthetic(app_size)?;
        let t = Instant::now();
        let cal = scenario.calibrate()?;
        let uncut = t.elapsed();
        let step = (cal.ops / points.max(1)).max(1);
        let plans: Vec<Vec<CutPoint>> = (0..cal.ops)
            .step_by(step as usize)
            .enumerate()
            .map(|(i, op)| {
                vec![CutPoint {
                    op,
                    inside: i % 2 == 1,
                }]
            })
            .collect();
        let t = Instant::now();
        let mut failures = 0;
        for plan in &plans {
            failures += usize::from(
                scenario.run_plan(plan, Some(&cal)).outcome != crate::ota::campaign::Outcome::Ok,
            );
        }
        let elapsed = t.elapsed();
        let region = vec![0xA5u8; 1 << 20];
        let t = Instant::now();
        let rounds = 20;
        for _ in 0..rounds {
            std::hint::black_box(mv_ota::measurement_hash(std::hint::black_box(&region)));
        }
        let hash = t.elapsed() / rounds;
        Ok(vec![
            Figure {
                name: format!(
                    "sim: verified cut points/s/core, {} KiB update, torn writes ({} points, {failures} failed)",
                    app_size / 1024,
                    plans.len()
                ),
                value: plans.len() as f64 / elapsed.as_secs_f64(),
                unit: "points/s",
                target: Some((10_000.0, "at least")),
            },
            Figure {
                name: format!("sim: one uncut update ({} flash operations)", cal.ops),
                value: uncut.as_secs_f64() * 1e3,
                unit: "ms",
                target: None,
            },
            Figure {
                name: "sim: SHA-256 of the 1 MiB measurement region".into(),
                value: hash.as_secs_f64() * 1e3,
                unit: "ms",
                target: None,
            },
        ])
    }
}
