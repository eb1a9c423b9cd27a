//! The clock tree: MSIS 4 MHz → PLL1 → 160 MHz SYSCLK, as Microvisor runs the part (RM0456 "RCC", "PWR").
//!
//! In order: the PWR clock on; voltage range 1 with the EPOD booster (needed
//! above 55 MHz), waiting for both ready flags; four flash wait states (the
//! table for 160 MHz in range 1); PLL1 from MSIS (4 MHz, the reset range:
//! input range 4–8 MHz, M = 1, N = 80 → 320 MHz VCO, R = 2 → 160 MHz);
//! SYSCLK from PLL1, AHB and both APBs undivided. Then the clocks of what
//! this image and the app's agent link use: TIM2 (the kernel's µs clock),
//! GPIOA and USART1 (the ST-LINK virtual COM port).

use crate::cpu::{read32, write32};

/// SYSCLK = HCLK = PCLK1 = PCLK2 after [`clock_tree`].
pub const SYSCLK_HZ: u32 = 160_000_000;

/// Secure aliases.
const RCC: u32 = 0x5602_0C00;
const PWR: u32 = 0x5602_0800;
const FLASH_ACR: u32 = 0x5002_2000;

const RCC_CR: u32 = RCC;
const CR_PLL1ON: u32 = 1 << 24;
const CR_PLL1RDY: u32 = 1 << 25;
const RCC_CFGR1: u32 = RCC + 0x1C;
const CFGR1_SW_PLL1: u32 = 0b11;
const CFGR1_SWS_MASK: u32 = 0b11 << 2;
const RCC_CFGR2: u32 = RCC + 0x20;
const RCC_PLL1CFGR: u32 = RCC + 0x28;
/// PLL1SRC = MSIS (0b01), PLL1RGE = 4–8 MHz (0b00 at bit 2), PLL1M = 1
/// (the field at bit 8 holds M − 1 = 0), PLL1REN (bit 18).
const PLL1CFGR: u32 = 0b01 | (1 << 18);
const RCC_PLL1DIVR: u32 = RCC + 0x34;
/// PLL1N = 80, P = Q = 2, R = 2 (each field holds the value − 1).
const PLL1DIVR: u32 = 79 | (1 << 9) | (1 << 16) | (1 << 24);
const RCC_AHB2ENR1: u32 = RCC + 0x8C;
const AHB2ENR1_GPIOAEN: u32 = 1 << 0;
const RCC_AHB3ENR: u32 = RCC + 0x94;
const AHB3ENR_PWREN: u32 = 1 << 2;
const RCC_APB1ENR1: u32 = RCC + 0x9C;
pub const APB1ENR1_TIM2EN: u32 = 1 << 0;
const RCC_APB2ENR: u32 = RCC + 0xA4;
const APB2ENR_USART1EN: u32 = 1 << 14;

const PWR_VOSR: u32 = PWR + 0x0C;
const VOSR_BOOSTRDY: u32 = 1 << 14;
const VOSR_VOSRDY: u32 = 1 << 15;
const VOSR_RANGE1: u32 = 0b11 << 16;
const VOSR_BOOSTEN: u32 = 1 << 18;

/// Wait states for 160 MHz in range 1.
const LATENCY_160MHZ: u32 = 4;

fn wait_for(addr: u32, mask: u32, value: u32) {
    // SAFETY: reading a status register has no side effect.
    while unsafe { read32(addr) } & mask != value {}
}

/// Run the part at 160 MHz (once, at boot, before anything depends on the clock).
pub fn clock_tree() {
    // SAFETY (whole block): RCC, PWR and FLASH_ACR through their secure
    // aliases, in the order RM0456 gives for raising the clock; nothing
    // else runs yet.
    unsafe {
        write32(RCC_AHB3ENR, read32(RCC_AHB3ENR) | AHB3ENR_PWREN);
        let vosr = read32(PWR_VOSR) & !(0b11 << 16);
        write32(PWR_VOSR, vosr | VOSR_RANGE1 | VOSR_BOOSTEN);
        wait_for(
            PWR_VOSR,
            VOSR_VOSRDY | VOSR_BOOSTRDY,
            VOSR_VOSRDY | VOSR_BOOSTRDY,
        );
        write32(FLASH_ACR, (read32(FLASH_ACR) & !0xF) | LATENCY_160MHZ);
        wait_for(FLASH_ACR, 0xF, LATENCY_160MHZ);
        write32(RCC_PLL1CFGR, PLL1CFGR);
        write32(RCC_PLL1DIVR, PLL1DIVR);
        write32(RCC_CR, read32(RCC_CR) | CR_PLL1ON);
        wait_for(RCC_CR, CR_PLL1RDY, CR_PLL1RDY);
        write32(RCC_CFGR2, 0);
        write32(RCC_CFGR1, (read32(RCC_CFGR1) & !0b11) | CFGR1_SW_PLL1);
        wait_for(RCC_CFGR1, CFGR1_SWS_MASK, CFGR1_SW_PLL1 << 2);
        write32(RCC_APB1ENR1, read32(RCC_APB1ENR1) | APB1ENR1_TIM2EN);
        write32(RCC_AHB2ENR1, read32(RCC_AHB2ENR1) | AHB2ENR1_GPIOAEN);
        write32(RCC_APB2ENR, read32(RCC_APB2ENR) | APB2ENR_USART1EN);
    }
}
