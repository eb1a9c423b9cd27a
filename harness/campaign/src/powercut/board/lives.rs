//! One point on a board: the factory image flashed, life after life with the power held by this thread and the links by another, then three clean power cycles.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Instant;

use hil_rig::qemu::FrameLink;
use mv_abi::MvWakeReason;

use super::life::{Failure, Life, LifeEnd, Note, Progress};
use super::timeline::{SharedStage, Stage, StageCut, Timeline};
use super::BoardOta;
use crate::powercut::plan::{Cut, Outcome, Phase, PointResult, Verified};

/// Where one life's power goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifeCut {
    /// This long after a stage of the life's update began
    /// (`kill<ms>ms@STAGE`; `kill<ms>ms` is the offer's).
    Wall(StageCut),
    /// At this flash operation, counted from the life's reset (a probe).
    Exact(Cut),
}

/// How a life went: its end, the stage its cut landed in (`None`: no cut
/// fired), and when each stage began.
struct Lived {
    end: LifeEnd,
    fired: Option<Stage>,
    marks: Vec<(Stage, Instant)>,
}

/// A failure of the rig itself (the power backend, the links) during a point.
fn rig(e: impl std::fmt::Display) -> Failure {
    (Outcome::NoBoot, format!("the rig: {e}"))
}

impl BoardOta {
    /// Runs one point: the factory image, then a life per cut in `cuts`
    /// and one more, each checked; once the new app runs, three clean power
    /// cycles. Returns the point and, for a run whose update finished in
    /// one life, its timeline.
    pub fn run_point(&mut self, id: &str, cuts: &[LifeCut]) -> (PointResult, Timeline) {
        let mut result = PointResult {
            id: id.to_owned(),
            phase: Phase::Rotate,
            outcome: Outcome::Ok,
            detail: String::new(),
            cuts_fired: 0,
            life_ops: Vec::new(),
            verified: Verified::Full,
        };
        let mut timeline = Timeline::default();
        if let Err((outcome, detail)) = self.lives(cuts, &mut result, &mut timeline) {
            result.outcome = outcome;
            result.detail = detail;
        }
        // Whatever happened, the board is left off.
        if let Err(e) = self.board.power(false) {
            if result.outcome == Outcome::Ok {
                (result.outcome, result.detail) = rig(e);
            }
        }
        (result, timeline)
    }

    fn lives(
        &mut self,
        cuts: &[LifeCut],
        result: &mut PointResult,
        timeline: &mut Timeline,
    ) -> Result<(), Failure> {
        self.board.power(false).map_err(rig)?;
        self.board
            .flash("every point starts from the factory image")
            .map_err(rig)?;
        let mut progress = Progress::default();
        for life in 0..=cuts.len() {
            let cut = cuts.get(life).copied();
            let Lived { end, fired, marks } = self.life(life, cut, &mut progress)?;
            if let Some(stage) = fired {
                result.cuts_fired += 1;
                if result.cuts_fired == 1 {
                    result.phase = stage.phase().unwrap_or(Phase::Commit);
                }
            } else if cut.is_some() && result.detail.is_empty() {
                result.detail = format!("cut {} never fired: the update was done first", life + 1);
            }
            match end {
                LifeEnd::PowerLost => continue,
                LifeEnd::Updated(_) => {
                    if life == 0 && cuts.is_empty() {
                        if let Some(&(_, offered)) = marks.first() {
                            timeline.marks = marks
                                .iter()
                                .map(|&(s, at)| (s, at.duration_since(offered)))
                                .collect();
                        }
                    }
                    return self.converge();
                }
            }
        }
        Err((
            Outcome::NoBoot,
            "power was lost in more lives than the plan has cuts".into(),
        ))
    }

