//! Build the secure image and the agent for `thumbv8m.main-none-eabi`, and say what they occupy.
//!
//! Cargo is the cache: an unchanged tree rebuilds in well under a second.
//! The target is checked (and installed through rustup if it can be) before
//! the build, so a toolchain without it gives one line saying what to run
//! instead of a compiler error per crate.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::toolchain::ensure_target;
use crate::RigError;

/// The target the firmware images are built for.
pub const TARGET: &str = "thumbv8m.main-none-eabi";

/// Paths of the two ELF images QEMU loads.
#[derive(Clone, Debug)]
pub struct Images {
    pub secure: PathBuf,
    pub agent: PathBuf,
}

/// `cargo build --release` of both images; the output is checked, not trusted.
pub fn build_images(root: &Path) -> Result<Images, RigError> {
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
    let images = Images {
        secure: dir.join("mv-secure"),
        agent: dir.join("mv-agent"),
    };
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
    Ok(images)
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
