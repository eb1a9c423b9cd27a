//! Everything that can go wrong building, reading or verifying a bundle, with what to do next.

use std::io;
use std::path::PathBuf;

use mv_ota::OtaError;

/// A failure of this crate; messages say what failed and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A file or directory could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// `keys` would overwrite an existing key file.
    #[error(
        "{} already exists; refusing to overwrite a signing key — move it away or choose \
         another output directory",
        path.display()
    )]
    KeyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// `bundle` would write over the key it signs with or the ELF it reads.
    #[error(
        "{} is the {what} this bundle is made from; refusing to write the bundle over it — \
         choose another output file",
        path.display()
    )]
    OutputIsInput {
        /// The output file.
        path: PathBuf,
        /// `signing key` or `app ELF`.
        what: &'static str,
    },
    /// `bundle` would replace an existing file without `--force`.
    #[error(
        "{} already exists; pass --force to replace it, or choose another output file",
        path.display()
    )]
    OutputExists {
        /// The existing file.
        path: PathBuf,
    },
    /// The ELF does not load into app flash: not an app (e.g. the secure image).
    #[error(
        "the ELF loads at {base:#010x}..{end:#010x}, which is not the app flash of any board \
         ({boards}); is this the secure image? pass the app's ELF"
    )]
    NotInAppFlash {
        /// Lowest loaded address.
        base: u32,
        /// One past the highest loaded byte.
        end: u64,
        /// The app flash of every board, for the message.
        boards: String,
    },
    /// The key file is not a P-256 private key.
    #[error(
        "{} is not a P-256 private key in PKCS#8 (`BEGIN PRIVATE KEY`) or SEC1 \
         (`BEGIN EC PRIVATE KEY`) PEM: {reason}; create one with `hil keys --out <folder>`",
        path.display()
    )]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// What the decoder said.
        reason: String,
    },
    /// The input is not an ELF this bundler can turn into a ROM.
    #[error("not a usable app ELF: {reason}; pass the linked 32-bit ARM ELF of the app")]
    BadElf {
        /// What is wrong with it.
        reason: String,
    },
    /// The ROM (from the lowest to the highest loaded byte) does not fit the app region.
    #[error(
        "app ROM is {len} bytes (from {base:#010x}); Microvisor apps must be smaller than \
         1 MiB (1048576 bytes) — check the linker script and the PT_LOAD segments"
    )]
    RomTooLarge {
        /// Lowest loaded address.
        base: u32,
        /// Length from the lowest to the highest loaded byte.
        len: u64,
    },
    /// The ZIP container is unreadable or could not be written.
    #[error("bundle ZIP error: {0}; is this a Microvisor bundle (`hil bundle` output)?")]
    Zip(#[from] zip::result::ZipError),
    /// The ZIP has no `manifest`.
    #[error("bundle has no `manifest` entry; is this a Microvisor bundle?")]
    MissingManifest,
    /// The manifest references a layer the ZIP does not hold.
    #[error(
        "manifest references layer {name} but the bundle has no such file; rebuild the bundle"
    )]
    MissingLayer {
        /// Expected file name (hex fetch hash).
        name: String,
    },
    /// The ZIP holds something other than `manifest` and the referenced layer.
    #[error(
        "bundle entry `{name}` is neither `manifest` nor a layer the manifest references; \
         a bundle holds only those"
    )]
    UnexpectedEntry {
        /// The entry name.
        name: String,
    },
    /// A ZIP entry is larger than any legitimate bundle entry.
    #[error("bundle entry `{name}` is larger than {limit} bytes; refusing to inflate it")]
    EntryTooLarge {
        /// The entry name.
        name: String,
        /// The limit.
        limit: u64,
    },
    /// The kernel's checks (from `mv-ota`) refuse the bundle.
    #[error("bundle refused: {0}; {hint}", hint = hint(.0))]
    Rejected(#[from] OtaError),
    /// A tamper helper cannot produce its class from this input.
    #[error("cannot make a `{class}` tampered bundle: {reason}")]
    TamperNotApplicable {
        /// The tamper class.
        class: &'static str,
        /// Why not.
        reason: &'static str,
    },
}

/// What to do about a refusal.
fn hint(reason: &OtaError) -> &'static str {
    match reason {
        OtaError::Malformed => "the manifest is corrupt: rebuild the bundle",
        OtaError::UnknownSigner(_) => {
            "sign with a trusted key, or add this signer's `signer.pub` to the trusted keys"
        }
        OtaError::BadSignature => "the manifest was modified after signing: rebuild the bundle",
        OtaError::InvalidPublicKey => "regenerate the trusted key list from `signer.pub` files",
        OtaError::BadLayer(_) => {
            "rebuild the bundle with `hil bundle` (one app layer, 1 MiB region)"
        }
        OtaError::RomTooLarge { .. } => "shrink the app below 1 MiB",
        OtaError::FetchHashMismatch => {
            "the layer file is corrupt or truncated: rebuild or re-download"
        }
        OtaError::MeasurementMismatch => {
            "the manifest's measurement is not SHA-256 of the ROM padded with 0xFF to 1 MiB: \
             rebuild the bundle"
        }
        OtaError::Downgrade { .. } => "build the bundle with a higher `--app-version`",
    }
}
