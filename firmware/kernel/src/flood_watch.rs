//! The watchdog over fast interrupts: a flood or a hung handler, seen from the secure clock's samples.
//!
//! A fast interrupt pre-empts everything the app does (and the kernel's
//! calls), so a handler that never returns, or an IRQ that fires again as
//! soon as its handler ends, starves the app's thread and its ordinary
//! interrupts. The secure world cannot count the app's handler entries (they
//! never pass through it), but its own clock pre-empts them: on every tick
//! the board samples whether any fast IRQ is busy — active (its handler
//! running or pre-empted) or pending and enabled (about to run again). An
//! app whose fast interrupts are busy at every one of [`FLOOD_SAMPLES`]
//! samples in a row spanning at least [`FLOOD_WINDOW_US`] has been kept from
//! running for that long: a flood or a hung handler, and the device shuts
//! fast interrupts down (`firmware/ABI.md` §16, **Choice** "Flood").
//!
//! Both limits must hold: the count keeps two late samples (a loaded host
//! delays the clock's interrupt) from looking like a long flood, the window
//! keeps a burst of catch-up ticks from looking like one.

/// Consecutive busy samples before a flood is declared.
pub const FLOOD_SAMPLES: u32 = 32;

/// How long the busy samples must span (µs) before a flood is declared.
pub const FLOOD_WINDOW_US: u64 = 20_000;

/// The current run of busy samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FloodWatch {
    /// Busy samples in a row (0: the last sample was idle).
    streak: u32,
    /// When the first of them was taken.
    since_us: u64,
}

impl FloodWatch {
    pub const fn new() -> Self {
        FloodWatch {
            streak: 0,
            since_us: 0,
        }
    }

    /// One sample at `now_us`: were the app's fast interrupts busy? `true`
    /// when this sample completes a flood (the caller shuts fast interrupts
    /// down); the watch starts over then, and at every idle sample.
    #[must_use]
    pub fn sample(&mut self, busy: bool, now_us: u64) -> bool {
        if !busy {
            *self = FloodWatch::new();
            return false;
        }
        if self.streak == 0 {
            self.since_us = now_us;
        }
        self.streak = self.streak.saturating_add(1);
        let flood =
            self.streak >= FLOOD_SAMPLES && now_us.saturating_sub(self.since_us) >= FLOOD_WINDOW_US;
        if flood {
            *self = FloodWatch::new();
        }
        flood
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `n` samples `step_us` apart from `t`; the index of the sample
    /// that declared a flood, if one did.
    fn feed(w: &mut FloodWatch, t: &mut u64, n: u32, step_us: u64, busy: bool) -> Option<u32> {
        let mut hit = None;
        for i in 0..n {
            if w.sample(busy, *t) && hit.is_none() {
                hit = Some(i);
            }
            *t += step_us;
        }
        hit
    }

    #[test]
    fn busy_at_every_tick_for_the_window_is_a_flood() {
        let (mut w, mut t) = (FloodWatch::new(), 1_000);
        // 10 kHz ticks: the window (20 ms) is reached at the 201st sample.
        assert_eq!(feed(&mut w, &mut t, 400, 100, true), Some(200));
    }

    #[test]
    fn one_idle_sample_starts_the_count_over() {
        let (mut w, mut t) = (FloodWatch::new(), 0);
        assert_eq!(feed(&mut w, &mut t, 199, 100, true), None);
        assert_eq!(feed(&mut w, &mut t, 1, 100, false), None);
        assert_eq!(feed(&mut w, &mut t, 200, 100, true), None, "a fresh run");
        assert_eq!(feed(&mut w, &mut t, 1, 100, true), Some(0));
    }

    #[test]
    fn a_few_late_samples_are_not_a_flood() {
        let (mut w, mut t) = (FloodWatch::new(), 0);
        // Ticks 10 ms apart (a loaded host): the window passes after three,
        // but 31 busy samples are not enough.
        assert_eq!(feed(&mut w, &mut t, FLOOD_SAMPLES - 1, 10_000, true), None);
        assert_eq!(feed(&mut w, &mut t, 1, 10_000, true), Some(0));
    }

    #[test]
    fn a_burst_of_samples_is_not_a_flood() {
        let (mut w, mut t) = (FloodWatch::new(), 0);
        // Catch-up ticks 1 µs apart: many samples, a short time.
        assert_eq!(feed(&mut w, &mut t, 1_000, 1, true), None);
        t += FLOOD_WINDOW_US;
        assert_eq!(feed(&mut w, &mut t, 1, 1, true), Some(0));
    }

    #[test]
    fn the_watch_starts_over_after_a_flood() {
        let (mut w, mut t) = (FloodWatch::new(), 0);
        assert_eq!(feed(&mut w, &mut t, 201, 100, true), Some(200));
        assert_eq!(feed(&mut w, &mut t, 200, 100, true), None);
    }
}
