//! [`SimCells`]: the sim flash's cells in copy-on-write chunks, so a copy of a device's flash costs pointers, not megabytes.
//!
//! The power-cut campaign starts every point from the golden run's flash at
//! the cut and compares a recovery's flash with the golden run's at a join
//! point. With the cells in one `Vec<u8>` each of those is a 2.2 MiB copy or
//! compare; here the cells are 4 KiB chunks behind `Arc`s: a clone shares
//! every chunk, a store copies only the chunk it lands in (once), and two
//! cells are compared chunk by chunk, skipping the chunks they still share.
//! The bytes and the rules are the flash model's ([`mv_flash::FlashModel`]);
//! this is only where its bytes live.

use std::sync::Arc;

use mv_flash::Cells;

/// Bytes per chunk (a power of two; a flash page spans two).
const CHUNK: usize = 4096;

/// Persistent cells in shared, copy-on-write chunks.
#[derive(Clone, Debug)]
pub struct SimCells {
    chunks: Vec<Arc<[u8; CHUNK]>>,
    len: usize,
}

impl SimCells {
    /// `len` bytes of zeros (the chunks share one allocation until written).
    pub fn zeroed(len: usize) -> SimCells {
        let zero = Arc::new([0u8; CHUNK]);
        SimCells {
            chunks: vec![zero; len.div_ceil(CHUNK)],
            len,
        }
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A copy of `len` bytes from `at`.
    pub fn read_vec(&self, at: usize, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        self.copy_out(at, &mut out);
        out
    }

    /// All the bytes, in one vector (an NVM file's contents).
    pub fn to_vec(&self) -> Vec<u8> {
        self.read_vec(0, self.len)
    }

    /// Whether the bytes from `at` are `expected`, without copying them.
    pub fn eq_range(&self, at: usize, expected: &[u8]) -> bool {
        self.first_difference(at, expected).is_none()
    }

    /// Offset (from `at`) of the first byte that differs from `expected`.
    pub fn first_difference(&self, at: usize, expected: &[u8]) -> Option<usize> {
        let mut done = 0;
        while done < expected.len() {
            let pos = at + done;
            let (chunk, offset) = (pos / CHUNK, pos % CHUNK);
            let n = (CHUNK - offset).min(expected.len() - done);
            let have = &self.chunks[chunk][offset..offset + n];
            let want = &expected[done..done + n];
            if have != want {
                let i = have.iter().zip(want).position(|(a, b)| a != b);
                return Some(done + i.unwrap_or(0));
            }
            done += n;
        }
        None
    }

    /// Whether both hold the same bytes: chunks still shared are skipped,
    /// the others compared byte for byte (an exact comparison, no digest).
    pub fn same_as(&self, other: &SimCells) -> bool {
        self.len == other.len
            && self
                .chunks
                .iter()
                .zip(&other.chunks)
                .all(|(a, b)| Arc::ptr_eq(a, b) || a[..] == b[..])
    }

    fn copy_out(&self, at: usize, buf: &mut [u8]) {
        let mut done = 0;
        while done < buf.len() {
            let pos = at + done;
            let (chunk, offset) = (pos / CHUNK, pos % CHUNK);
            let n = (CHUNK - offset).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&self.chunks[chunk][offset..offset + n]);
            done += n;
        }
    }
}

impl From<Vec<u8>> for SimCells {
    fn from(bytes: Vec<u8>) -> SimCells {
        let mut cells = SimCells::zeroed(bytes.len());
        cells.store(0, &bytes);
        cells
    }
}

impl PartialEq for SimCells {
    fn eq(&self, other: &Self) -> bool {
        self.same_as(other)
    }
}

impl Eq for SimCells {}

impl Cells for SimCells {
    fn load(&self, at: u32, buf: &mut [u8]) {
        self.copy_out(at as usize, buf);
    }

    fn store(&mut self, at: u32, bytes: &[u8]) {
        let mut done = 0;
        while done < bytes.len() {
            let pos = at as usize + done;
            let (chunk, offset) = (pos / CHUNK, pos % CHUNK);
            let n = (CHUNK - offset).min(bytes.len() - done);
            // Copies the chunk only if another copy of the cells shares it.
            Arc::make_mut(&mut self.chunks[chunk])[offset..offset + n]
                .copy_from_slice(&bytes[done..done + n]);
            done += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{SimCells, CHUNK};
    use mv_flash::Cells;

    #[test]
    fn a_store_after_a_clone_changes_only_the_copy() {
        let mut a = SimCells::zeroed(3 * CHUNK + 100);
        a.store(CHUNK as u32 - 2, &[1, 2, 3, 4]);
        let b = a.clone();
        assert!(a.same_as(&b));
        a.store(3 * CHUNK as u32 + 99, &[9]);
        assert!(!a.same_as(&b));
        assert_eq!(a.read_vec(CHUNK - 2, 4), [1, 2, 3, 4]);
        assert_eq!(b.read_vec(3 * CHUNK + 99, 1), [0]);
        assert_eq!(a.first_difference(3 * CHUNK, &[0; 100]), Some(99));
        // Equal bytes in unshared chunks still compare equal.
        let mut c = b.clone();
        c.store(0, &[0]);
        assert!(c.same_as(&b));
    }

    #[test]
    fn round_trips_a_vector() {
        let bytes: Vec<u8> = (0..2 * CHUNK + 7).map(|i| i as u8).collect();
        let cells = SimCells::from(bytes.clone());
        assert_eq!(cells.to_vec(), bytes);
        assert!(cells.eq_range(5, &bytes[5..CHUNK + 9]));
    }
}
