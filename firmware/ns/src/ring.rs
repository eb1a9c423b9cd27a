//! Reading a notification ring the way the Microvisor docs describe it.
//!
//! "Each notification has a four-byte event_type field, and Microvisor zeros
//! this field in the space after the notification it has just written. When
//! the application reads a notification of type zero, it knows it has now
//! read all currently available notifications." — and for overruns: "The
//! application can detect this, if it wishes, by zeroing the event_type of
//! notifications as they are read, and on each interrupt checking that the
//! entry prior to the read pointer has been zeroed." (seed page "Microvisor
//! System Calls", "Reading notifications", "Buffer overruns").
//!
//! What the method can and cannot tell, for `n` slots and `w` records written
//! since the last drain (the reader had consumed everything):
//!
//! ```text
//!  w <= n-1                 no loss; the slot before the read pointer is still 0
//!  n <= w <= 2n-2           overrun detected; exactly w-(n-1) lost, and the
//!                           reader can count them from where the sentinel is
//!  w = k*n + n-1, k >= 1    NOT detectable: the ring looks exactly like w = n-1
//!  other w >= 2n-1          detected; the count from the sentinel is a lower bound
//! ```
//!
//! so [`Overrun::lost_at_least`] is exact for a single lap and a lower bound
//! beyond. After an overrun the reader resynchronises to the oldest record
//! that survived (the slot after the sentinel) and reads the `n-1` survivors.

use mv_abi::MvNotification;

/// Access to the ring's memory. On target this is volatile access to the
/// app's buffer; in host tests a plain array.
pub trait RingMemory {
    /// Number of 16-byte slots.
    fn slots(&self) -> u32;
    /// Copy record `slot` out.
    fn read(&self, slot: u32) -> MvNotification;
    /// Zero `event_type` of record `slot` (the documented "zero as you read").
    fn clear_event_type(&mut self, slot: u32);
}

/// The write pointer lapped the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overrun {
    /// Records overwritten before they were read: exact for a single lap,
    /// a lower bound beyond (see the module docs).
    pub lost_at_least: u32,
}

/// The result of one drain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drain {
    /// Records handed to the callback.
    pub read: u32,
    pub overrun: Option<Overrun>,
}

/// An application's read pointer into one ring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingReader {
    next: u32,
    /// The slot before `next` is known to be zeroed (by [`RingReader::new`]
    /// or by reading it), so a non-zero one there means an overrun.
    verified: bool,
}

impl RingReader {
    /// Start reading a ring that was just set up. Every `event_type` is
    /// zeroed first: the buffer may hold anything (demos fill it with 0x00 or
    /// 0xFF), and a stale non-zero entry before the read pointer would look
    /// like an overrun.
    pub fn new(mem: &mut impl RingMemory) -> RingReader {
        for slot in 0..mem.slots() {
            mem.clear_event_type(slot);
        }
        RingReader {
            next: 0,
            verified: true,
        }
    }

    /// Resume a reader whose read position was kept elsewhere (the agent
    /// keeps no state between requests; the host remembers the position).
    pub fn at(position: u32) -> RingReader {
        RingReader {
            next: position,
            verified: true,
        }
    }

    /// A reader at `position` in a ring it never zeroed: until it has read
    /// a record it cannot tell an overrun, so it does not check for one.
    pub fn unverified_at(position: u32) -> RingReader {
        RingReader {
            next: position,
            verified: false,
        }
    }

    /// Can the next drain tell an overrun?
    pub fn is_verified(&self) -> bool {
        self.verified
    }

    /// The slot the next record is expected in.
    pub fn position(&self) -> u32 {
        self.next
    }

