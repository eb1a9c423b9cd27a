//! Development signing keys: generate, save as PKCS#8 PEM, load, and name by signer id.
//!
//! The private key stays in memory wrapped so it is zeroed on drop; the public half is
//! published as the hex of its 65-byte X9.62 uncompressed form, which is what the kernel's
//! trusted-key table holds and what the signer id is computed over.

use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use mv_ota::p256::ecdsa::SigningKey;
use mv_ota::p256::elliptic_curve::Generate;
use mv_ota::p256::pkcs8::der::zeroize::Zeroizing;
use mv_ota::p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use mv_ota::p256::SecretKey;
use mv_ota::{TrustedSigner, PUBLIC_KEY_LEN};

use crate::BundleError;

/// File name of the private key written by [`keys_command`].
pub const SIGNING_KEY_FILE: &str = "signing-key.pem";
/// File name of the public key (hex, 65 bytes uncompressed) written by [`keys_command`].
pub const PUBLIC_KEY_FILE: &str = "signer.pub";

/// A P-256 signing key with its PKCS#8 PEM, public key and signer id.
#[derive(Clone)]
pub struct SigningKeyPem {
    key: SigningKey,
    pem: Zeroizing<String>,
    trusted: TrustedSigner,
}

impl SigningKeyPem {
    /// Wraps an existing key.
    ///
    /// # Panics
    /// If PKCS#8 encoding of a valid P-256 key fails, which it cannot.
    #[must_use]
    pub fn from_key(key: SigningKey) -> Self {
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("PKCS#8 encoding of a valid P-256 key cannot fail");
        let trusted = TrustedSigner::from_signing_key(&key);
        Self { key, pem, trusted }
    }

    /// The key, for [`build_bundle`](crate::build_bundle).
    #[must_use]
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    #[must_use]
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// X9.62 uncompressed public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.trusted.public_key()
    }

    /// Lowercase hex of [`public_key`](Self::public_key), the content of `signer.pub`.
    #[must_use]
    pub fn public_key_hex(&self) -> String {
        hex::encode(self.public_key())
    }

    /// The signer id manifests signed by this key carry.
    #[must_use]
    pub fn signer_id(&self) -> u64 {
        self.trusted.id()
    }

    /// The entry a verifier's trusted-key table needs for this key.
    #[must_use]
    pub fn trusted(&self) -> TrustedSigner {
        self.trusted.clone()
    }
}

impl fmt::Debug for SigningKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeyPem")
            .field("signer_id", &format_args!("{:#018x}", self.signer_id()))
            .finish_non_exhaustive()
    }
}

/// A fresh development key from the OS random number generator.
///
/// # Panics
/// If the OS random number generator fails (`getrandom`), which leaves nothing sensible
/// to sign with.
#[must_use]
pub fn generate_key() -> SigningKeyPem {
    SigningKeyPem::from_key(SigningKey::generate())
}

/// Loads a P-256 private key from PKCS#8 PEM (as written by [`keys_command`]) or SEC1 PEM
/// (as written by `openssl ecparam -name prime256v1 -genkey`).
///
/// # Errors
/// [`BundleError::Read`] if the file cannot be read, [`BundleError::BadKey`] if it is not
/// a P-256 private key.
pub fn load_signing_key(path: &Path) -> Result<SigningKeyPem, BundleError> {
    let text = Zeroizing::new(
        fs::read_to_string(path).map_err(|source| BundleError::Read {
            path: path.to_owned(),
            source,
        })?,
    );
    let key = match SigningKey::from_pkcs8_pem(&text) {
        Ok(key) => key,
        Err(pkcs8) => match SecretKey::from_sec1_pem(&text) {
            Ok(secret) => SigningKey::from(secret),
            Err(_) => {
                return Err(BundleError::BadKey {
                    path: path.to_owned(),
                    reason: pkcs8.to_string(),
                })
            }
        },
    };
    Ok(SigningKeyPem::from_key(key))
}

/// Where [`keys_command`] wrote the key pair, and the signer id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyFiles {
    /// `signing-key.pem`: PKCS#8 PEM private key (mode 0600 on Unix).
    pub signing_key: PathBuf,
    /// `signer.pub`: hex of the 65-byte uncompressed public key, newline-terminated.
    pub public_key: PathBuf,
    /// The signer id bundles signed with this key carry.
    pub signer_id: u64,
}

/// Generates a key pair into `out_dir` (created if missing); never overwrites a key.
///
/// # Errors
/// [`BundleError::KeyExists`] if either file exists, [`BundleError::Write`] on I/O failure.
pub fn keys_command(out_dir: &Path) -> Result<KeyFiles, BundleError> {
    fs::create_dir_all(out_dir).map_err(|source| BundleError::Write {
        path: out_dir.to_owned(),
        source,
    })?;
    let files = KeyFiles {
        signing_key: out_dir.join(SIGNING_KEY_FILE),
        public_key: out_dir.join(PUBLIC_KEY_FILE),
        signer_id: 0,
    };
    for path in [&files.signing_key, &files.public_key] {
        if path.exists() {
            return Err(BundleError::KeyExists { path: path.clone() });
        }
    }
    let key = generate_key();
    write_new(&files.signing_key, key.pem().as_bytes(), 0o600)?;
    write_new(
        &files.public_key,
        format!("{}\n", key.public_key_hex()).as_bytes(),
        0o644,
    )?;
    Ok(KeyFiles {
        signer_id: key.signer_id(),
        ..files
    })
}

/// Creates `path` (failing if it exists) with `mode` on Unix, and writes `bytes`.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), BundleError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            BundleError::KeyExists {
                path: path.to_owned(),
            }
        } else {
            BundleError::Write {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|source| BundleError::Write {
            path: path.to_owned(),
            source,
        })
}
