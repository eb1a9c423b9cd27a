//! The AN505 cloud link's bytes: UART3 through its secure alias, polled ([`crate::cloud`]), and the shared-memory ring as a second way in.
//!
//! Towards the host the bytes go out on UART3 (QEMU passes them on at
//! once). Towards the device they come from the ring when the host writes
//! there ([`crate::cloud_ring`], whole frames at once) or from UART3 (one
//! byte per QEMU main-loop turn); a host uses one of the two, so the bytes
//! of one frame never mix.

use crate::cloud::Arrival;
use crate::uart::Uart;

/// What the link is, for the boot log.
pub const NAME: &str = "UART3 (secure), and in from the PSRAM ring";

/// The clock SysTick counts: the CPU clock, which is TIMER0's 20 MHz on AN505.
pub const SYSTICK_HZ: u32 = crate::clock::TIMER_HZ;

fn link() -> Uart {
    Uart::secure_uart3()
}

/// Enable UART3's transmitter and receiver; lay the ring out.
pub fn init() {
    link().init_tx_rx();
    crate::cloud_ring::init();
}

/// The next received byte, if one is waiting, and how it came.
pub fn read_byte() -> Option<(u8, Arrival)> {
    crate::cloud_ring::read_byte()
        .map(|b| (b, Arrival::WholeFrames))
        .or_else(|| link().read_byte().map(|b| (b, Arrival::ByteAtATime)))
}

/// Send bytes (blocking).
pub fn write(bytes: &[u8]) {
    link().write(bytes);
}
