//! The AN505 agent's idle wait: asleep in WFI until UART1 receives a byte (or any exception), not spinning.
//!
//! Between requests the agent has nothing to do until the host sends one,
//! into the ring followed by a doorbell byte on UART1, or on UART1 alone.
//! A wait that polled kept QEMU's vCPU thread on a full core while idle.
//! Here the agent arms UART1's RX interrupt, checks once more and sleeps.
//! The lost wakeup (a byte arriving between the last check and the WFI) is
//! closed the usual way: PRIMASK is set before arming and checking, and WFI
//! wakes on an interrupt that is pending even while PRIMASK masks it, so a
//! byte received after arming makes the WFI return at once.
//!
//! The IRQ lines are the cases' too: the armed UART pends line 35 (UART1
//! RX) and 43 (UART1 combined), so disarming clears the pending bits the
//! wait set, restores 35's enable bit and only then unmasks. No handler
//! runs for the wait, and a case finds both lines as it left them. Any
//! other wake (the secure SysTick, which the app's PRIMASK does not mask;
//! an interrupt of the case's) ends the sleep the same way: its handler
//! runs at the unmask and the caller checks again.

use crate::irq;
use crate::uart::Uart;

/// UART1's RX and combined IRQ lines as QEMU's `mps2-an505` wires them
/// (`hw/arm/mps2-tz.c`: UART n's TX, RX and combined interrupts are lines
/// 32 + 2n, 33 + 2n and 42 + n). Line 34 is UART1's *TX* interrupt: arming
/// it left the agent asleep until the secure tick woke it, up to 1 ms per
/// request.
const UART1_RX_IRQ: u32 = 35;
const UART1_COMBINED_IRQ: u32 = 43;

/// `poll()` once more with UART1's RX interrupt armed and, if it has
/// nothing, sleep until an interrupt; what `poll` found, if anything.
pub fn once<T>(uart: Uart, poll: impl FnOnce() -> Option<T>) -> Option<T> {
    // `Primask::Inactive`: PRIMASK set, exceptions of configurable priority
    // masked.
    let was_masked = cortex_m::register::primask::read().is_inactive();
    cortex_m::interrupt::disable();
    let lines = [UART1_RX_IRQ, UART1_COMBINED_IRQ];
    let before = lines.map(irq::status);
    irq::enable(UART1_RX_IRQ);
    uart.set_rx_interrupt(true);
    let found = poll();
    if found.is_none() {
        // The CTRL write lands before the core sleeps.
        cortex_m::asm::dsb();
        cortex_m::asm::wfi();
    }
    uart.set_rx_interrupt(false);
    uart.clear_rx_interrupt();
    for (line, (was_pending, _, _)) in lines.into_iter().zip(before) {
        if !was_pending {
            irq::clear_pending(line);
        }
    }
    let (_, rx_was_enabled, _) = before[0];
    if !rx_was_enabled {
        irq::disable(UART1_RX_IRQ);
    }
    if !was_masked {
        // SAFETY: PRIMASK goes back to what it was on entry (clear); nothing
        // here is left half done for a handler to see.
        unsafe { cortex_m::interrupt::enable() };
    }
    found
}
