//! The STM32U585 as a Microvisor app sees it (SDK linker script, FOTA article).
//!
//! App flash is the lower 1 MiB at `0x0800_0000`; app RAM is 512 KiB at
//! `0x2000_0000`; the upper half of SRAM3 (`0x2008_0000..0x200C_0000`)
//! belongs to Microvisor, so a buffer that runs past the end of app RAM runs
//! into secure memory. The secure aliases (`0x0C00_0000` flash, `0x3000_0000`
//! SRAM) and the upper 1 MiB of flash are Microvisor's. Anything else is, for
//! an app buffer, unmapped. The RCC registers Microvisor shares with the app
//! are [`SHARED_RCC`].

use mv_kernel::authority::AppRegion;

use crate::{Board, NamedRegion, Pools};

pub const NS_FLASH_BASE: u32 = 0x0800_0000;
pub const NS_FLASH_SIZE: u32 = 0x0010_0000;
pub const NS_RAM_BASE: u32 = 0x2000_0000;
pub const NS_RAM_SIZE: u32 = 0x0008_0000;
/// Microvisor's half of SRAM3, reached through the NS alias addresses.
pub const MV_SRAM3_BASE: u32 = NS_RAM_BASE + NS_RAM_SIZE;
pub const MV_SRAM3_SIZE: u32 = 0x0004_0000;
pub const SECURE_FLASH_BASE: u32 = 0x0C00_0000;
pub const SECURE_FLASH_SIZE: u32 = 0x0020_0000;
pub const SECURE_RAM_BASE: u32 = 0x3000_0000;
pub const SECURE_RAM_SIZE: u32 = 0x000C_0000;
/// The bus-error window: 4 KiB of app RAM, 64 KiB below its end, in an
/// SRAM block the GTZC's MPCBB keeps secure while the SAU calls it
/// non-secure, so the kernel's checks pass and every access faults.
pub const BUS_ERROR_BASE: u32 = MV_SRAM3_BASE - 0x1_0000;
pub const BUS_ERROR_SIZE: u32 = 0x1000;
/// The privileged-only window: 4 KiB of app RAM, 128 KiB below its end,
/// which the agent's MPU region gives to privileged code only.
pub const PRIVILEGED_ONLY_BASE: u32 = MV_SRAM3_BASE - 0x2_0000;
pub const PRIVILEGED_ONLY_SIZE: u32 = 0x1000;
/// Nothing is mapped here (between FMC and OCTOSPI).
pub const UNMAPPED_BASE: u32 = 0x7000_0000;
/// Where the SDK's NSC veneer table is.
pub const NSC_TABLE_BASE: u32 = mv_abi::STM32U585_NSC_TABLE_BASE;

/// Flash: two banks of 1 MiB, 8 KiB pages (the program unit is a 16-byte quad-word).
pub const FLASH_BANK_SIZE: u32 = 0x0010_0000;
pub const FLASH_PAGE_SIZE: u32 = 0x2000;
/// Pages in one bank.
pub const FLASH_BANK_PAGES: u32 = FLASH_BANK_SIZE / FLASH_PAGE_SIZE;
/// The secure image's code: bank 2 from its start, secure alias (the boot
/// address `SECBOOTADD0` names). 384 KiB.
pub const SECURE_IMAGE_BASE: u32 = SECURE_FLASH_BASE + FLASH_BANK_SIZE;
pub const SECURE_IMAGE_SIZE: u32 = 0x0006_0000;
/// The secure image's RAM: Microvisor's half of SRAM3 through the secure alias.
pub const SECURE_IMAGE_RAM_BASE: u32 = SECURE_RAM_BASE + (MV_SRAM3_BASE - NS_RAM_BASE);
pub const SECURE_IMAGE_RAM_SIZE: u32 = MV_SRAM3_SIZE;

/// The OTA engine's areas on the part, as flash page numbers from the
/// start of bank 1 (the fields of `mv_update::Layout`). The app region is
/// bank 1, where the app executes in place; the staging area is bank 2
/// between the secure image and the manifest page, so the largest ROM a
/// download can bring is 608 KiB (Microvisor stages to external flash; see
/// `firmware/secure/README.md`). The last page of bank 2 is the NSC table's.
pub mod ota_pages {
    use super::{FLASH_BANK_PAGES, FLASH_PAGE_SIZE, SECURE_IMAGE_SIZE};

    pub const APP_FIRST: u32 = 0;
    pub const APP_PAGES: u32 = FLASH_BANK_PAGES;
    pub const STAGING_FIRST: u32 = FLASH_BANK_PAGES + SECURE_IMAGE_SIZE / FLASH_PAGE_SIZE;
    pub const MANIFEST: u32 = 2 * FLASH_BANK_PAGES - 4;
    pub const STAGING_PAGES: u32 = MANIFEST - STAGING_FIRST;
    pub const JOURNAL: [u32; 2] = [MANIFEST + 1, MANIFEST + 2];
    /// The NSC table's page (`NSC_TABLE_BASE`).
    pub const NSC: u32 = 2 * FLASH_BANK_PAGES - 1;
}

/// App RAM below this offset is the agent's own (stack, statics).
pub const AGENT_RAM: u32 = 0x1000;
/// App flash below this offset holds the agent image.
pub const AGENT_IMAGE: u32 = 0x0001_0000;

/// Non-secure aliases of the peripherals (APB1/2/3, AHB1/2/3): what the
/// app may reach, through the SAU, subject to the GTZC.
pub const NS_PERIPHERALS_BASE: u32 = 0x4000_0000;
pub const NS_PERIPHERALS_LAST: u32 = 0x4FFF_FFFF;

