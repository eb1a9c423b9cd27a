//! Microvisor OTA bundle manifests: the protobuf schema, signer ids, signature and layer checks.
//!
//! This crate runs inside the secure kernel, so it is `no_std` + `alloc` and has no
//! `unsafe`. The host bundler (`hil-bundle`) uses the same code to sign and to check what
//! it builds, so the device and the tools cannot disagree about the format.
//!
//! Format (ABI reference §5.12): a bundle is a ZIP holding `manifest`, a serialized
//! [`OpaqueManifest`], plus one file per layer named by the lowercase hex SHA-256 of the
//! layer bytes. The manifest's `body` is a serialized [`AppBody`], signed with ECDSA
//! P-256/SHA-256 over [`MANIFEST_PREFIX`] `+ body`.
//!
//! App version (our extension, wire-compatible): [`AppBody::app_version`] is field
//! **100**, `uint32`, above every field number the public schema uses. Parsers that do not
//! know it skip it as an unknown field, and because the signature covers the body *bytes*,
//! skipping it does not break verification. Absent means 0, the lowest version, so an
//! unversioned bundle can never replace a versioned app (see
//! [`VerifiedManifest::check_not_downgrade`]).
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod error;
mod hash;
mod manifest;
mod sign;
mod verify;

pub use error::{LayerFault, OtaError};
pub use hash::{fetch_hash, measurement_hash, MeasureHasher, RomDigest, RomHasher};
pub use manifest::{
    app_layer_region, AppBody, AppLayerReference, AppLayerRegion, ConnectivityPolicy, CrashPolicy,
    DebugPolicy, InternalFlashRegion, OpaqueManifest, SpiFlashRegion, UpdatePolicy,
};
pub use sign::{sign_body, signer_id, TrustedSigner, MANIFEST_PREFIX};
pub use verify::{reopen_verified_manifest, verify_manifest, AppLayer, VerifiedManifest};

/// The P-256 crate this one is built against, so callers sign and parse keys with the same types.
pub use p256;

/// Size of the app's internal-flash region; the ROM is padded with 0xFF to this length
/// for the measurement hash, and must be strictly smaller than it.
pub const APP_REGION_SIZE: u32 = 0x10_0000;

/// Length of a SHA-256 digest, the only hash the format uses.
pub const HASH_LEN: usize = 32;

/// Length of a raw `r || s` P-256 signature.
pub const SIGNATURE_LEN: usize = 64;

/// Length of an X9.62 uncompressed P-256 public key (`0x04 || x || y`).
pub const PUBLIC_KEY_LEN: usize = 65;

#[cfg(test)]
mod tests;
