//! The update journal: 16-byte records appended to one of two flash pages.
//!
//! A record is one program unit, so it is written by one flash operation and
//! is either absent (erased), whole, or torn. A torn record reads back as an
//! ECC error (or, on flash that cannot tell, fails its CRC) and is skipped;
//! the scan stops at the first cleanly erased slot. Only one record is ever
//! in flight, so skipping a torn one loses exactly the step it would have
//! recorded, and that step is redone.
//!
//! Each page starts with a [`Record::Header`] carrying a sequence number and
//! the installed app's version. The active page is the valid one with the
//! higher sequence. Switching pages ([`Journal::rotate`]) erases the other
//! page, writes the records that restate the current step and, last, the
//! header with the next sequence; until that header is programmed, the old
//! page stays the active one, so a cut during the switch loses nothing (the
//! power-cut test of a page filling mid-install found the opposite order
//! losing an install under way).

use alloc::vec::Vec;

use mv_flash::{Flash, FlashError, PAGE_SIZE, UNIT};

use crate::layout::Layout;

/// Record slots per journal page.
pub const SLOTS: u32 = PAGE_SIZE / UNIT as u32;

/// One journal record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record {
    /// First record of a page.
    Header {
        /// Higher wins.
        seq: u32,
        /// Version of the app in the app region.
        installed_version: u32,
        /// `maximum_politeness_time_sec` of the installed bundle (saturated to u16).
        politeness_s: u16,
    },
    /// A verified manifest of `manifest_len` bytes is in the manifest page; its
    /// ROM is `rom_len` bytes. Chunks follow.
    Begin { manifest_len: u32, rom_len: u32 },
    /// Chunks `0..=index` are in the staging area.
    Chunk { index: u32 },
    /// The staged ROM passed its fetch and measurement hashes.
    Staged,
    /// The staged ROM failed verification (`code` from [`crate::RejectCode`]); the old app stays.
    Rejected { code: u16 },
    /// The app region is being rewritten from staging: from here every boot
    /// finishes the install before any app runs.
    InstallStart,
    /// App pages `0..=index` hold the staged ROM.
    InstallPage { index: u32 },
    /// The new app is in place and its measurement matched.
    Committed { version: u32, politeness_s: u16 },
}

/// The first byte of each record kind (what a flash trace shows).
pub mod kind {
    pub const HEADER: u8 = 0x48;
    pub const BEGIN: u8 = 0x42;
    pub const CHUNK: u8 = 0x43;
    pub const STAGED: u8 = 0x53;
    pub const REJECTED: u8 = 0x52;
    pub const INSTALL_START: u8 = 0x49;
    pub const INSTALL_PAGE: u8 = 0x50;
    pub const COMMITTED: u8 = 0x4D;
}

impl Record {
    /// `kind, 0, x: u16, a: u32, b: u32, crc32(bytes 0..12)`, little-endian.
    pub fn encode(&self) -> [u8; UNIT] {
        let (k, x, a, b) = match *self {
            Record::Header {
                seq,
                installed_version,
                politeness_s,
            } => (kind::HEADER, politeness_s, seq, installed_version),
            Record::Begin {
                manifest_len,
                rom_len,
            } => (kind::BEGIN, 0, manifest_len, rom_len),
            Record::Chunk { index } => (kind::CHUNK, 0, index, 0),
            Record::Staged => (kind::STAGED, 0, 0, 0),
            Record::Rejected { code } => (kind::REJECTED, code, 0, 0),
            Record::InstallStart => (kind::INSTALL_START, 0, 0, 0),
            Record::InstallPage { index } => (kind::INSTALL_PAGE, 0, index, 0),
            Record::Committed {
                version,
                politeness_s,
            } => (kind::COMMITTED, politeness_s, version, 0),
        };
        let mut unit = [0u8; UNIT];
        unit[0] = k;
        unit[2..4].copy_from_slice(&x.to_le_bytes());
        unit[4..8].copy_from_slice(&a.to_le_bytes());
        unit[8..12].copy_from_slice(&b.to_le_bytes());
        let crc = crc32fast::hash(&unit[..12]);
        unit[12..].copy_from_slice(&crc.to_le_bytes());
        unit
    }

    /// The record in `unit`, or `None` if it is not a whole, known record.
    pub fn decode(unit: &[u8; UNIT]) -> Option<Record> {
        let word =
            |at: usize| u32::from_le_bytes([unit[at], unit[at + 1], unit[at + 2], unit[at + 3]]);
        if crc32fast::hash(&unit[..12]) != word(12) || unit[1] != 0 {
            return None;
        }
        let x = u16::from_le_bytes([unit[2], unit[3]]);
        let (a, b) = (word(4), word(8));
        Some(match unit[0] {
            kind::HEADER => Record::Header {
                seq: a,
                installed_version: b,
                politeness_s: x,
            },
            kind::BEGIN => Record::Begin {
                manifest_len: a,
                rom_len: b,
            },
            kind::CHUNK => Record::Chunk { index: a },
            kind::STAGED => Record::Staged,
            kind::REJECTED => Record::Rejected { code: x },
            kind::INSTALL_START => Record::InstallStart,
            kind::INSTALL_PAGE => Record::InstallPage { index: a },
            kind::COMMITTED => Record::Committed {
                version: a,
                politeness_s: x,
            },
            _ => return None,
        })
    }
}