/// STM32U585 has 125 external interrupts.
pub const IRQ_COUNT: u32 = 125;
/// IRQs Microvisor keeps secure (not targeted to the non-secure world):
/// RTC_S (3), FLASH_S (7), GTZC (8), RCC_S (10), LPUART1 (66, the modem
/// link) and GPDMA1 channel 15 (84, the kernel's DMA).
pub const SECURE_IRQS: [u32; 6] = [3, 7, 8, 10, 66, 84];
/// Microvisor runs the part from the PLL at its 160 MHz maximum.
pub const CLOCK_HZ: u32 = 160_000_000;

/// The app memory: RAM read/write, flash read-only.
pub const APP_REGIONS: [AppRegion; 2] = [
    AppRegion {
        base: NS_RAM_BASE,
        size: NS_RAM_SIZE,
        writable: true,
    },
    AppRegion {
        base: NS_FLASH_BASE,
        size: NS_FLASH_SIZE,
        writable: false,
    },
];

const REGIONS: [NamedRegion; 5] = [
    region("ns-flash", NS_FLASH_BASE, NS_FLASH_SIZE, false, false),
    region("ns-ram", NS_RAM_BASE, NS_RAM_SIZE, false, true),
    region("mv-sram3", MV_SRAM3_BASE, MV_SRAM3_SIZE, true, false),
    region(
        "secure-flash",
        SECURE_FLASH_BASE,
        SECURE_FLASH_SIZE,
        true,
        false,
    ),
    region("secure-ram", SECURE_RAM_BASE, SECURE_RAM_SIZE, true, false),
];

const fn region(
    name: &'static str,
    base: u32,
    size: u32,
    secure: bool,
    app_writable: bool,
) -> NamedRegion {
    NamedRegion {
        name,
        base,
        size,
        secure,
        app_writable,
    }
}

/// The board as the sim models it.
pub const BOARD: Board = Board {
    name: "stm32u585 (sim)",
    app_regions: &APP_REGIONS,
    regions: &REGIONS,
    pools: Pools {
        ns_ram: (NS_RAM_BASE + AGENT_RAM, MV_SRAM3_BASE),
        ns_flash: (NS_FLASH_BASE + AGENT_IMAGE, NS_FLASH_BASE + NS_FLASH_SIZE),
        bus_error: (BUS_ERROR_BASE, BUS_ERROR_BASE + BUS_ERROR_SIZE),
        privileged_only: (
            PRIVILEGED_ONLY_BASE,
            PRIVILEGED_ONLY_BASE + PRIVILEGED_ONLY_SIZE,
        ),
        secure_ram: SECURE_RAM_BASE + 0x1000,
        secure_flash: SECURE_FLASH_BASE + 0x1000,
        unmapped: UNMAPPED_BASE,
    },
    // FLASH_NSCR's page: the flash interface registers, which Microvisor
    // keeps secure (the sim models no peripheral bus: its attacks on them
    // are skipped).
    secure_peripheral: (0x5002_2000, 0x4002_2000),
};

/// App flash below this offset holds the agent image on the part (its
/// `memory-stm32u585.x`): the real image is larger than the sim's
/// [`AGENT_IMAGE`] allows.
pub const PART_AGENT_IMAGE: u32 = 0x0004_0000;

/// The part itself (B-U585I-IOT02A), as the agent image on it reports it:
/// the sim's model with the name of the real thing and room for the real
/// agent image. The `ns_ram` pool starts where the agent's own RAM ends
/// (its `_stack_start`).
pub const PART: Board = Board {
    name: "stm32u585 (b-u585i-iot02a)",
    pools: Pools {
        ns_flash: (
            NS_FLASH_BASE + PART_AGENT_IMAGE,
            NS_FLASH_BASE + NS_FLASH_SIZE,
        ),
        ..BOARD.pools
    },
    ..BOARD
};

/// How an address is attributed (what an app access to it raises).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attribution {
    /// App RAM: the app reads and writes it.
    AppRam,
    /// App flash: the app reads it; writes need the flash controller.
    AppFlash,
    /// App RAM the bus refuses ([`BUS_ERROR_BASE`]): a precise BusFault.
    BusError,
    Secure,
    Unmapped,
}

/// Which region `addr` falls in.
pub fn attribution(addr: u32) -> Attribution {
    let within = |base: u32, size: u32| addr >= base && addr - base < size;
    if within(BUS_ERROR_BASE, BUS_ERROR_SIZE) {
        Attribution::BusError
    } else if within(NS_RAM_BASE, NS_RAM_SIZE) {
        Attribution::AppRam
    } else if within(NS_FLASH_BASE, NS_FLASH_SIZE) {
        Attribution::AppFlash
    } else if within(MV_SRAM3_BASE, MV_SRAM3_SIZE)
        || within(SECURE_FLASH_BASE, SECURE_FLASH_SIZE)
        || within(SECURE_RAM_BASE, SECURE_RAM_SIZE)
        || within(NS_FLASH_BASE + NS_FLASH_SIZE, NS_FLASH_SIZE)
    {
        Attribution::Secure
    } else {
        Attribution::Unmapped
    }
}

/// NS alias of the RCC.
pub const RCC_BASE: u32 = 0x4602_0C00;

/// RCC_APB3ENR.LPUART1EN clocks Microvisor's modem UART: not app-writable.
pub const LPUART1EN: u32 = 1 << 6;

/// One RCC register Microvisor lets the app reach through
/// `mvPeriphPeek32`/`mvPeriphPoke32`: offset from [`RCC_BASE`], the bits
/// the app may change, and the value after reset.
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

/// The allow-list (firmware/ABI.md §6): one table for every board that
/// offers it (the sim's model, and the AN505 image, which emulates it).
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
