//! The fuzzer's own rules: a stream is the same however it is cut into batches, and every broken rule is found.

use alloc::vec::Vec;

use mv_abi::MvStatus;
use mv_boards::stm32u585::{BOARD, NS_RAM_BASE, NS_RAM_SIZE};
use mv_proto::{FindingKind, FuzzBatch, FuzzCaller, Primitive, Reply};

use crate::{Agent, App, IrqStatus, Stopped};

/// App RAM as a byte array, and a "kernel" that answers with `answer`.
struct FakeApp<F: FnMut(u32, [u32; 4], &mut [u8]) -> u32> {
    ram: Vec<u8>,
    answer: F,
    calls: Vec<(u32, [u32; 4])>,
    /// Who made each call not made from privileged thread mode.
    callers: Vec<FuzzCaller>,
    /// The NVIC gives the app no IRQ (no handler runs).
    no_irqs: bool,
    /// The rig sees the kernel escape app memory in this call (1-based).
    escape_in_call: usize,
    /// The rig sees the bus-error window refuse the kernel in this call.
    window_in_call: usize,
}

impl<F: FnMut(u32, [u32; 4], &mut [u8]) -> u32> App for FakeApp<F> {
    fn peek(&self, addr: u32, buf: &mut [u8]) {
        let at = (addr - NS_RAM_BASE) as usize;
        buf.copy_from_slice(&self.ram[at..at + buf.len()]);
    }
    fn poke(&mut self, addr: u32, data: &[u8]) {
        let at = (addr - NS_RAM_BASE) as usize;
        self.ram[at..at + data.len()].copy_from_slice(data);
    }
    fn load(&mut self, _addr: u32, _buf: &mut [u8]) -> Result<(), Stopped> {
        Ok(())
    }
    fn call(&mut self, slot: u32, args: [u32; 4]) -> Result<u32, Stopped> {
        self.calls.push((slot, args));
        Ok((self.answer)(slot, args, &mut self.ram))
    }
    fn delay_us(&mut self, _us: u32) -> Result<(), Stopped> {
        Ok(())
    }
    fn irq_lines(&self) -> u32 {
        32
    }
    fn irq_enable(&mut self, _irq: u32, _enabled: bool) {}
    fn irq_clear_pending(&mut self, _irq: u32) {}
    fn irq_pend(&mut self, _irq: u32) {}
    fn irq_flood(&mut self, _irq: u32, _max_entries: u32) -> Result<u32, Stopped> {
        Ok(0)
    }
    fn call_from_irq(
        &mut self,
        irq: u32,
        slot: u32,
        args: [u32; 4],
    ) -> Result<Option<u32>, Stopped> {
        if self.no_irqs {
            return Ok(None);
        }
        self.callers.push(FuzzCaller::Irq(irq));
        self.call(slot, args).map(Some)
    }
    fn call_with_vtor(&mut self, _vtor: u32, slot: u32, args: [u32; 4]) -> Result<u32, Stopped> {
        self.call(slot, args)
    }
    fn call_unprivileged(&mut self, slot: u32, args: [u32; 4]) -> Result<u32, Stopped> {
        self.callers.push(FuzzCaller::Unprivileged);
        self.call(slot, args)
    }
    fn irq_status(&self, _irq: u32) -> IrqStatus {
        IrqStatus {
            pending: false,
            enabled: false,
            handled: 0,
        }
    }
    fn escapes(&mut self) -> u32 {
        u32::from(self.calls.len() == self.escape_in_call)
    }
    fn window_faults(&mut self) -> Option<u32> {
        Some(u32::from(self.calls.len() == self.window_in_call))
    }
}

fn fake<F: FnMut(u32, [u32; 4], &mut [u8]) -> u32>(answer: F) -> FakeApp<F> {
    FakeApp {
        ram: alloc::vec![0; NS_RAM_SIZE as usize],
        answer,
        calls: Vec::new(),
        callers: Vec::new(),
        no_irqs: false,
        escape_in_call: 0,
        window_in_call: 0,
    }
}

const ARENA: u32 = 2048;
const EDGE: u32 = 256;

fn batch(first: u64, count: u32) -> FuzzBatch {
    let pools = BOARD.pools;
    FuzzBatch {
        seed: 42,
        first,
        fresh: first == 0,
        count,
        arena: (pools.ns_ram.1 - EDGE - ARENA, ARENA),
        edge: (pools.ns_ram.1 - EDGE, EDGE),
    }
}