/// What a slot holds when read back.
enum Slot {
    Erased,
    Valid(Record),
    /// Torn or corrupt: skipped.
    Garbage,
}

fn read_slot<F: Flash>(flash: &mut F, page: u32, slot: u32) -> Result<Slot, FlashError> {
    let mut unit = [0u8; UNIT];
    match flash.read(page * PAGE_SIZE + slot * UNIT as u32, &mut unit) {
        Ok(()) => {}
        Err(FlashError::Ecc { .. }) => return Ok(Slot::Garbage),
        Err(e) => return Err(e),
    }
    if unit == [0xFF; UNIT] {
        return Ok(Slot::Erased);
    }
    Ok(Record::decode(&unit).map_or(Slot::Garbage, Slot::Valid))
}

/// The active journal page and where the next record goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Journal {
    /// Index into [`Layout::journal`].
    active: usize,
    seq: u32,
    next_slot: u32,
}

impl Journal {
    /// Finds the active page and reads its records (header first).
    ///
    /// `Ok(None)`: neither page has a valid header (a blank device).
    pub fn scan<F: Flash>(
        flash: &mut F,
        layout: &Layout,
    ) -> Result<Option<(Journal, Vec<Record>)>, FlashError> {
        let mut best: Option<(usize, u32)> = None;
        for (i, &page) in layout.journal.iter().enumerate() {
            if let Slot::Valid(Record::Header { seq, .. }) = read_slot(flash, page, 0)? {
                if best.is_none_or(|(_, s)| seq > s) {
                    best = Some((i, seq));
                }
            }
        }
        let Some((active, seq)) = best else {
            return Ok(None);
        };
        let page = layout.journal[active];
        let mut records = Vec::new();
        let mut next_slot = SLOTS;
        for slot in 0..SLOTS {
            match read_slot(flash, page, slot)? {
                Slot::Erased => {
                    next_slot = slot;
                    break;
                }
                Slot::Valid(r) => records.push(r),
                Slot::Garbage => {}
            }
        }
        Ok(Some((
            Journal {
                active,
                seq,
                next_slot,
            },
            records,
        )))
    }

    /// Slots left on the active page.
    pub fn free_slots(&self) -> u32 {
        SLOTS - self.next_slot
    }

    /// Appends one record (one program operation).
    pub fn append<F: Flash>(
        &mut self,
        flash: &mut F,
        layout: &Layout,
        record: Record,
    ) -> Result<(), FlashError> {
        debug_assert!(self.next_slot < SLOTS, "rotate before the page is full");
        let slot = self.next_slot;
        // The slot is used whatever happens, so a torn record is never rewritten.
        self.next_slot += 1;
        flash.program(
            layout.journal[self.active] * PAGE_SIZE + slot * UNIT as u32,
            &record.encode(),
        )
    }

    /// Moves to the other page: erase it, write `restate` (the records that
    /// bring a scan of the new page to the current step) from slot 1 on, and
    /// only then the header (with the next sequence) in slot 0. A page
    /// without a valid header is never chosen, so until that last program
    /// the old page stays the active one: a cut anywhere in the switch loses
    /// nothing. A blank device passes `current = None`.
    pub fn rotate<F: Flash>(
        flash: &mut F,
        layout: &Layout,
        current: Option<Journal>,
        installed_version: u32,
        politeness_s: u16,
        restate: &[Record],
    ) -> Result<Journal, FlashError> {
        let (active, seq) = match current {
            Some(j) => (1 - j.active, j.seq.wrapping_add(1)),
            None => (0, 1),
        };
        flash.erase_page(layout.journal[active])?;
        let mut journal = Journal {
            active,
            seq,
            next_slot: 1,
        };
        for &r in restate {
            journal.append(flash, layout, r)?;
        }
        let header = Record::Header {
            seq,
            installed_version,
            politeness_s,
        };
        flash.program(layout.journal[active] * PAGE_SIZE, &header.encode())?;
        Ok(journal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_round_trips_and_a_flipped_bit_is_refused() {
        let records = [
            Record::Header {
                seq: 7,
                installed_version: 3,
                politeness_s: 60,
            },
            Record::Begin {
                manifest_len: 321,
                rom_len: 131_072,
            },
            Record::Chunk { index: 15 },
            Record::Staged,
            Record::Rejected { code: 4 },
            Record::InstallStart,
            Record::InstallPage { index: 9 },
            Record::Committed {
                version: 4,
                politeness_s: 0,
            },
        ];
        for r in records {
            let unit = r.encode();
            assert_eq!(Record::decode(&unit), Some(r));
            for bit in 0..128 {
                let mut bad = unit;
                bad[bit / 8] ^= 1 << (bit % 8);
                assert_eq!(Record::decode(&bad), None, "{r:?} bit {bit}");
            }
        }
        assert_eq!(Record::decode(&[0xFF; UNIT]), None);
    }
}
