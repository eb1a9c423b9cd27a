//! `mvSetFastInterrupt`, `mvClearFastInterrupt`, `mvEnableFastInterrupt`, `mvDisableFastInterrupt`, `mvEnableAllFastInterrupts`, `mvDisableAllFastInterrupts`.

use mv_abi::MvStatus;

use crate::board::{Access, Board};
use crate::fast_irq::MAX_IRQS;
use crate::usermem::{read_u32, NsRange};
use crate::Kernel;

/// Exceptions before IRQ 0 in an ARMv8-M vector table.
const SYSTEM_VECTORS: u32 = 16;

impl<B: Board> Kernel<B> {
    /// `irqn` is an IRQ the app's NVIC has: `INVALIDINTERRUPT` otherwise.
    fn app_irq(&self, irq: u32) -> Result<(), MvStatus> {
        if irq < MAX_IRQS && self.board.is_ns_irq(irq) {
            Ok(())
        } else {
            Err(MvStatus::InvalidInterrupt)
        }
    }

    /// "VTOR or interrupt vector is not in non-secure memory" [H]: the
    /// table's entry for `irq` and the handler it names must both be app
    /// memory (the one authority check), else `INVALIDVECTOR`.
    fn check_vector(&mut self, irq: u32) -> Result<(), MvStatus> {
        let invalid = |_| MvStatus::InvalidVector;
        let vtor = self.board.ns_vector_table();
        let entry = vtor
            .checked_add(4 * (SYSTEM_VECTORS + irq))
            .ok_or(MvStatus::InvalidVector)?;
        NsRange::claim(&self.board, vtor, 4, 4, Access::Read).map_err(invalid)?;
        let entry = NsRange::claim(&self.board, entry, 4, 4, Access::Read).map_err(invalid)?;
        let handler = read_u32(&mut self.board, &entry).map_err(|_| MvStatus::InvalidVector)?;
        NsRange::claim(&self.board, handler & !1, 2, 2, Access::Read).map_err(invalid)?;
        Ok(())
    }

    fn fast_available(&self) -> Result<(), MvStatus> {
        if self.fast.is_shut_down() {
            Err(MvStatus::Unavailable)
        } else {
            Ok(())
        }
    }

    /// Makes the NVIC enable bit of `irq` what the fast state says.
    fn apply_fast_enable(&mut self, irq: u32) {
        let on = self.fast.nvic_enabled(irq);
        self.board.set_irq_enabled(irq, on);
    }

    pub(crate) fn set_fast_interrupt(&mut self, irq: u32) -> Result<(), MvStatus> {
        self.app_irq(irq)?;
        self.check_vector(irq)?;
        self.fast_available()?;
        self.fast.set_fast(irq, true);
        self.board.set_irq_fast(irq, true);
        self.apply_fast_enable(irq);
        Ok(())
    }

    /// **Choice**: an IRQ that is not fast is `OKAY` and nothing changes; a
    /// fast one gets its ordinary priority back, disabled (its enable state
    /// belonged to the fast interrupt).
    pub(crate) fn clear_fast_interrupt(&mut self, irq: u32) -> Result<(), MvStatus> {
        self.app_irq(irq)?;
        self.fast_available()?;
        if self.fast.is_fast(irq) {
            self.fast.set_fast(irq, false);
            self.board.set_irq_enabled(irq, false);
            self.board.set_irq_fast(irq, false);
        }
        Ok(())
    }

    /// **Choice**: only a fast IRQ is enabled or disabled through the
    /// kernel; any other is `INVALIDINTERRUPT` (the app's own NVIC
    /// enables its ordinary IRQs).
    pub(crate) fn enable_fast_interrupt(&mut self, irq: u32, on: bool) -> Result<(), MvStatus> {
        self.app_irq(irq)?;
        if !self.fast.is_fast(irq) {
            return Err(MvStatus::InvalidInterrupt);
        }
        self.fast_available()?;
        self.fast.set_enabled(irq, on);
        self.apply_fast_enable(irq);
        Ok(())
    }

    /// The global gate; the header lists no failure.
    pub(crate) fn all_fast_interrupts(&mut self, open: bool) -> Result<(), MvStatus> {
        self.fast.set_gate(open);
        for irq in 0..MAX_IRQS {
            if self.fast.is_fast(irq) {
                self.apply_fast_enable(irq);
            }
        }
        Ok(())
    }

    /// A fast interrupt hung or flooded (the board's watchdog saw it): fast
    /// interrupts are shut down until the app restarts. Every fast IRQ is
    /// disabled and gets its ordinary priority back; the calls answer
    /// `UNAVAILABLE` ("Code is being shut down after a hung interrupt or
    /// interrupt flood" [H]).
    pub fn shut_down_fast_interrupts(&mut self) {
        self.fast.shut_down();
        self.release_fast_interrupts();
    }

    /// One sample of the flood watch ([`crate::flood_watch`]), on every tick
    /// of the board's secure clock: are the app's fast interrupts busy? A
    /// flood or a hung handler shuts them down; `true` when this sample did.
    pub fn watch_fast_interrupts(&mut self) -> bool {
        if self.fast.is_shut_down() {
            return false;
        }
        let busy = self.fast.iter().any(|irq| self.board.irq_busy(irq));
        let now = self.board.now_us();
        if !self.flood.sample(busy, now) {
            return false;
        }
        self.shut_down_fast_interrupts();
        true
    }

    /// Disables every fast IRQ and gives it its ordinary priority back
    /// (shut-down, and an app restart).
    pub(crate) fn release_fast_interrupts(&mut self) {
        for irq in 0..MAX_IRQS {
            if self.fast.is_fast(irq) {
                self.board.set_irq_enabled(irq, false);
                self.board.set_irq_fast(irq, false);
            }
        }
    }

    /// The IRQs the app made fast (for the board's watchdog).
    pub fn fast_interrupts(&self) -> impl Iterator<Item = u32> + '_ {
        self.fast.iter()
    }
}
