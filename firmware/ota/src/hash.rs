//! Layer hashes: the fetch hash of the bytes as shipped, the measurement hash of the region.
//!
//! The measurement pads to 1 MiB with 0xFF by streaming a small constant block, so the
//! kernel never needs a 1 MiB buffer; [`RomHasher`] computes both in one pass over staged
//! data that arrives in chunks.

use sha2::{Digest, Sha256};

use crate::{APP_REGION_SIZE, HASH_LEN};

/// Erased-flash filler, fed repeatedly to pad the measurement.
const FILL: [u8; 256] = [0xFF; 256];

/// SHA-256 of the layer bytes (`fetch_hash`, and the layer's file name in the ZIP).
#[must_use]
pub fn fetch_hash(layer: &[u8]) -> [u8; HASH_LEN] {
    Sha256::digest(layer).into()
}

/// SHA-256 of `rom` padded with 0xFF to 1 MiB (`measurement_hash`).
///
/// A ROM of 1 MiB or more is hashed as-is; such a ROM is refused elsewhere.
#[must_use]
pub fn measurement_hash(rom: &[u8]) -> [u8; HASH_LEN] {
    let mut hasher = RomHasher::new();
    hasher.update(rom);
    hasher.finish().measurement_hash
}

/// What the kernel knows about a staged ROM after one pass: checked by
/// [`VerifiedManifest::check_rom`](crate::VerifiedManifest::check_rom).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RomDigest {
    /// Length in bytes.
    pub len: u64,
    /// SHA-256 of the bytes.
    pub fetch_hash: [u8; HASH_LEN],
    /// SHA-256 of the bytes padded with 0xFF to 1 MiB.
    pub measurement_hash: [u8; HASH_LEN],
}

impl RomDigest {
    /// Hashes a ROM held in memory.
    #[must_use]
    pub fn of(rom: &[u8]) -> Self {
        let mut hasher = RomHasher::new();
        hasher.update(rom);
        hasher.finish()
    }
}

/// Incremental fetch + measurement hash over a ROM delivered in chunks.
#[derive(Clone, Default)]
pub struct RomHasher {
    fetch: Sha256,
    measure: Sha256,
    len: u64,
}

impl RomHasher {
    /// Starts empty.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk of ROM bytes.
    pub fn update(&mut self, chunk: &[u8]) {
        self.fetch.update(chunk);
        self.measure.update(chunk);
        self.len += chunk.len() as u64;
    }

    /// Bytes fed so far.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing has been fed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pads the measurement and returns both hashes with the length.
    #[must_use]
    pub fn finish(self) -> RomDigest {
        let Self {
            fetch,
            mut measure,
            len,
        } = self;
        let mut remaining = u64::from(APP_REGION_SIZE).saturating_sub(len);
        while remaining > 0 {
            let n = remaining.min(FILL.len() as u64);
            // n <= 256, so the cast cannot truncate.
            measure.update(&FILL[..n as usize]);
            remaining -= n;
        }
        RomDigest {
            len,
            fetch_hash: fetch.finalize().into(),
            measurement_hash: measure.finalize().into(),
        }
    }
}

/// Streaming SHA-256 of an installed region as it is read back from flash:
/// the measurement hash when fed the whole region (shorter input is padded
/// with 0xFF to 1 MiB, exactly like [`RomHasher`]'s measurement).
#[derive(Clone, Default)]
pub struct MeasureHasher {
    measure: Sha256,
    len: u64,
}

impl MeasureHasher {
    /// Starts empty.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next bytes of the region.
    pub fn update(&mut self, bytes: &[u8]) {
        self.measure.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// Pads to 1 MiB and returns the measurement hash.
    #[must_use]
    pub fn finish(mut self) -> [u8; HASH_LEN] {
        let mut remaining = u64::from(APP_REGION_SIZE).saturating_sub(self.len);
        while remaining > 0 {
            let n = remaining.min(FILL.len() as u64);
            // n <= 256, so the cast cannot truncate.
            self.measure.update(&FILL[..n as usize]);
            remaining -= n;
        }
        self.measure.finalize().into()
    }
}
