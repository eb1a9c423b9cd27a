//! The manifest page: the offered manifest as verified, and the digest that lets a recovery boot re-open it without a signature check.
//!
//! At an offer the engine verifies the manifest (`verify_manifest`), then
//! programs its bytes at the start of this page and their SHA-256 right
//! after them (16-aligned), and only then journals `Begin`: a cut before
//! `Begin` leaves no step, so a `Begin` in the journal means both are whole.
//! Every boot with a step under way reads both back. When the bytes hash to
//! the digest they are the bytes that verified, and
//! [`mv_ota::reopen_verified_manifest`] decodes them without the P-256
//! check, which dominated a recovery boot (measured by `hil bench
//! --cuts-only`). When they do not — a decayed page, a digest unreadable
//! (ECC) or absent (a page written before the digest existed, or a manifest
//! too long to leave room) — the manifest is verified in full as before, and
//! one that no longer verifies is dropped. Verification stays as strong: a
//! signature check is a pure function of the bytes and the device's keys,
//! which are provisioned once (OTP), so the same bytes verify the same way.

use alloc::vec;

use mv_flash::{Flash, FlashError, PAGE_SIZE, UNIT};
use mv_ota::{fetch_hash, reopen_verified_manifest, verify_manifest, VerifiedManifest, HASH_LEN};

use crate::layout::Layout;
use crate::signers::Signers;
use crate::updater::program_bytes;

/// Where the digest of a manifest of `len` bytes goes in the page, if it fits.
fn digest_offset(len: u32) -> Option<u32> {
    let at = len.next_multiple_of(UNIT as u32);
    (at + HASH_LEN as u32 <= PAGE_SIZE).then_some(at)
}

/// Writes `bytes` (already verified, at most a page) and their digest into
/// the erased manifest page.
pub(crate) fn write<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    bytes: &[u8],
) -> Result<(), FlashError> {
    let base = layout.manifest_page * PAGE_SIZE;
    flash.erase_page(layout.manifest_page)?;
    program_bytes(flash, base, bytes)?;
    if let Some(at) = digest_offset(bytes.len() as u32) {
        program_bytes(flash, base + at, &fetch_hash(bytes))?;
    }
    Ok(())
}

/// Reads the staged manifest back: re-opened when it is the one verified,
/// else verified in full. `None` when it is unreadable or no longer
/// verifies; otherwise the manifest and its digest.
pub(crate) fn load<F: Flash>(
    flash: &mut F,
    layout: &Layout,
    signers: &Signers,
    manifest_len: u32,
) -> Result<Option<(VerifiedManifest, [u8; HASH_LEN])>, FlashError> {
    if manifest_len > PAGE_SIZE {
        return Ok(None);
    }
    let base = layout.manifest_page * PAGE_SIZE;
    let mut bytes = vec![0u8; manifest_len as usize];
    match flash.read(base, &mut bytes) {
        Ok(()) => {}
        Err(FlashError::Ecc { .. }) => return Ok(None),
        Err(e) => return Err(e),
    }
    if let Some(at) = digest_offset(manifest_len) {
        let mut verified = [0u8; HASH_LEN];
        match flash.read(base + at, &mut verified) {
            Ok(()) => {
                if let Ok(manifest) = reopen_verified_manifest(&bytes, &verified) {
                    return Ok(Some((manifest, verified)));
                }
            }
            // An unreadable digest proves nothing: verify in full.
            Err(FlashError::Ecc { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(verify_manifest(&bytes, &signers.trusted())
        .ok()
        .map(|m| (m, fetch_hash(&bytes))))
}
