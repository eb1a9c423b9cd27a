//! The sim's external flash: `mv_flash::NorFlash` over sparse cells, one sector allocated per first write.
//!
//! Cells that were never written read as zero, which `NorFlash` keeps as
//! an erased chip, so a fresh device costs nothing and stays cheap to copy.

use std::collections::BTreeMap;
use std::sync::Arc;

use mv_boards::external_flash::APP_SIZE;
use mv_flash::nor::SECTOR_SIZE;
use mv_flash::{Cells, NorFlash};

const SECTOR: usize = SECTOR_SIZE as usize;

/// Sectors of cells, shared until written (copy on write).
#[derive(Clone, Debug, Default)]
pub struct SparseCells {
    sectors: BTreeMap<u32, Arc<[u8; SECTOR]>>,
}

impl Cells for SparseCells {
    fn load(&self, at: u32, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            let a = at + i as u32;
            *b = self
                .sectors
                .get(&(a / SECTOR_SIZE))
                .map_or(0, |s| s[(a % SECTOR_SIZE) as usize]);
        }
    }

    fn store(&mut self, at: u32, bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            let a = at + i as u32;
            let sector = self
                .sectors
                .entry(a / SECTOR_SIZE)
                .or_insert_with(|| Arc::new([0; SECTOR]));
            Arc::make_mut(sector)[(a % SECTOR_SIZE) as usize] = b;
        }
    }
}

/// The app's window of the board's external flash.
pub type SimExternalFlash = NorFlash<SparseCells>;

/// An erased chip.
pub fn erased() -> SimExternalFlash {
    NorFlash::new(SparseCells::default(), 0, APP_SIZE)
}
