//! The agent core's [`App`] on the sim: app memory, NSC calls into the device, the modelled NVIC.
//!
//! What the hardware does between the app's instructions happens here: a
//! call costs [`CALL_COST_US`] of virtual time, every pending and enabled
//! IRQ runs its (counting) handler after each call and each primitive, and
//! the device's tick runs (log flushing, the polite wait's deadline). An
//! app load from memory the app may not read raises the fault the
//! ARMv8-M core would raise, and the app stops, as it does on target.

use mv_agent_core::{App, IrqStatus, Stopped};
use mv_boards::stm32u585::{attribution, Attribution, IRQ_COUNT};
use mv_device::Restart;
use mv_kernel::board::{Clock, Interrupts};
use mv_proto::{Attack, FaultKind, FaultReport};

use crate::board::{CALL_COST_US, FLOOD_ENTRY_COST_US, SECURE_TICK_US};
use crate::SimCore;

/// Why the app stopped under a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StopCause {
    Fault(FaultReport),
    Restart(Restart),
}

/// The app for the length of one request.
pub(crate) struct SimApp<'a> {
    pub(crate) device: &'a mut SimCore,
    pub(crate) stop: Option<StopCause>,
}

impl SimApp<'_> {
    fn stopped(&mut self, cause: StopCause) -> Stopped {
        self.stop = Some(cause);
        Stopped
    }

    fn tick(&mut self) -> Result<(), Stopped> {
        match self.device.tick() {
            Some(why) => Err(self.stopped(StopCause::Restart(why))),
            None => Ok(()),
        }
    }
}

