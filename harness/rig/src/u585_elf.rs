//! The STM32U585 images checked from their ELF files alone: what a board needs of them before it is flashed.
//!
//! [`check_secure`] and [`check_agent`] read an image and list every way
//! it would not work on the part (empty: it would). The secure image: the
//! 128-entry NSC table at `0x0C1F_E000`, every entry `n` at
//! `0x0C1F_E000 + 8·n` starting with `SG` (`0xE97F_E97F`), where an app
//! linked against the Microvisor SDK calls it; its RTT control block
//! (`_SEGGER_RTT`) in secure SRAM; everything it occupies inside its
//! flash (bank 2, secure alias) and its RAM (Microvisor's half of SRAM3).
//! The agent: its vector table at `0x0800_0000` (initial stack pointer in
//! app RAM and 8-aligned, reset handler in app ROM with the Thumb bit);
//! everything inside app ROM below the `ns_flash` pool and app RAM. Load
//! addresses (`.data`'s initial values) are checked as well as run
//! addresses. All the numbers come from `mv_boards::stm32u585` and
//! `mv_abi`, the firmware's own.

use mv_abi::{NSC_ENTRY_SIZE, NSC_TABLE_ENTRIES, STM32U585_NSC_TABLE_BASE};
use mv_boards::stm32u585::{
    MV_SRAM3_BASE, NS_FLASH_BASE, NS_FLASH_SIZE, NS_RAM_BASE, NS_RAM_SIZE, PART_AGENT_IMAGE,
    SECURE_IMAGE_BASE, SECURE_IMAGE_RAM_BASE, SECURE_IMAGE_RAM_SIZE, SECURE_IMAGE_SIZE,
    SECURE_RAM_BASE, SECURE_RAM_SIZE,
};
use object::elf::{PT_LOAD, SHF_ALLOC};
use object::read::elf::{ElfFile32, ProgramHeader, SectionHeader};
use object::{LittleEndian, Object, ObjectSection, ObjectSymbol};

/// The `SG` instruction (both halfwords `0xE97F`).
pub const SG: u32 = 0xE97F_E97F;

/// A range of addresses, `[base, base + size)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    name: &'static str,
    base: u32,
    size: u32,
}

impl Span {
    fn holds(&self, addr: u64, len: u64) -> bool {
        let (base, end) = (
            u64::from(self.base),
            u64::from(self.base) + u64::from(self.size),
        );
        addr >= base && addr + len <= end
    }
}

/// The secure image's flash: its code, and the NSC page.
const SECURE_FLASH: [Span; 2] = [
    Span {
        name: "secure image flash",
        base: SECURE_IMAGE_BASE,
        size: SECURE_IMAGE_SIZE,
    },
    Span {
        name: "NSC page",
        base: STM32U585_NSC_TABLE_BASE,
        size: 0x2000,
    },
];
const SECURE_RAM: [Span; 1] = [Span {
    name: "secure image RAM",
    base: SECURE_IMAGE_RAM_BASE,
    size: SECURE_IMAGE_RAM_SIZE,
}];
const AGENT_FLASH: [Span; 1] = [Span {
    name: "app ROM below the ns_flash pool",
    base: NS_FLASH_BASE,
    size: PART_AGENT_IMAGE,
}];
const AGENT_RAM: [Span; 1] = [Span {
    name: "app RAM",
    base: NS_RAM_BASE,
    size: NS_RAM_SIZE,
}];

/// Everything wrong with a secure image for the part; empty if nothing is.
pub fn check_secure(elf: &[u8]) -> Vec<String> {
    let file = match ElfFile32::<LittleEndian>::parse(elf) {
        Ok(file) => file,
        Err(e) => return vec![format!("not a 32-bit ELF: {e}")],
    };
    let mut problems = Vec::new();
    match symbol(&file, "mv_nsc_table") {
        Some(at) if at == u64::from(STM32U585_NSC_TABLE_BASE) => {}
        Some(at) => problems.push(format!(
            "the NSC table (mv_nsc_table) is at {at:#010x}, not at the SDK's {STM32U585_NSC_TABLE_BASE:#010x}"
        )),
        None => problems.push("no NSC table (symbol mv_nsc_table)".to_owned()),
    }
    for n in 0..NSC_TABLE_ENTRIES {
        let at = STM32U585_NSC_TABLE_BASE + NSC_ENTRY_SIZE * n;
        match word_at(&file, at) {
            Some(SG) => {}
            Some(word) => problems.push(format!(
                "NSC entry {n} at {at:#010x} starts with {word:#010x}, not SG ({SG:#010x})"
            )),
            None => problems.push(format!("NSC entry {n} at {at:#010x} is not in the image")),
        }
        if problems.len() > 8 {
            problems.push("(more NSC entries not checked)".to_owned());
            break;
        }
    }
    let secure_sram = Span {
        name: "secure SRAM",
        base: SECURE_RAM_BASE,
        size: SECURE_RAM_SIZE,
    };
    match symbol(&file, "_SEGGER_RTT") {
        Some(at) if secure_sram.holds(at, 1) => {}
        Some(at) => problems.push(format!(
            "the RTT control block (_SEGGER_RTT) is at {at:#010x}, outside secure SRAM"
        )),
        None => problems.push("no RTT control block (symbol _SEGGER_RTT)".to_owned()),
    }
    problems.extend(placement(&file, &SECURE_FLASH, &SECURE_RAM));
    problems
}

