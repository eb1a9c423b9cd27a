//! The secure image split in two for resets that keep QEMU's translations: what QEMU loads, and the rest for the PSRAM.
//!
//! QEMU rewrites every block it loaded at each `system_reset`, and a store
//! into code it has translated throws those translations away, so with
//! the whole image loaded by QEMU each reset retranslated all the secure
//! code the boot and the next case ran. Split, QEMU loads only the vector
//! table, `Reset` (with its literal pool) and `__pre_init`, plus whatever
//! does not live in secure code memory (`.bss` and the heap, which QEMU
//! zeroes at every reset as before); the rest of the code goes into the
//! PSRAM block `mv_boards::an505::SECURE_IMAGE_NVM_OFFSET` describes, from
//! which the image's `__pre_init` (`firmware/secure/src/reload.rs`)
//! restores secure code memory at every reset, storing only words that
//! differ. [`SecureLoad::ByQemu`], the previous way, is kept so that `hil
//! bench` can time both side by side.

use std::path::{Path, PathBuf};

use mv_boards::an505::{
    SECURE_CODE_BASE, SECURE_CODE_SIZE, SECURE_IMAGE_MAGIC, SECURE_IMAGE_MAX_SEGMENTS,
};
use object::elf::{ProgramHeader32, PT_LOAD};
use object::read::elf::{ElfFile32, FileHeader as _, ProgramHeader as _};
use object::{LittleEndian as LE, Object, ObjectSymbol};

use super::NvmFile;
use crate::RigError;

/// How the secure image gets into a QEMU session's machine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SecureLoad {
    /// QEMU loads the boot part, `__pre_init` the rest from the PSRAM.
    #[default]
    FromNvm,
    /// QEMU loads (and rewrites at every reset) the whole image.
    ByQemu,
}

impl SecureLoad {
    /// The ELF QEMU is to load as its kernel for the secure image
    /// `secure`: split, the boot part (written into `workdir`) with the
    /// rest written into `nvm`; else the image itself.
    pub fn kernel(self, secure: &Path, workdir: &Path, nvm: &NvmFile) -> Result<PathBuf, RigError> {
        if self == SecureLoad::ByQemu {
            return Ok(secure.to_owned());
        }
        let io = |what: &Path, e: std::io::Error| {
            RigError::Link(format!("cannot split {}: {e}", what.display()))
        };
        let split = SecureSplit::of(&std::fs::read(secure).map_err(|e| io(secure, e))?)?;
        let boot = workdir.join("secure-boot.elf");
        std::fs::write(&boot, &split.boot_elf).map_err(|e| io(&boot, e))?;
        nvm.write_secure_image(&split.nvm_block)?;
        Ok(boot)
    }
}

/// A load segment: where it goes, its bytes and (for QEMU) how much
/// memory it covers past them, zeroed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Segment {
    vaddr: u32,
    paddr: u32,
    bytes: Vec<u8>,
    memsz: u32,
    flags: u32,
}

/// The secure image split in two.
#[derive(Clone, Debug)]
pub struct SecureSplit {
    /// An ELF of what QEMU loads (`-kernel`).
    pub boot_elf: Vec<u8>,
    /// The PSRAM block at `SECURE_IMAGE_NVM_OFFSET`.
    pub nvm_block: Vec<u8>,
}

fn bad(why: String) -> RigError {
    RigError::Link(format!("cannot split the secure image: {why}"))
}

const CODE_END: u32 = SECURE_CODE_BASE + SECURE_CODE_SIZE;

