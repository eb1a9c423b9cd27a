//! The external NOR flash the app reaches through `mvExternalFlash*`: one model over any cells.
//!
//! A serial NOR chip (the Microvisor Nucleo's is a Macronix MX25R) erases
//! 4096-byte sectors to `0xFF` and programs by clearing bits: a program
//! stores `old & new`, so a second program of the same bytes cannot set a
//! bit an erase did not. [`NorFlash`] enforces exactly that over a window
//! of [`Cells`], the same code on the sim (cells in memory) and on QEMU (a
//! region of the file-backed PSRAM past the internal flash's cells).
//!
//! The cells hold the chip's bytes inverted: cells that were never written
//! (a fresh NVM file, a sparse model) read as zeros, which is an erased
//! chip (`0xFF`), so neither rig formats anything at boot.

use crate::Cells;

/// The erase unit of the chip (the header's "4096 byte boundary").
pub const SECTOR_SIZE: u32 = 4096;

/// Why an external-flash operation was refused (the kernel checked the
/// same conditions first; this is the model's own guard).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NorError {
    /// Past the end of the window.
    OutOfRange,
    /// An erase that does not cover whole sectors.
    Unaligned,
}

/// `size` bytes of NOR flash kept in `cells` from offset `base`.
#[derive(Clone, Debug)]
pub struct NorFlash<C: Cells> {
    cells: C,
    base: u32,
    size: u32,
}

impl<C: Cells> NorFlash<C> {
    /// A chip of `size` bytes (whole sectors) at `base` in `cells`.
    pub const fn new(cells: C, base: u32, size: u32) -> Self {
        assert!(size.is_multiple_of(SECTOR_SIZE), "whole sectors only");
        NorFlash { cells, base, size }
    }

    pub const fn size(&self) -> u32 {
        self.size
    }

    fn check(&self, offset: u32, len: usize) -> Result<(), NorError> {
        let end = u64::from(offset) + len as u64;
        (end <= u64::from(self.size))
            .then_some(())
            .ok_or(NorError::OutOfRange)
    }

    /// Read `buf.len()` bytes at `offset`.
    pub fn read(&self, offset: u32, buf: &mut [u8]) -> Result<(), NorError> {
        self.check(offset, buf.len())?;
        self.cells.load(self.base + offset, buf);
        for b in buf.iter_mut() {
            *b = !*b;
        }
        Ok(())
    }

    /// Program `data` at `offset`: each byte becomes `old & new`.
    pub fn program(&mut self, offset: u32, data: &[u8]) -> Result<(), NorError> {
        self.check(offset, data.len())?;
        let mut chunk = [0u8; 64];
        for (i, piece) in data.chunks(chunk.len()).enumerate() {
            let at = self.base + offset + (i * chunk.len()) as u32;
            let stored = &mut chunk[..piece.len()];
            self.cells.load(at, stored);
            // Stored inverted: clearing a bit of the chip sets it in the cell.
            for (cell, &new) in stored.iter_mut().zip(piece) {
                *cell |= !new;
            }
            self.cells.store(at, stored);
        }
        Ok(())
    }

    /// Erase `[offset, offset + len)`, whole sectors, to `0xFF`.
    pub fn erase(&mut self, offset: u32, len: u32) -> Result<(), NorError> {
        self.check(offset, len as usize)?;
        if !(offset.is_multiple_of(SECTOR_SIZE) && len.is_multiple_of(SECTOR_SIZE)) {
            return Err(NorError::Unaligned);
        }
        let zeros = [0u8; 256];
        let mut at = 0;
        while at < len {
            let n = (len - at).min(zeros.len() as u32);
            self.cells
                .store(self.base + offset + at, &zeros[..n as usize]);
            at += n;
        }
        Ok(())
    }

    pub fn cells(&self) -> &C {
        &self.cells
    }

    pub fn cells_mut(&mut self) -> &mut C {
        &mut self.cells
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec;
    use alloc::vec::Vec;

    use super::*;

    fn chip() -> NorFlash<Vec<u8>> {
        NorFlash::new(
            vec![0; 3 * SECTOR_SIZE as usize],
            SECTOR_SIZE,
            2 * SECTOR_SIZE,
        )
    }

    #[test]
    fn fresh_cells_read_erased() {
        let f = chip();
        let mut buf = [0u8; 8];
        f.read(100, &mut buf).unwrap();
        assert_eq!(buf, [0xFF; 8]);
    }

    #[test]
    fn program_only_clears_bits_until_erase() {
        let mut f = chip();
        f.program(10, &[0x0F, 0xAA]).unwrap();
        f.program(10, &[0xF0, 0xFF]).unwrap();
        let mut buf = [0u8; 2];
        f.read(10, &mut buf).unwrap();
        assert_eq!(buf, [0x00, 0xAA]);
        f.erase(0, SECTOR_SIZE).unwrap();
        f.read(10, &mut buf).unwrap();
        assert_eq!(buf, [0xFF, 0xFF]);
        // The window starts at `base`: the cells before it are untouched.
        assert!(f.cells()[..SECTOR_SIZE as usize].iter().all(|&c| c == 0));
    }

    #[test]
    fn range_and_alignment_are_guarded() {
        let mut f = chip();
        assert_eq!(
            f.program(2 * SECTOR_SIZE - 1, &[0, 0]),
            Err(NorError::OutOfRange)
        );
        assert_eq!(
            f.erase(SECTOR_SIZE, 2 * SECTOR_SIZE),
            Err(NorError::OutOfRange)
        );
        assert_eq!(f.erase(16, SECTOR_SIZE), Err(NorError::Unaligned));
        assert_eq!(f.read(u32::MAX, &mut [0]), Err(NorError::OutOfRange));
    }
}
