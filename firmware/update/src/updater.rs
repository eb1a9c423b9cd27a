//! The OTA state machine: offer → staged download → verification → install → commit.
//!
//! Every step that changes flash is followed by a journal record, and every
//! step can be interrupted by a power cut ([`FlashError::PowerLost`] is
//! returned at once; the caller treats the device as off). [`Updater::boot`]
//! rebuilds the state from the journal and finishes an install that was under
//! way before any app runs; a download resumes at the first chunk the journal
//! does not list.

use alloc::vec;
use alloc::vec::Vec;

use mv_flash::{Flash, FlashError, PAGE_SIZE, UNIT};
use mv_ota::{
    fetch_hash, verify_manifest, MeasureHasher, OtaError, RomHasher, VerifiedManifest,
    APP_REGION_SIZE, HASH_LEN,
};

use crate::journal::{Journal, Record};
use crate::layout::{chunks_for, Layout, CHUNK_SIZE};
use crate::signers::Signers;

/// Why an offer or a staged download was refused (stable numbers: they are
/// journalled and sent to the cloud).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum RejectCode {
    Malformed = 1,
    UnknownSigner = 2,
    BadSignature = 3,
    BadLayer = 4,
    RomTooLarge = 5,
    FetchHashMismatch = 6,
    MeasurementMismatch = 7,
    Downgrade = 8,
    /// The staged bytes could not be read back (ECC).
    StagingUnreadable = 9,
    /// The manifest is larger than its page.
    ManifestTooLarge = 10,
    /// The kernel's trusted key is unusable (a provisioning error).
    InvalidPublicKey = 11,
}

impl RejectCode {
    /// Every code, for tables and round trips.
    pub const ALL: [RejectCode; 11] = [
        RejectCode::Malformed,
        RejectCode::UnknownSigner,
        RejectCode::BadSignature,
        RejectCode::BadLayer,
        RejectCode::RomTooLarge,
        RejectCode::FetchHashMismatch,
        RejectCode::MeasurementMismatch,
        RejectCode::Downgrade,
        RejectCode::StagingUnreadable,
        RejectCode::ManifestTooLarge,
        RejectCode::InvalidPublicKey,
    ];

    /// The code for a stable number.
    pub fn from_u16(n: u16) -> Option<RejectCode> {
        RejectCode::ALL.into_iter().find(|c| *c as u16 == n)
    }
}

impl From<OtaError> for RejectCode {
    fn from(e: OtaError) -> Self {
        match e {
            OtaError::Malformed => RejectCode::Malformed,
            OtaError::UnknownSigner(_) => RejectCode::UnknownSigner,
            OtaError::BadSignature => RejectCode::BadSignature,
            OtaError::InvalidPublicKey => RejectCode::InvalidPublicKey,
            OtaError::BadLayer(_) => RejectCode::BadLayer,
            OtaError::RomTooLarge { .. } => RejectCode::RomTooLarge,
            OtaError::FetchHashMismatch => RejectCode::FetchHashMismatch,
            OtaError::MeasurementMismatch => RejectCode::MeasurementMismatch,
            OtaError::Downgrade { .. } => RejectCode::Downgrade,
        }
    }
}

/// The kernel's answer to an offer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferReply {
    /// Send chunks from this index on (0 for a new download).
    Fetch { from_chunk: u32 },
    /// Already downloaded and verified; waiting to install.
    Staged,
    /// This version is the one installed.
    UpToDate,
    /// Refused; the old app stays.
    Rejected(RejectCode),
}

/// The kernel's answer to a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkReply {
    /// Staged; send this one next.
    Next(u32),
    /// The last chunk staged and the ROM verified.
    Staged,
    /// Verification of the staged ROM failed; the old app stays.
    Rejected(RejectCode),
    /// Not the chunk expected (or no download under way); send `expected`.
    Unexpected { expected: Option<u32> },
}

