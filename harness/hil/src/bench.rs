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
