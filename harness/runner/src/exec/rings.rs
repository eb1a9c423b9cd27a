//! `expect_notifications`: the app's own ring reader, run on the device, and what it read.
//!
//! The reader is `mv_ns::ring::RingReader` in the agent (`Primitive::RingDrain`),
//! the one an application uses, overrun detection included. The executor
//! keeps each ring's read position and whether its reader can tell an
//! overrun yet: a case fills its rings with patterns the kernel must handle,
//! so the reader starts *unverified* (the slot before its read pointer holds
//! the fill) and becomes verified once it has read a record; a case that
//! writes into a ring itself makes its reader unverified again. The ring is read
//! back in the same request, so the transcript shows what the app sees.

use hil_cases::{ExpectNotifications, RecordPattern, RecordsCheck};
use mv_abi::MvEventType;
use mv_proto::{Primitive, Reply, RingStart};

use super::render::RECORD;
use super::steps::unexpected;
use super::{Executor, StepError, StepResult};

/// A ring's reader between drains.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Reader {
    position: u32,
    verified: bool,
}

impl Reader {
    /// The case wrote into the ring itself: the slots the reader zeroed may
    /// not be zero any more, so it cannot tell an overrun until it reads again.
    pub(super) fn ring_written(&mut self) {
        self.verified = false;
    }
}

impl Executor<'_> {
    pub(super) fn expect_notifications(&mut self, e: &ExpectNotifications) -> StepResult {
        let a = self.allocs.get(&e.buffer);
        let (base, size) = (a.addr, a.size);
        let slots = size / RECORD as u32;
        let reader = self.readers.get(&e.buffer).copied().unwrap_or_default();
        let start = if reader.verified {
            RingStart::Resume(reader.position)
        } else {
            RingStart::Unverified(reader.position)
        };
        let (drained, mut after) = self.read_back(
            Some(Primitive::RingDrain { base, slots, start }),
            &[(e.buffer.clone(), base, size)],
        )?;
        let Some(Reply::Drained {
            records,
            overrun,
            position,
        }) = drained
        else {
            let got = drained.unwrap_or(Reply::Done);
            return Err(unexpected(&format!("draining {}", e.buffer), got));
        };
        self.allocs.get_mut(&e.buffer).contents = after.pop();
        self.readers.insert(
            e.buffer.clone(),
            Reader {
                position,
                verified: reader.verified || !records.is_empty(),
            },
        );
        let read: Vec<(u64, u64)> = records
            .iter()
            .map(|&(_, t, tag)| (u64::from(t), u64::from(tag)))
            .collect();
        let shown: Vec<String> = read
            .iter()
            .map(|&(t, tag)| {
                let t = MvEventType::DESC
                    .name_of(t as u32)
                    .map_or_else(|| format!("{t:#x}"), str::to_owned);
                format!("{{ {t}, tag {tag:#x} }}")
            })
            .collect();
        let overrun = overrun
            .map(|n| format!(" (overrun: at least {n} lost)"))
            .unwrap_or_default();
        self.line(&format!(
            "read {}: {} record(s) {}{overrun}",
            e.buffer,
            read.len(),
            shown.join(" ")
        ));
        let problem = match &e.check {
            RecordsCheck::Count(n) => (read.len() != *n as usize)
                .then(|| format!("read {} records, expected {n}", read.len())),
            RecordsCheck::AtLeast(patterns) => {
                let missing = missing_from(patterns, &read);
                missing.map(|i| {
                    format!(
                        "record pattern {i} ({}) is not among the records read after the ones before it",
                        pattern_text(&patterns[i])
                    )
                })
            }
            RecordsCheck::Records(patterns) => {
                if read.len() != patterns.len() {
                    Some(format!(
                        "read {} records, expected {}",
                        read.len(),
                        patterns.len()
                    ))
                } else {
                    patterns
                        .iter()
                        .zip(&read)
                        .enumerate()
                        .find_map(|(i, (p, &(t, tag)))| {
                            if p.event_type.is_some_and(|want| u64::from(want) != t) {
                                Some(format!(
                                    "record {i} has event_type {t:#x}, expected {:#x}",
                                    p.event_type.unwrap_or(0)
                                ))
                            } else if p.tag.is_some_and(|want| u64::from(want) != tag) {
                                Some(format!(
                                    "record {i} has tag {tag:#x}, expected {:#x}",
                                    p.tag.unwrap_or(0)
                                ))
                            } else {
                                None
                            }
                        })
                }
            }
        };
        match problem {
            None => Ok(()),
            Some(p) => Err(StepError::Failed(p)),
        }
    }
}

fn matches(p: &RecordPattern, (t, tag): (u64, u64)) -> bool {
    p.event_type.is_none_or(|want| u64::from(want) == t)
        && p.tag.is_none_or(|want| u64::from(want) == tag)
}

/// The first pattern that the records read do not contain in order (as a
/// subsequence, each pattern matched by the earliest record that fits).
fn missing_from(patterns: &[RecordPattern], read: &[(u64, u64)]) -> Option<usize> {
    let mut records = read.iter();
    patterns
        .iter()
        .position(|p| !records.any(|&r| matches(p, r)))
}

/// `{ type NETWORKSTATUSCHANGED, tag 0x4e }` (the keys the pattern checks).
fn pattern_text(p: &RecordPattern) -> String {
    let mut parts = Vec::new();
    if let Some(t) = p.event_type {
        parts.push(format!(
            "type {}",
            MvEventType::DESC
                .name_of(t)
                .map_or_else(|| format!("{t:#x}"), str::to_owned)
        ));
    }
    if let Some(tag) = p.tag {
        parts.push(format!("tag {tag:#x}"));
    }
    format!("{{ {} }}", parts.join(", "))
}
