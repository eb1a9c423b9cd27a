//! The probe layer without a board: probe-rs dry-run flash plans of both real STM32U585 images (a `FakeProbe` session) land inside the part's flash and wrong link addresses are refused naming the address; a probe found by its selector (a fake lister) flashes both in a dry run; the RTT control block is found in the real secure image.

mod images_support;

use std::path::{Path, PathBuf};

use hil_rig::probe::rtt::control_block;
use hil_rig::probe::{
    dry_run, find_probe, parse_selector, FlashPlan, ImageRole, Lister, ProbeError, ProbeSpec,
    ProbeTarget, STM32U585,
};
use hil_rig::qemu::{ImageBoard, Images};
use images_support::{images, root};
use mv_boards::stm32u585::{NS_FLASH_BASE, SECURE_IMAGE_BASE};
use object::read::elf::{ElfFile32, ProgramHeader};
use object::{elf, LittleEndian};
use probe_rs::integration::{FakeProbe, ProbeLister};
use probe_rs::probe::list::ProbeListItem;
use probe_rs::probe::{
    DebugProbe, DebugProbeError, DebugProbeInfo, DebugProbeSelector, Probe, ProbeFactory,
};

/// Every `PT_LOAD` segment's load address and file bytes, read here with
/// `object` (not through probe-rs), to hold the plan against.
fn loaded_segments(elf: &[u8]) -> Vec<(u64, u64)> {
    let file = ElfFile32::<LittleEndian>::parse(elf).expect("a 32-bit ELF");
    file.elf_program_headers()
        .iter()
        .filter(|s| s.p_type(LittleEndian) == elf::PT_LOAD && s.p_filesz(LittleEndian) > 0)
        .map(|s| {
            (
                u64::from(s.p_paddr(LittleEndian)),
                u64::from(s.p_filesz(LittleEndian)),
            )
        })
        .collect()
}

