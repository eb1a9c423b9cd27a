//! Whole-bundle verification: the kernel's manifest checks from `mv-ota`, then the files.

use mv_ota::{verify_manifest, RomDigest, TrustedSigner, VerifiedManifest};

use crate::{read_bundle, BundleError};

/// A bundle that passed every check: the manifest and its app ROM.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedBundle {
    /// The verified manifest (signer, policies, app version, app layer).
    pub manifest: VerifiedManifest,
    /// File name of the app layer in the ZIP.
    pub layer_name: String,
    /// The app ROM (layer bytes).
    pub rom: Vec<u8>,
}

/// Verifies a bundle as the kernel would, plus the ZIP's own shape.
///
/// Order: ZIP and `manifest` present; signer, signature, body and layer references
/// (`mv-ota`); no downgrade below `installed_version`; the referenced layer file present;
/// its size, fetch hash and measurement hash; no other entries.
///
/// # Errors
/// The first failing check; refusals the kernel would also make are
/// [`BundleError::Rejected`] with the kernel's reason.
pub fn verify_bundle(
    zip_bytes: &[u8],
    trusted: &[TrustedSigner],
    installed_version: Option<u32>,
) -> Result<VerifiedBundle, BundleError> {
    let mut bundle = read_bundle(zip_bytes)?;
    let manifest = verify_manifest(&bundle.manifest, trusted)?;
    manifest.check_not_downgrade(installed_version)?;
    let layer_name = hex::encode(manifest.app.fetch_hash);
    let rom = bundle
        .layers
        .remove(&layer_name)
        .ok_or_else(|| BundleError::MissingLayer {
            name: layer_name.clone(),
        })?;
    manifest.check_rom(&RomDigest::of(&rom))?;
    if let Some(name) = bundle.layers.into_keys().next() {
        return Err(BundleError::UnexpectedEntry { name });
    }
    Ok(VerifiedBundle {
        manifest,
        layer_name,
        rom,
    })
}
