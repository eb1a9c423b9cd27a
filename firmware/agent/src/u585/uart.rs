//! USART1 through its non-secure alias: the agent link on the ST-LINK virtual COM port (PA9 TX, PA10 RX, 115200 8N1).
//!
//! The secure image clocks GPIOA and USART1 and releases PA9/PA10 to the
//! non-secure world; the agent puts the pins on alternate function 7 and
//! runs the USART with its 8-byte FIFOs, polled. An overrun (the host sent
//! faster than the agent read) is cleared and the frame it broke is
//! dropped by the link's framing, as a bad frame.

/// USART1 and GPIOA, non-secure aliases.
const USART1: usize = 0x4001_3800;
const GPIOA: usize = 0x4202_0000;

const CR1: usize = 0x00;
const BRR: usize = 0x0C;
const ISR: usize = 0x1C;
const ICR: usize = 0x20;
const RDR: usize = 0x24;
const TDR: usize = 0x28;
const CR1_UE: u32 = 1 << 0;
const CR1_RE: u32 = 1 << 2;
const CR1_TE: u32 = 1 << 3;
const CR1_FIFOEN: u32 = 1 << 29;
const ISR_ORE: u32 = 1 << 3;
/// With the FIFO on: RX FIFO not empty, TX FIFO not full.
const ISR_RXFNE: u32 = 1 << 5;
const ISR_TXFNF: u32 = 1 << 7;
const ICR_ORECF: u32 = 1 << 3;

const GPIO_MODER: usize = 0x00;
const GPIO_AFRH: usize = 0x24;
const PINS: [u32; 2] = [9, 10];
const AF7: u32 = 7;

/// USART1's kernel clock (PCLK2, the secure image's 160 MHz) over the baud rate.
const BRR_115200: u32 = 160_000_000 / 115_200;

fn read(addr: usize) -> u32 {
    // SAFETY: a register of USART1 or GPIOA, non-secure and the agent's.
    unsafe { core::ptr::read_volatile(addr as *const u32) }
}

fn write(addr: usize, value: u32) {
    // SAFETY: as in `read`.
    unsafe { core::ptr::write_volatile(addr as *mut u32, value) }
}

/// The agent link.
#[derive(Clone, Copy)]
pub struct Uart;

impl Uart {
    pub const fn agent_link() -> Uart {
        Uart
    }

    /// PA9/PA10 on AF7, then the USART at 115200 8N1 (the receiver if `rx`).
    pub fn init(self, rx: bool) {
        let mut moder = read(GPIOA + GPIO_MODER);
        let mut afrh = read(GPIOA + GPIO_AFRH);
        for pin in PINS {
            moder = (moder & !(0b11 << (2 * pin))) | (0b10 << (2 * pin));
            afrh = (afrh & !(0xF << (4 * (pin - 8)))) | (AF7 << (4 * (pin - 8)));
        }
        write(GPIOA + GPIO_AFRH, afrh);
        write(GPIOA + GPIO_MODER, moder);
        write(USART1 + CR1, 0);
        write(USART1 + BRR, BRR_115200);
        let rx_bit = if rx { CR1_RE } else { 0 };
        write(USART1 + CR1, CR1_FIFOEN | CR1_TE | rx_bit | CR1_UE);
    }

    pub fn write(self, bytes: &[u8]) {
        for &byte in bytes {
            while read(USART1 + ISR) & ISR_TXFNF == 0 {}
            write(USART1 + TDR, u32::from(byte));
        }
    }

    /// Wait for and return the next received byte.
    pub fn read_byte(self) -> u8 {
        loop {
            let isr = read(USART1 + ISR);
            if isr & ISR_RXFNE != 0 {
                return (read(USART1 + RDR) & 0xFF) as u8;
            }
            if isr & ISR_ORE != 0 {
                write(USART1 + ICR, ICR_ORECF);
            }
        }
    }
}
