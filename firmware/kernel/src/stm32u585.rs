//! STM32U585 facts the kernel's boards share: the registers Microvisor lets
//! the app reach through `mvPeriphPeek32`/`mvPeriphPoke32`.
//!
//! One table for every board that offers them (the sim's model, and the
//! AN505 image, which emulates them for parity), so the rigs cannot drift.

/// NS alias of the STM32U585 RCC.
pub const RCC_BASE: u32 = 0x4602_0C00;

/// RCC_APB3ENR.LPUART1EN clocks Microvisor's modem UART: not app-writable.
pub const LPUART1EN: u32 = 1 << 6;

/// One shared register: offset from [`RCC_BASE`], the bits the app may
/// change, and the value after reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedRcc {
    pub offset: u32,
    pub writable: u32,
    pub reset: u32,
}

const fn reg(offset: u32, writable: u32, reset: u32) -> SharedRcc {
    SharedRcc {
        offset,
        writable,
        reset,
    }
}

/// The allow-list (firmware/ABI.md §6).
pub const SHARED_RCC: [SharedRcc; 9] = [
    reg(0x88, 0xFFFF_FFFF, 0x0000_0100), // AHB1ENR
    reg(0x8C, 0xFFFF_FFFF, 0x0000_0000), // AHB2ENR1
    reg(0x90, 0xFFFF_FFFF, 0x0000_0000), // AHB2ENR2
    reg(0x94, 0xFFFF_FFFF, 0x0000_0000), // AHB3ENR
    reg(0x9C, 0xFFFF_FFFF, 0x0000_0000), // APB1ENR1
    reg(0xA0, 0xFFFF_FFFF, 0x0000_0000), // APB1ENR2
    reg(0xA4, 0xFFFF_FFFF, 0x0000_0000), // APB2ENR
    reg(0xA8, !LPUART1EN, LPUART1EN),    // APB3ENR: the modem UART clock stays on
    reg(0xE0, 0xFFFF_FFFF, 0x0000_0000), // CCIPR1
];
