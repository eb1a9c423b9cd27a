//! What every rig's factory image shares: the development signing key and versioned app images.
//!
//! Every rig provisions the same development key as the signer its device
//! trusts, and the cloud emulator signs deployments with it, so a case that
//! deploys an update runs the same way on every rig. It is a fixed key for
//! the lab, never for a product (`hil keys` makes real ones).

use mv_ota::p256::ecdsa::SigningKey;

/// The secret scalar of the lab's development key.
const DEV_KEY_SCALAR: [u8; 32] = [0x17; 32];

/// The lab's development signing key.
pub fn dev_signing_key() -> SigningKey {
    SigningKey::from_slice(&DEV_KEY_SCALAR).expect("a fixed, valid P-256 scalar")
}

/// The uncompressed public key of [`dev_signing_key`], as a device's OTP holds it.
pub fn dev_public_key() -> [u8; mv_ota::PUBLIC_KEY_LEN] {
    mv_ota::TrustedSigner::from_signing_key(&dev_signing_key()).public_key()
}

/// `rom` as app version `version`: padded to 16 bytes, then a 256-byte stamp
/// (`hil-ota app version N`, filled with the version's low byte), so two
/// versions of one app differ byte for byte and both still run.
pub fn stamp_version(rom: &[u8], version: u32) -> Vec<u8> {
    let mut bytes = rom.to_vec();
    bytes.resize(bytes.len().next_multiple_of(16), 0xFF);
    let mut stamp = format!("hil-ota app version {version}").into_bytes();
    stamp.resize(256, version as u8);
    bytes.extend_from_slice(&stamp);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_differ_and_keep_the_rom() {
        let rom = [1u8, 2, 3];
        let (v1, v2) = (stamp_version(&rom, 1), stamp_version(&rom, 2));
        assert_ne!(v1, v2);
        assert_eq!(&v1[..3], &rom);
        assert_eq!(v1.len(), 16 + 256);
        assert!(v1[16..].starts_with(b"hil-ota app version 1"));
    }
}
