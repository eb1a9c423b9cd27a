//! The overrun sweep: flood a notification ring, drain it as an app does, check the verdict.
//!
//! For every point of the sweep (ring size × flood size × centres sharing the
//! ring × reader delay) a fresh device sets up the centres on one ring with
//! guard bytes on both sides, opens the application's reader, floods `W`
//! notifications with the IRQ masked (one `CallSeries` per centre, executed
//! on the device, tags numbered 1..=W in issue order), waits, drains once
//! with the same reader an application uses (`mv_ns::ring::RingReader`, run
//! on the device), and checks against what the harness triggered:
//!
//! - the records read are exactly the newest `min(W, n-1)` in order;
//! - an overrun is reported by the documented method exactly when the method
//!   can see one (module docs of `mv_ns::ring`): never a false alarm;
//! - an overrun the method cannot see (`W ≡ n-1 mod n`, `W ≥ 2n-1`) is caught
//!   by the sequence numbers the application put in its tags, so no overrun
//!   goes undetected;
//! - `lost_at_least` is exact for a single lap and never above the truth;
//! - the guard bytes are untouched (the kernel never wrote outside the ring);
//! - the reader recovers: one more notification reads back cleanly.

use std::fmt::Write as _;

use hil_rig::{RigError, RigSession};
use mv_abi::{MvEventType, Slot};
use mv_proto::{Placement, Primitive, Reply, RingStart};
use serde::{Deserialize, Serialize};

/// The sentence of the spec every point checks.
pub const SPEC_QUOTE: &str = "The application can detect this, if it wishes, by zeroing the event_type of notifications as they are read, and on each interrupt checking that the entry prior to the read pointer has been zeroed.";
/// Where [`SPEC_QUOTE`] comes from.
pub const SPEC_SOURCE: &str = "Microvisor System Calls (private beta), Buffer overruns";

/// Bytes of guard band on each side of the ring.
const GUARD: u32 = 16;
const GUARD_BYTE: u8 = 0xA5;
/// The first centre's IRQ; centre `c` uses `FIRST_IRQ + c`.
const FIRST_IRQ: u32 = 41;

/// One configuration of the sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    /// Records the ring holds (`buffer_size / 16`).
    pub slots: u32,
    /// Notifications triggered while the reader is held off.
    pub flood: u32,
    /// Centres sharing the ring (one write pointer).
    pub centres: u32,
    /// Time between the flood and the drain.
    pub delay_us: u32,
}

impl Point {
    /// What the point does, in a sentence (its title in reports).
    pub fn title(&self) -> String {
        format!(
            "{} notifications into a {}-byte ring shared by {} centre(s), drained after {} us",
            self.flood,
            self.slots * 16,
            self.centres,
            self.delay_us
        )
    }

    /// The id this point has in reports.
    pub fn id(&self) -> String {
        format!(
            "overrun.b{}-w{}-c{}-d{}",
            self.slots * 16,
            self.flood,
            self.centres,
            self.delay_us
        )
    }

    /// Records the writer overwrote before they were read.
    pub fn lost(&self) -> u32 {
        self.flood.saturating_sub(self.slots - 1)
    }

    /// Can the documented check see this overrun? (see `mv_ns::ring`)
    pub fn method_can_see(&self) -> bool {
        let n = self.slots;
        self.flood >= n && !(self.flood >= 2 * n - 1 && self.flood % n == n - 1)
    }
}

/// The default sweep: every ring size from 32 bytes to 1 KiB (a multiple of
/// 16). The sizes 32, 48, 64, 128, 256, 512 and 1024 get the full grid:
/// floods around their boundaries (one lap, two laps, the invisible class),
/// one to three centres sharing the ring, two reader delays. Every other size
/// gets the three floods that matter most (`n-1`, `n`, `2n-1`) with one centre.
pub fn default_sweep() -> Vec<Point> {
    const FULL: [u32; 7] = [32, 48, 64, 128, 256, 512, 1024];
    let mut points = Vec::new();
    for bytes in (32..=1024).step_by(16) {
        let n: u32 = bytes / 16;
        let full = FULL.contains(&bytes);
        let mut floods = if full {
            vec![
                1,
                n - 1,
                n,
                n + 1,
                2 * n - 2,
                2 * n - 1,
                2 * n,
                3 * n - 1,
                3 * n + 1,
            ]
        } else {
            vec![n - 1, n, 2 * n - 1]
        };
        floods.retain(|&w| w > 0);
        floods.sort_unstable();
        floods.dedup();
        let centres: &[u32] = if full { &[1, 2, 3] } else { &[1] };
        let delays: &[u32] = if full { &[0, 500] } else { &[0] };
        for flood in floods {
            for &centres in centres {
                for &delay_us in delays {
                    points.push(Point {
                        slots: n,
                        flood,
                        centres,
                        delay_us,
                    });
                }
            }
        }
    }
    points
}

/// What one point showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub point: Point,
    pub tags_read: Vec<u32>,
    /// `lost_at_least` if the documented method reported an overrun.
    pub reported: Option<u32>,
    /// A gap in the sequence-numbered tags (the application-level check).
    pub sequence_gap: bool,
    pub guards_intact: bool,
    pub recovered: bool,
}

