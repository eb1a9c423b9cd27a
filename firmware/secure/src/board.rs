//! `An505Board`: the kernel's board traits on QEMU `mps2-an505`.
//!
//! Memory attribution is the board table of `mv_boards::an505` (the kernel's
//! one authority check) plus the TT instruction; the clock is TIMER0
//! ([`crate::clock`]); the NVIC is the real one; the peripherals are the
//! STM32U585's shared RCC registers, emulated ([`crate::rcc`]); the cloud
//! link is UART3 ([`crate::cloud`]).

use core::cell::Cell;

use mv_boards::an505;
use mv_flash::NorFlash;
use mv_kernel::board::{
    Clock, ClockTree, DeviceInfo, Entropy, ExternalFlash, ExternalFlashInfo, Peripherals, Power,
    SharedRegister,
};

use crate::clock;
use crate::cpu::{read32, write32};
use crate::nvm::Psram;
use crate::rcc::Rcc;

/// The SID this image reports: `UV` + 32 hex digits, fixed in the image.
const DEVICE_ID: [u8; 34] = *b"UV0000000000000000000000000000A505";

/// Microvisor's nominal STM32U585 clocks (160 MHz from the PLL), reported as
/// the sim does for parity. They are not the AN505 FPGA's clocks.
const NOMINAL_HZ: u32 = mv_boards::stm32u585::CLOCK_HZ;

/// FPGAIO `LED` register (secure alias; the PPC keeps FPGAIO secure):
/// LED0 plays Microvisor's system LED.
const FPGAIO_LED: u32 = 0x5030_2000;

/// The board the shared modules name (`crate::device`).
pub type Board = An505Board;

/// The board.
pub struct An505Board {
    rcc: Rcc,
    /// The app's window of the external flash: PSRAM cells past the
    /// internal flash's, in the same file-backed NVM.
    ext_flash: NorFlash<Psram>,
    /// xorshift64* state; 0 until the first handle is minted.
    rng: u64,
    /// The last time handed out, so the clock never goes backwards.
    last_us: Cell<u64>,
}

impl An505Board {
    pub fn new() -> An505Board {
        An505Board {
            rcc: Rcc::new(),
            ext_flash: NorFlash::new(
                Psram,
                an505::EXT_FLASH_NVM_OFFSET,
                mv_boards::external_flash::APP_SIZE,
            ),
            rng: 0,
            last_us: Cell::new(0),
        }
    }
}

impl Clock for An505Board {
    fn now_us(&self) -> u64 {
        let now = clock::now_us().max(self.last_us.get());
        self.last_us.set(now);
        now
    }
}

impl ExternalFlash for An505Board {
    fn external_flash_info(&self) -> ExternalFlashInfo {
        ExternalFlashInfo {
            chip_id: mv_boards::external_flash::CHIP_ID,
            size: self.ext_flash.size(),
        }
    }

    // The kernel checked every range; the model's own guard cannot fail.
    fn external_flash_read(&mut self, offset: u32, buf: &mut [u8]) {
        let _ = self.ext_flash.read(offset, buf);
    }

    fn external_flash_program(&mut self, offset: u32, data: &[u8]) {
        let _ = self.ext_flash.program(offset, data);
    }

    fn external_flash_erase(&mut self, offset: u32, len: u32) {
        let _ = self.ext_flash.erase(offset, len);
    }
}

impl Power for An505Board {
    fn set_system_led(&mut self, on: bool) {
        // SAFETY: FPGAIO is secure (PPC); LED0 is bit 0 of its LED register,
        // which drives nothing but the LED.
        unsafe {
            let leds = read32(FPGAIO_LED);
            write32(FPGAIO_LED, (leds & !1) | u32::from(on));
        }
    }
}

impl Entropy for An505Board {
    /// xorshift64*, seeded from the clock when the first handle is minted.
    /// AN505 has no TRNG; handles only need to be non-zero, distinct (the
    /// kernel checks) and not trivially guessable, not cryptographic.
    fn random_u32(&mut self) -> u32 {
        if self.rng == 0 {
            let seed = (clock::now_us() << 24) ^ u64::from(clock::jitter()) ^ 0x9E37_79B9_7F4A_7C15;
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

impl Peripherals for An505Board {
    fn shared_registers(&self) -> &[SharedRegister] {
        self.rcc.registers()
    }

    fn read_register(&mut self, addr: u32) -> u32 {
        self.rcc.read(addr)
    }

    fn write_register(&mut self, addr: u32, value: u32) {
        self.rcc.write(addr, value);
    }
}

impl DeviceInfo for An505Board {
    fn device_id(&self) -> [u8; 34] {
        DEVICE_ID
    }

    fn clock_tree(&self) -> ClockTree {
        ClockTree {
            sysclk_hz: NOMINAL_HZ,
            hclk_hz: NOMINAL_HZ,
            pclk1_hz: NOMINAL_HZ,
            pclk2_hz: NOMINAL_HZ,
        }
    }
}
