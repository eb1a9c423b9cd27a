//! Where an update on a board is, as the harness sees it over the cloud link, and where the wall-clock cuts go on the golden run's timeline.
//!
//! The harness cannot see the board's flash operations, but it sees the
//! update move: the offer goes, chunks are asked for and sent, the last
//! chunk is answered with `Installing` once the staged ROM verified, and the
//! new app says hello once it is installed. The golden (uncut) run records
//! when each stage began; the cuts are spread over its update time, and a
//! stage that no evenly spread cut fell in gets one a quarter into it, so
//! the campaign covers every stage the board spends time in. Each cut is timed
//! from the start of its own stage ([`StageCut`], `kill60ms@install`): a
//! cut timed from the first offer would land in a later stage whenever
//! the stages before it ran slower than on the golden run (a loaded host),
//! so a cut planned in a short stage (the install, about 0.3 s) often
//! missed it.
//! A quarter rather than the middle: a short stage's length varies from
//! run to run (the install took 301 ms on one golden run and under 150 ms
//! when replayed on the same host), and an early cut still lands in it on
//! a faster run.

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

    /// The stages a cut can be planned in, as its id names them.
    pub const CUTTABLE: [Stage; 4] = [Stage::Offer, Stage::Download, Stage::Verify, Stage::Install];

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

/// A wall-clock cut: this long after its stage began.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageCut {
    pub stage: Stage,
    pub after: Duration,
}

impl StageCut {
    /// Its replay id: `kill60ms@install`.
    pub fn id(self) -> String {
        let stage = self.stage.phase().map_or("update", |p| p.name());
        format!("kill{}ms@{stage}", self.after.as_millis())
    }

    /// The cut an id names (`kill60ms@install`), from the phase and delay
    /// the replay id parser read; `None` for a phase that is no stage of
    /// the board's update as the cloud link shows it.
    pub fn of(phase: Phase, after: Duration) -> Option<StageCut> {
        Stage::CUTTABLE
            .into_iter()
            .find(|s| s.phase() == Some(phase))
            .map(|stage| StageCut { stage, after })
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

    /// When `stage` began, after the offer.
    pub fn start_of(&self, stage: Stage) -> Option<Duration> {
        self.marks
            .iter()
            .find(|(s, _)| *s == stage)
            .map(|&(_, t)| t)
    }

    /// `kills` cuts spread evenly over the update, then a quarter into
    /// every stage (of at least 4 ms) that none of them fell in, each timed
    /// from the start of the stage it falls in; in the order of the update.
    pub fn cut_points(&self, kills: u32) -> Vec<StageCut> {
        self.offsets(kills)
            .into_iter()
            .filter_map(|at| {
                let stage = self.stage_at(at);
                stage.phase()?;
                let from = self.start_of(stage)?;
                Some(StageCut {
                    stage,
                    after: at.saturating_sub(from),
                })
            })
            .collect()
    }

    /// The cut points after the offer, in whole milliseconds, sorted.
    fn offsets(&self, kills: u32) -> Vec<Duration> {
        let Some(total) = self.update_time() else {
            return Vec::new();
        };
        let mut points: Vec<Duration> = (1..=kills)
            .map(|k| total.mul_f64(f64::from(k) / f64::from(kills + 1)))
            .collect();
        for pair in self.marks.windows(2) {
            let ((stage, from), (_, to)) = (pair[0], pair[1]);
            let covered = points.iter().any(|&p| self.stage_at(p) == stage);
            if stage.phase().is_some() && !covered && to >= from + Duration::from_millis(4) {
                points.push(from + (to - from) / 4);
            }
        }
        // Whole milliseconds from the start of the stage: the replay id says
        // milliseconds.
        let mut points: Vec<Duration> = points
            .into_iter()
            .map(|p| {
                let from = self.start_of(self.stage_at(p)).unwrap_or_default();
                from + Duration::from_millis((p - from.min(p)).as_millis() as u64)
            })
            .collect();
        points.sort();
        points.dedup();
        points
    }
}

#[cfg(test)]
mod tests {
    use super::{Stage, StageCut, Timeline};
    use crate::powercut::plan::Phase;
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
        // 850, 1700, 2550 ms all fall in the download (which began at 40
        // ms): the offer, the verify and the install each get a cut a quarter in,
        // every cut timed from the start of its own stage.
        let ids: Vec<String> = points.iter().map(|p| p.id()).collect();
        assert_eq!(
            ids,
            [
                "kill10ms@offer",
                "kill810ms@download",
                "kill1660ms@download",
                "kill2510ms@download",
                "kill25ms@verify",
                "kill75ms@install",
            ]
        );
        for s in Stage::CUTTABLE {
            assert!(
                points.iter().any(|p| p.stage == s),
                "{s:?} not cut: {ids:?}"
            );
        }
        assert!(Timeline::default().cut_points(3).is_empty());
    }

    #[test]
    fn an_id_names_its_stage_and_its_delay_from_the_stage() {
        let cut = StageCut::of(Phase::Install, ms(60)).unwrap();
        assert_eq!(cut.stage, Stage::Install);
        assert_eq!(cut.id(), "kill60ms@install");
        // Rotating the journal and recording the commit are flash work the
        // cloud link does not show as stages.
        assert_eq!(StageCut::of(Phase::Rotate, ms(1)), None);
        assert_eq!(StageCut::of(Phase::Commit, ms(1)), None);
    }
}
