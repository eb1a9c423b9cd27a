//! Tampered bundles for the power-cut campaign: each one must be refused, for a known reason.
//!
//! Every helper starts from a good bundle and changes one thing. Helpers that need a
//! *validly signed* wrong manifest (measurement mismatch, oversized ROM, downgrade) take
//! the signing key, because they model a trusted but wrong bundler, not an attacker; the
//! rest model corruption or an attacker without the key. All output is deterministic.

use mv_ota::p256::ecdsa::SigningKey;
use mv_ota::{AppBody, OpaqueManifest, OtaError, APP_REGION_SIZE};
use prost::Message;

use crate::manifest::{app_body, layer_name, signed_manifest, BundlePolicy};
use crate::{read_bundle, Bundle, BundleError};

/// The tamper classes, with the refusal [`verify_bundle`](crate::verify_bundle) gives each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TamperClass {
    /// One signature bit flipped → `Rejected(BadSignature)`.
    BadSignature,
    /// Re-signed by an untrusted key → `Rejected(UnknownSigner(_))`.
    UnknownSigner,
    /// Layer cut to half its length, as by an interrupted download →
    /// `Rejected(FetchHashMismatch)`.
    TruncatedLayer,
    /// One layer byte changed, length and name kept → `Rejected(FetchHashMismatch)`.
    LayerHashMismatch,
    /// Signed manifest whose measurement is of the ROM padded with 0x00, not 0xFF →
    /// `Rejected(MeasurementMismatch)`.
    MeasurementMismatch,
    /// Signed bundle whose ROM is exactly 1 MiB → `Rejected(RomTooLarge { .. })`.
    OversizedRom,
    /// Signed bundle one version below the installed one → `Rejected(Downgrade { .. })`.
    Downgrade,
    /// Manifest cut short by one byte → `Rejected(Malformed)`.
    MalformedManifest,
}

impl TamperClass {
    /// Every class, in a stable order.
    pub const ALL: [Self; 8] = [
        Self::BadSignature,
        Self::UnknownSigner,
        Self::TruncatedLayer,
        Self::LayerHashMismatch,
        Self::MeasurementMismatch,
        Self::OversizedRom,
        Self::Downgrade,
        Self::MalformedManifest,
    ];

    /// Stable kebab-case name for reports and case files.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::BadSignature => "bad-signature",
            Self::UnknownSigner => "unknown-signer",
            Self::TruncatedLayer => "truncated-layer",
            Self::LayerHashMismatch => "layer-hash-mismatch",
            Self::MeasurementMismatch => "measurement-mismatch",
            Self::OversizedRom => "oversized-rom",
            Self::Downgrade => "downgrade",
            Self::MalformedManifest => "malformed-manifest",
        }
    }

    /// Applies this class to a good `bundle` signed by `key`. `installed` is the app
    /// version the device runs; only [`TamperClass::Downgrade`] uses it, but verify every
    /// class with `Some(installed)` and a good bundle at least that version.
    ///
    /// # Errors
    /// As the helper for the class.
    pub fn apply(
        self,
        bundle: &[u8],
        key: &SigningKey,
        installed: u32,
    ) -> Result<Vec<u8>, BundleError> {
        match self {
            Self::BadSignature => bad_signature(bundle),
            Self::UnknownSigner => unknown_signer(bundle),
            Self::TruncatedLayer => truncated_layer(bundle),
            Self::LayerHashMismatch => layer_hash_mismatch(bundle),
            Self::MeasurementMismatch => measurement_mismatch(bundle, key),
            Self::OversizedRom => oversized_rom(bundle, key),
            Self::Downgrade => downgrade(bundle, key, installed),
            Self::MalformedManifest => malformed_manifest(bundle),
        }
    }

    /// Whether `error` is the refusal this class must cause.
    #[must_use]
    pub fn is_expected(self, error: &BundleError) -> bool {
        let BundleError::Rejected(reason) = error else {
            return false;
        };
        matches!(
            (self, reason),
            (Self::BadSignature, OtaError::BadSignature)
                | (Self::UnknownSigner, OtaError::UnknownSigner(_))
                | (
                    Self::TruncatedLayer | Self::LayerHashMismatch,
                    OtaError::FetchHashMismatch
                )
                | (Self::MeasurementMismatch, OtaError::MeasurementMismatch)
                | (Self::OversizedRom, OtaError::RomTooLarge { .. })
                | (Self::Downgrade, OtaError::Downgrade { .. })
                | (Self::MalformedManifest, OtaError::Malformed)
        )
    }
}

/// A key no verifier trusts; fixed so tampered bundles are reproducible.
fn untrusted_key() -> SigningKey {
    SigningKey::from_slice(&[0x5a; 32]).expect("0x5a..5a is a valid P-256 scalar")
}

/// A good bundle, opened: the ZIP contents, the envelope, its body, and the app layer name.
struct Opened {
    bundle: Bundle,
    envelope: OpaqueManifest,
    body: AppBody,
    layer: String,
}

fn open(class: &'static str, bundle: &[u8]) -> Result<Opened, BundleError> {
    let not_applicable = |reason| BundleError::TamperNotApplicable { class, reason };
    let bundle = read_bundle(bundle)?;
    let envelope = OpaqueManifest::decode(bundle.manifest.as_slice())
        .map_err(|_| not_applicable("the input manifest does not decode"))?;
    let body = AppBody::decode(envelope.body.as_slice())
        .map_err(|_| not_applicable("the input manifest body does not decode"))?;
    let layer = body
        .layers
        .first()
        .map(|layer| hex::encode(&layer.fetch_hash))
        .filter(|name| bundle.layers.contains_key(name))
        .ok_or_else(|| not_applicable("the input has no app layer file"))?;
    Ok(Opened {
        bundle,
        envelope,
        body,
        layer,
    })
}