    /// Read every available record in order, zeroing each one's
    /// `event_type`, after checking for an overrun by the documented method.
    pub fn drain(
        &mut self,
        mem: &mut impl RingMemory,
        mut each: impl FnMut(&MvNotification),
    ) -> Drain {
        let n = mem.slots();
        if n == 0 {
            return Drain {
                read: 0,
                overrun: None,
            };
        }
        let before = (self.next + n - 1) % n;
        let mut overrun = None;
        if self.verified && mem.read(before).event_type != 0 {
            // The writer lapped us; its sentinel marks the write pointer and
            // the oldest survivor is the slot after it.
            if let Some(sentinel) = (0..n)
                .map(|i| (self.next + i) % n)
                .find(|&s| mem.read(s).event_type == 0)
            {
                overrun = Some(Overrun {
                    lost_at_least: (sentinel + n - self.next) % n + 1,
                });
                self.next = (sentinel + 1) % n;
            } else {
                // No sentinel at all: the ring is corrupt (or being written
                // right now); report the minimum and read from here.
                overrun = Some(Overrun { lost_at_least: 1 });
            }
        }
        let mut read = 0;
        while read < n {
            let record = mem.read(self.next);
            if record.event_type == 0 {
                break;
            }
            each(&record);
            mem.clear_event_type(self.next);
            self.next = (self.next + 1) % n;
            read += 1;
        }
        if read > 0 {
            self.verified = true;
        }
        Drain { read, overrun }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    /// A ring and a writer following the kernel's rule (firmware/ABI.md §4):
    /// write the record, advance, zero the next slot's event_type.
    struct Ring {
        records: Vec<MvNotification>,
        write: u32,
        written: u32,
    }

    impl Ring {
        fn new(n: u32, fill: u32) -> Ring {
            let r = MvNotification {
                microseconds: u64::from(fill),
                event_type: fill,
                tag: fill,
            };
            Ring {
                records: vec![r; n as usize],
                write: 0,
                written: 0,
            }
        }
        fn post(&mut self) {
            let n = self.records.len() as u32;
            self.written += 1;
            self.records[self.write as usize] = MvNotification {
                microseconds: u64::from(self.written),
                event_type: 1,
                tag: self.written,
            };
            self.write = (self.write + 1) % n;
            self.records[self.write as usize].event_type = 0;
        }
    }

    impl RingMemory for Ring {
        fn slots(&self) -> u32 {
            self.records.len() as u32
        }
        fn read(&self, slot: u32) -> MvNotification {
            self.records[slot as usize]
        }
        fn clear_event_type(&mut self, slot: u32) {
            self.records[slot as usize].event_type = 0;
        }
    }

    /// Flood `w` records into a drained ring of `n` slots, drain once.
    fn flood(n: u32, pre: u32, w: u32) -> (Drain, Vec<u32>) {
        let mut ring = Ring::new(n, 0xFFFF_FFFF);
        let mut reader = RingReader::new(&mut ring);
        for _ in 0..pre {
            ring.post();
        }
        reader.drain(&mut ring, |_| {});
        let first = ring.written;
        for _ in 0..w {
            ring.post();
        }
        let mut tags = Vec::new();
        let d = reader.drain(&mut ring, |r| tags.push(r.tag - first));
        (d, tags)
    }

    #[test]
    fn up_to_n_minus_1_records_are_read_without_loss() {
        for n in [2, 3, 8] {
            for pre in 0..2 * n {
                for w in 0..n {
                    let (d, tags) = flood(n, pre, w);
                    assert_eq!(
                        d,
                        Drain {
                            read: w,
                            overrun: None
                        },
                        "n={n} pre={pre} w={w}"
                    );
                    assert_eq!(tags, (1..=w).collect::<Vec<_>>());
                }
            }
        }
    }

    #[test]
    fn a_single_lap_is_detected_and_counted_exactly() {
        for n in [2, 3, 8, 64] {
            for pre in [0, 1, n - 1, n + 1] {
                for w in n..=2 * n - 2 {
                    let (d, tags) = flood(n, pre, w);
                    let lost = w - (n - 1);
                    assert_eq!(
                        d.overrun,
                        Some(Overrun {
                            lost_at_least: lost
                        }),
                        "n={n} pre={pre} w={w}"
                    );
                    // The survivors are the newest n-1 records, in order.
                    assert_eq!(tags, (lost + 1..=w).collect::<Vec<_>>(), "n={n} w={w}");
                }
            }
        }
    }

    #[test]
    fn beyond_one_lap_the_count_is_a_lower_bound_and_one_class_is_invisible() {
        for n in [2, 3, 8] {
            for w in 2 * n - 1..5 * n {
                let (d, tags) = flood(n, 0, w);
                let lost = w - (n - 1);
                if w % n == n - 1 {
                    // Indistinguishable from w = n-1: documented limitation.
                    assert_eq!(d.overrun, None, "n={n} w={w}");
                } else {
                    let seen = d.overrun.expect("detected").lost_at_least;
                    assert!(seen >= 1 && seen <= lost, "n={n} w={w}: {seen} vs {lost}");
                }
                assert_eq!(
                    tags,
                    (lost + 1..=w).collect::<Vec<_>>(),
                    "always the newest n-1: n={n} w={w}"
                );
            }
        }
    }

    #[test]
    fn a_buffer_full_of_0xff_is_not_an_overrun() {
        let mut ring = Ring::new(4, 0xFFFF_FFFF);
        let mut reader = RingReader::new(&mut ring);
        ring.post();
        let d = reader.drain(&mut ring, |_| {});
        assert_eq!(
            d,
            Drain {
                read: 1,
                overrun: None
            }
        );
        // The reader recovers after an overrun: the next records read cleanly.
        for _ in 0..9 {
            ring.post();
        }
        assert!(reader.drain(&mut ring, |_| {}).overrun.is_some());
        ring.post();
        assert_eq!(
            reader.drain(&mut ring, |_| {}),
            Drain {
                read: 1,
                overrun: None
            }
        );
    }
}
