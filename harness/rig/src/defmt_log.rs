//! Decode defmt frames that a device writes to a byte stream (a UART, an RTT channel).
//!
//! The table comes from the image's ELF. rzcobs frames end with a zero byte,
//! so the stream is split at zeros and each complete frame is decoded by a
//! fresh stream decoder: no decoder outlives a call, so nothing borrows the
//! table across calls (the `transmute` that other tools use is not needed).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use defmt_decoder::{Locations, Table};
use hil_report::LogLine;

/// An image whose defmt table cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum DefmtError {
    /// The ELF could not be read.
    #[error(transparent)]
    Read(#[from] std::io::Error),
    /// The ELF's defmt table is malformed (the decoder's words).
    #[error("{0}")]
    Table(String),
}

/// Decodes defmt frames from bytes as they arrive (a UART, an RTT
/// channel), with source locations from the image's ELF.
pub struct DefmtDecoder {
    source: String,
    table: Table,
    locations: Locations,
    root: PathBuf,
    tail: Vec<u8>,
}

impl DefmtDecoder {
    /// `source` names the stream in reports (`defmt:secure`); `root` makes
    /// source locations relative. `Ok(None)` if the ELF has no defmt table.
    pub fn new(source: &str, elf: &[u8], root: &Path) -> Result<Option<DefmtDecoder>, DefmtError> {
        let Some(table) = Table::parse(elf).map_err(|e| DefmtError::Table(e.to_string()))? else {
            return Ok(None);
        };
        let locations = table.get_locations(elf).unwrap_or_default();
        Ok(Some(DefmtDecoder {
            source: source.to_owned(),
            table,
            locations,
            root: root.to_owned(),
            tail: Vec::new(),
        }))
    }

    /// Every frame the bytes complete (a frame may arrive in pieces).
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<LogLine> {
        self.tail.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(end) = self.tail.iter().position(|&b| b == 0) {
            let frame: Vec<u8> = self.tail.drain(..=end).collect();
            if frame.len() > 1 {
                lines.push(self.decode(&frame));
            }
        }
        lines
    }

    fn decode(&self, frame: &[u8]) -> LogLine {
        let mut decoder = self.table.new_stream_decoder();
        decoder.received(frame);
        match decoder.decode() {
            Ok(f) => {
                let location = self.locations.get(&f.index()).map(|l| {
                    let file = l.file.strip_prefix(&self.root).unwrap_or(&l.file);
                    format!("{}:{}", file.display(), l.line)
                });
                let level = f
                    .level()
                    .map(|l| format!("{} ", l.as_str().to_uppercase()))
                    .unwrap_or_default();
                LogLine {
                    source: self.source.clone(),
                    text: format!("{level}{}", f.display_message()),
                    location,
                }
            }
            Err(e) => LogLine {
                source: self.source.clone(),
                text: format!("<undecodable defmt frame ({e:?}): {frame:02x?}>"),
                location: None,
            },
        }
    }
}

/// One defmt stream (a file QEMU writes a UART into) and its decoder.
pub struct DefmtLog {
    decoder: DefmtDecoder,
    path: PathBuf,
    offset: u64,
}

impl DefmtLog {
    /// `source` names the stream in reports (`defmt:secure`); `root` makes
    /// source locations relative. `Ok(None)` if the ELF has no defmt table.
    pub fn open(
        source: &str,
        elf: &Path,
        stream: &Path,
        root: &Path,
    ) -> Result<Option<DefmtLog>, DefmtError> {
        let bytes = std::fs::read(elf)?;
        Ok(
            DefmtDecoder::new(source, &bytes, root)?.map(|decoder| DefmtLog {
                decoder,
                path: stream.to_owned(),
                offset: 0,
            }),
        )
    }

    /// Decode everything written since the last call.
    pub fn poll(&mut self) -> Vec<LogLine> {
        let mut fresh = Vec::new();
        if let Ok(mut f) = File::open(&self.path) {
            if f.seek(SeekFrom::Start(self.offset)).is_ok() {
                if let Ok(n) = f.read_to_end(&mut fresh) {
                    self.offset += n as u64;
                }
            }
        }
        self.decoder.feed(&fresh)
    }
}