impl SecureSplit {
    /// Splits the secure image's ELF.
    pub fn of(elf: &[u8]) -> Result<SecureSplit, RigError> {
        let file = ElfFile32::<LE>::parse(elf).map_err(|e| bad(format!("not an ELF: {e}")))?;
        let boot = boot_ranges(&file)?;
        let header = file.elf_header();
        if !load_segments(&file)?
            .iter()
            .any(|s| s.paddr == SECURE_CODE_BASE)
        {
            return Err(bad(format!(
                "no vector table at {SECURE_CODE_BASE:#x}: not the AN505's secure image"
            )));
        }
        let mut kept = Vec::new();
        let mut moved: Vec<(u32, Vec<u8>)> = Vec::new();
        for segment in load_segments(&file)? {
            let end = segment.paddr as u64 + segment.bytes.len() as u64;
            let in_code = segment.paddr >= SECURE_CODE_BASE && end <= u64::from(CODE_END);
            if !in_code || segment.bytes.is_empty() {
                kept.push(segment);
                continue;
            }
            if segment.paddr % 4 != 0 {
                return Err(bad(format!(
                    "a code segment starts at {:#x}, not on a word",
                    segment.paddr
                )));
            }
            for (start, stop) in outside(segment.paddr, end as u32, &boot) {
                let from = (start - segment.paddr) as usize;
                let mut bytes = segment.bytes[from..(stop - segment.paddr) as usize].to_vec();
                // A segment's end is padded to a word with zeros, what
                // memory QEMU never wrote holds.
                bytes.resize(bytes.len().next_multiple_of(4), 0);
                moved.push((start, bytes));
            }
        }
        for (start, stop) in &boot {
            let bytes = bytes_at(&file, *start, *stop)?;
            kept.push(Segment {
                vaddr: *start,
                paddr: *start,
                memsz: bytes.len() as u32,
                bytes,
                flags: object::elf::PF_R | object::elf::PF_X,
            });
        }
        if moved.len() > SECURE_IMAGE_MAX_SEGMENTS as usize {
            return Err(bad(format!(
                "{} code segments, the PSRAM block holds at most {SECURE_IMAGE_MAX_SEGMENTS}",
                moved.len()
            )));
        }
        let mut nvm_block = Vec::new();
        for word in [SECURE_IMAGE_MAGIC, moved.len() as u32] {
            nvm_block.extend_from_slice(&word.to_le_bytes());
        }
        for (start, bytes) in &moved {
            nvm_block.extend_from_slice(&start.to_le_bytes());
            nvm_block.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        }
        for (_, bytes) in &moved {
            nvm_block.extend_from_slice(bytes);
        }
        Ok(SecureSplit {
            boot_elf: write_elf(header.e_entry(LE), header.e_flags(LE), &kept),
            nvm_block,
        })
    }
}

/// What QEMU must load for the image to reach `__pre_init`, word-aligned:
/// from the start of secure code memory (the vector table) to the symbol
/// after `Reset` (its literal pool included), and `__pre_init` (its size
/// covers its literal pool).
fn boot_ranges(file: &ElfFile32<LE>) -> Result<Vec<(u32, u32)>, RigError> {
    let symbols: Vec<(String, u32, u32)> = file
        .symbols()
        .filter_map(|s| {
            let name = s.name().ok()?;
            // Mapping symbols (`$t`, `$d`) mark code and data, not functions.
            (!name.starts_with('$'))
                .then(|| (name.to_owned(), s.address() as u32 & !1, s.size() as u32))
        })
        .collect();
    let find = |name: &str| {
        symbols
            .iter()
            .find(|s| s.0 == name)
            .ok_or_else(|| bad(format!("no `{name}` symbol")))
    };
    let reset = find("Reset")?.1;
    let after_reset = symbols
        .iter()
        .map(|s| s.1)
        .filter(|&a| a > reset && a < CODE_END)
        .min()
        .ok_or_else(|| bad("nothing follows `Reset`".into()))?;
    let (_, pre_init, size) = find("__pre_init")?;
    if *size == 0 || *pre_init < after_reset {
        return Err(bad(format!(
            "`__pre_init` at {pre_init:#x} (size {size}) is not the image's own, after `Reset`"
        )));
    }
    let word_down = |a: u32| a & !3;
    let word_up = |a: u32| a.next_multiple_of(4);
    Ok(vec![
        (SECURE_CODE_BASE, word_up(after_reset)),
        (word_down(*pre_init), word_up(pre_init + size)),
    ])
}

