//! The device side of the cloud link's OTA messages: one translation for every board.

use mv_flash::{Flash, FlashError};
use mv_proto::OtaReply;

use crate::{ChunkReply, OfferReply, Updater};

impl Updater {
    /// Applies `CloudToDevice::OtaOffer`.
    pub fn on_offer<F: Flash>(
        &mut self,
        flash: &mut F,
        manifest: &[u8],
        rom_len: u32,
    ) -> Result<OtaReply, FlashError> {
        Ok(match self.offer(flash, manifest, rom_len)? {
            OfferReply::Fetch { from_chunk } => OtaReply::Fetch { from_chunk },
            OfferReply::Staged => OtaReply::Staged,
            OfferReply::UpToDate => OtaReply::UpToDate,
            OfferReply::Rejected(code) => OtaReply::Rejected { code: code as u16 },
        })
    }

    /// Applies `CloudToDevice::OtaChunk`.
    pub fn on_chunk<F: Flash>(
        &mut self,
        flash: &mut F,
        index: u32,
        data: &[u8],
    ) -> Result<OtaReply, FlashError> {
        Ok(match self.chunk(flash, index, data)? {
            ChunkReply::Next(n) => OtaReply::Fetch { from_chunk: n },
            ChunkReply::Staged => OtaReply::Staged,
            ChunkReply::Rejected(code) => OtaReply::Rejected { code: code as u16 },
            ChunkReply::Unexpected { expected } => OtaReply::Unexpected { expected },
        })
    }
}
