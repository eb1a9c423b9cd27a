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
/// # Errors
/// Reading the ELF or key, converting the ELF, or writing `out`; see [`BundleError`].
pub fn bundle_command(
    elf: &Path,
    key: &Path,
    out: &Path,
    app_version: u32,
) -> Result<BundleSummary, BundleError> {
    let elf_bytes = fs::read(elf).map_err(|source| BundleError::Read {
        path: elf.to_owned(),
        source,
    })?;
    let rom = elf_to_rom(&elf_bytes)?;
    let key = load_signing_key(key)?;
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