/// The image's load segments, by physical (load) address.
fn load_segments(file: &ElfFile32<LE>) -> Result<Vec<Segment>, RigError> {
    let data = file.data();
    let headers: &[ProgramHeader32<LE>] = file
        .elf_header()
        .program_headers(LE, data)
        .map_err(|e| bad(format!("unreadable program headers: {e}")))?;
    headers
        .iter()
        .filter(|h| h.p_type(LE) == PT_LOAD)
        .map(|h| {
            Ok(Segment {
                vaddr: h.p_vaddr(LE),
                paddr: h.p_paddr(LE),
                bytes: h
                    .data(LE, data)
                    .map_err(|()| bad("a segment runs past the file".into()))?
                    .to_vec(),
                memsz: h.p_memsz(LE),
                flags: h.p_flags(LE),
            })
        })
        .collect()
}

/// The image's bytes at load addresses `start..stop` (zeros where no
/// segment has any).
fn bytes_at(file: &ElfFile32<LE>, start: u32, stop: u32) -> Result<Vec<u8>, RigError> {
    let mut out = vec![0; (stop - start) as usize];
    for s in load_segments(file)? {
        let (lo, hi) = (
            s.paddr.max(start),
            (s.paddr + s.bytes.len() as u32).min(stop),
        );
        if lo < hi {
            out[(lo - start) as usize..(hi - start) as usize]
                .copy_from_slice(&s.bytes[(lo - s.paddr) as usize..(hi - s.paddr) as usize]);
        }
    }
    Ok(out)
}

/// `start..stop` minus the (sorted, disjoint) `holes`.
fn outside(start: u32, stop: u32, holes: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut pieces = Vec::new();
    let mut at = start;
    for &(lo, hi) in holes {
        if hi <= at || lo >= stop {
            continue;
        }
        if lo > at {
            pieces.push((at, lo));
        }
        at = at.max(hi);
    }
    if at < stop {
        pieces.push((at, stop));
    }
    pieces
}

/// A minimal ELF32 (ARM, little-endian, executable) of `segments`: what
/// QEMU's loader reads (the header and the program headers).
fn write_elf(entry: u32, flags: u32, segments: &[Segment]) -> Vec<u8> {
    const EHSIZE: u32 = 52;
    const PHENTSIZE: u32 = 32;
    let mut out = Vec::new();
    let half = |out: &mut Vec<u8>, v: u16| out.extend_from_slice(&v.to_le_bytes());
    let word = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    out.extend_from_slice(&[0x7f, b'E', b'L', b'F', 1, 1, 1, 0]);
    out.extend_from_slice(&[0; 8]);
    half(&mut out, object::elf::ET_EXEC);
    half(&mut out, object::elf::EM_ARM);
    word(&mut out, 1);
    word(&mut out, entry);
    word(&mut out, EHSIZE);
    word(&mut out, 0);
    word(&mut out, flags);
    half(&mut out, EHSIZE as u16);
    half(&mut out, PHENTSIZE as u16);
    half(&mut out, segments.len() as u16);
    for v in [40, 0, 0] {
        half(&mut out, v);
    }
    let mut offset = EHSIZE + PHENTSIZE * segments.len() as u32;
    for s in segments {
        for v in [
            PT_LOAD,
            offset,
            s.vaddr,
            s.paddr,
            s.bytes.len() as u32,
            s.memsz,
            s.flags,
            4,
        ] {
            word(&mut out, v);
        }
        offset += s.bytes.len() as u32;
    }
    for s in segments {
        out.extend_from_slice(&s.bytes);
    }
    out
}

#[cfg(test)]
mod tests;
