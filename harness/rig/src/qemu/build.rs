//! Build the secure images and the agents for `thumbv8m.main-none-eabi`, and say what they occupy.
//!
//! One `cargo build` makes both boards' images (`firmware/secure` and
//! `firmware/agent` build one binary per board, [`ImageBoard`]) and prints
//! each one's flash and RAM use. Cargo is the cache: an unchanged tree
//! rebuilds in well under a second.
//! The target is checked (and installed through rustup if it can be) before
//! the build, so a toolchain without it gives one line saying what to run
//! instead of a compiler error per crate.

use std::path::{Path, PathBuf};
use std::process::Command;

use hil_bundle::elf_to_rom;

use super::toolchain::ensure_target;
use crate::RigError;

/// The target the firmware images are built for.
pub const TARGET: &str = "thumbv8m.main-none-eabi";

/// Paths of one board's two ELF images: the secure image and the agent.
#[derive(Clone, Debug)]
pub struct Images {
    pub secure: PathBuf,
    pub agent: PathBuf,
}

/// The boards the firmware packages build images for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageBoard {
    /// QEMU `mps2-an505` (the `qemu-an505` rig).
    An505,
    /// The STM32U585 (B-U585I-IOT02A, TZEN=1).
    Stm32u585,
}

impl ImageBoard {
    pub const ALL: [ImageBoard; 2] = [ImageBoard::An505, ImageBoard::Stm32u585];

    /// What a rig file's `board.images` and a case's `skip:` call these
    /// images (`hil_cases::SKIP_IMAGES` lists every name).
    pub const fn name(self) -> &'static str {
        match self {
            ImageBoard::An505 => "an505",
            ImageBoard::Stm32u585 => "stm32u585",
        }
    }

    /// The images called `name`, if any.
    pub fn from_name(name: &str) -> Option<ImageBoard> {
        ImageBoard::ALL.into_iter().find(|b| b.name() == name)
    }

    /// The cargo binaries: (secure image, agent).
    pub const fn binaries(self) -> (&'static str, &'static str) {
        match self {
            ImageBoard::An505 => ("mv-secure", "mv-agent"),
            ImageBoard::Stm32u585 => ("mv-secure-u585", "mv-agent-u585"),
        }
    }

    /// Where the app's code loads on this board: the agent's ROM starts
    /// here, and every deployment offers a ROM for it.
    pub const fn app_code_base(self) -> u32 {
        match self {
            ImageBoard::An505 => mv_boards::an505::NS_CODE_BASE,
            ImageBoard::Stm32u585 => mv_boards::stm32u585::NS_FLASH_BASE,
        }
    }

    /// The probe-rs chips (by name prefix) these images are built for;
    /// `None` for images that run under QEMU only, where no debug probe
    /// reaches (and so no RTT link either).
    pub const fn chip_prefix(self) -> Option<&'static str> {
        match self {
            ImageBoard::An505 => None,
            ImageBoard::Stm32u585 => Some("STM32U585"),
        }
    }

    /// The agent's ROM (its loadable bytes from the lowest address), checked
    /// to start at this board's [`app_code_base`](Self::app_code_base): an
    /// agent linked for another board is refused, not deployed.
    pub fn agent_rom(self, agent_elf: &Path) -> Result<Vec<u8>, RigError> {
        let elf = std::fs::read(agent_elf).map_err(|e| {
            RigError::Build(format!(
                "cannot read the agent ELF {}: {e}",
                agent_elf.display()
            ))
        })?;
        let rom = elf_to_rom(&elf).map_err(|e| RigError::Build(format!("the agent ELF: {e}")))?;
        let base = self.app_code_base();
        if rom.base() != base {
            return Err(RigError::Build(format!(
                "the agent ROM {} starts at {:#x}, the {} app region loads at {base:#x}",
                agent_elf.display(),
                rom.base(),
                self.name()
            )));
        }
        Ok(rom.bytes().to_vec())
    }
}

/// `cargo build --release` of every board's images; QEMU's (AN505) are returned.
pub fn build_images(root: &Path) -> Result<Images, RigError> {
    build_board_images(root, ImageBoard::An505)
}

/// `cargo build --release` of every board's images (one build; each
/// image's flash and RAM use goes to stderr); returns `board`'s, checked,
/// not trusted.
pub fn build_board_images(root: &Path, board: ImageBoard) -> Result<Images, RigError> {
    ensure_target(root)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(root).args([
        "build",
        "--release",
        "--target",
        TARGET,
        "-p",
        "mv-secure",
        "-p",
        "mv-agent",
    ]);
    let output = hil_proc::output(command)
        .map_err(|e| RigError::Build(format!("cannot run cargo to build the firmware: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        return Err(RigError::Build(format!(
            "the firmware build failed:\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )));
    }
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let dir = target_dir.join(TARGET).join("release");
    let images_of = |b: ImageBoard| {
        let (secure, agent) = b.binaries();
        Images {
            secure: dir.join(secure),
            agent: dir.join(agent),
        }
    };
    for b in ImageBoard::ALL {
        let images = images_of(b);
        for image in [&images.secure, &images.agent] {
            if !image.is_file() {
                return Err(RigError::Build(format!(
                    "the build did not produce {}",
                    image.display()
                )));
            }
            if let Some(use_) = std::fs::read(image)
                .ok()
                .and_then(|elf| MemoryUse::of(&elf))
            {
                let name = image
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                eprintln!("{name}: flash {} bytes, RAM {} bytes", use_.flash, use_.ram);
            }
        }
    }
    Ok(images_of(board))
}

/// What an image occupies: flash (code, read-only data, and the initial
/// values of `.data`) and RAM (`.data`, `.bss`, heaps and stacks reserved in
/// sections), from its allocated ELF sections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryUse {
    pub flash: u64,
    pub ram: u64,
}

impl MemoryUse {
    pub fn of(elf: &[u8]) -> Option<MemoryUse> {
        use object::{Object, ObjectSection, SectionFlags, SectionKind};
        let file = object::File::parse(elf).ok()?;
        let mut use_ = MemoryUse { flash: 0, ram: 0 };
        for section in file.sections() {
            let SectionFlags::Elf { sh_flags } = section.flags() else {
                continue;
            };
            // SHF_ALLOC: the section takes space on the device.
            if sh_flags & 0x2 == 0 {
                continue;
            }
            match section.kind() {
                SectionKind::Text | SectionKind::ReadOnlyData | SectionKind::ReadOnlyString => {
                    use_.flash += section.size()
                }
                SectionKind::Data => {
                    use_.flash += section.size();
                    use_.ram += section.size();
                }
                SectionKind::UninitializedData => use_.ram += section.size(),
                _ => {}
            }
        }
        Some(use_)
    }
}
