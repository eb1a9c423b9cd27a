//! CMSDK APB UART, polled: the secure defmt log on UART0 (transmit only) and
//! the cloud link on UART3 (transmit and receive).
//!
//! QEMU models no baud rate, but it insists on `BAUDDIV >= 16`. The TX
//! register holds one byte; `STATE.TXFULL` says when it is busy. The RX
//! register holds one byte too; `STATE.RXFULL` says one is waiting, and QEMU
//! offers the next byte only after this one was read (its `can_receive` is
//! "RX enabled and RX empty"), so a slow reader delays bytes, never loses
//! them. No UART interrupt is ever enabled here: UART3's IRQs (38 RX, 39 TX,
//! 45 combined) stay the app's, as on the sim.

use crate::cpu::{read32, write32};

const DATA: u32 = 0x00;
const STATE: u32 = 0x04;
const CTRL: u32 = 0x08;
const BAUDDIV: u32 = 0x10;

const STATE_TX_FULL: u32 = 1 << 0;
const STATE_RX_FULL: u32 = 1 << 1;
const CTRL_TX_ENABLE: u32 = 1 << 0;
const CTRL_RX_ENABLE: u32 = 1 << 1;

/// UART0 through its secure alias (its PPC port stays secure).
const UART0_SECURE: u32 = 0x5020_0000;
/// UART3 through its secure alias (its PPC port stays secure).
const UART3_SECURE: u32 = 0x5020_3000;

/// One UART, by base address.
#[derive(Clone, Copy)]
pub struct Uart {
    base: u32,
}

impl Uart {
    pub const fn secure_uart0() -> Uart {
        Uart { base: UART0_SECURE }
    }

    pub const fn secure_uart3() -> Uart {
        Uart { base: UART3_SECURE }
    }

    /// Enable the transmitter only.
    pub fn init_tx(self) {
        self.init(CTRL_TX_ENABLE);
    }

    /// Enable transmitter and receiver (no interrupts).
    pub fn init_tx_rx(self) {
        self.init(CTRL_TX_ENABLE | CTRL_RX_ENABLE);
    }

    fn init(self, ctrl: u32) {
        // SAFETY: a UART at its secure alias whose PPC port stays secure;
        // only this image uses it.
        unsafe {
            write32(self.base + BAUDDIV, 16);
            write32(self.base + CTRL, ctrl);
        }
    }

    /// Send bytes, waiting for room before each one.
    pub fn write(self, bytes: &[u8]) {
        for &byte in bytes {
            // SAFETY: as in `init`; polling STATE and writing DATA.
            unsafe {
                while read32(self.base + STATE) & STATE_TX_FULL != 0 {}
                write32(self.base + DATA, u32::from(byte));
            }
        }
    }

    /// The received byte, if one is waiting (reading it frees the register).
    pub fn read_byte(self) -> Option<u8> {
        // SAFETY: as in `init`; reading DATA only when STATE says it is full.
        unsafe {
            if read32(self.base + STATE) & STATE_RX_FULL == 0 {
                return None;
            }
            Some(read32(self.base + DATA) as u8)
        }
    }
}