/// A copy of `elf` (in a scratch folder) whose first loaded segment
/// claims the load address `paddr`.
fn with_segment_at(elf: &Path, paddr: u32, scratch: &Path) -> PathBuf {
    let mut bytes = std::fs::read(elf).unwrap();
    let offset = {
        let file = ElfFile32::<LittleEndian>::parse(&*bytes).unwrap();
        let phoff = file.elf_header().e_phoff.get(LittleEndian) as usize;
        let phentsize = file.elf_header().e_phentsize.get(LittleEndian) as usize;
        let index = file
            .elf_program_headers()
            .iter()
            .position(|s| s.p_type(LittleEndian) == elf::PT_LOAD && s.p_filesz(LittleEndian) > 0)
            .expect("a loaded segment");
        // Elf32_Phdr: p_type, p_offset, p_vaddr, p_paddr.
        phoff + index * phentsize + 12
    };
    bytes[offset..offset + 4].copy_from_slice(&paddr.to_le_bytes());
    let copy = scratch.join(format!(
        "{}-at-{paddr:08x}",
        elf.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&copy, bytes).unwrap();
    copy
}

fn plans(secure: &Path, agent: &Path) -> Result<Vec<FlashPlan>, String> {
    dry_run(
        STM32U585,
        &[(ImageRole::Secure, secure), (ImageRole::App, agent)],
    )
    .map_err(|e| e.to_string())
}

#[test]
fn both_u585_images_plan_inside_the_part_flash() {
    let images = images(ImageBoard::Stm32u585);
    let plans = plans(&images.secure, &images.agent).unwrap();
    let [secure, app] = plans.as_slice() else {
        panic!("two plans: {plans:?}")
    };
    println!("{secure}{app}");

    // The secure image: from the start of bank 2's secure alias, through
    // the NSC page at its end, with the secure flash algorithm.
    let span = secure.span().unwrap();
    assert_eq!(span.start, u64::from(SECURE_IMAGE_BASE));
    assert!(span.end <= 0x0C20_0000, "{secure}");
    assert!(
        secure
            .blocks
            .iter()
            .any(|b| b.address <= 0x0C1F_E000 && 0x0C1F_E000 < b.address + b.bytes),
        "the NSC table is flashed: {secure}"
    );
    for block in &secure.blocks {
        assert_eq!(block.algorithm, "stm32u59x_4m_0c00", "{secure}");
        assert!(block.sectors >= 1, "{secure}");
    }
    // The app: from the start of app ROM (its vector table), bank 1, with
    // the non-secure algorithm.
    let span = app.span().unwrap();
    assert_eq!(span.start, u64::from(NS_FLASH_BASE));
    assert!(span.end <= 0x0810_0000, "{app}");
    for block in &app.blocks {
        assert_eq!(block.region, "BANK_1", "{app}");
        assert_eq!(block.algorithm, "stm32u59x_4m_0800", "{app}");
    }

    // The plan holds every loaded byte of each ELF, no more.
    for (plan, elf) in [(secure, &images.secure), (app, &images.agent)] {
        let segments = loaded_segments(&std::fs::read(elf).unwrap());
        let expected: u64 = segments.iter().map(|&(_, len)| len).sum();
        assert_eq!(plan.bytes(), expected, "{plan}");
        for (addr, len) in segments {
            assert!(
                plan.blocks
                    .iter()
                    .any(|b| b.address <= addr && addr + len <= b.address + b.bytes),
                "segment {addr:#x}+{len:#x} not in {plan}"
            );
        }
    }
}

#[test]
fn images_linked_for_the_an505_are_refused_naming_their_address() {
    let an505 = images(ImageBoard::An505);
    let u585 = images(ImageBoard::Stm32u585);
    let secure = plans(&an505.secure, &u585.agent).unwrap_err();
    assert!(secure.contains("0x10000000"), "{secure}");
    assert!(secure.contains("secure image"), "{secure}");
    let agent = plans(&u585.secure, &an505.agent).unwrap_err();
    assert!(agent.contains("0x00200000"), "{agent}");
    assert!(agent.contains("app image"), "{agent}");
}

#[test]
fn a_patched_segment_address_is_refused_naming_it() {
    let images = images(ImageBoard::Stm32u585);
    let scratch = tempfile::tempdir().unwrap();

    // Nowhere on the part: probe-rs itself refuses it.
    let nowhere = with_segment_at(&images.agent, 0x0900_0000, scratch.path());
    let error = plans(&images.secure, &nowhere).unwrap_err();
    assert!(error.contains("0x09000000"), "{error}");
    assert!(error.contains("No flash memory contains"), "{error}");

    // Inside probe-rs's 4 MiB secure alias, past the part's 2 MiB: the
    // part's map refuses it.
    let past_the_part = with_segment_at(&images.secure, 0x0C30_0000, scratch.path());
    let error = plans(&past_the_part, &images.agent).unwrap_err();
    assert!(
        error.contains("bytes loaded at 0x0c300000") && error.contains("secure alias"),
        "{error}"
    );

    // Flash of the part, but bank 2 is not app ROM.
    let bank_2 = with_segment_at(&images.agent, 0x0810_0000, scratch.path());
    let error = plans(&images.secure, &bank_2).unwrap_err();
    assert!(
        error.contains("bytes loaded at 0x08100000") && error.contains("outside app ROM"),
        "{error}"
    );

    // Into RAM: probe-rs would load it, the first reset would lose it.
    let in_ram = with_segment_at(&images.agent, 0x2000_0000, scratch.path());
    let error = plans(&images.secure, &in_ram).unwrap_err();
    assert!(error.contains("bytes loaded at 0x20000000"), "{error}");
}

#[test]
fn images_swapped_between_roles_are_refused() {
    let images = images(ImageBoard::Stm32u585);
    let error = plans(&images.agent, &images.secure).unwrap_err();
    assert!(
        error.contains("0x08000000") && error.contains("secure image"),
        "{error}"
    );
}

/// A host with the given probes (VID, PID, serial), each a probe-rs
/// `FakeProbe` with a mocked core.
#[derive(Debug)]
struct FakeHost(Vec<(u16, u16, &'static str)>);

#[derive(Debug)]
struct FakeFactory;

impl std::fmt::Display for FakeFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fake")
    }
}

impl ProbeFactory for FakeFactory {
    fn open(&self, _: &DebugProbeSelector) -> Result<Box<dyn DebugProbe>, DebugProbeError> {
        Ok(Box::new(FakeProbe::with_mocked_core()))
    }

    fn list_probes(&self) -> Vec<ProbeListItem> {
        Vec::new()
    }
}

static FAKE: FakeFactory = FakeFactory;

impl ProbeLister for FakeHost {
    fn open(&self, selector: &DebugProbeSelector) -> Result<Probe, DebugProbeError> {
        assert_eq!(
            self.list(Some(selector)).len(),
            1,
            "opens only what it found"
        );
        Ok(FakeProbe::with_mocked_core().into_probe())
    }

    fn list_with_access(&self, selector: Option<&DebugProbeSelector>) -> Vec<ProbeListItem> {
        self.0
            .iter()
            .map(|&(vid, pid, serial)| {
                ProbeListItem::accessible(DebugProbeInfo::new(
                    "Fake ST-LINK",
                    vid,
                    pid,
                    Some(serial.to_owned()),
                    &FAKE,
                    None,
                    false,
                ))
            })
            .filter(|item| selector.is_none_or(|s| s.matches_probe(&item.info)))
            .collect()
    }
}

#[test]
fn a_probe_is_found_by_its_selector_and_flashes_both_images_in_a_dry_run() {
    let host = Lister::with_lister(Box::new(FakeHost(vec![
        (0x0483, 0x374e, "A1"),
        (0x0483, 0x374e, "B2"),
        (0x0483, 0x3748, "C3"),
    ])));
    let found = find_probe(&host, &parse_selector("0483:374e:B2").unwrap()).unwrap();
    assert_eq!(found.to_string(), "0483:374e:B2  Fake ST-LINK");
    let two = find_probe(&host, &parse_selector("0483:374e").unwrap()).unwrap_err();
    assert!(
        two.to_string()
            .contains("2 probes match it (0483:374e:A1, 0483:374e:B2); add the serial number"),
        "{two}"
    );
    let none = find_probe(&host, &parse_selector("1366:0101").unwrap()).unwrap_err();
    assert!(matches!(none, ProbeError::NotFound { .. }), "{none}");

    let spec = ProbeSpec {
        selector: parse_selector("0483:3748").unwrap(),
        chip: STM32U585.into(),
    };
    let mut target = ProbeTarget::open(&host, &spec).unwrap();
    assert_eq!(target.chip(), STM32U585);
    let images = images(ImageBoard::Stm32u585);
    let plans = target.flash(&images.secure, &images.agent, true).unwrap();
    let roles: Vec<ImageRole> = plans.iter().map(|p| p.role).collect();
    assert_eq!(
        roles,
        [ImageRole::Secure, ImageRole::App],
        "the secure image first"
    );
    // The same plans as the board-less dry run.
    assert_eq!(plans, self::plans(&images.secure, &images.agent).unwrap());
    // A wrong image stops the flash before anything is committed.
    let an505 = images_an505();
    let error = target
        .flash(&an505.secure, &images.agent, true)
        .unwrap_err();
    assert!(error.to_string().contains("0x10000000"), "{error}");
}

fn images_an505() -> &'static Images {
    images(ImageBoard::An505)
}

