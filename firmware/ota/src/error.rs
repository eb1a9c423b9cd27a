//! Why a manifest was refused: one small enum the kernel can map to a status code.

use core::fmt;

/// A manifest the kernel must not install, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtaError {
    /// The manifest or its body is not valid protobuf for the schema.
    Malformed,
    /// No trusted key has this signer id.
    UnknownSigner(u64),
    /// The signature is not a valid ECDSA P-256 signature of the body by the signer.
    BadSignature,
    /// A trusted key is not a valid uncompressed P-256 point.
    InvalidPublicKey,
    /// The signed body decodes, but its layer references are not one installable app.
    BadLayer(LayerFault),
    /// The layer is 1 MiB or more, or larger than its region.
    RomTooLarge {
        /// Layer length in bytes.
        len: u64,
        /// Largest length accepted for this manifest's region.
        max: u64,
    },
    /// The layer bytes do not hash to the manifest's `fetch_hash` (corrupt or truncated).
    FetchHashMismatch,
    /// The layer padded to 1 MiB does not hash to the manifest's `measurement_hash`.
    MeasurementMismatch,
    /// The bundle's app version is lower than the installed one.
    Downgrade {
        /// Version of the app currently installed.
        installed: u32,
        /// Version the bundle carries (0 when it carries none).
        offered: u32,
    },
}

/// What is wrong with a signed body's layer references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerFault {
    /// The body has no layer at all.
    NoLayer,
    /// The body has more than one layer; this kernel installs exactly one app layer.
    TooManyLayers(usize),
    /// The layer has no target region.
    NoTarget,
    /// The layer targets external (SPI) flash, which this kernel does not install to.
    ExternalFlash,
    /// `start + size` of the internal-flash region exceeds the 1 MiB app region.
    RegionTooLarge {
        /// Region start offset.
        start: u32,
        /// Region size.
        size: u32,
    },
    /// `fetch_hash` is not 32 bytes.
    FetchHashLength(usize),
    /// `measurement_hash` is not 32 bytes.
    MeasurementHashLength(usize),
    /// The layer is encrypted (`encrypted_with_key_id != 0`); this kernel has no layer keys.
    Encrypted(u64),
}

impl fmt::Display for OtaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("manifest is not valid protobuf for the bundle schema"),
            Self::UnknownSigner(id) => write!(f, "manifest signer id {id:#018x} is not trusted"),
            Self::BadSignature => f.write_str("manifest signature does not verify"),
            Self::InvalidPublicKey => {
                f.write_str("trusted key is not an uncompressed P-256 point (65 bytes, 0x04 ...)")
            }
            Self::BadLayer(fault) => write!(f, "manifest layers are not installable: {fault}"),
            Self::RomTooLarge { len, max } => {
                write!(
                    f,
                    "app layer is {len} bytes, at most {max} fit the app region"
                )
            }
            Self::FetchHashMismatch => {
                f.write_str("app layer bytes do not match the manifest's fetch_hash")
            }
            Self::MeasurementMismatch => f.write_str(
                "app layer padded to 1 MiB does not match the manifest's measurement_hash",
            ),
            Self::Downgrade { installed, offered } => write!(
                f,
                "bundle app version {offered} is lower than installed version {installed}"
            ),
        }
    }
}

impl fmt::Display for LayerFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoLayer => f.write_str("no layer"),
            Self::TooManyLayers(n) => write!(f, "{n} layers, expected exactly one app layer"),
            Self::NoTarget => f.write_str("layer has no target region"),
            Self::ExternalFlash => f.write_str("layer targets external flash"),
            Self::RegionTooLarge { start, size } => write!(
                f,
                "region start {start:#x} size {size:#x} exceeds the 1 MiB app region"
            ),
            Self::FetchHashLength(n) => write!(f, "fetch_hash is {n} bytes, expected 32"),
            Self::MeasurementHashLength(n) => {
                write!(f, "measurement_hash is {n} bytes, expected 32")
            }
            Self::Encrypted(id) => write!(f, "layer encrypted with key {id:#x}, not supported"),
        }
    }
}

impl core::error::Error for OtaError {}
