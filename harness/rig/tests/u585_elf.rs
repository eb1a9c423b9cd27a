//! The STM32U585 images, built as CI builds them, pass the board-less ELF checks; wrong link addresses fail them.

mod images_support;

use std::path::Path;

use hil_rig::qemu::ImageBoard;
use hil_rig::u585_elf::{check_agent, check_secure, SG};
use images_support::images;
use object::{Object, ObjectSection};

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Overwrite the word the image puts at `addr` (in the file, through the
/// section that holds it).
fn patch_word(elf: &mut [u8], addr: u64, value: u32) {
    let file = object::File::parse(&*elf).expect("an ELF");
    let offset = file
        .sections()
        .find_map(|s| {
            let (start, size) = s.file_range()?;
            let at = addr.checked_sub(s.address())?;
            (at + 4 <= size && s.size() == size).then_some(start + at)
        })
        .expect("the address is in a section with contents") as usize;
    elf[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn the_u585_images_pass_the_elf_checks() {
    let images = images(ImageBoard::Stm32u585);
    assert_eq!(check_secure(&read(&images.secure)), Vec::<String>::new());
    assert_eq!(check_agent(&read(&images.agent)), Vec::<String>::new());
}

#[test]
fn images_linked_for_another_map_fail_them() {
    let an505 = images(ImageBoard::An505);
    let secure = check_secure(&read(&an505.secure)).join("\n");
    assert!(secure.contains("not at the SDK's 0x0c1fe000"), "{secure}");
    assert!(secure.contains("no RTT control block"), "{secure}");
    assert!(secure.contains("outside"), "{secure}");
    let agent = check_agent(&read(&an505.agent)).join("\n");
    assert!(agent.contains("no vector table at 0x08000000"), "{agent}");
    assert!(agent.contains("outside"), "{agent}");
}

#[test]
fn a_patched_nsc_entry_or_vector_table_fails_them() {
    let images = images(ImageBoard::Stm32u585);
    let mut secure = read(&images.secure);
    let entry_5 = u64::from(mv_abi::STM32U585_NSC_TABLE_BASE) + 5 * 8;
    patch_word(&mut secure, entry_5, SG ^ 1);
    assert_eq!(
        check_secure(&secure),
        vec![format!(
            "NSC entry 5 at {entry_5:#010x} starts with {:#010x}, not SG ({SG:#010x})",
            SG ^ 1
        )]
    );

    let mut agent = read(&images.agent);
    patch_word(&mut agent, 0x0800_0000, 0x3000_0000);
    patch_word(&mut agent, 0x0800_0004, 0x0C10_0000);
    let problems = check_agent(&agent).join("\n");
    assert!(
        problems.contains("initial stack pointer 0x30000000"),
        "{problems}"
    );
    assert!(problems.contains("no Thumb bit"), "{problems}");
    assert!(problems.contains("not in app ROM"), "{problems}");
}
