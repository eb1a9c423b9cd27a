//! The boundary fuzzer on the device: a seeded stream of random calls, each checked as it returns.
//!
//! Before a call the fuzzer may scribble on its arena and plant ABI structs
//! there (half the calls get one aimed at by an argument); the slot is any
//! of `0..FUZZ_SLOTS`, the arguments are drawn by [`draw`]. A quarter of
//! the calls instead mutate one that succeeded before (same slot, one
//! argument or its planted struct drawn afresh): what got past the checks
//! once is the way to the paths behind them (a centre that opened gives a
//! handle to trigger and close). After the call:
//! r0 must be an `MvStatus`, never `LATEFAULT` (a range the kernel accepted
//! and could not reach), and a refused call must leave the arenas exactly
//! as they were. Handles the kernel writes are remembered and aimed at.
//! One call in eight is made from unprivileged thread mode and one in
//! sixteen from the handler of a random IRQ ([`FuzzCaller`]): the same
//! rules hold there (an IRQ the app's NVIC does not give it runs no call).
//!
//! The rig may see more: the sim's memory model refuses, and counts, any
//! access the kernel makes outside app memory ([`App::escapes`]), and tells
//! a `LATEFAULT` that came from the bus-error window ([`App::window_faults`]:
//! documented, counted, not a finding). The arenas lie above that window,
//! but a range can still reach it through words no drawing controls (the
//! kernel's copies shift the app's bytes into new words).
//!
//! Two calls are left out on purpose: `mvRestart` and `mvDeepSleep` with a
//! valid mode succeed by restarting the app, which would end the stream.
//! Their mode is redrawn until it is invalid; the success paths are the
//! conformance suite's (`system.restart-okay-restarts-the-app`,
//! `power.deep-sleep-standby-restarts-the-app`). (`mvTestingComplete` ends
//! the app only in application-test mode, which the fuzz never turns on.)

mod draw;

use alloc::vec::Vec;

use mv_abi::{MvDeepSleepMode, MvRestartMode, MvStatus, Slot};
use mv_boards::Board;
use mv_proto::{
    FindingKind, FuzzBatch, FuzzCaller, FuzzFinding, FuzzReport, Refusal, Reply, FUZZ_SLOTS,
    MAX_FINDINGS,
};

use crate::{Allocator, App, Stopped};
use draw::{Drawer, Recent, Rng, Targets};

/// A call that succeeded: its slot, arguments, and the struct one of them
/// pointed at (argument position, type).
#[derive(Clone, Copy)]
struct Success {
    slot: u32,
    args: [u32; 4],
    planted: Option<(usize, &'static mv_abi::StructLayout)>,
}

/// How many successes the stream keeps to mutate, in all and per slot (so
/// the calls that always succeed do not crowd out the deep ones).
const CORPUS: usize = 64;
const PER_SLOT: usize = 3;

/// A stream under way: where it is and what it learnt.
pub(crate) struct FuzzState {
    seed: u64,
    next: u64,
    draw: Drawer,
    corpus: Vec<Success>,
    /// The arenas as the fuzzer last saw them (main arena, then the edge).
    shadow: Vec<u8>,
    /// The arenas now (reused buffer).
    now: Vec<u8>,
}

/// The batch's tally.
struct Tally {
    okay: Vec<u32>,
    findings: Vec<FuzzFinding>,
    more: u32,
    window_latefaults: u32,
}

impl Tally {
    fn find(&mut self, finding: FuzzFinding) {
        if self.findings.len() < MAX_FINDINGS {
            self.findings.push(finding);
        } else {
            self.more += 1;
        }
    }
}

impl FuzzState {
    fn new(board: &Board, batch: &FuzzBatch) -> FuzzState {
        let size = (batch.arena.1 + batch.edge.1) as usize;
        FuzzState {
            seed: batch.seed,
            next: batch.first,
            draw: Drawer {
                rng: Rng::new(batch.seed ^ batch.first.wrapping_mul(0xD6E8_FEB8_6659_FD93)),
                targets: Targets::new(board, batch.arena, batch.edge),
                handles: Recent::new(),
                handle_addrs: Recent::new(),
                plants: Recent::new(),
            },
            corpus: Vec::new(),
            shadow: alloc::vec![0; size],
            now: alloc::vec![0; size],
        }
    }

