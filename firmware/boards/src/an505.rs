//! QEMU `mps2-an505` as this firmware lays it out (see `firmware/secure/README.md`).
//!
//! The app's code is SSRAM1 offsets 2–4 MiB through the NS alias: the lower
//! MiB is the app region the OTA engine installs into (the secure image
//! copies it there from NVM), the upper MiB is the agent's `ns_flash` pool.
//! App RAM is the first 1.5 MiB of SSRAM3 (NS alias), starting with the
//! handoff block; the rest of SSRAM3 stays secure, so an app buffer that runs
//! past the end of app RAM runs into secure memory, as on the STM32U585.

use mv_kernel::authority::AppRegion;

use crate::{Board, NamedRegion, Pools};

/// The app's code memory (SSRAM1 offsets 2–4 MiB, NS alias).
pub const NS_CODE_BASE: u32 = 0x0020_0000;
pub const NS_CODE_SIZE: u32 = 0x0020_0000;
/// The app region: where the installed app runs from (1 MiB).
pub const APP_REGION_SIZE: u32 = 0x0010_0000;
/// App RAM (SSRAM3 offsets 0..1.5 MiB, NS alias); the handoff block is its first 64 bytes.
pub const NS_RAM_BASE: u32 = 0x2820_0000;
pub const NS_RAM_SIZE: u32 = 0x0018_0000;
/// The end of app RAM: the NS/S boundary inside SSRAM3.
pub const NS_RAM_END: u32 = NS_RAM_BASE + NS_RAM_SIZE;
/// The secure rest of SSRAM3.
pub const MV_SSRAM3_SIZE: u32 = 0x0008_0000;
/// Secure code (SSRAM1, S alias) and data (SSRAM2, S alias).
pub const SECURE_CODE_BASE: u32 = 0x1000_0000;
pub const SECURE_CODE_SIZE: u32 = 0x0010_0000;
pub const SECURE_RAM_BASE: u32 = 0x3800_0000;
pub const SECURE_RAM_SIZE: u32 = 0x0020_0000;
/// The secure image's own RAM (memory.x `RAM`): where a secure exception frame can be.
pub const SECURE_IMAGE_RAM_SIZE: u32 = 0x0010_0000;
/// Non-secure peripheral aliases.
pub const NS_PERIPHERALS_BASE: u32 = 0x4000_0000;
pub const NS_PERIPHERALS_LAST: u32 = 0x4FFF_FFFF;
/// The bus-error window: 4 KiB of app RAM, 64 KiB below its end, whose
/// four 1 KiB SSRAM3 MPC blocks the secure image keeps secure (the MPC
/// answers with a bus error, `CTRL.SEC_RESP`): the kernel's checks pass,
/// every access faults.
pub const BUS_ERROR_BASE: u32 = NS_RAM_END - 0x1_0000;
pub const BUS_ERROR_SIZE: u32 = 0x1000;
/// The privileged-only window: 4 KiB of app RAM, 128 KiB below its end,
/// which the agent's MPU region gives to privileged code only.
pub const PRIVILEGED_ONLY_BASE: u32 = NS_RAM_END - 0x2_0000;
pub const PRIVILEGED_ONLY_SIZE: u32 = 0x1000;
/// IRQs the secure image keeps secure on AN505 beyond the kernel's
/// (`stm32u585::SECURE_IRQS`): 9, the SSE-200's MPC combined interrupt. Its
/// MPCs raise it on a blocked access (the bus-error window's blocks) and
/// only secure code can clear it (`INT_CLEAR`), so a line targeted at the
/// app stays asserted: an app that enabled it never left its handler (found
/// by `hil fuzz --rig qemu-an505`, calls from the handler of IRQ 9). The
/// conformance cases never name it, so both rigs still agree on them.
pub const WITHHELD_IRQS: [u32; 1] = [9];
/// UART0's data register, the secure log: its expansion-PPC port stays
/// secure. At its NS alias QEMU 7.2 answers an app access with zero and
/// ignores writes (RAZ/WI) instead of the bus error `SECRESPCFG` asks for
/// (`firmware/secure/README.md`): the PPC still refuses it.
pub const UART0_SECURE: u32 = 0x5020_0000;
pub const UART0_NS_ALIAS: u32 = 0x4020_0000;
/// The app's own timer: CMSDK TIMER1 at its non-secure alias (the secure
/// image opens its APB PPC port to the app), 20 MHz, and its IRQ. The
/// agent arms it to interrupt a system call in progress.
pub const APP_TIMER_NS: u32 = 0x4000_1000;
pub const APP_TIMER_IRQ: u32 = 4;
pub const APP_TIMER_HZ: u32 = 20_000_000;