impl Observation {
    /// Every way the observation disagrees with the truth; empty = pass.
    pub fn problems(&self) -> Vec<String> {
        let p = self.point;
        let mut out = Vec::new();
        let first = p.lost() + 1;
        let expected: Vec<u32> = (first..=p.flood).collect();
        if self.tags_read != expected {
            out.push(format!(
                "read tags {:?}, expected {:?}",
                self.tags_read, expected
            ));
        }
        match (self.reported, p.method_can_see()) {
            (Some(_), false) if p.lost() == 0 => {
                out.push("false alarm: an overrun reported with nothing lost".into())
            }
            (Some(_), false) => out.push("the method reported an overrun it cannot see".into()),
            (None, true) => out.push(format!("undetected overrun: {} records lost", p.lost())),
            _ => {}
        }
        if let Some(seen) = self.reported {
            let single_lap = p.flood <= 2 * p.slots - 2;
            if single_lap && seen != p.lost() {
                out.push(format!(
                    "lost_at_least {seen}, but exactly {} were lost",
                    p.lost()
                ));
            }
            if seen > p.lost() {
                out.push(format!(
                    "lost_at_least {seen} exceeds the {} lost",
                    p.lost()
                ));
            }
        }
        if p.lost() > 0 && self.reported.is_none() && !self.sequence_gap {
            out.push("an overrun neither the method nor the sequence numbers caught".into());
        }
        if !self.guards_intact {
            out.push("the kernel wrote outside the ring (guard bytes changed)".into());
        }
        if !self.recovered {
            out.push(
                "the reader did not recover: the next notification did not read back cleanly"
                    .into(),
            );
        }
        out
    }

    /// The rig-independent transcript of this point.
    pub fn transcript(&self) -> String {
        let p = self.point;
        let mut t = String::new();
        let _ = writeln!(
            t,
            "ring {} bytes ({} slots), {} centre(s), flood {} with the IRQ masked, drain after {} us",
            p.slots * 16,
            p.slots,
            p.centres,
            p.flood,
            p.delay_us
        );
        let range = match (self.tags_read.first(), self.tags_read.last()) {
            (Some(a), Some(b)) => format!("tags {a}..={b}"),
            _ => "nothing".to_owned(),
        };
        let _ = writeln!(t, "read {} record(s): {range}", self.tags_read.len());
        let _ = writeln!(
            t,
            "lost {}; the documented check {}; sequence numbers {}",
            p.lost(),
            match self.reported {
                Some(k) => format!("reported an overrun, at least {k} lost"),
                None => "reported no overrun".to_owned(),
            },
            if self.sequence_gap {
                "show a gap"
            } else {
                "show no gap"
            }
        );
        let _ = writeln!(
            t,
            "guard bytes intact: {}; recovered: {}",
            self.guards_intact, self.recovered
        );
        for problem in self.problems() {
            let _ = writeln!(t, "FAILED: {problem}");
        }
        t
    }
}

fn protocol(what: &str, got: Reply) -> RigError {
    RigError::Protocol {
        what: what.to_owned(),
        got: Box::new(got),
    }
}

fn one(s: &mut dyn RigSession, p: Primitive, what: &str) -> Result<Reply, RigError> {
    s.exec(vec![p])?
        .pop()
        .ok_or_else(|| RigError::Link(format!("no reply to {what}")))
}

fn alloc(s: &mut dyn RigSession, size: u32, align: u32) -> Result<u32, RigError> {
    let p = Primitive::Alloc {
        size,
        align,
        placement: Placement::NsRam,
        misalign: 0,
    };
    match one(s, p, "alloc")? {
        Reply::Allocated { addr } => Ok(addr),
        other => Err(protocol("alloc", other)),
    }
}

fn read(s: &mut dyn RigSession, addr: u32, len: u32) -> Result<Vec<u8>, RigError> {
    match one(s, Primitive::Read { addr, len }, "read")? {
        Reply::Bytes(b) => Ok(b),
        other => Err(protocol("read", other)),
    }
}

fn drain(
    s: &mut dyn RigSession,
    base: u32,
    slots: u32,
    position: u32,
    fresh: bool,
) -> Result<(Vec<u32>, Option<u32>, u32), RigError> {
    let start = if fresh {
        RingStart::Fresh
    } else {
        RingStart::Resume(position)
    };
    let p = Primitive::RingDrain { base, slots, start };
    match one(s, p, "ring drain")? {
        Reply::Drained {
            records,
            overrun,
            position,
        } => Ok((
            records.into_iter().map(|(_, _, tag)| tag).collect(),
            overrun,
            position,
        )),
        other => Err(protocol("ring drain", other)),
    }
}

