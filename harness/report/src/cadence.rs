//! When a sink that rewrites a whole file (`results.json`, `junit.xml`, `summary.md`) rewrites it during a run.
//!
//! Rewriting the whole report after every case costs the square of the
//! suite: on a 490-case QEMU run it took about a third of a core. A
//! rewrite is therefore due only once the time since the last one is at
//! least [`MIN_GAP`] and at least [`COST_RATIO`] times what the last one
//! took, which holds each rewriting sink under 1/[`COST_RATIO`] of the run's
//! time however long the report grows. Nothing is lost by waiting: every
//! finished case is in `events.jsonl` the moment it finishes
//! ([`crate::JournalSink`]), and the start and the end of a run are always
//! written.

use std::time::{Duration, Instant};

use crate::error::ReportError;
use crate::event::Event;

/// The shortest time between two rewrites of one file.
pub const MIN_GAP: Duration = Duration::from_secs(1);

/// A rewrite waits at least this many times as long as the last one took.
pub const COST_RATIO: u32 = 50;

/// One file's rewrite schedule.
#[derive(Debug, Default)]
pub(crate) struct Cadence {
    /// When the last rewrite ended, and how long it took.
    last: Option<(Instant, Duration)>,
}

impl Cadence {
    /// Whether a rewrite in the middle of a run is due now. The first one
    /// always is (so a file appears with the first result).
    pub(crate) fn due(&self) -> bool {
        match self.last {
            None => true,
            Some((ended, took)) => ended.elapsed() >= MIN_GAP.max(took * COST_RATIO),
        }
    }

    /// Records a rewrite that began at `began` and has just ended.
    pub(crate) fn wrote(&mut self, began: Instant) {
        let ended = Instant::now();
        self.last = Some((ended, ended - began));
    }

    /// Runs `write` for `event` (which changed the sink's report) when it
    /// is due: always at the start and the end of a run, in between when
    /// [`Cadence::due`] says so.
    pub(crate) fn rewrite(
        &mut self,
        event: &Event,
        write: impl FnOnce() -> Result<(), ReportError>,
    ) -> Result<(), ReportError> {
        let mid_run = !matches!(event, Event::RunStarted(_) | Event::RunFinished { .. });
        if mid_run && !self.due() {
            return Ok(());
        }
        let began = Instant::now();
        write()?;
        if mid_run {
            self.wrote(began);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_rewrite_is_due_and_the_next_waits_for_the_gap() {
        let mut cadence = Cadence::default();
        assert!(cadence.due());
        cadence.wrote(Instant::now());
        assert!(!cadence.due(), "a rewrite just happened");
        // As if the last rewrite ended a gap ago, having taken no time.
        cadence.last = Some((Instant::now() - MIN_GAP, Duration::ZERO));
        assert!(cadence.due());
    }

    #[test]
    fn a_costly_rewrite_pushes_the_next_one_further_out() {
        let mut cadence = Cadence::default();
        let took = Duration::from_millis(100);
        cadence.last = Some((Instant::now() - MIN_GAP * 2, took));
        assert!(
            !cadence.due(),
            "100 ms of writing waits 5 s, not the 1 s gap"
        );
        cadence.last = Some((Instant::now() - took * COST_RATIO, took));
        assert!(cadence.due());
    }
}
