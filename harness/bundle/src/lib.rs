//! Microvisor OTA bundles on the host: keys, ELF → ROM, build, read, verify, and tamper.
//!
//! A bundle is a ZIP holding `manifest` (a signed `OpaqueManifest`) and one file per layer
//! named by the lowercase hex SHA-256 of its bytes (ABI reference §5.12). The manifest
//! format, signing and every check the kernel makes come from `mv-ota`, so a bundle this
//! crate verifies is one the kernel accepts, and a tampered bundle fails here with the same
//! reason it fails on the device.
//!
//! The CLI calls [`keys_command`] and [`bundle_command`]; the power-cut campaign uses
//! [`tamper`] to make bundles the kernel must refuse.
#![forbid(unsafe_code)]

mod command;
mod error;
mod keys;
mod lab;
mod manifest;
mod rom;
pub mod tamper;
mod verify;
mod zipfile;

pub use command::{bundle_command, BundleSummary};
pub use error::BundleError;
pub use keys::{generate_key, keys_command, load_signing_key, KeyFiles, SigningKeyPem};
pub use lab::{dev_public_key, dev_signing_key, stamp_version};
pub use manifest::{build_bundle, layer_name, BundlePolicy};
pub use rom::{elf_to_rom, Rom};
pub use verify::{verify_bundle, VerifiedBundle};
pub use zipfile::{read_bundle, Bundle, MANIFEST_ENTRY};

/// Re-exported so callers name keys and trusted signers with the exact types used here.
pub use mv_ota::p256::ecdsa::SigningKey;
pub use mv_ota::{OtaError, TrustedSigner};