fn agent() -> Agent {
    Agent::new(&BOARD, BOARD.pools.ns_ram.0, 0)
}

/// Runs `batches` (first, count) and returns every reply.
fn run<F: FnMut(u32, [u32; 4], &mut [u8]) -> u32>(
    app: &mut FakeApp<F>,
    batches: &[(u64, u32)],
) -> Vec<mv_proto::FuzzReport> {
    let mut agent = agent();
    batches
        .iter()
        .map(
            |&(first, count)| match agent.execute(app, &Primitive::Fuzz(batch(first, count))) {
                Ok(Reply::Fuzzed(report)) => report,
                other => panic!("{other:?}"),
            },
        )
        .collect()
}

#[test]
fn a_stream_is_the_same_however_it_is_cut_into_batches() {
    let okay = |_, _, _: &mut [u8]| MvStatus::Okay as u32;
    let (mut one, mut three) = (fake(okay), fake(okay));
    run(&mut one, &[(0, 3000)]);
    run(&mut three, &[(0, 1000), (1000, 1500), (2500, 500)]);
    assert_eq!(one.calls, three.calls);
    assert_eq!(one.ram, three.ram);
    // And it is random: many slots, pointers into secure memory among the arguments.
    let slots: alloc::collections::BTreeSet<u32> = one.calls.iter().map(|c| c.0).collect();
    assert_eq!(slots.len(), mv_proto::FUZZ_SLOTS as usize);
}

#[test]
fn some_calls_come_from_unprivileged_code_and_from_irq_handlers() {
    let mut app = fake(|_, _, _: &mut [u8]| MvStatus::Okay as u32);
    run(&mut app, &[(0, 16_000)]);
    let unprivileged = app
        .callers
        .iter()
        .filter(|c| **c == FuzzCaller::Unprivileged)
        .count();
    let from_irq = app.callers.len() - unprivileged;
    // One in eight unprivileged, one in sixteen from an IRQ.
    assert!((1500..2500).contains(&unprivileged), "{unprivileged}");
    assert!((750..1250).contains(&from_irq), "{from_irq}");
    // Where the NVIC runs no handler, those calls are not made, and the
    // stream goes on past them.
    let mut app = fake(|_, _, _: &mut [u8]| MvStatus::ParameterFault as u32);
    app.no_irqs = true;
    let reports = run(&mut app, &[(0, 16_000)]);
    assert_eq!(reports[0].next, 16_000);
    assert!(reports[0].findings.is_empty());
    assert!(app.callers.iter().all(|c| *c == FuzzCaller::Unprivileged));
    assert!(
        (14_500..15_500).contains(&app.calls.len()),
        "{}",
        app.calls.len()
    );
}

#[test]
fn the_fuzzer_draws_every_entry_of_the_table_and_a_few_past_it() {
    assert_eq!(mv_proto::FUZZ_SLOTS, mv_abi::NSC_TABLE_ENTRIES + 8);
}

#[test]
fn a_batch_that_does_not_continue_the_stream_is_refused() {
    let mut app = fake(|_, _, _: &mut [u8]| 0);
    let mut agent = agent();
    let reply = agent
        .execute(&mut app, &Primitive::Fuzz(batch(5, 10)))
        .unwrap();
    assert_eq!(reply, Reply::Refused(mv_proto::Refusal::BadArgument));
    let mut outside = batch(0, 10);
    outside.arena.0 = NS_RAM_BASE; // the agent's own RAM
    let reply = agent.execute(&mut app, &Primitive::Fuzz(outside)).unwrap();
    assert_eq!(reply, Reply::Refused(mv_proto::Refusal::NotAppMemory));
    // An arena below the windows inside app RAM: a range from it could run
    // into the bus-error window, whose LATEFAULTs are documented.
    let mut low = batch(0, 10);
    low.arena.0 = BOARD.pools.ns_ram.0;
    let reply = agent.execute(&mut app, &Primitive::Fuzz(low)).unwrap();
    assert_eq!(reply, Reply::Refused(mv_proto::Refusal::NotAppMemory));
}