impl App for SimApp<'_> {
    fn peek(&self, addr: u32, buf: &mut [u8]) {
        let _ = self.device.board().memory.read(addr, buf);
    }

    fn poke(&mut self, addr: u32, data: &[u8]) {
        let _ = self.device.board_mut().memory.write(addr, data);
    }

    fn load(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), Stopped> {
        if self.device.board().memory.read(addr, buf).is_some() {
            return Ok(());
        }
        let len = buf.len() as u32;
        Err(self.stopped(StopCause::Fault(read_fault(addr, len))))
    }

    /// Loads and stores are modelled by the board's attribution, as for
    /// `load`: a secure target raises the SecureFault (AUVIOL) the core
    /// would. Everything else an attack does is an instruction's effect on
    /// the core (a branch, a return, a vector fetch, an exception entry)
    /// and the sim executes no instructions: not modelled, nothing tried.
    fn attack(&mut self, attack: Attack, addr: u32) -> Result<Option<u32>, Stopped> {
        match attack {
            Attack::Load(_) | Attack::Store(_) if attribution(addr) == Attribution::Secure => {
                Err(self.stopped(StopCause::Fault(read_fault(addr, 4))))
            }
            _ => Ok(None),
        }
    }

    fn call(&mut self, slot: u32, args: [u32; 4]) -> Result<u32, Stopped> {
        self.device.board_mut().advance_us(CALL_COST_US);
        let (status, restart) = self.device.syscall(slot, args);
        self.device.board_mut().run_pending_handlers();
        match restart {
            Some(why) => Err(self.stopped(StopCause::Restart(why))),
            None => Ok(status),
        }
    }

    fn delay_us(&mut self, us: u32) -> Result<(), Stopped> {
        self.device.board_mut().advance_us(u64::from(us));
        self.tick()
    }

    fn irq_lines(&self) -> u32 {
        IRQ_COUNT
    }

    fn irq_enable(&mut self, irq: u32, enabled: bool) {
        self.device.board_mut().set_enabled(irq, enabled);
    }

    fn irq_clear_pending(&mut self, irq: u32) {
        self.device.board_mut().clear_pending(irq);
    }

    fn irq_pend(&mut self, irq: u32) {
        self.device.board_mut().set_pending(irq);
    }

    /// The handler runs while the IRQ is pending and enabled, each entry
    /// [`FLOOD_ENTRY_COST_US`] on the virtual clock, and pends it again
    /// first thing; the secure clock's tick pre-empts it every
    /// [`SECURE_TICK_US`] (its flood watch sees the IRQ active), as the
    /// AN505 image's SysTick does. The flood ends when the entries run out
    /// or the NVIC stops taking the IRQ (the device disabled it).
    fn irq_flood(&mut self, irq: u32, max_entries: u32) -> Result<u32, Stopped> {
        let bit = 1u128 << irq;
        let mut entries = 0;
        let mut next_tick = self.device.board().now_us() + SECURE_TICK_US;
        if max_entries > 0 {
            self.device.board_mut().set_pending(irq);
        }
        let mut restart = None;
        while entries < max_entries {
            let board = self.device.board_mut();
            if !(board.is_pending(irq) && board.is_enabled(irq)) {
                break;
            }
            board.clear_pending(irq);
            board.active |= bit;
            board.handled[irq as usize] += 1;
            entries += 1;
            if entries < max_entries {
                board.set_pending(irq);
            }
            board.advance_us(FLOOD_ENTRY_COST_US);
            if board.now_us() >= next_tick {
                next_tick += SECURE_TICK_US;
                // A restart the tick asks for waits for the app's thread
                // mode, as on AN505 (never under one of its handlers).
                restart = restart.or(self.device.tick());
            }
            self.device.board_mut().active &= !bit;
        }
        self.device.board_mut().clear_pending(irq);
        match restart {
            Some(why) => Err(self.stopped(StopCause::Restart(why))),
            None => Ok(entries),
        }
    }

    /// The pend is taken at once (the agent runs at thread level): the
    /// handler runs, counted, and makes the call with the kernel seeing an
    /// interrupt handler as its caller; IRQs the call pended run after it.
    fn call_from_irq(
        &mut self,
        irq: u32,
        slot: u32,
        args: [u32; 4],
    ) -> Result<Option<u32>, Stopped> {
        let board = self.device.board_mut();
        if !board.is_ns_irq(irq) {
            return Ok(None);
        }
        let was_enabled = board.is_enabled(irq);
        board.set_enabled(irq, true);
        board.handled[irq as usize] += 1;
        board.advance_us(CALL_COST_US);
        board.in_handler = true;
        let (status, restart) = self.device.syscall(slot, args);
        let board = self.device.board_mut();
        board.in_handler = false;
        board.run_pending_handlers();
        board.set_enabled(irq, was_enabled);
        match restart {
            Some(why) => Err(self.stopped(StopCause::Restart(why))),
            None => Ok(Some(status)),
        }
    }

    /// Thread mode without privilege for the call: the board's TT model
    /// then applies the app's MPU as an unprivileged access.
    fn call_unprivileged(&mut self, slot: u32, args: [u32; 4]) -> Result<u32, Stopped> {
        self.device.board_mut().unprivileged = true;
        let status = self.call(slot, args);
        self.device.board_mut().unprivileged = false;
        status
    }

    /// The board's `VTOR_NS` is what the kernel reads (`ns_vector_table`).
    fn call_with_vtor(&mut self, vtor: u32, slot: u32, args: [u32; 4]) -> Result<u32, Stopped> {
        let old = core::mem::replace(&mut self.device.board_mut().vtor, vtor);
        let status = self.call(slot, args);
        self.device.board_mut().vtor = old;
        status
    }

    fn irq_status(&self, irq: u32) -> IrqStatus {
        let board = self.device.board();
        IrqStatus {
            pending: board.is_pending(irq),
            enabled: board.is_enabled(irq),
            handled: board.handled[irq as usize],
        }
    }

    fn settle(&mut self) -> Result<(), Stopped> {
        self.device.board_mut().run_pending_handlers();
        self.tick()
    }

    fn escapes(&mut self) -> u32 {
        self.device.board_mut().take_escapes()
    }

    fn window_faults(&mut self) -> Option<u32> {
        Some(self.device.board_mut().take_window_faults())
    }
}

/// What an ARMv8-M core raises when the non-secure app loads from memory it
/// may not read: a SecureFault (SFSR.AUVIOL) for secure memory, a precise
/// BusFault for an address with nothing behind it. Reported at the first
/// byte that is not app memory.
fn read_fault(addr: u32, len: u32) -> FaultReport {
    let first_bad = (0..len.max(1))
        .map(|i| addr.wrapping_add(i))
        .find(|&a| !matches!(attribution(a), Attribution::AppRam | Attribution::AppFlash))
        .unwrap_or(addr);
    let (kind, registers) = match attribution(first_bad) {
        Attribution::Secure => (
            FaultKind::SecureFault,
            // AUVIOL | SFARVALID
            vec![("SFSR".into(), 0x48), ("SFAR".into(), first_bad)],
        ),
        _ => (
            FaultKind::BusFault,
            // PRECISERR | BFARVALID
            vec![("CFSR".into(), 0x8200), ("BFAR".into(), first_bad)],
        ),
    };
    FaultReport { kind, registers }
}