/// External IRQs QEMU 7.2's AN505 implements (0..=95): as many as its
/// NVIC has lines, so every line is a real IRQ.
pub const IRQ_COUNT: u32 = 96;

/// Nothing answers here (QEMU `info mtree`), and no SAU region covers it.
pub const UNMAPPED_BASE: u32 = 0x6000_0000;
/// PSRAM: the NVM that plays the STM32U585's flash (file-backed by the harness).
pub const PSRAM_BASE: u32 = 0x8000_0000;
pub const PSRAM_SIZE: u32 = 0x0100_0000;
/// Where the app's window of the external flash ([`crate::external_flash`])
/// lives in the PSRAM's cells: 8 MiB in, well past the internal flash's
/// cells (`mv_flash::NvmMap::cells_len`), so it persists in the same file.
pub const EXT_FLASH_NVM_OFFSET: u32 = 0x0080_0000;
/// Where the harness may leave the secure image's code in the PSRAM, 4 MiB
/// in: past the internal flash's cells, before the external flash's window.
/// The image's `__pre_init` (`firmware/secure/src/reload.rs`) makes secure
/// code memory equal to it at every reset, storing only the words that
/// differ, so QEMU need only load (and rewrite at every reset, which
/// throws away what it translated from there) the vector table, `Reset`
/// and `__pre_init` itself. The block is [`SECURE_IMAGE_MAGIC`], a count of
/// segments (at most [`SECURE_IMAGE_MAX_SEGMENTS`]), that many
/// `(address, length)` pairs (words, in secure code memory), then their
/// bytes one after the other. Without the magic the image runs as QEMU
/// loaded it.
pub const SECURE_IMAGE_NVM_OFFSET: u32 = 0x0040_0000;
/// `"MVSC"`: the block at [`SECURE_IMAGE_NVM_OFFSET`] holds secure code.
pub const SECURE_IMAGE_MAGIC: u32 = 0x4353_564D;
/// The most segments the block may list.
pub const SECURE_IMAGE_MAX_SEGMENTS: u32 = 16;
const _: () = assert!(
    SECURE_IMAGE_NVM_OFFSET + 8 + 8 * SECURE_IMAGE_MAX_SEGMENTS + SECURE_CODE_SIZE
        <= EXT_FLASH_NVM_OFFSET
);
/// Where the cloud link's down ring (`mv_proto::ring`) lives in the PSRAM:
/// 15 MiB in, past the cells and the external flash's window, in the same
/// file the harness holds, which is how it writes frames in.
pub const CLOUD_RING_NVM_OFFSET: u32 = 0x00F0_0000;
const _: () = assert!(
    CLOUD_RING_NVM_OFFSET >= EXT_FLASH_NVM_OFFSET + crate::external_flash::CHIP_SIZE
        && CLOUD_RING_NVM_OFFSET < PSRAM_SIZE
);
/// Where the agent link's down ring (`mv_proto::ring`) lives in the PSRAM:
/// 15.5 MiB in, past the cloud link's block, in a window of its own that
/// the SAU makes non-secure so that the app can read it (the rest of the
/// PSRAM, the flash cells and the cloud's block included, stays secure).
/// The app's links are not app memory: no system call may name the window
/// (it is in none of [`APP_REGIONS`]).
pub const AGENT_RING_NVM_OFFSET: u32 = 0x00F8_0000;
/// The non-secure window around the agent's block (a whole SAU region).
pub const AGENT_RING_WINDOW: (u32, u32) = (PSRAM_BASE + AGENT_RING_NVM_OFFSET, 0x0001_0000);
const _: () = assert!(
    AGENT_RING_NVM_OFFSET >= CLOUD_RING_NVM_OFFSET + 0x0001_0000
        && AGENT_RING_NVM_OFFSET + AGENT_RING_WINDOW.1 <= PSRAM_SIZE
);
/// The last word of the agent's window: [`AGENT_READY_UP`] there, written
/// by a host that reads the agent's up channel, asks the agent to send its
/// ready frame up the ring (one doorbell byte on UART1) instead of on
/// UART1. Anything else (a board's lab, the bench's previous way) gets it
/// on UART1.
pub const AGENT_READY_UP_NVM_OFFSET: u32 = AGENT_RING_NVM_OFFSET + AGENT_RING_WINDOW.1 - 4;
/// `"UP!!"`: see [`AGENT_READY_UP_NVM_OFFSET`].
pub const AGENT_READY_UP: u32 = 0x2121_5055;
/// The lab's power rail in the PSRAM, past the rings: two words the
/// harness and the secure image share through the same file. The harness
/// writes [`RAIL_HALT_ON_CUT`] at offset 0 to keep QEMU up across cuts;
/// an armed cut that fires then writes [`RAIL_POWER_OFF`] at offset 4 and
/// halts the core, where the harness sees it, instead of ending QEMU
/// (`mv_abi::exit::ExitCode::PowerCut`), and powers on again with a reset.
pub const POWER_RAIL_NVM_OFFSET: u32 = 0x00FF_F000;
/// `"HALT"`: a cut that fires halts the core (QEMU stays up).
pub const RAIL_HALT_ON_CUT: u32 = 0x544C_4148;
/// `"OFF!"`: a cut fired and the core halted.
pub const RAIL_POWER_OFF: u32 = 0x2146_464F;
const _: () = assert!(
    POWER_RAIL_NVM_OFFSET >= AGENT_RING_NVM_OFFSET + AGENT_RING_WINDOW.1
        && POWER_RAIL_NVM_OFFSET + 8 <= PSRAM_SIZE
);

