//! The ZIP container: deterministic writing, and reading into manifest + layers by name.
//!
//! Entries are written *stored* (uncompressed) with a fixed 1980-01-01 timestamp and
//! fixed permissions, in a fixed order, so the bytes depend only on the contents and not
//! on a compressor version or the clock. Reading also accepts deflated entries, as made
//! by other bundlers.

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::BundleError;

/// Name of the manifest entry.
pub const MANIFEST_ENTRY: &str = "manifest";

/// Largest entry read: 16 MiB, far above any layer (< 1 MiB), so a ZIP bomb stops early
/// while an oversized ROM still reads far enough to be refused for its size.
const ENTRY_LIMIT: u64 = 16 << 20;

/// A bundle's contents: the manifest bytes and the layer files by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bundle {
    /// The serialized `OpaqueManifest`.
    pub manifest: Vec<u8>,
    /// Layer files by name (lowercase hex SHA-256 of their bytes, when well formed).
    pub layers: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// Writes the ZIP: `manifest` first, then layers in name order.
    ///
    /// # Errors
    /// [`BundleError::Zip`] if the writer fails (not expected in memory).
    pub fn to_zip(&self) -> Result<Vec<u8>, BundleError> {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644);
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let entries = std::iter::once((MANIFEST_ENTRY, &self.manifest)).chain(
            self.layers
                .iter()
                .map(|(name, bytes)| (name.as_str(), bytes)),
        );
        for (name, bytes) in entries {
            zip.start_file(name, options)?;
            zip.write_all(bytes).map_err(zip::result::ZipError::Io)?;
        }
        Ok(zip.finish()?.into_inner())
    }
}

/// Reads a bundle ZIP into its manifest and layers; checks nothing cryptographic.
///
/// # Errors
/// [`BundleError::Zip`] if it is not a readable ZIP, [`BundleError::MissingManifest`],
/// [`BundleError::UnexpectedEntry`] for directories or duplicate names,
/// [`BundleError::EntryTooLarge`] for entries over 16 MiB.
pub fn read_bundle(zip_bytes: &[u8]) -> Result<Bundle, BundleError> {
    let mut archive = ZipArchive::new(Cursor::new(zip_bytes))?;
    let mut manifest = None;
    let mut layers = BTreeMap::new();
    for index in 0..archive.len() {
        let entry = archive.by_index(index)?;
        let name = entry.name()?.into_owned();
        if entry.is_dir() {
            return Err(BundleError::UnexpectedEntry { name });
        }
        let mut bytes = Vec::new();
        entry
            .take(ENTRY_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(zip::result::ZipError::Io)?;
        if bytes.len() as u64 > ENTRY_LIMIT {
            return Err(BundleError::EntryTooLarge {
                name,
                limit: ENTRY_LIMIT,
            });
        }
        let duplicate = if name == MANIFEST_ENTRY {
            manifest.replace(bytes).is_some()
        } else {
            layers.insert(name.clone(), bytes).is_some()
        };
        if duplicate {
            return Err(BundleError::UnexpectedEntry { name });
        }
    }
    Ok(Bundle {
        manifest: manifest.ok_or(BundleError::MissingManifest)?,
        layers,
    })
}
