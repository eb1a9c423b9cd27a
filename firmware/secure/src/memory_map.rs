//! The AN505 addresses this image hands out or protects (see README.md).

/// The agent's code: SSRAM1 offsets 0x20_0000..0x40_0000, non-secure alias.
pub const NS_CODE_BASE: u32 = 0x0020_0000;
pub const NS_CODE_SIZE: u32 = 0x0020_0000;

/// App RAM: SSRAM3 offsets 0..0x18_0000, non-secure alias. The handoff block
/// is its first 64 bytes.
pub const NS_RAM_BASE: u32 = 0x2820_0000;
pub const NS_RAM_SIZE: u32 = 0x0018_0000;
// The rest of SSRAM3 (0x2838_0000..) stays secure, so an app buffer that
// runs past the end of app RAM runs into secure memory (as on the STM32U585).

/// Non-secure peripheral aliases (UART1 and UART2 are the app's).
pub const NS_PERIPHERALS_BASE: u32 = 0x4000_0000;
pub const NS_PERIPHERALS_LAST: u32 = 0x4FFF_FFFF;

/// Is `[first, last]` inside `[base, base + size)`?
#[must_use]
pub fn within(first: u32, last: u32, base: u32, size: u32) -> bool {
    first >= base && last >= first && last - base < size
}