    /// Reads both arenas into `into`.
    fn read(&self, app: &impl App, into: &mut [u8]) {
        let t = &self.draw.targets;
        let (main, edge) = into.split_at_mut(t.arena.1 as usize);
        app.peek(t.arena.0, main);
        app.peek(t.edge.0, edge);
    }

    /// Stores `bytes` at `addr` (inside the arenas) in app memory and in the shadow.
    fn poke(&mut self, app: &mut impl App, addr: u32, bytes: &[u8]) {
        if let Some(at) = self.draw.targets.offset(addr) {
            app.poke(addr, bytes);
            self.shadow[at..at + bytes.len()].copy_from_slice(bytes);
        }
    }

    /// A hostile app scribbles on its memory now and then.
    fn scribble(&mut self, app: &mut impl App) {
        let (base, len) = self.draw.targets.arena;
        let at = base + self.draw.rng.below(len - 8);
        let bytes = self.draw.rng.next().to_le_bytes();
        self.poke(app, at, &bytes);
    }

    /// Plants a struct of `layout` in the arena; its address.
    fn plant(&mut self, app: &mut impl App, layout: &'static mv_abi::StructLayout) -> Option<u32> {
        let bytes = self.draw.structure(layout);
        let (base, len) = self.draw.targets.arena;
        let size = bytes.len() as u32;
        if size == 0 || size + 3 > len {
            return None;
        }
        let align = (layout.align as u32).max(1);
        let slots = (len - size - 3) / align;
        let misalign = if self.draw.rng.one_in(16) {
            1 + self.draw.rng.below(3)
        } else {
            0
        };
        let at = base + self.draw.rng.below(slots + 1) * align + misalign;
        self.poke(app, at, &bytes);
        self.draw.plants.push(at);
        Some(at)
    }

    /// A fresh call: random slot and arguments, half of them aimed at a fresh struct.
    fn fresh(&mut self, app: &mut impl App) -> Success {
        let slot = self.draw.rng.below(FUZZ_SLOTS);
        let mut args = [0u32; 4];
        for a in &mut args {
            *a = self.draw.value();
        }
        // A quarter of the calls point one argument at a handle the kernel
        // handed out, stored right before the call (where the kernel wrote
        // it first has likely been planted over since).
        if self.draw.rng.one_in(4) {
            if let Some(handle) = self.draw.handles.pick(&mut self.draw.rng) {
                let at = self.draw.arena_aligned(4);
                self.poke(app, at, &handle.to_le_bytes());
                args[self.draw.rng.below(4) as usize] = at;
            }
        }
        let mut planted = None;
        if self.draw.rng.one_in(2) {
            let arity = Slot::from_number(slot).map_or(4, |s| u32::from(s.arg_count()));
            let position = self.draw.rng.below(arity.max(1)) as usize;
            let layout = self.draw.layout();
            if let Some(at) = self.plant(app, layout) {
                args[position] = at;
                planted = Some((position, layout));
            }
        } else if self.draw.rng.one_in(4) {
            let layout = self.draw.layout();
            self.plant(app, layout);
        }
        Success {
            slot,
            args,
            planted,
        }
    }

    /// A call that succeeded before, one argument (or its struct) drawn afresh.
    fn mutated(&mut self, app: &mut impl App, mut call: Success) -> Success {
        let position = self.draw.rng.below(4) as usize;
        match call.planted {
            Some((at, layout)) if at == position => {
                if let Some(addr) = self.plant(app, layout) {
                    call.args[at] = addr;
                }
            }
            _ => call.args[position] = self.draw.value(),
        }
        call
    }