#[test]
fn no_pointer_lands_in_app_ram_outside_the_arenas() {
    let mut app = fake(|_, _, _: &mut [u8]| MvStatus::Okay as u32);
    run(&mut app, &[(0, 20_000)]);
    let pools = BOARD.pools;
    let owned = |v: u32| (pools.ns_ram.1 - EDGE - ARENA..pools.ns_ram.1).contains(&v);
    let in_ram = |v: u32| (NS_RAM_BASE..NS_RAM_BASE + NS_RAM_SIZE).contains(&v);
    for (slot, args) in &app.calls {
        for a in args {
            assert!(!in_ram(*a) || owned(*a), "slot {slot}: {a:#x}");
        }
    }
    // mvRestart is never made with a mode that would restart the app.
    assert!(app
        .calls
        .iter()
        .filter(|c| c.0 == mv_abi::Slot::Restart as u32)
        .all(|c| mv_abi::MvRestartMode::try_from(c.1[0]).is_err()));
    // Nor mvDeepSleep with a mode (one byte) that would.
    let deep_sleeps: Vec<_> = app
        .calls
        .iter()
        .filter(|c| c.0 == mv_abi::Slot::DeepSleep as u32)
        .collect();
    assert!(!deep_sleeps.is_empty(), "the fuzz makes mvDeepSleep calls");
    assert!(deep_sleeps
        .iter()
        .all(|c| mv_abi::MvDeepSleepMode::try_from(c.1[0] & 0xFF).is_err()));
}

#[test]
fn a_refused_call_that_changes_app_memory_is_found() {
    // A "kernel" that refuses call 500 after writing where r0 points.
    let mut n = 0u64;
    let mut app = fake(move |_, args, ram: &mut [u8]| {
        n += 1;
        if n == 500 {
            let arena = (BOARD.pools.ns_ram.1 - EDGE - ARENA - NS_RAM_BASE) as usize;
            ram[arena + 100] ^= 0xFF;
            let _ = args;
            return MvStatus::ParameterFault as u32;
        }
        MvStatus::Okay as u32
    });
    let reports = run(&mut app, &[(0, 1000)]);
    let findings = &reports[0].findings;
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].index, 499);
    assert_eq!(
        findings[0].kind,
        FindingKind::ChangedOnRefusal { offset: 100 }
    );
}

#[test]
fn latefault_and_values_that_are_no_status_are_found() {
    let mut n = 0u64;
    let mut app = fake(move |_, _, _: &mut [u8]| {
        n += 1;
        match n {
            10 | 30 => MvStatus::LateFault as u32,
            20 => 0xDEAD_BEEF,
            _ => MvStatus::ParameterFault as u32,
        }
    });
    // Call 30's LATEFAULT came from the bus-error window, as the rig saw:
    // documented, counted, not a finding.
    app.window_in_call = 30;
    let reports = run(&mut app, &[(0, 100)]);
    assert_eq!(reports[0].window_latefaults, 1);
    let kinds: Vec<(u64, FindingKind)> = reports[0]
        .findings
        .iter()
        .map(|f| (f.index, f.kind))
        .collect();
    assert_eq!(
        kinds,
        [(9, FindingKind::LateFault), (19, FindingKind::NotAStatus)]
    );
}

#[test]
fn an_access_the_rig_saw_outside_app_memory_is_found() {
    let mut app = fake(|_, _, _: &mut [u8]| MvStatus::ParameterFault as u32);
    app.escape_in_call = 42;
    let reports = run(&mut app, &[(0, 100)]);
    let found: Vec<(u64, FindingKind)> = reports[0]
        .findings
        .iter()
        .map(|f| (f.index, f.kind))
        .collect();
    assert_eq!(found, [(41, FindingKind::Escape { accesses: 1 })]);
}

#[test]
fn an_epoch_draws_from_its_seed_and_index_alone() {
    let okay = |_, _, _: &mut [u8]| MvStatus::Okay as u32;
    let (mut after, mut alone) = (fake(okay), fake(okay));
    let fresh = |first| {
        let mut b = batch(first, 300);
        b.fresh = true;
        Primitive::Fuzz(b)
    };
    // One agent runs 500 calls first, then starts an epoch at 70,000; a
    // fresh agent starts the same epoch: the same calls.
    let mut agent = agent();
    for p in [Primitive::Fuzz(batch(0, 500)), fresh(70_000)] {
        agent.execute(&mut after, &p).unwrap();
    }
    self::agent().execute(&mut alone, &fresh(70_000)).unwrap();
    assert_eq!(after.calls[500..], alone.calls[..]);
}
