//! The STM32U585 cloud link's bytes: RTT channel "cloud" in secure SRAM ([`crate::rtt`]).

/// What the link is, for the boot log.
pub const NAME: &str = "RTT channel \"cloud\" (secure SRAM)";

/// The clock SysTick counts: the CPU clock ([`crate::rcc::SYSCLK_HZ`]).
pub const SYSTICK_HZ: u32 = crate::rcc::SYSCLK_HZ;

/// Nothing to open: the channels exist from [`crate::rtt::init`].
pub fn init() {}

/// The next received byte, if one is waiting: the probe writes whole
/// frames into the channel.
pub fn read_byte() -> Option<(u8, crate::cloud::Arrival)> {
    crate::rtt::read_cloud_byte().map(|b| (b, crate::cloud::Arrival::WholeFrames))
}

/// Send one frame (whole, or dropped whole when the host is not reading).
pub fn write(bytes: &[u8]) {
    crate::rtt::write_cloud(bytes);
}
