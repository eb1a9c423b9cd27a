//! ELF → ROM: the app's loadable bytes laid out from the lowest physical address, gaps 0xFF.
//!
//! This is what the public bundler gets from `objcopy -O ihex` then `--gap-fill=0xff`
//! to raw binary. Only the ELF32 little-endian header and program headers are needed, so
//! they are parsed here with bounds checks rather than through a general object-file crate.

use mv_ota::APP_REGION_SIZE;

use crate::BundleError;

/// An app image ready to be a layer: bytes to write from `base`, smaller than 1 MiB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rom {
    base: u32,
    bytes: Vec<u8>,
}

impl Rom {
    /// A ROM of `bytes` loaded at `base`.
    ///
    /// # Errors
    /// [`BundleError::RomTooLarge`] if `bytes` is 1 MiB or more.
    pub fn new(base: u32, bytes: Vec<u8>) -> Result<Self, BundleError> {
        if bytes.len() >= APP_REGION_SIZE as usize {
            return Err(BundleError::RomTooLarge {
                base,
                len: bytes.len() as u64,
            });
        }
        Ok(Self { base, bytes })
    }

    /// Lowest loaded (physical) address in the ELF.
    #[must_use]
    pub fn base(&self) -> u32 {
        self.base
    }

    /// The ROM bytes.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

const EM_ARM: u16 = 40;
const PT_LOAD: u32 = 1;
const EHDR_LEN: usize = 52;
const PHDR_LEN: usize = 32;

/// A loadable segment: file bytes and where they go.
struct Segment<'a> {
    index: usize,
    paddr: u32,
    bytes: &'a [u8],
}

impl Segment<'_> {
    fn end(&self) -> u64 {
        u64::from(self.paddr) + self.bytes.len() as u64
    }
}

fn bad(reason: impl Into<String>) -> BundleError {
    BundleError::BadElf {
        reason: reason.into(),
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Builds the ROM from the PT_LOAD segments with file bytes, by physical address.
///
/// # Errors
/// [`BundleError::BadElf`] if the file is not a 32-bit little-endian ARM ELF with at least
/// one loadable segment inside the file, or if segments overlap;
/// [`BundleError::RomTooLarge`] if the span is 1 MiB or more.
pub fn elf_to_rom(elf: &[u8]) -> Result<Rom, BundleError> {
    let segments = load_segments(elf)?;
    let base = segments.iter().map(|s| s.paddr).min().ok_or_else(|| {
        bad("no PT_LOAD segment has file contents (is this a linked executable?)")
    })?;
    let end = segments.iter().map(Segment::end).max().unwrap_or(0);
    let len = end - u64::from(base);
    if len >= u64::from(APP_REGION_SIZE) {
        return Err(BundleError::RomTooLarge { base, len });
    }
    // len < 1 MiB, so the casts below cannot truncate.
    let mut rom = vec![0xFF; len as usize];
    let mut placed: Vec<&Segment<'_>> = segments.iter().collect();
    placed.sort_by_key(|s| s.paddr);
    for pair in placed.windows(2) {
        if pair[0].end() > u64::from(pair[1].paddr) {
            return Err(bad(format!(
                "PT_LOAD segments {} and {} overlap at physical address {:#010x}",
                pair[0].index, pair[1].index, pair[1].paddr
            )));
        }
    }
    for segment in placed {
        let at = (segment.paddr - base) as usize;
        rom[at..at + segment.bytes.len()].copy_from_slice(segment.bytes);
    }
    Rom::new(base, rom)
}

/// Validates the header and returns the PT_LOAD segments with file size > 0.
fn load_segments(elf: &[u8]) -> Result<Vec<Segment<'_>>, BundleError> {
    if elf.len() < EHDR_LEN || &elf[..4] != b"\x7fELF" {
        return Err(bad("missing ELF magic (\\x7fELF)"));
    }
    if elf[4] != 1 {
        return Err(bad(format!("ELF class {} is not ELF32", elf[4])));
    }
    if elf[5] != 1 {
        return Err(bad("ELF is not little-endian"));
    }
    let machine = u16_at(elf, 18);
    if machine != EM_ARM {
        return Err(bad(format!("ELF machine {machine} is not ARM ({EM_ARM})")));
    }
    let phoff = u32_at(elf, 28) as usize;
    let phentsize = usize::from(u16_at(elf, 42));
    let phnum = usize::from(u16_at(elf, 44));
    if phnum == 0 {
        return Err(bad(
            "ELF has no program headers (is this an object file, not a linked app?)",
        ));
    }
    if phentsize < PHDR_LEN {
        return Err(bad(format!("program header size {phentsize} < {PHDR_LEN}")));
    }
    let table_end = phentsize
        .checked_mul(phnum)
        .and_then(|n| n.checked_add(phoff))
        .filter(|&end| end <= elf.len())
        .ok_or_else(|| bad("program header table extends past the end of the file"))?;
    let table = &elf[phoff..table_end];
    let mut segments = Vec::new();
    for (index, ph) in table.chunks_exact(phentsize).enumerate() {
        let (p_type, offset, paddr, filesz) =
            (u32_at(ph, 0), u32_at(ph, 4), u32_at(ph, 12), u32_at(ph, 16));
        if p_type != PT_LOAD || filesz == 0 {
            continue;
        }
        let (offset, filesz) = (offset as usize, filesz as usize);
        let bytes = offset
            .checked_add(filesz)
            .and_then(|end| elf.get(offset..end))
            .ok_or_else(|| {
                bad(format!(
                    "PT_LOAD segment {index} (offset {offset:#x}, {filesz} bytes) extends past \
                     the end of the file"
                ))
            })?;
        if u64::from(paddr) + filesz as u64 > 1 << 32 {
            return Err(bad(format!(
                "PT_LOAD segment {index} at {paddr:#010x} wraps past the 4 GiB address space"
            )));
        }
        segments.push(Segment {
            index,
            paddr,
            bytes,
        });
    }
    Ok(segments)
}
