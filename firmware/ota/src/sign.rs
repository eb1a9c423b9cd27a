//! Signer ids, the trusted-key table entry, and signing of manifest bodies.
//!
//! Signing lives here next to verification so the domain-separation prefix and the raw
//! `r || s` encoding are defined once; RFC 6979 signing needs no RNG, so it is `no_std` too.

use p256::ecdsa::signature::{MultipartSigner, MultipartVerifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::{OtaError, PUBLIC_KEY_LEN, SIGNATURE_LEN};

/// Domain-separation prefix: the signature covers `MANIFEST_PREFIX + body`.
pub const MANIFEST_PREFIX: &[u8] = b"twlo-mv-manifest-v1\0";

/// First 8 bytes, big-endian, of SHA-256(`00 00` + X9.62 uncompressed public key).
#[must_use]
pub fn signer_id(uncompressed_pubkey: &[u8; PUBLIC_KEY_LEN]) -> u64 {
    let digest: [u8; 32] = Sha256::new()
        .chain_update([0u8, 0u8])
        .chain_update(uncompressed_pubkey)
        .finalize()
        .into();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(head)
}

/// Signs `MANIFEST_PREFIX + body`, returning raw `r || s` (deterministic, RFC 6979).
#[must_use]
pub fn sign_body(key: &SigningKey, body: &[u8]) -> [u8; SIGNATURE_LEN] {
    let signature: Signature = key.multipart_sign(&[MANIFEST_PREFIX, body]);
    signature.to_bytes().into()
}

/// A key the kernel accepts manifests from, indexed by its signer id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedSigner {
    id: u64,
    key: VerifyingKey,
}

impl TrustedSigner {
    /// Trusts an X9.62 uncompressed P-256 public key (`0x04 || x || y`).
    ///
    /// # Errors
    /// [`OtaError::InvalidPublicKey`] if the bytes are not a point on the curve.
    pub fn from_uncompressed(public_key: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, OtaError> {
        if public_key[0] != 0x04 {
            return Err(OtaError::InvalidPublicKey);
        }
        let key =
            VerifyingKey::from_sec1_bytes(public_key).map_err(|_| OtaError::InvalidPublicKey)?;
        Ok(Self {
            id: signer_id(public_key),
            key,
        })
    }

    /// Trusts the public half of a signing key (host tools and tests).
    #[must_use]
    pub fn from_signing_key(key: &SigningKey) -> Self {
        let key = *key.verifying_key();
        Self {
            id: signer_id(&uncompressed(&key)),
            key,
        }
    }

    /// The signer id manifests name this key by.
    #[must_use]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The X9.62 uncompressed public key.
    #[must_use]
    pub fn public_key(&self) -> [u8; PUBLIC_KEY_LEN] {
        uncompressed(&self.key)
    }

    /// Checks a raw `r || s` signature over `MANIFEST_PREFIX + body`.
    pub(crate) fn verify_body(&self, body: &[u8], signature: &[u8]) -> Result<(), OtaError> {
        if signature.len() != SIGNATURE_LEN {
            return Err(OtaError::BadSignature);
        }
        let signature = Signature::from_slice(signature).map_err(|_| OtaError::BadSignature)?;
        self.key
            .multipart_verify(&[MANIFEST_PREFIX, body], &signature)
            .map_err(|_| OtaError::BadSignature)
    }
}

/// The 65-byte uncompressed encoding of a verifying key.
fn uncompressed(key: &VerifyingKey) -> [u8; PUBLIC_KEY_LEN] {
    let point = key.to_sec1_point(false);
    let mut out = [0u8; PUBLIC_KEY_LEN];
    out.copy_from_slice(point.as_bytes());
    out
}
