//! The kernel's `Interrupts` on every board: the real NVIC, seen from the secure world.

use mv_kernel::board::Interrupts;

use crate::board::Board;
use crate::cpu::read32;
use crate::map::IRQ_COUNT;
use crate::{cpu, nvic};

/// The non-secure VTOR (secure alias of the NS SCB).
const VTOR_NS: u32 = 0xE002_ED08;

impl Interrupts for Board {
    fn is_ns_irq(&self, irq: u32) -> bool {
        irq < IRQ_COUNT && nvic::is_non_secure(irq)
    }

    fn pend_irq(&mut self, irq: u32) {
        nvic::pend(irq);
    }

    fn caller_in_interrupt(&self) -> bool {
        cpu::ipsr() != 0
    }

    fn set_irq_fast(&mut self, irq: u32, fast: bool) {
        nvic::set_fast(irq, fast);
    }

    fn set_irq_enabled(&mut self, irq: u32, enabled: bool) {
        nvic::set_enabled(irq, enabled);
    }

    fn irq_busy(&self, irq: u32) -> bool {
        nvic::is_busy(irq)
    }

    fn ns_vector_table(&self) -> u32 {
        // SAFETY: reading VTOR_NS through the secure alias has no side effect.
        unsafe { read32(VTOR_NS) }
    }
}