/// Where the update stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Nothing pending.
    Idle,
    /// Chunks `0..next_chunk` of `chunks` are staged.
    Downloading { next_chunk: u32, chunks: u32 },
    /// Verified and waiting for the app to restart (or for politeness to run out).
    Staged,
}

/// What booting did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootOutcome {
    /// Nothing to finish.
    Clean,
    /// An interrupted install was finished: the new app's version.
    Installed { version: u32 },
    /// The install could not produce a region with the right measurement; the
    /// kernel runs but no app is started. Only failing flash gets here.
    InstallFailed,
}

/// A download under way or staged.
#[derive(Clone, Debug)]
struct Download {
    manifest: VerifiedManifest,
    manifest_digest: [u8; HASH_LEN],
    manifest_len: u32,
    rom_len: u32,
    next_chunk: u32,
    staged: bool,
    /// `Some(next_page)` while the app region is being rewritten.
    installing: Option<u32>,
}

/// The OTA engine. Holds no flash: every call borrows it.
pub struct Updater {
    layout: Layout,
    signers: Signers,
    journal: Journal,
    installed_version: u32,
    politeness_s: u16,
    download: Option<Download>,
}

/// Attempts at an install per boot before giving up on failing flash.
const INSTALL_ATTEMPTS: u32 = 2;

impl Updater {
    /// Writes a factory image: `rom` in the app region and a fresh journal
    /// saying `version` is installed, with its bundle's politeness limit
    /// (`maximum_politeness_time_sec`, 0 for none). The flash must be erased.
    pub fn provision<F: Flash>(
        flash: &mut F,
        layout: &Layout,
        rom: &[u8],
        version: u32,
        politeness_s: u16,
    ) -> Result<(), FlashError> {
        program_bytes(flash, layout.app_offset(), rom)?;
        Journal::rotate(flash, layout, None, version, politeness_s, &[])?;
        Ok(())
    }

    /// Boots: reads the journal (formatting a blank one), finishes an install
    /// that was under way, and restores a download or a staged update.
    pub fn boot<F: Flash>(
        flash: &mut F,
        layout: Layout,
        signers: impl Into<Signers>,
    ) -> Result<(Updater, BootOutcome), FlashError> {
        let (journal, records) = match Journal::scan(flash, &layout)? {
            Some(found) => found,
            None => {
                let journal = Journal::rotate(flash, &layout, None, 0, 0, &[])?;
                (journal, Vec::new())
            }
        };
        let summary = Summary::of(&records);
        let mut updater = Updater {
            layout,
            signers: signers.into(),
            journal,
            installed_version: summary.installed_version,
            politeness_s: summary.politeness_s,
            download: None,
        };
        let Some(step) = summary.step else {
            return Ok((updater, BootOutcome::Clean));
        };
        // The manifest was verified before `Begin` was written; a manifest
        // that no longer verifies means the secure flash decayed: drop it.
        // (`crate::manifest_page`: re-opened without a signature check when
        // its bytes are the ones verified.)
        match crate::manifest_page::load(
            flash,
            &updater.layout,
            &updater.signers,
            step.manifest_len,
        )? {
            Some((manifest, manifest_digest)) => {
                updater.download = Some(Download {
                    manifest,
                    manifest_digest,
                    manifest_len: step.manifest_len,
                    rom_len: step.rom_len,
                    next_chunk: step.next_chunk,
                    staged: step.staged,
                    installing: step.installing,
                });
            }
            None => {
                updater.reject(flash, RejectCode::Malformed)?;
                return Ok((updater, BootOutcome::Clean));
            }
        }
        if let Some(next_page) = step.installing {
            let outcome = updater.finish_install(flash, next_page)?;
            return Ok((updater, outcome));
        }
        Ok((updater, BootOutcome::Clean))
    }

    /// Version of the app in the app region.
    pub fn installed_version(&self) -> u32 {
        self.installed_version
    }

