//! `U585Board`: the kernel's board traits on the STM32U585 itself.
//!
//! Memory attribution is the board table of `mv_boards::stm32u585` (the
//! kernel's one authority check) plus the TT instruction ([`crate::nsmem`]);
//! the clock is TIM2 ([`crate::clock`]); the NVIC is the real one; the
//! peripherals the app may poke are the real RCC's shared registers, minus
//! the bit that would stop the kernel's clock; the cloud link is RTT
//! ([`crate::cloud_io`]); the system LED is LD7 (PH7).
//!
//! Not on the part yet: the external flash (the board's octo-SPI NOR needs
//! an OCTOSPI driver) reports a size of 0, so every external-flash range is
//! refused; entropy is xorshift seeded from the clock and the unique ID,
//! not the part's TRNG (the kernel needs handles that are non-zero and
//! distinct, which it checks, not cryptographic randomness).

use mv_boards::stm32u585::{RCC_BASE, SHARED_RCC};
use mv_kernel::board::{
    Clock, ClockTree, DeviceInfo, Entropy, ExternalFlash, ExternalFlashInfo, Peripherals, Power,
    SharedRegister,
};

use crate::clock;
use crate::cpu::{read32, write32};
use crate::rcc::{APB1ENR1_TIM2EN, SYSCLK_HZ};

/// The 96-bit unique device ID.
const UID_BASE: u32 = 0x0BFA_0700;

/// From an RCC register's NS alias to its secure alias.
const RCC_SECURE_OFFSET: u32 = 0x1000_0000;
/// RCC_APB1ENR1, whose TIM2EN the app may not clear.
const APB1ENR1: u32 = 0x9C;

/// GPIOH (secure alias): PH7 drives LD7, the system LED.
const GPIOH: u32 = 0x5202_1C00;
const GPIO_MODER: u32 = 0x00;
const GPIO_BSRR: u32 = 0x18;
const LED_PIN: u32 = 7;
const RCC_AHB2ENR1_SECURE: u32 = 0x5602_0C00 + 0x8C;
const AHB2ENR1_GPIOHEN: u32 = 1 << 7;

/// The board the shared modules name (`crate::device`).
pub type Board = U585Board;

/// The board.
pub struct U585Board {
    registers: [SharedRegister; SHARED_RCC.len()],
    /// xorshift64* state; 0 until the first handle is minted.
    rng: u64,
}

impl U585Board {
    pub fn new() -> U585Board {
        // SAFETY: GPIOH's clock and PH7's mode: the pin is secure (TZEN=1
        // keeps every pin secure until released), and nothing else uses it.
        unsafe {
            write32(
                RCC_AHB2ENR1_SECURE,
                read32(RCC_AHB2ENR1_SECURE) | AHB2ENR1_GPIOHEN,
            );
            let moder = read32(GPIOH + GPIO_MODER) & !(0b11 << (2 * LED_PIN));
            write32(GPIOH + GPIO_MODER, moder | (0b01 << (2 * LED_PIN)));
        }
        U585Board {
            registers: SHARED_RCC.map(|r| SharedRegister {
                addr: RCC_BASE + r.offset,
                writable: if r.offset == APB1ENR1 {
                    r.writable & !APB1ENR1_TIM2EN
                } else {
                    r.writable
                },
            }),
            rng: 0,
        }
    }
}

impl Clock for U585Board {
    fn now_us(&self) -> u64 {
        clock::now_us()
    }
}

impl ExternalFlash for U585Board {
    /// No external flash driver yet: a size of 0 makes the kernel refuse
    /// every range, so nothing below is ever called.
    fn external_flash_info(&self) -> ExternalFlashInfo {
        ExternalFlashInfo {
            chip_id: 0,
            size: 0,
        }
    }

    fn external_flash_read(&mut self, _offset: u32, _buf: &mut [u8]) {}

    fn external_flash_program(&mut self, _offset: u32, _data: &[u8]) {}

    fn external_flash_erase(&mut self, _offset: u32, _len: u32) {}
}

impl Power for U585Board {
    fn set_system_led(&mut self, on: bool) {
        let bit = if on {
            1 << LED_PIN
        } else {
            1 << (LED_PIN + 16)
        };
        // SAFETY: BSRR sets or resets exactly PH7, the LED's pin.
        unsafe { write32(GPIOH + GPIO_BSRR, bit) };
    }
}

impl Entropy for U585Board {
    /// xorshift64*, seeded from the clock and the unique ID when the first
    /// handle is minted (see the module's note).
    fn random_u32(&mut self) -> u32 {
        if self.rng == 0 {
            // SAFETY: the unique ID is read-only.
            let uid = unsafe { read32(UID_BASE) ^ read32(UID_BASE + 4) ^ read32(UID_BASE + 8) };
            let seed = (clock::now_us() << 24) ^ u64::from(uid) ^ 0x9E37_79B9_7F4A_7C15;
            self.rng = seed | 1;
        }
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }
}

impl Peripherals for U585Board {
    fn shared_registers(&self) -> &[SharedRegister] {
        &self.registers
    }

    fn read_register(&mut self, addr: u32) -> u32 {
        // SAFETY: the kernel asks only for allow-listed RCC registers
        // (their NS addresses); read through the secure alias.
        unsafe { read32(addr + RCC_SECURE_OFFSET) }
    }

    fn write_register(&mut self, addr: u32, value: u32) {
        // SAFETY: as in `read_register`; the kernel already kept the bits
        // the app may not change.
        unsafe { write32(addr + RCC_SECURE_OFFSET, value) }
    }
}

impl DeviceInfo for U585Board {
    /// `UV` + 32 hex digits: the 96-bit unique ID, zero-padded on the left.
    fn device_id(&self) -> [u8; 34] {
        let mut id = *b"UV00000000000000000000000000000000";
        for word in 0..3u32 {
            // SAFETY: the unique ID is read-only.
            let value = unsafe { read32(UID_BASE + 4 * (2 - word)) };
            for nibble in 0..8u32 {
                let digit = ((value >> (28 - 4 * nibble)) & 0xF) as u8;
                id[10 + (8 * word + nibble) as usize] = b"0123456789ABCDEF"[usize::from(digit)];
            }
        }
        id
    }

    fn clock_tree(&self) -> ClockTree {
        ClockTree {
            sysclk_hz: SYSCLK_HZ,
            hclk_hz: SYSCLK_HZ,
            pclk1_hz: SYSCLK_HZ,
            pclk2_hz: SYSCLK_HZ,
        }
    }
}