    /// One life: links opened, power on, the life on its own thread while
    /// this one cuts the power when `cut` says.
    fn life(
        &mut self,
        life: usize,
        cut: Option<LifeCut>,
        progress: &mut Progress,
    ) -> Result<Lived, Failure> {
        let links = self.links()?;
        self.board.power(true).map_err(rig)?;
        self.power_ons += 1;
        let mut probe = match cut {
            Some(LifeCut::Exact(_)) => Some(self.halted_at_reset()?),
            _ => None,
        };
        let stage = SharedStage::default();
        let gone = AtomicBool::new(false);
        let (tx, rx) = mpsc::channel();
        let timeouts = (self.boot_timeout(), self.exec_timeout());
        let mut side = Life::new(
            links,
            timeouts,
            &self.expect,
            &stage,
            &gone,
            Some(tx),
            *progress,
        );
        let this = &*self;
        // The board (not `Sync`) stays on this thread; the link thread gets
        // only what it needs.
        let deployment = &self.new;
        let (end, fired, progress_after, marks) = std::thread::scope(|s| {
            let links = s.spawn(move || {
                let end = side.run(life, deployment);
                (end, side.progress, side.marks)
            });
            let fired = match cut {
                None => Ok(None),
                Some(LifeCut::Wall(after)) => this.wall_cut(&rx, after, &stage, &gone),
                Some(LifeCut::Exact(at)) => match probe.as_mut() {
                    Some(target) => this.exact_cut(target, at, &stage, &gone),
                    None => Ok(None),
                },
            };
            if fired.is_err() {
                // The switch failed: stop the life's waits too.
                gone.store(true, Ordering::SeqCst);
            }
            let (end, progress, marks) = links
                .join()
                .unwrap_or_else(|_| (Err(rig("the link thread panicked")), *progress, Vec::new()));
            (end, fired, progress, marks)
        });
        *progress = progress_after;
        let fired = fired?;
        Ok(Lived {
            end: end?,
            fired,
            marks,
        })
    }

    /// Opens the board's links. The last life's links are free by now: a
    /// `FrameLink` releases its port (joins its reader) when dropped.
    fn links(&self) -> Result<(FrameLink, FrameLink), Failure> {
        // An RTT log (`cloud_link: rtt`) is not read by the campaign.
        let links = self.board.links().map_err(rig)?;
        Ok((links.agent, links.cloud))
    }

    /// Waits for the cut's stage to begin, then its delay; cuts the power
    /// then unless the life ended first (or its update went past the stage
    /// without entering it). Returns the stage the cut landed in: the one
    /// the harness sees once the power is off, since the device may have
    /// moved on while the switch acted.
    fn wall_cut(
        &self,
        notes: &Receiver<Note>,
        cut: StageCut,
        stage: &SharedStage,
        gone: &AtomicBool,
    ) -> Result<Option<Stage>, Failure> {
        let began = loop {
            match notes.recv() {
                Ok(Note::Stage(s, at)) if s == cut.stage => break at,
                Ok(Note::Stage(s, _)) if s > cut.stage => return Ok(None),
                Ok(Note::Stage(..)) => continue,
                Ok(Note::Ended) | Err(_) => return Ok(None),
            }
        };
        let due = began + cut.after;
        loop {
            match notes.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(Note::Stage(..)) => continue,
                Ok(Note::Ended) | Err(RecvTimeoutError::Disconnected) => return Ok(None),
                Err(RecvTimeoutError::Timeout) => break,
            }
        }
        if stage.get() == Stage::Done {
            return Ok(None);
        }
        self.board.power(false).map_err(rig)?;
        gone.store(true, Ordering::SeqCst);
        Ok(Some(stage.get()))
    }

    /// The new app runs: three clean power cycles, each coming up (checked)
    /// on the new image with `COLDBOOT`.
    fn converge(&mut self) -> Result<(), Failure> {
        let stage = SharedStage::default();
        let never = AtomicBool::new(false);
        for cycle in 1..=3 {
            self.board.power(false).map_err(rig)?;
            let links = self.links()?;
            self.board.power(true).map_err(rig)?;
            self.power_ons += 1;
            let timeouts = (self.boot_timeout(), self.exec_timeout());
            let mut side = Life::new(
                links,
                timeouts,
                &self.expect,
                &stage,
                &never,
                None,
                Progress::default(),
            );
            let not = |why: String| {
                (
                    Outcome::NotConverged,
                    format!("clean power cycle {cycle}: {why}"),
                )
            };
            let booted = side
                .come_up()
                .map_err(|(_, why)| not(why))?
                .ok_or_else(|| not("no boot".into()))?;
            if booted.version != self.expect.new_version {
                return Err(not(format!("app version {}", booted.version)));
            }
            if booted.wake_reason != MvWakeReason::ColdBoot as u8 {
                return Err(not(format!(
                    "wake reason {}, expected COLDBOOT",
                    booted.wake_reason
                )));
            }
        }
        Ok(())
    }
}