/// Run one point on a freshly reset device.
pub fn run_point(s: &mut dyn RigSession, p: Point) -> Result<Observation, RigError> {
    s.reset()?;
    let size = p.slots * 16;
    let front = alloc(s, GUARD, 8)?;
    let ring = alloc(s, size, 8)?;
    let back = alloc(s, GUARD, 8)?;
    let mut init = vec![
        Primitive::Fill {
            addr: front,
            len: GUARD,
            byte: GUARD_BYTE,
        },
        Primitive::Fill {
            addr: back,
            len: GUARD,
            byte: GUARD_BYTE,
        },
    ];
    let mut handles = Vec::new();
    for c in 0..p.centres {
        let setup = alloc(s, 12, 4)?;
        let handle = alloc(s, 4, 4)?;
        let mut bytes = Vec::new();
        for v in [FIRST_IRQ + c, ring, size] {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        init.push(Primitive::Write {
            addr: setup,
            data: bytes,
        });
        init.push(Primitive::Call {
            slot: Slot::SetupNotifications.number(),
            args: [setup, handle, 0, 0],
        });
        handles.push(handle);
    }
    for reply in s.exec(init)? {
        if !matches!(reply, Reply::Done | Reply::Status(0)) {
            return Err(protocol("setting up the centres", reply));
        }
    }
    let mut centre_handles = Vec::new();
    for h in handles {
        let b = read(s, h, 4)?;
        centre_handles.push(u32::from_le_bytes(b[..4].try_into().expect("4 bytes")));
    }
    // The application's reader starts on a clean ring.
    drain(s, ring, p.slots, 0, true)?;

    // The flood: tags 1..=W in issue order, split over the centres in blocks.
    let mut flood = Vec::new();
    let mut next_tag = 1;
    for (c, &h) in centre_handles.iter().enumerate() {
        let share = p.flood / p.centres + u32::from((c as u32) < p.flood % p.centres);
        if share > 0 {
            flood.push(Primitive::CallSeries {
                slot: Slot::TempTriggerNotification.number(),
                args: [h, MvEventType::ChannelDataReadable as u32, next_tag, 0],
                step: [0, 0, 1, 0],
                count: share,
            });
            next_tag += share;
        }
    }
    flood.push(Primitive::DelayUs(p.delay_us));
    for reply in s.exec(vec![Primitive::Batch(flood)])? {
        let Reply::Batch(items) = &reply else {
            return Err(protocol("the flood", reply));
        };
        if let Some(bad) = items
            .iter()
            .find(|r| matches!(r, Reply::Series { failures, .. } if *failures > 0))
        {
            return Err(protocol("a flood call", bad.clone()));
        }
    }

    let (tags_read, reported, position) = drain(s, ring, p.slots, 0, false)?;
    // The application's own check: its tags are sequence numbers.
    let sequence_gap = tags_read.first().is_some_and(|&t| t != 1)
        || tags_read.windows(2).any(|w| w[1] != w[0] + 1);
    let guards = [read(s, front, GUARD)?, read(s, back, GUARD)?];
    let guards_intact = guards.iter().all(|g| g.iter().all(|&b| b == GUARD_BYTE));

    // Recovery: one more notification reads back alone and clean.
    let tag = p.flood + 1;
    one(
        s,
        Primitive::Call {
            slot: Slot::TempTriggerNotification.number(),
            args: [
                centre_handles[0],
                MvEventType::ChannelDataReadable as u32,
                tag,
                0,
            ],
        },
        "the recovery trigger",
    )?;
    let (after, overrun_after, _) = drain(s, ring, p.slots, position, false)?;
    let recovered = after == [tag] && overrun_after.is_none();

    Ok(Observation {
        point: p,
        tags_read,
        reported,
        sequence_gap,
        guards_intact,
        recovered,
    })
}

impl crate::sweep_point::SweepObservation for Observation {
    fn problems(&self) -> Vec<String> {
        Observation::problems(self)
    }

    fn transcript(&self) -> String {
        Observation::transcript(self)
    }
}

#[cfg(test)]
mod tests {
    use super::{default_sweep, Observation, Point};

    #[test]
    fn the_sweep_covers_the_boundaries_and_the_invisible_class() {
        let sweep = default_sweep();
        for bytes in (32..=1024).step_by(16) {
            assert!(
                sweep
                    .iter()
                    .any(|p| p.slots * 16 == bytes && p.flood == p.slots),
                "{bytes}-byte rings wrap"
            );
        }
        assert!(sweep
            .iter()
            .any(|p| p.lost() == 0 && p.flood == p.slots - 1));
        assert!(sweep.iter().any(|p| p.lost() > 0 && !p.method_can_see()));
        assert!(sweep.iter().any(|p| p.lost() == 1 && p.method_can_see()));
    }

    #[test]
    fn an_observation_that_hides_a_loss_fails() {
        let point = Point {
            slots: 4,
            flood: 5,
            centres: 1,
            delay_us: 0,
        };
        let mut o = Observation {
            point,
            tags_read: vec![3, 4, 5],
            reported: Some(2),
            sequence_gap: true,
            guards_intact: true,
            recovered: true,
        };
        assert!(o.problems().is_empty(), "{:?}", o.problems());
        o.reported = None;
        assert!(o.problems().iter().any(|p| p.contains("undetected")));
        o.reported = Some(1);
        assert!(o.problems().iter().any(|p| p.contains("exactly 2")));
    }
}