/// The policies of an existing body, so re-signed bundles differ only where intended.
fn policy_of(body: &AppBody) -> BundlePolicy {
    BundlePolicy {
        app_version: body.app_version,
        debug: body.debug.clone(),
        crash: body.crash.clone(),
        update: body.update,
        connectivity: body.connectivity,
    }
}

/// Flips the top bit of the signature's first byte (in `r`).
///
/// # Errors
/// If `bundle` is not a readable bundle with a 64-byte signature.
pub fn bad_signature(bundle: &[u8]) -> Result<Vec<u8>, BundleError> {
    let Opened {
        mut bundle,
        mut envelope,
        ..
    } = open("bad-signature", bundle)?;
    let first = envelope
        .signature
        .first_mut()
        .ok_or(BundleError::TamperNotApplicable {
            class: "bad-signature",
            reason: "the input manifest is unsigned",
        })?;
    *first ^= 0x80;
    bundle.manifest = envelope.encode_to_vec();
    bundle.to_zip()
}

/// Re-signs the same body with a key no verifier trusts.
///
/// # Errors
/// If `bundle` is not a readable bundle.
pub fn unknown_signer(bundle: &[u8]) -> Result<Vec<u8>, BundleError> {
    let Opened {
        mut bundle, body, ..
    } = open("unknown-signer", bundle)?;
    bundle.manifest = signed_manifest(&body, &untrusted_key());
    bundle.to_zip()
}

/// Cuts the app layer to half its length, keeping its file name.
///
/// # Errors
/// If `bundle` is not a readable bundle with an app layer.
pub fn truncated_layer(bundle: &[u8]) -> Result<Vec<u8>, BundleError> {
    let Opened {
        mut bundle, layer, ..
    } = open("truncated-layer", bundle)?;
    if let Some(bytes) = bundle.layers.get_mut(&layer) {
        let half = bytes.len() / 2;
        bytes.truncate(half);
    }
    bundle.to_zip()
}

/// Changes the last byte of the app layer, keeping its length and file name.
///
/// # Errors
/// If `bundle` is not a readable bundle with a non-empty app layer.
pub fn layer_hash_mismatch(bundle: &[u8]) -> Result<Vec<u8>, BundleError> {
    let Opened {
        mut bundle, layer, ..
    } = open("layer-hash-mismatch", bundle)?;
    let last = bundle
        .layers
        .get_mut(&layer)
        .and_then(|bytes| bytes.last_mut())
        .ok_or(BundleError::TamperNotApplicable {
            class: "layer-hash-mismatch",
            reason: "the app layer is empty",
        })?;
    *last ^= 0x01;
    bundle.to_zip()
}

/// Re-signs the body with the measurement of the ROM padded with 0x00 instead of 0xFF.
///
/// # Errors
/// If `bundle` is not a readable bundle with an app layer.
pub fn measurement_mismatch(bundle: &[u8], key: &SigningKey) -> Result<Vec<u8>, BundleError> {
    let Opened {
        mut bundle,
        mut body,
        layer,
        ..
    } = open("measurement-mismatch", bundle)?;
    let mut zero_padded = bundle.layers[&layer].clone();
    zero_padded.resize(APP_REGION_SIZE as usize, 0x00);
    body.layers[0].measurement_hash = mv_ota::fetch_hash(&zero_padded).to_vec();
    bundle.manifest = signed_manifest(&body, key);
    bundle.to_zip()
}

/// Pads the ROM with 0xFF to exactly 1 MiB and signs a correct manifest for it.
///
/// # Errors
/// If `bundle` is not a readable bundle with an app layer.
pub fn oversized_rom(bundle: &[u8], key: &SigningKey) -> Result<Vec<u8>, BundleError> {
    let Opened {
        mut bundle,
        body,
        layer,
        ..
    } = open("oversized-rom", bundle)?;
    let mut rom = bundle.layers.remove(&layer).unwrap_or_default();
    rom.resize(APP_REGION_SIZE as usize, 0xFF);
    bundle.manifest = signed_manifest(&app_body(&rom, &policy_of(&body)), key);
    bundle.layers.insert(layer_name(&rom), rom);
    bundle.to_zip()
}

/// Re-signs the body with app version `installed - 1`.
///
/// # Errors
/// [`BundleError::TamperNotApplicable`] if `installed` is 0 (nothing is lower), or if
/// `bundle` is not a readable bundle.
pub fn downgrade(bundle: &[u8], key: &SigningKey, installed: u32) -> Result<Vec<u8>, BundleError> {
    let lower = installed
        .checked_sub(1)
        .ok_or(BundleError::TamperNotApplicable {
            class: "downgrade",
            reason: "installed version 0 has no lower version",
        })?;
    let Opened {
        mut bundle,
        mut body,
        ..
    } = open("downgrade", bundle)?;
    body.app_version = lower;
    bundle.manifest = signed_manifest(&body, key);
    bundle.to_zip()
}

/// Cuts the last byte off the manifest, inside the trailing signature field.
///
/// # Errors
/// If `bundle` is not a readable bundle.
pub fn malformed_manifest(bundle: &[u8]) -> Result<Vec<u8>, BundleError> {
    let Opened { mut bundle, .. } = open("malformed-manifest", bundle)?;
    bundle.manifest.pop();
    bundle.to_zip()
}