    /// A quarter of the time, a success to mutate: a slot among those that
    /// succeeded, then one of its calls.
    fn pick_success(&mut self) -> Option<Success> {
        if self.corpus.is_empty() || !self.draw.rng.one_in(4) {
            return None;
        }
        let pick = self.corpus[self.draw.rng.below(self.corpus.len() as u32) as usize];
        let same: Vec<&Success> = self.corpus.iter().filter(|s| s.slot == pick.slot).collect();
        Some(*same[self.draw.rng.below(same.len() as u32) as usize])
    }

    /// Keeps a success: at most [`PER_SLOT`] per slot, replacing one of the
    /// slot's own; a full corpus gives up an entry of its commonest slot.
    fn remember(&mut self, success: Success) {
        let of_slot: Vec<usize> = (0..self.corpus.len())
            .filter(|&i| self.corpus[i].slot == success.slot)
            .collect();
        if of_slot.len() >= PER_SLOT {
            let at = of_slot[self.draw.rng.below(of_slot.len() as u32) as usize];
            self.corpus[at] = success;
        } else if self.corpus.len() < CORPUS {
            self.corpus.push(success);
        } else {
            let commonest = (0..self.corpus.len())
                .max_by_key(|&i| {
                    self.corpus
                        .iter()
                        .filter(|s| s.slot == self.corpus[i].slot)
                        .count()
                })
                .unwrap_or(0);
            self.corpus[commonest] = success;
        }
    }

    /// One call, drawn, made and checked.
    fn call(&mut self, app: &mut impl App, tally: &mut Tally) -> Result<(), Stopped> {
        let index = self.next;
        if self.draw.rng.one_in(8) {
            self.scribble(app);
        }
        let Success {
            slot,
            mut args,
            planted,
        } = match self.pick_success() {
            Some(known) => self.mutated(app, known),
            None => self.fresh(app),
        };
        if slot == Slot::Restart as u32 {
            while MvRestartMode::try_from(args[0]).is_ok() {
                args[0] = self.draw.value();
            }
        }
        // `mvDeepSleep` of a known mode (one byte) ends the app as well.
        if slot == Slot::DeepSleep as u32 {
            while MvDeepSleepMode::try_from(args[0] & 0xFF).is_ok() {
                args[0] = self.draw.value();
            }
        }
        let caller = match self.draw.rng.below(16) {
            0 | 1 => FuzzCaller::Unprivileged,
            2 => FuzzCaller::Irq(self.draw.rng.below(app.irq_lines())),
            _ => FuzzCaller::Thread,
        };
        let status = match caller {
            FuzzCaller::Thread => app.call(slot, args)?,
            FuzzCaller::Unprivileged => app.call_unprivileged(slot, args)?,
            FuzzCaller::Irq(irq) if irq < app.irq_lines() => {
                match app.call_from_irq(irq, slot, args)? {
                    Some(status) => status,
                    // The IRQ is not the app's: no call was made.
                    None => {
                        self.next += 1;
                        return Ok(());
                    }
                }
            }
            FuzzCaller::Irq(_) => app.call(slot, args)?,
        };
        self.next += 1;
        let escapes = app.escapes();
        let window_faults = app.window_faults();
        let mut now = core::mem::take(&mut self.now);
        self.read(app, &mut now);
        let finding = |kind| FuzzFinding {
            index,
            slot,
            args,
            status,
            caller,
            kind,
        };
        if escapes > 0 {
            tally.find(finding(FindingKind::Escape { accesses: escapes }));
        }
        match MvStatus::try_from(status) {
            Ok(MvStatus::Okay) => {
                tally.okay[slot as usize] += 1;
                if let Some((position, _)) = planted {
                    self.learn(&args, position, &now);
                }
                let success = Success {
                    slot,
                    args,
                    planted,
                };
                self.remember(success);
            }
            Ok(MvStatus::LateFault) if window_faults.is_some_and(|n| n > 0) => {
                tally.window_latefaults += 1;
            }
            Ok(MvStatus::LateFault) => tally.find(finding(FindingKind::LateFault)),
            Ok(_) => {
                if let Some(offset) = now.iter().zip(&self.shadow).position(|(a, b)| a != b) {
                    tally.find(finding(FindingKind::ChangedOnRefusal {
                        offset: offset as u32,
                    }));
                }
            }
            Err(_) => tally.find(finding(FindingKind::NotAStatus)),
        }
        self.shadow.copy_from_slice(&now);
        self.now = now;
        Ok(())
    }

