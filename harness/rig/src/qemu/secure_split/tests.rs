//! The split of the real secure image: its two parts make the whole, and QEMU's part is small.

use std::path::PathBuf;

use mv_boards::an505::{SECURE_CODE_BASE, SECURE_CODE_SIZE, SECURE_IMAGE_MAGIC};
use object::read::elf::{ElfFile32, FileHeader as _, ProgramHeader as _};
use object::LittleEndian as LE;

use super::{outside, SecureSplit};
use crate::qemu::{build_board_images, ImageBoard, Images};

fn images() -> Images {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    build_board_images(&root, ImageBoard::An505).expect("the AN505 images build")
}

/// Secure code memory after QEMU loaded `elf`'s load segments over zeros
/// (what falls outside it is returned as `(paddr, filesz, memsz)`), and how
/// many bytes of code QEMU loaded.
fn load(elf: &[u8], code: &mut [u8]) -> (Vec<(u32, u32, u32)>, usize) {
    let file = ElfFile32::<LE>::parse(elf).expect("an ELF QEMU can read");
    let mut elsewhere = Vec::new();
    let mut loaded = 0;
    let headers = file.elf_header().program_headers(LE, file.data()).unwrap();
    for h in headers
        .iter()
        .filter(|h| h.p_type(LE) == object::elf::PT_LOAD)
    {
        let (at, bytes) = (h.p_paddr(LE), h.data(LE, file.data()).unwrap());
        let end = at as usize + bytes.len();
        if at >= SECURE_CODE_BASE && end <= (SECURE_CODE_BASE + SECURE_CODE_SIZE) as usize {
            let from = (at - SECURE_CODE_BASE) as usize;
            code[from..from + bytes.len()].copy_from_slice(bytes);
            loaded += bytes.len();
        } else {
            elsewhere.push((at, h.p_filesz(LE), h.p_memsz(LE)));
        }
    }
    (elsewhere, loaded)
}

/// What `__pre_init` does with the PSRAM block: stores every word that differs.
fn reload(block: &[u8], code: &mut [u8]) -> usize {
    let word = |at: usize| u32::from_le_bytes(block[at..at + 4].try_into().unwrap());
    assert_eq!(word(0), SECURE_IMAGE_MAGIC);
    let count = word(4) as usize;
    let mut data = 8 + 8 * count;
    let mut stored = 0;
    for i in 0..count {
        let (addr, len) = (word(8 + 8 * i), word(12 + 8 * i) as usize);
        assert_eq!(
            (addr | len as u32) % 4,
            0,
            "segment {i} is not word-aligned"
        );
        assert!(
            addr >= SECURE_CODE_BASE
                && addr as usize + len <= (SECURE_CODE_BASE + SECURE_CODE_SIZE) as usize
        );
        let from = (addr - SECURE_CODE_BASE) as usize;
        for (dst, src) in code[from..from + len]
            .iter_mut()
            .zip(&block[data..data + len])
        {
            stored += usize::from(*dst != *src);
            *dst = *src;
        }
        data += len;
    }
    assert_eq!(data, block.len(), "the block ends with its last segment");
    stored
}

#[test]
fn qemus_part_and_the_nvm_block_make_the_whole_secure_image() {
    let elf = std::fs::read(images().secure).unwrap();
    let split = SecureSplit::of(&elf).unwrap();
    let size = SECURE_CODE_SIZE as usize;
    let (mut whole, mut booted) = (vec![0u8; size], vec![0u8; size]);
    let (whole_elsewhere, _) = load(&elf, &mut whole);
    let (boot_elsewhere, boot_loaded) = load(&split.boot_elf, &mut booted);
    assert_eq!(
        boot_elsewhere, whole_elsewhere,
        ".data's RAM, .bss and the heap as before"
    );
    assert!(boot_loaded < 4096, "QEMU loads {boot_loaded} bytes of code");
    assert_ne!(booted, whole);
    // The first boot stores the code; a reset finds every word in place.
    assert!(reload(&split.nvm_block, &mut booted) > 100_000);
    assert!(booted == whole, "secure code memory differs from the image");
    assert_eq!(reload(&split.nvm_block, &mut booted), 0);
}

#[test]
fn an_image_that_is_not_the_an505_secure_one_is_refused() {
    let agent = std::fs::read(images().agent).unwrap();
    let refused = SecureSplit::of(&agent).unwrap_err().to_string();
    assert!(
        refused.contains("cannot split the secure image"),
        "{refused}"
    );
    let refused = SecureSplit::of(b"not an elf").unwrap_err().to_string();
    assert!(refused.contains("not an ELF"), "{refused}");
}

#[test]
fn a_segment_is_cut_around_the_boot_ranges() {
    let holes = [(0x100, 0x140), (0x200, 0x210)];
    assert_eq!(
        outside(0x100, 0x300, &holes),
        vec![(0x140, 0x200), (0x210, 0x300)]
    );
    assert_eq!(outside(0x0, 0x120, &holes), vec![(0x0, 0x100)]);
    assert_eq!(outside(0x400, 0x500, &holes), vec![(0x400, 0x500)]);
    assert!(outside(0x100, 0x140, &holes).is_empty());
}
