//! The kernel's OTA engine: a journalled, resumable download and install over [`Flash`].
//!
//! `no_std` + `alloc`, no `unsafe`. The same code runs on the sim (over its
//! power-cutting flash model) and in the secure image (over NVM with the same
//! rules). It is kept out of `mv-kernel` because manifest verification needs
//! an allocator; the kernel core stays allocation-free.
//!
//! ```text
//!  offer(manifest) ─▶ verify ─▶ Begin ─▶ chunk k: erase page, program, Chunk{k} ─▶ … ─▶ hash ─▶ Staged
//!                                                                                      └▶ Rejected (old app stays)
//!  install: InstallStart ─▶ page k: erase, copy, InstallPage{k} ─▶ … ─▶ erase rest ─▶ measure ─▶ Committed
//! ```
//!
//! The offer writes the verified manifest and its SHA-256 to the manifest
//! page before `Begin`; a boot that finds a step under way re-opens the
//! manifest without a second signature check while its bytes still hash to
//! that digest, and verifies it in full otherwise (`manifest_page`).
//!
//! [`Flash`]: mv_flash::Flash
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod journal;
pub mod layout;
mod link;
mod manifest_page;
pub mod otp;
#[cfg(feature = "planted-bugs")]
pub mod planted;
mod signers;
mod updater;

pub use layout::{chunks_for, Layout, CHUNK_SIZE};
pub use signers::Signers;
pub use updater::{BootOutcome, ChunkReply, OfferReply, Phase, RejectCode, Updater};

#[cfg(test)]
mod tests;