#[test]
fn the_rtt_control_blocks_are_found_in_the_real_images_secure_sram_and_app_ram() {
    let images = images(ImageBoard::Stm32u585);
    let elf = std::fs::read(&images.secure).unwrap();
    let address = control_block(&elf).unwrap();
    let symbol = {
        use object::{Object as _, ObjectSymbol as _};
        let file = object::File::parse(&*elf).unwrap();
        file.symbols()
            .find(|s| s.name() == Ok("_SEGGER_RTT"))
            .map(|s| s.address())
            .expect("_SEGGER_RTT")
    };
    assert_eq!(address, symbol);
    let sram = u64::from(mv_boards::stm32u585::SECURE_RAM_BASE)
        ..u64::from(mv_boards::stm32u585::SECURE_RAM_BASE + mv_boards::stm32u585::SECURE_RAM_SIZE);
    assert!(sram.contains(&address), "{address:#x}");
    // The agent's own control block is in app RAM.
    let agent = control_block(&std::fs::read(&images.agent).unwrap()).unwrap();
    let app_ram = u64::from(mv_boards::stm32u585::NS_RAM_BASE)
        ..u64::from(mv_boards::stm32u585::NS_RAM_BASE + mv_boards::stm32u585::NS_RAM_SIZE);
    assert!(app_ram.contains(&agent), "{agent:#x}");
    // An image without one is refused saying so.
    let an505 = images_an505();
    let error = control_block(&std::fs::read(&an505.secure).unwrap()).unwrap_err();
    assert!(
        error.to_string().contains("no RTT control block"),
        "{error}"
    );
}

