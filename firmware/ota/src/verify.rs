//! Manifest verification in the order the kernel needs: envelope, signer, signature, body, layers.
//!
//! Nothing inside `body` is looked at before the signature verifies, so an attacker's
//! bytes only ever reach the protobuf decoder of the 3-field envelope.

use prost::Message;

use crate::manifest::app_layer_region::Where;
use crate::{
    AppBody, AppLayerReference, LayerFault, OpaqueManifest, OtaError, RomDigest, TrustedSigner,
    APP_REGION_SIZE, HASH_LEN,
};

/// The one app layer of a verified manifest, with fixed-size hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppLayer {
    /// Offset of the region in the app partition.
    pub start: u32,
    /// Size of the region.
    pub size: u32,
    /// SHA-256 of the layer as fetched; the layer's file name in the ZIP.
    pub fetch_hash: [u8; HASH_LEN],
    /// SHA-256 of the ROM padded with 0xFF to 1 MiB.
    pub measurement_hash: [u8; HASH_LEN],
}

/// A manifest whose signature verified and whose layers are one installable app.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedManifest {
    /// Id of the trusted key that signed it.
    pub signer_id: u64,
    /// The decoded body (policies included).
    pub body: AppBody,
    /// The app layer, already checked.
    pub app: AppLayer,
}

impl VerifiedManifest {
    /// The bundle's app version (field 100; 0 when absent).
    #[must_use]
    pub fn app_version(&self) -> u32 {
        self.body.app_version
    }

    /// Checks a fetched (or staged) layer against the signed references.
    ///
    /// Order: size (cheapest, and bounds the rest), fetch hash, measurement hash. The ROM
    /// must be strictly smaller than 1 MiB and fit its region.
    ///
    /// # Errors
    /// [`OtaError::RomTooLarge`], [`OtaError::FetchHashMismatch`] or
    /// [`OtaError::MeasurementMismatch`].
    pub fn check_rom(&self, digest: &RomDigest) -> Result<(), OtaError> {
        let max = u64::from(self.app.size).min(u64::from(APP_REGION_SIZE) - 1);
        if digest.len > max {
            return Err(OtaError::RomTooLarge {
                len: digest.len,
                max,
            });
        }
        if digest.fetch_hash != self.app.fetch_hash {
            return Err(OtaError::FetchHashMismatch);
        }
        if digest.measurement_hash != self.app.measurement_hash {
            return Err(OtaError::MeasurementMismatch);
        }
        Ok(())
    }

    /// Refuses a bundle whose app version is lower than the installed one.
    ///
    /// Equal versions are accepted so that an interrupted install of the same bundle can
    /// be resumed and re-verified. `None` means no app is installed (factory state).
    ///
    /// # Errors
    /// [`OtaError::Downgrade`] if `offered < installed`.
    pub fn check_not_downgrade(&self, installed: Option<u32>) -> Result<(), OtaError> {
        match installed {
            Some(installed) if self.app_version() < installed => Err(OtaError::Downgrade {
                installed,
                offered: self.app_version(),
            }),
            _ => Ok(()),
        }
    }
}

/// Verifies a serialized [`OpaqueManifest`] against the trusted keys.
///
/// Order: decode the envelope (`Malformed`), find the signer (`UnknownSigner`), check the
/// signature over `MANIFEST_PREFIX + body` (`BadSignature`), decode the body (`Malformed`),
/// check the layer references (`BadLayer`). Then the caller checks
/// [`VerifiedManifest::check_not_downgrade`] (only it knows what is installed) before
/// fetching, and [`VerifiedManifest::check_rom`] on the fetched or staged layer.
///
/// # Errors
/// The first check that fails, as above.
pub fn verify_manifest(
    manifest_bytes: &[u8],
    trusted: &[TrustedSigner],
) -> Result<VerifiedManifest, OtaError> {
    let envelope = OpaqueManifest::decode(manifest_bytes).map_err(|_| OtaError::Malformed)?;
    let signer = trusted
        .iter()
        .find(|s| s.id() == envelope.signer_id)
        .ok_or(OtaError::UnknownSigner(envelope.signer_id))?;
    signer.verify_body(&envelope.body, &envelope.signature)?;
    let body = AppBody::decode(envelope.body.as_slice()).map_err(|_| OtaError::Malformed)?;
    let app = check_layers(&body.layers).map_err(OtaError::BadLayer)?;
    Ok(VerifiedManifest {
        signer_id: envelope.signer_id,
        body,
        app,
    })
}

/// Re-opens a manifest this device verified before, without checking its
/// signature again: `manifest_bytes` must hash (SHA-256) to
/// `verified_digest`, the digest of bytes [`verify_manifest`] accepted.
///
/// A signature check is a pure function of the bytes and the trusted keys,
/// and a device's keys do not change (they are provisioned once), so the
/// same bytes verify the same way: only the decoding is redone, and it
/// makes the same checks of the body and layers. Bytes that differ by one
/// bit from those verified (a decayed page) hash differently and are
/// refused; the caller then verifies them in full.
///
/// # Errors
/// [`OtaError::Malformed`] when the bytes are not the ones verified (or do
/// not decode), [`OtaError::BadLayer`] as [`verify_manifest`].
pub fn reopen_verified_manifest(
    manifest_bytes: &[u8],
    verified_digest: &[u8; HASH_LEN],
) -> Result<VerifiedManifest, OtaError> {
    if crate::fetch_hash(manifest_bytes) != *verified_digest {
        return Err(OtaError::Malformed);
    }
    let envelope = OpaqueManifest::decode(manifest_bytes).map_err(|_| OtaError::Malformed)?;
    let body = AppBody::decode(envelope.body.as_slice()).map_err(|_| OtaError::Malformed)?;
    let app = check_layers(&body.layers).map_err(OtaError::BadLayer)?;
    Ok(VerifiedManifest {
        signer_id: envelope.signer_id,
        body,
        app,
    })
}

/// Exactly one plaintext internal-flash layer within the 1 MiB region, with 32-byte hashes.
fn check_layers(layers: &[AppLayerReference]) -> Result<AppLayer, LayerFault> {
    let layer = match layers {
        [] => return Err(LayerFault::NoLayer),
        [one] => one,
        more => return Err(LayerFault::TooManyLayers(more.len())),
    };
    let region = match layer.target.as_ref().and_then(|t| t.r#where.as_ref()) {
        None => return Err(LayerFault::NoTarget),
        Some(Where::ExternalFlash(_)) => return Err(LayerFault::ExternalFlash),
        Some(Where::InternalFlash(region)) => *region,
    };
    if u64::from(region.start) + u64::from(region.size) > u64::from(APP_REGION_SIZE) {
        return Err(LayerFault::RegionTooLarge {
            start: region.start,
            size: region.size,
        });
    }
    if layer.encrypted_with_key_id != 0 {
        return Err(LayerFault::Encrypted(layer.encrypted_with_key_id));
    }
    let fetch_hash: [u8; HASH_LEN] = layer
        .fetch_hash
        .as_slice()
        .try_into()
        .map_err(|_| LayerFault::FetchHashLength(layer.fetch_hash.len()))?;
    let measurement_hash: [u8; HASH_LEN] = layer
        .measurement_hash
        .as_slice()
        .try_into()
        .map_err(|_| LayerFault::MeasurementHashLength(layer.measurement_hash.len()))?;
    Ok(AppLayer {
        start: region.start,
        size: region.size,
        fetch_hash,
        measurement_hash,
    })
}
