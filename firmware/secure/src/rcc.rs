//! The STM32U585 RCC registers Microvisor shares with the app, emulated in secure RAM.
//!
//! AN505 has no RCC. For parity with the sim (and with Microvisor on the
//! STM32U585), `mvPeriphPeek32`/`mvPeriphPoke32` accept exactly the sim's
//! allow-list: the same NS addresses, reset values and writable masks, from
//! the one table in `mv_boards::stm32u585`.
//! Nothing backs those addresses on AN505, so the values live only here, in
//! secure variables: the kernel's view is the only view.

use mv_kernel::board::SharedRegister;

use mv_boards::stm32u585::{RCC_BASE, SHARED_RCC};

/// The emulated registers and their current values.
pub struct Rcc {
    registers: [SharedRegister; SHARED_RCC.len()],
    values: [u32; SHARED_RCC.len()],
}

impl Rcc {
    /// All registers at their reset values.
    pub fn new() -> Rcc {
        Rcc {
            registers: SHARED_RCC.map(|r| SharedRegister {
                addr: RCC_BASE + r.offset,
                writable: r.writable,
            }),
            values: SHARED_RCC.map(|r| r.reset),
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
