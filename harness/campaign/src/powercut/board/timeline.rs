//! Where an update on a board is, as the harness sees it over the cloud link, and where the wall-clock cuts go on the golden run's timeline.
//!
//! The harness cannot see the board's flash operations, but it sees the
//! update move: the offer goes, chunks are asked for and sent, the last
//! chunk is answered with `Installing` once the staged ROM verified, and the
//! new app says hello once it is installed. The golden (uncut) run records
//! when each stage began; the cuts are spread over its update time, and a
//! stage that no evenly spread cut fell in gets one at its middle, so the
//! campaign covers every stage the board spends time in.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use crate::powercut::plan::Phase;

/// The update's stage as the cloud link shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Before the offer (the device boots, the checks run).
    Booting = 0,
    /// The offer went; no chunk asked for yet.
    Offer = 1,
    /// Chunks asked for and sent.
    Download = 2,
    /// The last chunk went: the device stages it and verifies the ROM.
    Verify = 3,
    /// `Installing` came: the app is torn down and the new one installed.
    Install = 4,
    /// The new app said hello.
    Done = 5,
}

impl Stage {
    const ALL: [Stage; 6] = [
        Stage::Booting,
        Stage::Offer,
        Stage::Download,
        Stage::Verify,
        Stage::Install,
        Stage::Done,
    ];

    /// The campaign phase a cut in this stage lands in (`None`: no update under way).
    pub fn phase(self) -> Option<Phase> {
        match self {
            Stage::Offer => Some(Phase::Offer),
            Stage::Download => Some(Phase::Download),
            Stage::Verify => Some(Phase::Verify),
            Stage::Install => Some(Phase::Install),
            Stage::Booting | Stage::Done => None,
        }
    }
}

/// The stage shared between the thread on the links and the one on the power switch.
#[derive(Debug, Default)]
pub struct SharedStage(AtomicU8);

impl SharedStage {
    pub fn set(&self, stage: Stage) {
        self.0.store(stage as u8, Ordering::SeqCst);
    }

    pub fn get(&self) -> Stage {
        let v = self.0.load(Ordering::SeqCst);
        Stage::ALL
            .into_iter()
            .find(|s| *s as u8 == v)
            .unwrap_or(Stage::Booting)
    }
}

/// When each stage of an uncut update began, from the first offer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// (stage, since the offer), in order; `Offer` at zero.
    pub marks: Vec<(Stage, Duration)>,
}

impl Timeline {
    /// Offer to the new app's hello (`None`: the update never finished).
    pub fn update_time(&self) -> Option<Duration> {
        self.marks
            .iter()
            .find(|(s, _)| *s == Stage::Done)
            .map(|&(_, t)| t)
    }

    /// The stage under way `at` after the offer.
    pub fn stage_at(&self, at: Duration) -> Stage {
        self.marks
            .iter()
            .take_while(|(_, t)| *t <= at)
            .last()
            .map_or(Stage::Booting, |&(s, _)| s)
    }

    /// `kills` delays spread evenly over the update, then the middle of
    /// every stage (of at least 2 ms) that none of them fell in; sorted.
    pub fn cut_points(&self, kills: u32) -> Vec<Duration> {
        let Some(total) = self.update_time() else {
            return Vec::new();
        };
        let mut points: Vec<Duration> = (1..=kills)
            .map(|k| total.mul_f64(f64::from(k) / f64::from(kills + 1)))
            .collect();
        for pair in self.marks.windows(2) {
            let ((stage, from), (_, to)) = (pair[0], pair[1]);
            let covered = points.iter().any(|&p| self.stage_at(p) == stage);
            if stage.phase().is_some() && !covered && to >= from + Duration::from_millis(2) {
                points.push(from + (to - from) / 2);
            }
        }
        // Whole milliseconds: the replay id says milliseconds.
        let mut points: Vec<Duration> = points
            .into_iter()
            .map(|p| Duration::from_millis(p.as_millis() as u64))
            .collect();
        points.sort();
        points.dedup();
        points
    }
}

#[cfg(test)]
mod tests {
    use super::{Stage, Timeline};
    use std::time::Duration;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn cuts_spread_over_the_update_and_every_stage_gets_one() {
        let t = Timeline {
            marks: vec![
                (Stage::Offer, ms(0)),
                (Stage::Download, ms(40)),
                (Stage::Verify, ms(3000)),
                (Stage::Install, ms(3100)),
                (Stage::Done, ms(3400)),
            ],
        };
        assert_eq!(t.update_time(), Some(ms(3400)));
        assert_eq!(t.stage_at(ms(39)), Stage::Offer);
        assert_eq!(t.stage_at(ms(3050)), Stage::Verify);
        let points = t.cut_points(3);
        // 850, 1700, 2550 ms all fall in the download: the offer, the
        // verify and the install each get their middle.
        assert_eq!(
            points,
            vec![ms(20), ms(850), ms(1700), ms(2550), ms(3050), ms(3250)]
        );
        let stages: Vec<Stage> = points.iter().map(|&p| t.stage_at(p)).collect();
        for s in [Stage::Offer, Stage::Download, Stage::Verify, Stage::Install] {
            assert!(stages.contains(&s), "{s:?} not cut: {stages:?}");
        }
        assert!(Timeline::default().cut_points(3).is_empty());
    }
}
