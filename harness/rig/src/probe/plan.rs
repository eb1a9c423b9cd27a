//! Flash plans: which bytes of an image go where on the part, through which flash algorithm — as probe-rs loads them, checked against the part's own map.
//!
//! An image is read by probe-rs's own ELF loader into its `FlashLoader`
//! (the loader a real flash uses), so the plan is what a board would get:
//! every loaded segment at its load address. Two checks decide whether it
//! may go to the part: probe-rs's (every byte in a memory region of the
//! chip's description, a flash algorithm for every flash region, made by
//! `FlashLoader::commit` with `dry_run`) and ours (every byte inside the
//! flash window its role owns on the STM32U585, from `mv_boards`): probe-rs's
//! description of the part is looser than the part — its secure alias is
//! 4 MiB where the part has 2 MiB, and bytes aimed at RAM are loaded by it
//! without complaint, but would be lost at the first reset.
//!
//! The dry run ([`dry_run`]) attaches to the chip through probe-rs's
//! `FakeProbe` (a mocked Armv8-M core), so CI checks the plan of both real
//! images without a board.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use mv_boards::stm32u585::{NS_FLASH_BASE, NS_FLASH_SIZE, SECURE_FLASH_BASE, SECURE_FLASH_SIZE};
use probe_rs::flashing::{DownloadOptions, ElfLoader, ElfOptions, FlashLoader};
use probe_rs::integration::FakeProbe;
use probe_rs::{Permissions, Session};

use super::error::{chain, ProbeError};

/// The part on the B-U585I-IOT02A, as probe-rs names it.
pub const STM32U585: &str = "STM32U585AIIx";

/// Which image: where on the part its bytes belong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageRole {
    /// The secure image (`mv-secure-u585`): the part's flash through its secure alias.
    Secure,
    /// The app (`mv-agent-u585`): app ROM, non-secure.
    App,
}

impl ImageRole {
    /// What it is called in messages.
    pub fn name(self) -> &'static str {
        match self {
            ImageRole::Secure => "secure image",
            ImageRole::App => "app image",
        }
    }

    /// The flash its bytes must stay inside, and what that is called.
    pub fn window(self) -> (&'static str, Range<u64>) {
        let span = |base: u32, size: u32| u64::from(base)..u64::from(base) + u64::from(size);
        match self {
            ImageRole::Secure => (
                "the part's 2 MiB flash through its secure alias",
                span(SECURE_FLASH_BASE, SECURE_FLASH_SIZE),
            ),
            ImageRole::App => ("app ROM", span(NS_FLASH_BASE, NS_FLASH_SIZE)),
        }
    }
}

/// One contiguous run of bytes in one flash region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedBlock {
    pub address: u64,
    pub bytes: u64,
    /// The chip description's memory region (`BANK_1`, `synthesized for stm32u59x_4m_0c00`).
    pub region: String,
    /// The flash algorithm probe-rs uses for that region.
    pub algorithm: String,
    /// Erase sectors the block touches.
    pub sectors: u64,
}

/// What flashing an image would do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashPlan {
    pub image: PathBuf,
    pub role: ImageRole,
    pub chip: String,
    pub blocks: Vec<PlannedBlock>,
}

impl FlashPlan {
    /// Bytes programmed in all.
    pub fn bytes(&self) -> u64 {
        self.blocks.iter().map(|b| b.bytes).sum()
    }

    /// From the first byte programmed to one past the last.
    pub fn span(&self) -> Option<Range<u64>> {
        let start = self.blocks.iter().map(|b| b.address).min()?;
        let end = self.blocks.iter().map(|b| b.address + b.bytes).max()?;
        Some(start..end)
    }
}

impl fmt::Display for FlashPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} {} -> {}: {} bytes in {} block(s)",
            self.role.name(),
            self.image.display(),
            self.chip,
            self.bytes(),
            self.blocks.len()
        )?;
        for b in &self.blocks {
            writeln!(
                f,
                "  {:#010x}..{:#010x} {:>7} bytes  {} sector(s)  region {}  algorithm {}",
                b.address,
                b.address + b.bytes,
                b.bytes,
                b.sectors,
                b.region,
                b.algorithm
            )?;
        }
        Ok(())
    }
}

/// Reads `elf` into a flash loader for the session's chip and describes
/// the plan; refuses an image with a byte outside its role's window.
pub(crate) fn load(
    session: &mut Session,
    elf: &Path,
    role: ImageRole,
) -> Result<(FlashLoader, FlashPlan), ProbeError> {
    let image = elf.display().to_string();
    let mut file = std::fs::File::open(elf).map_err(|e| ProbeError::Image {
        image: image.clone(),
        why: format!("cannot read it: {e}"),
    })?;
    let (window_name, window) = role.window();
    let mut loader = session.target().flash_loader();
    loader
        .load_image(
            session,
            &mut file,
            ElfLoader(ElfOptions::default()),
            None,
        )
        .map_err(|e| ProbeError::Placement {
            image: image.clone(),
            why: format!(
                "probe-rs cannot place it on {}: {} (the {} belongs in {window_name}, {:#010x}..{:#010x}: was it linked for another board?)",
                session.target().name,
                chain(&e),
                role.name(),
                window.start,
                window.end
            ),
        })?;
    let mut blocks = Vec::new();
    for (address, data) in loader.data() {
        let end = address + data.len() as u64;
        if address < window.start || end > window.end {
            return Err(ProbeError::Placement {
                image,
                why: format!(
                    "bytes loaded at {address:#010x}..{end:#010x} are outside {window_name} ({:#010x}..{:#010x}), where the {} belongs",
                    window.start,
                    window.end,
                    role.name()
                ),
            });
        }
        blocks.extend(describe(session, &image, address..end)?);
    }
    let plan = FlashPlan {
        image: elf.to_owned(),
        role,
        chip: session.target().name.clone(),
        blocks,
    };
    Ok((loader, plan))
}