    /// `maximum_politeness_time_sec` of the installed bundle.
    pub fn politeness_s(&self) -> u16 {
        self.politeness_s
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Where the update stands.
    pub fn phase(&self) -> Phase {
        match &self.download {
            None => Phase::Idle,
            Some(d) if d.staged => Phase::Staged,
            Some(d) => Phase::Downloading {
                next_chunk: d.next_chunk,
                chunks: chunks_for(d.rom_len),
            },
        }
    }

    /// The cloud offers a bundle: its manifest and the length of its layer.
    pub fn offer<F: Flash>(
        &mut self,
        flash: &mut F,
        manifest_bytes: &[u8],
        rom_len: u32,
    ) -> Result<OfferReply, FlashError> {
        let digest = fetch_hash(manifest_bytes);
        if let Some(d) = &self.download {
            if d.manifest_digest == digest && d.rom_len == rom_len {
                if d.staged {
                    return Ok(OfferReply::Staged);
                }
                let from_chunk = d.next_chunk;
                return Ok(match self.finish_download_if_complete(flash)? {
                    Some(ChunkReply::Staged) => OfferReply::Staged,
                    Some(ChunkReply::Rejected(code)) => OfferReply::Rejected(code),
                    _ => OfferReply::Fetch { from_chunk },
                });
            }
        }
        let manifest = match self.check_offer(manifest_bytes, rom_len) {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(OfferReply::UpToDate),
            Err(code) => return Ok(OfferReply::Rejected(code)),
        };
        // A new download replaces whatever was staged: the journal restarts
        // on the other page saying only what is installed.
        self.download = None;
        self.journal = Journal::rotate(
            flash,
            &self.layout,
            Some(self.journal),
            self.installed_version,
            self.politeness_s,
            &[],
        )?;
        crate::manifest_page::write(flash, &self.layout, manifest_bytes)?;
        self.append(
            flash,
            Record::Begin {
                manifest_len: manifest_bytes.len() as u32,
                rom_len,
            },
        )?;
        self.download = Some(Download {
            manifest,
            manifest_digest: digest,
            manifest_len: manifest_bytes.len() as u32,
            rom_len,
            next_chunk: 0,
            staged: false,
            installing: None,
        });
        Ok(OfferReply::Fetch { from_chunk: 0 })
    }

    /// `Ok(None)`: the offered version is the installed one.
    fn check_offer(
        &self,
        manifest_bytes: &[u8],
        rom_len: u32,
    ) -> Result<Option<VerifiedManifest>, RejectCode> {
        if manifest_bytes.len() > PAGE_SIZE as usize {
            return Err(RejectCode::ManifestTooLarge);
        }
        let manifest = verify_manifest(manifest_bytes, &self.signers.trusted())?;
        manifest.check_not_downgrade(Some(self.installed_version))?;
        if manifest.app_version() == self.installed_version {
            return Ok(None);
        }
        let max = self
            .layout
            .staging_size()
            .min(APP_REGION_SIZE - 1)
            .min(manifest.app.size);
        if rom_len == 0 || rom_len > max {
            return Err(RejectCode::RomTooLarge);
        }
        Ok(Some(manifest))
    }

    /// One chunk of the layer: staged in its own page, then journalled.
    pub fn chunk<F: Flash>(
        &mut self,
        flash: &mut F,
        index: u32,
        data: &[u8],
    ) -> Result<ChunkReply, FlashError> {
        let Some(d) = self.download.as_ref().filter(|d| !d.staged) else {
            return Ok(ChunkReply::Unexpected { expected: None });
        };
        let chunks = chunks_for(d.rom_len);
        let expected_len = if index + 1 == chunks {
            d.rom_len - index * CHUNK_SIZE
        } else {
            CHUNK_SIZE
        };
        if index != d.next_chunk || index >= chunks || data.len() != expected_len as usize {
            return Ok(ChunkReply::Unexpected {
                expected: Some(d.next_chunk),
            });
        }
        let page = self.layout.staging_first + index;
        #[cfg(feature = "planted-bugs")]
        let planted = crate::planted::chunk_record_first();
        #[cfg(not(feature = "planted-bugs"))]
        let planted = false;
        if planted {
            self.append(flash, Record::Chunk { index })?;
        }
        flash.erase_page(page)?;
        program_bytes(flash, page * PAGE_SIZE, data)?;
        if !planted {
            self.append(flash, Record::Chunk { index })?;
        }
        if let Some(d) = self.download.as_mut() {
            d.next_chunk = index + 1;
        }
        Ok(match self.finish_download_if_complete(flash)? {
            Some(reply) => reply,
            None => ChunkReply::Next(index + 1),
        })
    }

    /// Once every chunk is staged: hash the staged bytes as read back and
    /// either mark them staged or reject them.
    fn finish_download_if_complete<F: Flash>(
        &mut self,
        flash: &mut F,
    ) -> Result<Option<ChunkReply>, FlashError> {
        let Some(d) = &self.download else {
            return Ok(None);
        };
        if d.staged || d.next_chunk < chunks_for(d.rom_len) {
            return Ok(None);
        }
        let verdict = match self.hash_staged(flash, d.rom_len)? {
            Some(digest) => d.manifest.check_rom(&digest).map_err(RejectCode::from),
            None => Err(RejectCode::StagingUnreadable),
        };
        match verdict {
            Ok(()) => {
                self.append(flash, Record::Staged)?;
                if let Some(d) = self.download.as_mut() {
                    d.staged = true;
                }
                Ok(Some(ChunkReply::Staged))
            }
            Err(code) => {
                self.reject(flash, code)?;
                Ok(Some(ChunkReply::Rejected(code)))
            }
        }
    }

    /// `None` if a staged unit is unreadable.
    fn hash_staged<F: Flash>(
        &self,
        flash: &mut F,
        rom_len: u32,
    ) -> Result<Option<mv_ota::RomDigest>, FlashError> {
        let mut hasher = RomHasher::new();
        let mut page = vec![0u8; PAGE_SIZE as usize];
        let mut done = 0;
        while done < rom_len {
            let n = (rom_len - done).min(PAGE_SIZE);
            match flash.read(self.layout.staging_offset() + done, &mut page[..n as usize]) {
                Ok(()) => hasher.update(&page[..n as usize]),
                Err(FlashError::Ecc { .. }) => return Ok(None),
                Err(e) => return Err(e),
            }
            done += n;
        }
        Ok(Some(hasher.finish()))
    }

    fn reject<F: Flash>(&mut self, flash: &mut F, code: RejectCode) -> Result<(), FlashError> {
        self.download = None;
        self.append(flash, Record::Rejected { code: code as u16 })
    }

    /// Installs the staged update now (the app is already torn down).
    ///
    /// `Ok(None)` when nothing is staged.
    pub fn install<F: Flash>(&mut self, flash: &mut F) -> Result<Option<BootOutcome>, FlashError> {
        if !matches!(&self.download, Some(d) if d.staged) {
            return Ok(None);
        }
        self.append(flash, Record::InstallStart)?;
        self.set_install_progress(0);
        self.finish_install(flash, 0).map(Some)
    }

    /// Copies staging pages `next_page..` into the app region, erases what is
    /// left of the old app, measures the region and commits.
    fn finish_install<F: Flash>(
        &mut self,
        flash: &mut F,
        mut next_page: u32,
    ) -> Result<BootOutcome, FlashError> {
        let Some(d) = self.download.clone() else {
            return Ok(BootOutcome::InstallFailed);
        };
        let rom_pages = chunks_for(d.rom_len);
        let mut page = vec![0u8; PAGE_SIZE as usize];
        for attempt in 0..INSTALL_ATTEMPTS {
            if attempt > 0 {
                self.append(flash, Record::InstallStart)?;
                self.set_install_progress(0);
                next_page = 0;
            }
            if !self.copy_pages(flash, &mut page, next_page, rom_pages, d.rom_len)? {
                continue;
            }
            self.erase_rest(flash, &mut page, rom_pages)?;
            if self.measure_app(flash, &mut page)? == Some(d.manifest.app.measurement_hash) {
                let politeness_s = politeness_of(&d.manifest);
                let version = d.manifest.app_version();
                self.append(
                    flash,
                    Record::Committed {
                        version,
                        politeness_s,
                    },
                )?;
                self.installed_version = version;
                self.politeness_s = politeness_s;
                self.download = None;
                return Ok(BootOutcome::Installed { version });
            }
        }
        Ok(BootOutcome::InstallFailed)
    }

    /// `false` if a staged page cannot be read (ECC).
    fn copy_pages<F: Flash>(
        &mut self,
        flash: &mut F,
        page: &mut [u8],
        from: u32,
        rom_pages: u32,
        rom_len: u32,
    ) -> Result<bool, FlashError> {
        for index in from..rom_pages {
            let n = (rom_len - index * PAGE_SIZE).min(PAGE_SIZE) as usize;
            match flash.read(
                (self.layout.staging_first + index) * PAGE_SIZE,
                &mut page[..n],
            ) {
                Ok(()) => {}
                Err(FlashError::Ecc { .. }) => return Ok(false),
                Err(e) => return Err(e),
            }
            let target = self.layout.app_first + index;
            flash.erase_page(target)?;
            program_bytes(flash, target * PAGE_SIZE, &page[..n])?;
            self.append(flash, Record::InstallPage { index })?;
            self.set_install_progress(index + 1);
        }
        Ok(true)
    }

    fn set_install_progress(&mut self, next_page: u32) {
        if let Some(d) = self.download.as_mut() {
            d.installing = Some(next_page);
        }
    }

    /// Erases every app page past the new ROM that is not already erased.
    fn erase_rest<F: Flash>(
        &mut self,
        flash: &mut F,
        page: &mut [u8],
        rom_pages: u32,
    ) -> Result<(), FlashError> {
        for index in rom_pages..self.layout.app_pages {
            let target = self.layout.app_first + index;
            let erased = match flash.read(target * PAGE_SIZE, page) {
                Ok(()) => page.iter().all(|&b| b == 0xFF),
                Err(FlashError::Ecc { .. }) => false,
                Err(e) => return Err(e),
            };
            if !erased {
                flash.erase_page(target)?;
            }
        }
        Ok(())
    }

    /// The measurement of the app region as it reads back; `None` on ECC.
    fn measure_app<F: Flash>(
        &self,
        flash: &mut F,
        page: &mut [u8],
    ) -> Result<Option<[u8; HASH_LEN]>, FlashError> {
        let mut hasher = MeasureHasher::new();
        for index in 0..self.layout.app_pages {
            match flash.read((self.layout.app_first + index) * PAGE_SIZE, page) {
                Ok(()) => hasher.update(page),
                Err(FlashError::Ecc { .. }) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        Ok(Some(hasher.finish()))
    }

    /// Appends a record, moving to the other journal page (restating the
    /// current step) when this one is full.
    fn append<F: Flash>(&mut self, flash: &mut F, record: Record) -> Result<(), FlashError> {
        if self.journal.free_slots() == 0 {
            let restate = self.restatement();
            self.journal = Journal::rotate(
                flash,
                &self.layout,
                Some(self.journal),
                self.installed_version,
                self.politeness_s,
                &restate,
            )?;
        }
        self.journal.append(flash, &self.layout, record)
    }

    /// Appends no-op records (a repeat of the last chunk's) until `free`
    /// slots are left, standing in for the torn records many cuts leave.
    #[cfg(test)]
    pub(crate) fn fill_journal_for_test<F: Flash>(
        &mut self,
        flash: &mut F,
        free: u32,
    ) -> Result<(), FlashError> {
        let index = self
            .download
            .as_ref()
            .map_or(0, |d| d.next_chunk.saturating_sub(1));
        while self.journal.free_slots() > free {
            self.journal
                .append(flash, &self.layout, Record::Chunk { index })?;
        }
        Ok(())
    }

    /// Records that bring a fresh page to the current step.
    fn restatement(&self) -> Vec<Record> {
        let mut records = Vec::new();
        if let Some(d) = &self.download {
            records.push(Record::Begin {
                manifest_len: d.manifest_len,
                rom_len: d.rom_len,
            });
            if d.next_chunk > 0 {
                records.push(Record::Chunk {
                    index: d.next_chunk - 1,
                });
            }
            if d.staged {
                records.push(Record::Staged);
            }
            if let Some(next_page) = d.installing {
                records.push(Record::InstallStart);
                if next_page > 0 {
                    records.push(Record::InstallPage {
                        index: next_page - 1,
                    });
                }
            }
        }
        records
    }
}

fn politeness_of(m: &VerifiedManifest) -> u16 {
    m.body.update.as_ref().map_or(0, |u| {
        u.maximum_politeness_time_sec.min(u32::from(u16::MAX)) as u16
    })
}

/// Programs `bytes` from `offset` (16-aligned), the last unit padded with 0xFF.
pub(crate) fn program_bytes<F: Flash>(
    flash: &mut F,
    offset: u32,
    bytes: &[u8],
) -> Result<(), FlashError> {
    for (i, chunk) in bytes.chunks(UNIT).enumerate() {
        let mut unit = [0xFF; UNIT];
        unit[..chunk.len()].copy_from_slice(chunk);
        flash.program(offset + (i * UNIT) as u32, &unit)?;
    }
    Ok(())
}

/// The step a journal's records describe.
struct Summary {
    installed_version: u32,
    politeness_s: u16,
    step: Option<Step>,
}

#[derive(Clone, Copy)]
struct Step {
    manifest_len: u32,
    rom_len: u32,
    next_chunk: u32,
    staged: bool,
    /// `Some(next_page)` once `InstallStart` was written.
    installing: Option<u32>,
}

impl Summary {
    fn of(records: &[Record]) -> Summary {
        let mut s = Summary {
            installed_version: 0,
            politeness_s: 0,
            step: None,
        };
        for &r in records {
            match r {
                Record::Header {
                    installed_version,
                    politeness_s,
                    ..
                } => {
                    s.installed_version = installed_version;
                    s.politeness_s = politeness_s;
                    s.step = None;
                }
                Record::Begin {
                    manifest_len,
                    rom_len,
                } => {
                    s.step = Some(Step {
                        manifest_len,
                        rom_len,
                        next_chunk: 0,
                        staged: false,
                        installing: None,
                    });
                }
                Record::Chunk { index } => {
                    if let Some(step) = s.step.as_mut() {
                        step.next_chunk = step.next_chunk.max(index + 1);
                    }
                }
                Record::Staged => {
                    if let Some(step) = s.step.as_mut() {
                        step.staged = true;
                    }
                }
                Record::Rejected { .. } => s.step = None,
                Record::InstallStart => {
                    if let Some(step) = s.step.as_mut() {
                        step.installing = Some(0);
                    }
                }
                Record::InstallPage { index } => {
                    if let Some(Step {
                        installing: Some(next),
                        ..
                    }) = s.step.as_mut()
                    {
                        *next = (*next).max(index + 1);
                    }
                }
                Record::Committed {
                    version,
                    politeness_s,
                } => {
                    s.installed_version = version;
                    s.politeness_s = politeness_s;
                    s.step = None;
                }
            }
        }
        s
    }
}
