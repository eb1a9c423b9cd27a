//! The geometry of a byte ring over an app buffer: pure offsets, no memory.
//!
//! A channel's receive and send buffers are app memory, and the app can
//! scribble on them at any time; what the kernel trusts is this geometry,
//! which lives in secure memory only. Whatever the app writes into its own
//! buffer, every span handed out here lies inside `[0, size)`.

/// Where the bytes of a ring are: `len` bytes from `read`, wrapping at `size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRing {
    size: u32,
    read: u32,
    len: u32,
}

/// Up to two spans `(offset, len)` (the second one after the wrap).
pub type Spans = [(u32, u32); 2];

impl ByteRing {
    pub const fn new(size: u32) -> Self {
        ByteRing {
            size,
            read: 0,
            len: 0,
        }
    }

    /// Bytes held.
    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Room left.
    pub fn free(&self) -> u32 {
        self.size - self.len
    }

    /// Where `n` more bytes go (the caller checked `n <= free`).
    pub fn write_spans(&self, n: u32) -> Spans {
        debug_assert!(n <= self.free());
        let at = (self.read + self.len) % self.size.max(1);
        split(at, n, self.size)
    }

    /// Where `n` bytes from ring offset `at` lie (an item stored earlier;
    /// `at` is reduced into the ring, so every span stays inside it).
    pub fn spans_at(&self, at: u32, n: u32) -> Spans {
        let size = self.size.max(1);
        split(at % size, n.min(size), size)
    }

    /// Where the next write goes (the offset [`Self::write_spans`] starts at).
    pub fn write_offset(&self) -> u32 {
        (self.read + self.len) % self.size.max(1)
    }

    /// `n` bytes were written at [`Self::write_spans`].
    pub fn commit_write(&mut self, n: u32) {
        self.len += n.min(self.free());
    }

    /// The oldest `n` bytes (the caller checked `n <= len`).
    pub fn read_spans(&self, n: u32) -> Spans {
        debug_assert!(n <= self.len);
        split(self.read, n, self.size)
    }

    /// The bytes readable in one piece from the read position (what
    /// `mvReadChannel` hands out): `(offset, len)`.
    pub fn contiguous(&self) -> (u32, u32) {
        (self.read, self.len.min(self.size - self.read))
    }

    /// Drops the oldest `n` bytes (at most what is held); an emptied ring
    /// starts again at offset 0, so the next data is contiguous.
    pub fn consume(&mut self, n: u32) -> u32 {
        let n = n.min(self.len);
        self.len -= n;
        self.read = if self.len == 0 {
            0
        } else {
            (self.read + n) % self.size
        };
        n
    }
}

fn split(at: u32, n: u32, size: u32) -> Spans {
    let first = n.min(size - at);
    [(at, first), (0, n - first)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_wrap_and_stay_inside_the_buffer() {
        let mut r = ByteRing::new(16);
        assert_eq!(r.write_spans(10), [(0, 10), (0, 0)]);
        r.commit_write(10);
        assert_eq!(r.consume(6), 6);
        assert_eq!(r.write_spans(10), [(10, 6), (0, 4)]);
        r.commit_write(10);
        assert_eq!(r.len(), 14);
        assert_eq!(r.contiguous(), (6, 10));
        assert_eq!(r.read_spans(14), [(6, 10), (0, 4)]);
        assert_eq!(r.consume(100), 14, "consume is clamped to what is held");
        assert_eq!(r.contiguous(), (0, 0), "an empty ring starts over at 0");
    }
}