#[test]
fn the_flash_driver_operations_are_found_in_the_real_secure_image() {
    use hil_rig::probe::flash_ops::flash_op_entries;
    use object::{Object as _, ObjectSymbol as _};
    let images = images(ImageBoard::Stm32u585);
    let elf = std::fs::read(&images.secure).unwrap();
    let found = flash_op_entries(&elf).unwrap();
    println!("{found:#?}");
    let file = object::File::parse(&*elf).unwrap();
    let code = u64::from(SECURE_IMAGE_BASE)
        ..u64::from(SECURE_IMAGE_BASE + mv_boards::stm32u585::SECURE_IMAGE_SIZE);
    for (address, op, _) in &found.entries {
        assert!(code.contains(address), "{op} at {address:#x}");
        assert_eq!(address % 2, 0, "a code address, no Thumb bit");
    }
    // Out-of-line copies are their symbols.
    for symbol in file.symbols() {
        let name = format!(
            "{:#}",
            rustc_demangle::demangle(symbol.name().unwrap_or(""))
        );
        if name.ends_with("Stm32u5Flash<R> as mv_flash::Flash>::program") {
            assert!(
                found.entries.iter().any(|e| e.0 == symbol.address() & !1),
                "{found:?}"
            );
        }
    }
    for op in ["program", "erase_page"] {
        assert!(found.entries.iter().any(|e| e.1 == op), "{op}: {found:?}");
    }
    // The STM32U585's FPB has 8 instruction comparators.
    assert!(found.entries.len() <= 8, "{found:?}");
    // The AN505 image drives no STM32U5 flash controller.
    let an505 = std::fs::read(&images_an505().secure).unwrap();
    let error = flash_op_entries(&an505).unwrap_err().to_string();
    assert!(
        error.contains("program and erase_page are not both there"),
        "{error}"
    );
}

#[test]
fn rtt_on_a_target_without_the_control_block_says_where_it_looked() {
    use hil_rig::probe::RttLog;
    let images = images(ImageBoard::Stm32u585);
    // probe-rs's mocked core reads zeros: the image has not laid out its
    // control block, as on a board that has not booted it yet.
    let mut target = ProbeTarget::attach(
        FakeProbe::with_mocked_core().into_probe(),
        STM32U585,
        "fake",
    )
    .unwrap();
    let elf = std::fs::read(&images.secure).unwrap();
    let address = control_block(&elf).unwrap();
    let error = RttLog::attach(&mut target, &images.secure, "defmt:secure", &root())
        .err()
        .expect("no control block on a mocked core")
        .to_string();
    assert!(
        error.contains(&format!(
            "no control block at {address:#010x} (_SEGGER_RTT)"
        )) && error.contains("has the image booted?"),
        "{error}"
    );
}