    /// After an `OKAY` of a call that read the struct at argument
    /// `planted`: a word it wrote where another argument points is likely a
    /// handle it handed out (a call that reads a struct and writes one word
    /// elsewhere opens something); aim at it, and at where it lives, later.
    fn learn(&mut self, args: &[u32; 4], planted: usize, now: &[u8]) {
        for (i, &a) in args.iter().enumerate() {
            if i == planted {
                continue;
            }
            let Some(at) = self.draw.targets.offset(a) else {
                continue;
            };
            if at % 4 != 0 || at + 4 > now.len() {
                continue;
            }
            let word = |b: &[u8]| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
            let (new, old) = (word(now), word(&self.shadow));
            // A handle is aimed at as a pointer too (it is only a word), and
            // planted where a struct may have a pointer: one that happens
            // to lie in app RAM the fuzzer does not own (the bus-error
            // window, the agent's memory) is not kept.
            if new != old && new != 0 && !self.draw.targets.forbidden(new) {
                self.draw.handles.push(new);
                self.draw.handle_addrs.push(a);
            }
        }
    }
}

/// Runs one batch for the agent whose fuzz state is `state`.
pub(crate) fn run(
    state: &mut Option<FuzzState>,
    board: &Board,
    allocator: &Allocator,
    app: &mut impl App,
    batch: &FuzzBatch,
) -> Result<Reply, Stopped> {
    // Both arenas above the windows inside app RAM: ranges run upwards
    // from the arenas, so they never reach the bus-error window (whose
    // LATEFAULTs are documented) nor memory the agent lives in.
    let windows_end = board.pools.bus_error.1.max(board.pools.privileged_only.1);
    let arenas_ok = batch.arena.1 >= 64
        && batch.edge.1 >= 16
        && batch.arena.0 >= windows_end
        && batch.edge.0 >= windows_end
        && allocator.in_ram_pool(batch.arena.0, batch.arena.1)
        && allocator.in_ram_pool(batch.edge.0, batch.edge.1)
        && batch.edge.0 + batch.edge.1 == board.pools.ns_ram.1;
    if !arenas_ok {
        return Ok(Reply::Refused(Refusal::NotAppMemory));
    }
    if batch.fresh {
        *state = Some(FuzzState::new(board, batch));
    }
    let Some(fuzz) = state
        .as_mut()
        .filter(|f| f.seed == batch.seed && f.next == batch.first)
    else {
        // Not where this agent's stream is: it cannot be continued here.
        return Ok(Reply::Refused(Refusal::BadArgument));
    };
    // The kernel may have written the arenas between batches (a notification
    // posted, a log flushed): start from what is there.
    let mut shadow = core::mem::take(&mut fuzz.shadow);
    fuzz.read(app, &mut shadow);
    fuzz.shadow = shadow;
    let mut tally = Tally {
        okay: alloc::vec![0; FUZZ_SLOTS as usize],
        findings: Vec::new(),
        more: 0,
        window_latefaults: 0,
    };
    for _ in 0..batch.count {
        fuzz.call(app, &mut tally)?;
    }
    Ok(Reply::Fuzzed(FuzzReport {
        calls: batch.count,
        next: fuzz.next,
        okay: tally.okay,
        findings: tally.findings,
        more_findings: tally.more,
        window_latefaults: tally.window_latefaults,
    }))
}

#[cfg(test)]
mod tests;
