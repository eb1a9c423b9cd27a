//! The signer keys a device trusts, provisioned in the OTP of its flash cells.
//!
//! On the STM32U585 these would be in option bytes or OTP; on the sim and on
//! QEMU they live in the OTP area of the [`mv_flash::FlashModel`]'s cells
//! (`count: u32`, then `count` uncompressed P-256 keys of 65 bytes), written
//! by the factory step and read at every boot.

use mv_flash::{Cells, NvmMap};
use mv_ota::PUBLIC_KEY_LEN;

use crate::Signers;

/// At most this many provisioned keys (they fill the OTP area).
pub const MAX_SIGNERS: u32 = 4;

const _: () = assert!(4 + MAX_SIGNERS * PUBLIC_KEY_LEN as u32 <= mv_flash::map::OTP_SIZE);

/// Reads the provisioned signer keys (parsed only when a manifest is checked).
pub fn read_signers<C: Cells + ?Sized>(cells: &C, map: &NvmMap) -> Signers {
    let mut count = [0u8; 4];
    cells.load(map.otp(), &mut count);
    let count = u32::from_le_bytes(count).min(MAX_SIGNERS);
    Signers::new(
        (0..count)
            .map(|i| {
                let mut key = [0u8; PUBLIC_KEY_LEN];
                cells.load(map.otp() + 4 + i * PUBLIC_KEY_LEN as u32, &mut key);
                key
            })
            .collect(),
    )
}

/// Provisions signer keys (the factory step); keys past [`MAX_SIGNERS`] are dropped.
pub fn write_signers<C: Cells + ?Sized>(
    cells: &mut C,
    map: &NvmMap,
    keys: &[[u8; PUBLIC_KEY_LEN]],
) {
    let count = (keys.len() as u32).min(MAX_SIGNERS);
    cells.store(map.otp(), &count.to_le_bytes());
    for (i, key) in keys.iter().take(count as usize).enumerate() {
        cells.store(map.otp() + 4 + i as u32 * PUBLIC_KEY_LEN as u32, key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use mv_ota::TrustedSigner;

    #[test]
    fn signers_round_trip_through_the_otp() {
        let map = NvmMap::new(8192);
        let mut cells = vec![0u8; map.cells_len() as usize];
        assert!(read_signers(&cells, &map).is_empty());
        let key = mv_ota::p256::ecdsa::SigningKey::from_slice(&[0x42; 32]).unwrap();
        let public = TrustedSigner::from_signing_key(&key).public_key();
        write_signers(&mut cells, &map, &[public; 5]);
        let read = read_signers(&cells, &map).trusted();
        assert_eq!(read.len(), MAX_SIGNERS as usize);
        assert_eq!(read[0].public_key(), public);
    }
}
