//! What the CLI's `bundle` subcommand does: ELF + key → verified bundle file, and a summary.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{build_bundle, elf_to_rom, load_signing_key, verify_bundle, BundleError, BundlePolicy};

/// What [`bundle_command`] wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleSummary {
    /// The bundle file.
    pub out: PathBuf,
    /// Size of the bundle file in bytes.
    pub bundle_len: usize,
    /// Signer id in the manifest.
    pub signer_id: u64,
    /// App version in the manifest.
    pub app_version: u32,
    /// Lowest loaded address of the ELF.
    pub rom_base: u32,
    /// ROM length in bytes.
    pub rom_len: usize,
    /// Layer file name (hex fetch hash).
    pub layer_name: String,
    /// Hex measurement hash (ROM padded with 0xFF to 1 MiB).
    pub measurement_hash: String,
}

/// Builds a bundle from `elf` signed with the PEM key at `key`, checks it verifies, and
/// writes it to `out` (via a temporary file and rename, so `out` is never half-written).
///
/// `out` is never the key or the ELF, and an existing `out` is only
/// replaced with `force`; the ELF must load into the app flash of a board
/// ([`mv_boards::BOARDS`]), which the secure image, say, does not.
///
/// # Errors
/// Reading the ELF or key, converting the ELF, or writing `out`; see [`BundleError`].
pub fn bundle_command(
    elf: &Path,
    key: &Path,
    out: &Path,
    app_version: u32,
    force: bool,
) -> Result<BundleSummary, BundleError> {
    for (input, what) in [(key, "signing key"), (elf, "app ELF")] {
        if same_file(out, input) {
            return Err(BundleError::OutputIsInput {
                path: out.to_owned(),
                what,
            });
        }
    }
    if !force && fs::symlink_metadata(out).is_ok() {
        return Err(BundleError::OutputExists {
            path: out.to_owned(),
        });
    }
    let key = load_signing_key(key)?;
    let elf_bytes = fs::read(elf).map_err(|source| BundleError::Read {
        path: elf.to_owned(),
        source,
    })?;
    let rom = elf_to_rom(&elf_bytes)?;
    check_app_flash(&rom)?;
    let zip = build_bundle(&rom, key.key(), &BundlePolicy::with_version(app_version))?;
    // Self-check: what we write is what the kernel will accept from this signer.
    let verified = verify_bundle(&zip, &[key.trusted()], None)?;

    let mut tmp_name = out.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let write_err = |path: &Path| {
        let path = path.to_owned();
        move |source| BundleError::Write { path, source }
    };
    fs::write(&tmp, &zip).map_err(write_err(&tmp))?;
    fs::rename(&tmp, out).map_err(write_err(out))?;

    Ok(BundleSummary {
        out: out.to_owned(),
        bundle_len: zip.len(),
        signer_id: verified.manifest.signer_id,
        app_version: verified.manifest.app_version(),
        rom_base: rom.base(),
        rom_len: rom.bytes().len(),
        layer_name: verified.layer_name,
        measurement_hash: hex::encode(verified.manifest.app.measurement_hash),
    })
}

/// Are `a` and `b` the same file (through links and `..` alike)? A path
/// that does not exist is no other file.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// The ROM lies in the app flash of some board (its read-only app region).
fn check_app_flash(rom: &crate::Rom) -> Result<(), BundleError> {
    let base = rom.base();
    let end = u64::from(base) + rom.bytes().len() as u64;
    let flash = || {
        mv_boards::BOARDS.into_iter().flat_map(|board| {
            board
                .app_regions
                .iter()
                .filter(|r| !r.writable)
                .map(move |r| (board.name, r.base, u64::from(r.base) + u64::from(r.size)))
        })
    };
    if flash().any(|(_, start, stop)| base >= start && end <= stop) {
        return Ok(());
    }
    Err(BundleError::NotInAppFlash {
        base,
        end,
        boards: flash()
            .map(|(name, start, stop)| format!("{name}: {start:#010x}..{stop:#010x}"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}
