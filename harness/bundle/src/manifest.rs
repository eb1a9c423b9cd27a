//! Building a bundle: the app body for a ROM, the signed manifest, and the ZIP around them.

use mv_ota::app_layer_region::Where;
use mv_ota::p256::ecdsa::SigningKey;
use mv_ota::{
    fetch_hash, measurement_hash, sign_body, AppBody, AppLayerReference, AppLayerRegion,
    ConnectivityPolicy, CrashPolicy, DebugPolicy, InternalFlashRegion, OpaqueManifest,
    TrustedSigner, UpdatePolicy, APP_REGION_SIZE,
};
use prost::Message;

use crate::zipfile::Bundle;
use crate::{BundleError, Rom};

/// What a bundle says besides its ROM: the app version and the optional policies.
///
/// `Default` is version 0 with no policies, which the kernel treats as its defaults
/// (install at once, no debugging, default restart back-off).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BundlePolicy {
    /// Downgrade-protection version (`AppBody` field 100); the kernel refuses lower ones.
    pub app_version: u32,
    /// `AppBody.debug`.
    pub debug: Option<DebugPolicy>,
    /// `AppBody.crash`.
    pub crash: Option<CrashPolicy>,
    /// `AppBody.update` (polite deployment, minimum kernel version).
    pub update: Option<UpdatePolicy>,
    /// `AppBody.connectivity`.
    pub connectivity: Option<ConnectivityPolicy>,
}

impl BundlePolicy {
    /// Default policies with this app version.
    #[must_use]
    pub fn with_version(app_version: u32) -> Self {
        Self {
            app_version,
            ..Self::default()
        }
    }
}

/// The ZIP file name of a layer: lowercase hex SHA-256 of its bytes.
#[must_use]
pub fn layer_name(layer: &[u8]) -> String {
    hex::encode(fetch_hash(layer))
}

/// Builds a signed bundle; the same inputs always give the same bytes.
///
/// # Errors
/// [`BundleError::Zip`] if the ZIP cannot be written (not expected in memory).
pub fn build_bundle(
    rom: &Rom,
    key: &SigningKey,
    policy: &BundlePolicy,
) -> Result<Vec<u8>, BundleError> {
    bundle_of(rom.bytes(), key, policy).to_zip()
}

/// The bundle for any bytes, without the `Rom` size check (tamper helpers need that).
pub(crate) fn bundle_of(rom: &[u8], key: &SigningKey, policy: &BundlePolicy) -> Bundle {
    let body = app_body(rom, policy);
    Bundle {
        manifest: signed_manifest(&body, key),
        layers: [(layer_name(rom), rom.to_vec())].into_iter().collect(),
    }
}

/// The body describing `rom` as the one internal-flash app layer.
pub(crate) fn app_body(rom: &[u8], policy: &BundlePolicy) -> AppBody {
    AppBody {
        layers: vec![AppLayerReference {
            target: Some(AppLayerRegion {
                r#where: Some(Where::InternalFlash(InternalFlashRegion {
                    start: 0,
                    size: APP_REGION_SIZE,
                })),
            }),
            encrypted_with_key_id: 0,
            fetch_hash: fetch_hash(rom).to_vec(),
            measurement_hash: measurement_hash(rom).to_vec(),
        }],
        debug: policy.debug.clone(),
        crash: policy.crash.clone(),
        update: policy.update,
        connectivity: policy.connectivity,
        app_version: policy.app_version,
    }
}

/// Serializes `body`, signs it, and returns the serialized `OpaqueManifest`.
pub(crate) fn signed_manifest(body: &AppBody, key: &SigningKey) -> Vec<u8> {
    let body = body.encode_to_vec();
    OpaqueManifest {
        signer_id: TrustedSigner::from_signing_key(key).id(),
        signature: sign_body(key, &body).to_vec(),
        body,
    }
    .encode_to_vec()
}
