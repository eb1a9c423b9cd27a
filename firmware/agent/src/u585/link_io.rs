//! The STM32U585 agent link's bytes: USART1 both ways (the ST-LINK virtual COM port).

use crate::uart::Uart;

/// The agent link's bytes.
pub struct LinkIo {
    uart: Uart,
}

impl LinkIo {
    /// Set USART1 up, receiver included.
    pub fn open() -> LinkIo {
        let uart = Uart::agent_link();
        uart.init(true);
        LinkIo { uart }
    }

    /// Wait for and return the next received byte.
    pub fn read_byte(&self) -> u8 {
        self.uart.read_byte()
    }

    /// Send bytes (blocking).
    pub fn write(&self, bytes: &[u8]) {
        self.uart.write(bytes);
    }
}