/// Splits a run of bytes at the chip's flash regions and names each
/// part's region and algorithm, as probe-rs's loader picks them (the
/// algorithm whose range covers the region; of several, the default).
fn describe(
    session: &Session,
    image: &str,
    bytes: Range<u64>,
) -> Result<Vec<PlannedBlock>, ProbeError> {
    let target = session.target();
    let mut blocks = Vec::new();
    let mut at = bytes.start;
    while at < bytes.end {
        let region = target
            .memory_map
            .iter()
            .filter_map(|r| r.as_nvm_region())
            .find(|r| r.range.contains(&at))
            .ok_or_else(|| ProbeError::Placement {
                image: image.to_owned(),
                why: format!(
                    "{at:#010x} is in no flash region of {} (RAM is lost at reset)",
                    target.name
                ),
            })?;
        let end = bytes.end.min(region.range.end);
        let fitting: Vec<_> = target
            .flash_algorithms
            .iter()
            .filter(|a| {
                let r = &a.flash_properties.address_range;
                r.start <= region.range.start && region.range.end <= r.end
            })
            .collect();
        let algorithm = match fitting.as_slice() {
            [one] => Some(*one),
            many => many.iter().copied().find(|a| a.default),
        };
        let (algorithm, sectors) = match algorithm {
            Some(a) => (
                a.name.clone(),
                sectors_touched(
                    &a.flash_properties.sectors,
                    a.flash_properties.address_range.start,
                    at..end,
                ),
            ),
            None => ("(none)".to_owned(), 0),
        };
        blocks.push(PlannedBlock {
            address: at,
            bytes: end - at,
            region: region.name.clone().unwrap_or_else(|| "(unnamed)".into()),
            algorithm,
            sectors,
        });
        at = end;
    }
    Ok(blocks)
}

/// How many erase sectors `bytes` touches, for a flash whose sector
/// layout is given as groups (each group's sector size applies from its
/// offset to the next group's).
fn sectors_touched(
    groups: &[probe_rs::config::SectorDescription],
    flash_start: u64,
    bytes: Range<u64>,
) -> u64 {
    let mut count = 0;
    for (i, group) in groups.iter().enumerate() {
        if group.size == 0 {
            continue;
        }
        let start = flash_start + group.address;
        let end = groups
            .get(i + 1)
            .map_or(u64::MAX, |next| flash_start + next.address);
        let (lo, hi) = (bytes.start.max(start), bytes.end.min(end));
        if lo < hi {
            let first = (lo - start) / group.size;
            let last = (hi - 1 - start) / group.size;
            count += last - first + 1;
        }
    }
    count
}

/// Hands a loaded plan to probe-rs: a dry run checks the plan (regions,
/// algorithms) and writes nothing; otherwise it erases, programs and,
/// with `verify`, reads back.
pub(crate) fn commit(
    session: &mut Session,
    loader: &FlashLoader,
    plan: &FlashPlan,
    dry_run: bool,
    verify: bool,
) -> Result<(), ProbeError> {
    let mut options = DownloadOptions::default();
    options.dry_run = dry_run;
    options.verify = verify;
    loader
        .commit(session, options)
        .map_err(|e| ProbeError::Flash {
            image: plan.image.display().to_string(),
            why: chain(&e),
        })
}

/// Plans each image for `chip` and has probe-rs check every plan with a
/// dry run, on a mocked core: nothing needs a board. Images are planned
/// in the order given (the secure image first, as a board is flashed).
pub fn dry_run(chip: &str, images: &[(ImageRole, &Path)]) -> Result<Vec<FlashPlan>, ProbeError> {
    let mut session = FakeProbe::with_mocked_core()
        .into_probe()
        .attach(chip, Permissions::default())
        .map_err(|e| ProbeError::UnknownChip {
            chip: chip.to_owned(),
            why: chain(&e),
        })?;
    let mut plans = Vec::new();
    for &(role, elf) in images {
        let (loader, plan) = load(&mut session, elf, role)?;
        commit(&mut session, &loader, &plan, true, false)?;
        plans.push(plan);
    }
    Ok(plans)
}

/// [`dry_run`] for a command's one thread: the mocked core prints every
/// register access it is asked for to stdout, which would bury the
/// command's own lines, so stdout is dropped while it runs.
pub fn dry_run_quietly(
    chip: &str,
    images: &[(ImageRole, &Path)],
) -> Result<Vec<FlashPlan>, ProbeError> {
    super::quiet::without_stdout(|| dry_run(chip, images))
}

#[cfg(test)]
mod tests {
    use super::sectors_touched;
    use probe_rs::config::SectorDescription;

    #[test]
    fn sectors_are_counted_across_groups() {
        let groups = [
            SectorDescription {
                size: 0x2000,
                address: 0,
            },
            SectorDescription {
                size: 0x1_0000,
                address: 0x1_0000,
            },
        ];
        // One byte: one sector; a page-aligned 8 KiB: one; straddling: two.
        assert_eq!(sectors_touched(&groups, 0x100, 0x100..0x101), 1);
        assert_eq!(sectors_touched(&groups, 0x100, 0x2100..0x4100), 1);
        assert_eq!(sectors_touched(&groups, 0x100, 0x2100..0x4101), 2);
        // Across the groups: 0xE000..0x10000 is one small sector, then one big one.
        assert_eq!(sectors_touched(&groups, 0, 0xE000..0x1_0001), 2);
    }
}
