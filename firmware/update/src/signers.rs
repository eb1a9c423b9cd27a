//! The signer keys a device trusts, kept as provisioned and parsed only when a manifest is checked.
//!
//! Parsing a P-256 key (decoding the point, hashing its id) costs
//! milliseconds on a Cortex-M33 and is needed only to check a manifest,
//! which a boot rarely does; so every boot keeps the raw keys.

use alloc::vec::Vec;

use mv_ota::{TrustedSigner, PUBLIC_KEY_LEN};

/// Uncompressed P-256 public keys, as provisioned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signers {
    raw: Vec<[u8; PUBLIC_KEY_LEN]>,
}

impl Signers {
    pub fn new(raw: Vec<[u8; PUBLIC_KEY_LEN]>) -> Signers {
        Signers { raw }
    }

    /// The keys that parse as keys (a provisioning error drops the others).
    pub fn trusted(&self) -> Vec<TrustedSigner> {
        self.raw
            .iter()
            .filter_map(|k| TrustedSigner::from_uncompressed(k).ok())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.raw.len()
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

impl From<Vec<TrustedSigner>> for Signers {
    fn from(signers: Vec<TrustedSigner>) -> Signers {
        Signers::new(signers.iter().map(TrustedSigner::public_key).collect())
    }
}
