//! CMSDK APB UART through its non-secure alias: UART1 (agent link) and UART2 (agent log).
//!
//! QEMU models no baud rate but insists on `BAUDDIV >= 16`. Both directions
//! are polled: STATE bit 0 is "TX full", bit 1 "RX full"; the RX interrupt
//! is raised only while the agent sleeps ([`crate::sleep`]). QEMU only hands
//! the UART a byte when its one-byte RX register is free, so polling loses
//! nothing; the host side buffers.

const DATA: usize = 0x00;
const STATE: usize = 0x04;
const CTRL: usize = 0x08;
/// INTSTATUS on read, INTCLEAR on write (write one to clear).
const INTCLEAR: usize = 0x0C;
const BAUDDIV: usize = 0x10;

const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;
const CTRL_TX_ENABLE: u32 = 1 << 0;
const CTRL_RX_ENABLE: u32 = 1 << 1;
const CTRL_RX_INT_ENABLE: u32 = 1 << 3;
const INT_RX: u32 = 1 << 1;

/// Non-secure aliases; the secure image made their PPC ports non-secure.
const UART1_NS: usize = 0x4020_1000;
const UART2_NS: usize = 0x4020_2000;

/// One UART, by base address.
#[derive(Clone, Copy)]
pub struct Uart {
    base: usize,
}

impl Uart {
    pub const fn agent_link() -> Uart {
        Uart { base: UART1_NS }
    }

    pub const fn agent_log() -> Uart {
        Uart { base: UART2_NS }
    }

    fn read_reg(self, offset: usize) -> u32 {
        // SAFETY: a register of this UART, non-secure and owned by the agent.
        unsafe { core::ptr::read_volatile((self.base + offset) as *const u32) }
    }

    fn write_reg(self, offset: usize, value: u32) {
        // SAFETY: as in `read_reg`.
        unsafe { core::ptr::write_volatile((self.base + offset) as *mut u32, value) }
    }

    /// Enable the transmitter, and the receiver if `rx`.
    pub fn init(self, rx: bool) {
        self.write_reg(BAUDDIV, 16);
        let rx_bit = if rx { CTRL_RX_ENABLE } else { 0 };
        self.write_reg(CTRL, CTRL_TX_ENABLE | rx_bit);
    }

    pub fn write(self, bytes: &[u8]) {
        for &byte in bytes {
            while self.read_reg(STATE) & STATE_TX_FULL != 0 {}
            self.write_reg(DATA, u32::from(byte));
        }
    }

    /// Raise (or stop raising) the RX interrupt for bytes received from
    /// now on; a byte already waiting raises nothing (the model sets the
    /// interrupt status only on receipt), so check [`Uart::try_read_byte`]
    /// after arming.
    pub fn set_rx_interrupt(self, on: bool) {
        let ctrl = self.read_reg(CTRL) & !CTRL_RX_INT_ENABLE;
        let bit = if on { CTRL_RX_INT_ENABLE } else { 0 };
        self.write_reg(CTRL, ctrl | bit);
    }

    /// Clear a raised RX interrupt (its lines drop).
    pub fn clear_rx_interrupt(self) {
        self.write_reg(INTCLEAR, INT_RX);
    }

    /// The received byte, if one is waiting.
    pub fn try_read_byte(self) -> Option<u8> {
        (self.read_reg(STATE) & STATE_RX_FULL != 0).then(|| (self.read_reg(DATA) & 0xFF) as u8)
    }
}