/// The app memory: RAM read/write, code read-only.
pub const APP_REGIONS: [AppRegion; 2] = [
    AppRegion {
        base: NS_RAM_BASE,
        size: NS_RAM_SIZE,
        writable: true,
    },
    AppRegion {
        base: NS_CODE_BASE,
        size: NS_CODE_SIZE,
        writable: false,
    },
];

const REGIONS: [NamedRegion; 5] = [
    NamedRegion {
        name: "ns-flash",
        base: NS_CODE_BASE,
        size: NS_CODE_SIZE,
        secure: false,
        app_writable: false,
    },
    NamedRegion {
        name: "ns-ram",
        base: NS_RAM_BASE,
        size: NS_RAM_SIZE,
        secure: false,
        app_writable: true,
    },
    NamedRegion {
        name: "mv-sram3",
        base: NS_RAM_END,
        size: MV_SSRAM3_SIZE,
        secure: true,
        app_writable: false,
    },
    NamedRegion {
        name: "secure-flash",
        base: SECURE_CODE_BASE,
        size: SECURE_CODE_SIZE,
        secure: true,
        app_writable: false,
    },
    NamedRegion {
        name: "secure-ram",
        base: SECURE_RAM_BASE,
        size: SECURE_RAM_SIZE,
        secure: true,
        app_writable: false,
    },
];

/// The board. The `ns_ram` pool starts where the agent's own RAM ends,
/// which only the agent's image knows (its `_stack_start`); `.0` here is
/// the start of app RAM after the handoff block.
pub const BOARD: Board = Board {
    name: "mps2-an505 (qemu)",
    app_regions: &APP_REGIONS,
    regions: &REGIONS,
    pools: Pools {
        ns_ram: (NS_RAM_BASE + mv_abi::handoff::HANDOFF_SIZE, NS_RAM_END),
        ns_flash: (NS_CODE_BASE + APP_REGION_SIZE, NS_CODE_BASE + NS_CODE_SIZE),
        bus_error: (BUS_ERROR_BASE, BUS_ERROR_BASE + BUS_ERROR_SIZE),
        privileged_only: (
            PRIVILEGED_ONLY_BASE,
            PRIVILEGED_ONLY_BASE + PRIVILEGED_ONLY_SIZE,
        ),
        secure_ram: SECURE_RAM_BASE + SECURE_IMAGE_RAM_SIZE,
        secure_flash: SECURE_CODE_BASE + 0x8_0000,
        unmapped: UNMAPPED_BASE,
    },
    secure_peripheral: (UART0_SECURE, UART0_NS_ALIAS),
};

pub use crate::within;
