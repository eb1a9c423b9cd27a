//! `elf_to_rom` on hand-made ELF32 ARM files: layout, gap fill, and refusals.

mod common;

use common::{elf, Phdr};
use hil_bundle::{elf_to_rom, BundleError, Rom};

#[test]
fn two_segments_with_a_gap_are_laid_out_from_the_lowest_address_with_ff_fill() {
    let file = elf(&[
        Phdr::load(0x0800_0000, &[1, 2, 3, 4]),
        Phdr::load(0x0800_0010, &[5, 6]),
    ]);
    let rom = elf_to_rom(&file).unwrap();
    assert_eq!(rom.base(), 0x0800_0000);
    let mut expected = vec![1, 2, 3, 4];
    expected.extend([0xFF; 12]);
    expected.extend([5, 6]);
    assert_eq!(rom.bytes(), expected.as_slice());
}

#[test]
fn segments_are_placed_by_physical_not_virtual_address_in_any_header_order() {
    // .data runs from RAM (vaddr) but is loaded from flash (paddr), listed first.
    let file = elf(&[
        Phdr {
            p_type: 1,
            vaddr: 0x2000_0000,
            paddr: 0x0800_0008,
            data: vec![0xAA, 0xBB],
            extra_mem: 0,
        },
        Phdr::load(0x0800_0000, &[1, 2, 3]),
    ]);
    let rom = elf_to_rom(&file).unwrap();
    assert_eq!(rom.base(), 0x0800_0000);
    assert_eq!(
        rom.bytes(),
        &[1, 2, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xAA, 0xBB]
    );
}

#[test]
fn bss_and_non_load_segments_are_ignored() {
    let file = elf(&[
        Phdr {
            p_type: 4, // PT_NOTE, below the flash base: must not move the base
            vaddr: 0,
            paddr: 0,
            data: vec![9; 8],
            extra_mem: 0,
        },
        Phdr::load(0x0800_0000, &[1, 2]),
        Phdr {
            p_type: 1, // .bss: memory only, far above
            vaddr: 0x2000_0000,
            paddr: 0x2000_0000,
            data: vec![],
            extra_mem: 4096,
        },
    ]);
    let rom = elf_to_rom(&file).unwrap();
    assert_eq!((rom.base(), rom.bytes()), (0x0800_0000, &[1u8, 2][..]));
}

#[test]
fn a_span_just_under_1_mib_is_accepted() {
    let file = elf(&[
        Phdr::load(0x0800_0000, &[1]),
        Phdr::load(0x0800_0000 + 0xF_FFFE, &[2]),
    ]);
    let rom = elf_to_rom(&file).unwrap();
    assert_eq!(rom.bytes().len(), 0xF_FFFF);
    assert_eq!(rom.bytes()[0xF_FFFE], 2);
    assert!(rom.bytes()[1..0xF_FFFE].iter().all(|&b| b == 0xFF));
}

#[test]
fn a_span_of_1_mib_or_more_is_refused() {
    let file = elf(&[
        Phdr::load(0x0800_0000, &[1]),
        Phdr::load(0x0800_0000 + 0xF_FFFF, &[2]),
    ]);
    let err = elf_to_rom(&file).unwrap_err();
    assert!(
        matches!(
            err,
            BundleError::RomTooLarge {
                base: 0x0800_0000,
                len: 0x10_0000
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("smaller than 1 MiB"), "{err}");
    assert!(matches!(
        Rom::new(0, vec![0; 0x10_0000]),
        Err(BundleError::RomTooLarge { .. })
    ));
}

fn refusal(file: &[u8]) -> String {
    match elf_to_rom(file) {
        Err(BundleError::BadElf { reason }) => reason,
        other => panic!("expected BadElf, got {other:?}"),
    }
}

#[test]
fn files_that_are_not_a_linked_arm_elf32_are_refused_with_the_reason() {
    let good = elf(&[Phdr::load(0x0800_0000, &[1])]);
    assert!(refusal(b"\x00\x10\x00\x20 raw binary").contains("magic"));
    let mut elf64 = good.clone();
    elf64[4] = 2;
    assert!(refusal(&elf64).contains("ELF32"));
    let mut big_endian = good.clone();
    big_endian[5] = 2;
    assert!(refusal(&big_endian).contains("little-endian"));
    let mut x86 = good.clone();
    x86[18] = 3;
    assert!(refusal(&x86).contains("not ARM"));
    assert!(refusal(&elf(&[])).contains("no program headers"));
    let only_bss = elf(&[Phdr {
        p_type: 1,
        vaddr: 0x2000_0000,
        paddr: 0x2000_0000,
        data: vec![],
        extra_mem: 16,
    }]);
    assert!(refusal(&only_bss).contains("no PT_LOAD"));
}

#[test]
fn truncated_files_and_overlapping_segments_are_refused() {
    let good = elf(&[Phdr::load(0x0800_0000, &[1, 2, 3, 4])]);
    assert!(refusal(&good[..good.len() - 1]).contains("past the end of the file"));
    assert!(refusal(&good[..60]).contains("program header table"));
    let overlapping = elf(&[
        Phdr::load(0x0800_0000, &[1, 2, 3, 4]),
        Phdr::load(0x0800_0002, &[5]),
    ]);
    assert!(refusal(&overlapping).contains("overlap"));
}
