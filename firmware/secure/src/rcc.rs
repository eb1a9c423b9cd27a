//! The STM32U585 RCC registers Microvisor shares with the app, emulated in secure RAM.
//!
//! AN505 has no RCC. For parity with the sim (and with Microvisor on the
//! STM32U585), `mvPeriphPeek32`/`mvPeriphPoke32` accept exactly the sim's
//! allow-list: the same NS addresses (`0x46020C88..=0x46020CE0`), reset
//! values and writable masks (`harness/sim/src/board.rs`, `SHARED_RCC`).
//! Nothing backs those addresses on AN505, so the values live only here, in
//! secure variables: the kernel's view is the only view.

use mv_kernel::board::SharedRegister;

/// NS alias of the STM32U585 RCC.
pub const RCC_BASE: u32 = 0x4602_0C00;
/// RCC_APB3ENR.LPUART1EN clocks Microvisor's modem UART and stays on.
const LPUART1EN: u32 = 1 << 6;

/// (offset, writable mask, reset value), as in the sim.
const SHARED_RCC: [(u32, u32, u32); 9] = [
    (0x88, 0xFFFF_FFFF, 0x0000_0100), // AHB1ENR
    (0x8C, 0xFFFF_FFFF, 0x0000_0000), // AHB2ENR1
    (0x90, 0xFFFF_FFFF, 0x0000_0000), // AHB2ENR2
    (0x94, 0xFFFF_FFFF, 0x0000_0000), // AHB3ENR
    (0x9C, 0xFFFF_FFFF, 0x0000_0000), // APB1ENR1
    (0xA0, 0xFFFF_FFFF, 0x0000_0000), // APB1ENR2
    (0xA4, 0xFFFF_FFFF, 0x0000_0000), // APB2ENR
    (0xA8, !LPUART1EN, LPUART1EN),    // APB3ENR
    (0xE0, 0xFFFF_FFFF, 0x0000_0000), // CCIPR1
];

/// The emulated registers and their current values.
pub struct Rcc {
    registers: [SharedRegister; SHARED_RCC.len()],
    values: [u32; SHARED_RCC.len()],
}

impl Rcc {
    /// All registers at their reset values.
    pub fn new() -> Rcc {
        Rcc {
            registers: SHARED_RCC.map(|(offset, writable, _)| SharedRegister {
                addr: RCC_BASE + offset,
                writable,
            }),
            values: SHARED_RCC.map(|(_, _, reset)| reset),
        }
    }

    pub fn registers(&self) -> &[SharedRegister] {
        &self.registers
    }

    fn index(&self, addr: u32) -> Option<usize> {
        self.registers.iter().position(|r| r.addr == addr)
    }

    /// The value of an allow-listed register; 0 for any other address (the
    /// kernel never asks for one).
    pub fn read(&self, addr: u32) -> u32 {
        self.index(addr).map_or(0, |i| self.values[i])
    }

    /// Store a value the kernel already masked with the writable bits.
    pub fn write(&mut self, addr: u32, value: u32) {
        if let Some(i) = self.index(addr) {
            self.values[i] = value;
        }
    }
}