/// Everything wrong with an agent (app) image for the part; empty if nothing is.
pub fn check_agent(elf: &[u8]) -> Vec<String> {
    let file = match ElfFile32::<LittleEndian>::parse(elf) {
        Ok(file) => file,
        Err(e) => return vec![format!("not a 32-bit ELF: {e}")],
    };
    let mut problems = Vec::new();
    let rom = Span {
        name: "app ROM",
        base: NS_FLASH_BASE,
        size: NS_FLASH_SIZE,
    };
    match (
        word_at(&file, NS_FLASH_BASE),
        word_at(&file, NS_FLASH_BASE + 4),
    ) {
        (Some(sp), Some(reset)) => {
            if !(NS_RAM_BASE..=MV_SRAM3_BASE).contains(&sp) || !sp.is_multiple_of(8) {
                problems.push(format!(
                    "the initial stack pointer {sp:#010x} is not an 8-aligned address in app RAM"
                ));
            }
            if reset & 1 == 0 {
                problems.push(format!("the reset vector {reset:#010x} has no Thumb bit"));
            }
            if !rom.holds(u64::from(reset & !1), 2) {
                problems.push(format!("the reset vector {reset:#010x} is not in app ROM"));
            }
        }
        _ => problems.push(format!(
            "no vector table at {NS_FLASH_BASE:#010x} (the start of app ROM)"
        )),
    }
    problems.extend(placement(&file, &AGENT_FLASH, &AGENT_RAM));
    problems
}

fn symbol(file: &ElfFile32<LittleEndian>, name: &str) -> Option<u64> {
    file.symbols()
        .find(|s| s.name() == Ok(name))
        .map(|s| s.address())
}

/// The little-endian word the image puts at `addr` (from an allocated section with contents).
fn word_at(file: &ElfFile32<LittleEndian>, addr: u32) -> Option<u32> {
    let endian = LittleEndian;
    file.sections().find_map(|section| {
        let header = section.elf_section_header();
        if header.sh_flags(endian) & SHF_ALLOC == 0 {
            return None;
        }
        let start = section.address();
        let offset = u64::from(addr).checked_sub(start)?;
        let data = section.data().ok()?;
        let at = usize::try_from(offset).ok()?;
        let bytes = data.get(at..at + 4)?;
        Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    })
}

/// Every allocated section at its run address, and every loaded segment at
/// its load address, inside the image's flash or RAM.
fn placement(file: &ElfFile32<LittleEndian>, flash: &[Span], ram: &[Span]) -> Vec<String> {
    let endian = LittleEndian;
    let inside = |spans: &[Span], addr: u64, len: u64| spans.iter().any(|s| s.holds(addr, len));
    let names = |spans: &[Span]| {
        spans
            .iter()
            .map(|s| format!("{} {:#010x}+{:#x}", s.name, s.base, s.size))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut problems = Vec::new();
    for section in file.sections() {
        let header = section.elf_section_header();
        let size = section.size();
        if header.sh_flags(endian) & SHF_ALLOC == 0 || size == 0 {
            continue;
        }
        let addr = section.address();
        let everything: Vec<Span> = flash.iter().chain(ram).copied().collect();
        if !inside(&everything, addr, size) {
            problems.push(format!(
                "section {} at {addr:#010x}+{size:#x} is outside {}",
                section.name().unwrap_or("?"),
                names(&everything)
            ));
        }
    }
    for segment in file.elf_program_headers() {
        let (load, filesz) = (
            u64::from(segment.p_paddr(endian)),
            u64::from(segment.p_filesz(endian)),
        );
        if segment.p_type(endian) != PT_LOAD || filesz == 0 {
            continue;
        }
        if !inside(flash, load, filesz) {
            problems.push(format!(
                "bytes loaded at {load:#010x}+{filesz:#x} are outside the flash ({})",
                names(flash)
            ));
        }
    }
    problems
}
