//! The AN505 cloud link's bytes: UART3 through its secure alias, polled ([`crate::cloud`]).

use crate::uart::Uart;

/// What the link is, for the boot log.
pub const NAME: &str = "UART3 (secure)";

/// The clock SysTick counts: the CPU clock, which is TIMER0's 20 MHz on AN505.
pub const SYSTICK_HZ: u32 = crate::clock::TIMER_HZ;

fn link() -> Uart {
    Uart::secure_uart3()
}

/// Enable UART3's transmitter and receiver.
pub fn init() {
    link().init_tx_rx();
}

/// The next received byte, if one is waiting.
pub fn read_byte() -> Option<u8> {
    link().read_byte()
}

/// Send bytes (blocking).
pub fn write(bytes: &[u8]) {
    link().write(bytes);
}
