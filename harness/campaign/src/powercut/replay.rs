//! Replay ids: every id a power-cut report lists, parsed back into what it ran, and checked against the calibrated update.
//!
//! A report tells the user to replay its failures by id, so every id it
//! lists must parse here: cut plans (`op1234i+op5`), tamper classes
//! (`truncated-layer`) and, on QEMU, the uncut update, the app scenarios and
//! the wall-clock kills (`kill1500ms`), and on a board the kills timed from
//! the start of a stage of the update (`kill60ms@install`). A plan whose first cut lies past
//! the end of the calibrated update would never cut anything and "pass":
//! that is bad input, refused before anything runs.

use std::time::Duration;

use hil_bundle::tamper::TamperClass;

use super::plan::{parse_plan, plan_id, Calibration, Cut, Phase, PlanError, PointResult};

/// What a replay id names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replay {
    /// Cuts at these operations, life by life.
    Plan(Vec<Cut>),
    /// A tampered bundle of this class.
    Tamper(TamperClass),
    /// The update without cuts (`uncut`).
    Uncut,
    /// QEMU: polite deployment, the app restarting itself (`polite-app-restarts`)
    /// or the politeness time running out (`polite-timeout`).
    Polite { app_restarts: bool },
    /// QEMU: the app crashes and is restarted (`app-crash-restart`).
    Crash,
    /// QEMU: SIGKILL this long after the first offer (`kill1500ms`); a
    /// board: its power cut then.
    Kill(Duration),
    /// A board: its power cut this long after a stage of the update began
    /// (`kill60ms@install`).
    KillInStage { phase: Phase, after: Duration },
}

/// The stages a board's cut can be timed from, as `kill<MS>ms@STAGE` names them.
pub const KILL_STAGES: [Phase; 4] = [Phase::Offer, Phase::Download, Phase::Verify, Phase::Install];

/// The ids of the QEMU app scenarios.
pub const POLITE_APP_RESTARTS: &str = "polite-app-restarts";
pub const POLITE_TIMEOUT: &str = "polite-timeout";
pub const APP_CRASH_RESTART: &str = "app-crash-restart";
pub const UNCUT: &str = "uncut";

impl Replay {
    /// Parses an id as a report lists it.
    pub fn parse(id: &str) -> Result<Replay, PlanError> {
        if let Some(class) = TamperClass::ALL.into_iter().find(|c| c.name() == id) {
            return Ok(Replay::Tamper(class));
        }
        match id {
            UNCUT => return Ok(Replay::Uncut),
            POLITE_APP_RESTARTS => return Ok(Replay::Polite { app_restarts: true }),
            POLITE_TIMEOUT => {
                return Ok(Replay::Polite {
                    app_restarts: false,
                })
            }
            APP_CRASH_RESTART => return Ok(Replay::Crash),
            _ => {}
        }
        if let Some(rest) = id.strip_prefix("kill") {
            let (delay, stage) = match rest.split_once('@') {
                Some((delay, stage)) => (delay, Some(stage)),
                None => (rest, None),
            };
            if let Some(after) = delay
                .strip_suffix("ms")
                .and_then(|ms| ms.parse::<u64>().ok())
                .map(Duration::from_millis)
            {
                let Some(stage) = stage else {
                    return Ok(Replay::Kill(after));
                };
                return match KILL_STAGES.into_iter().find(|p| p.name() == stage) {
                    Some(phase) => Ok(Replay::KillInStage { phase, after }),
                    None => Err(PlanError(format!(
                        "`{id}`: `{stage}` is no stage a cut is timed from; give kill<MS>ms@STAGE with STAGE one of {}",
                        KILL_STAGES.map(Phase::name).join(", ")
                    ))),
                };
            }
        }
        if id.starts_with("op") {
            return parse_plan(id).map(Replay::Plan);
        }
        let classes: Vec<&str> = TamperClass::ALL.iter().map(|c| c.name()).collect();
        Err(PlanError(format!(
            "`{id}` is not a replay id: give a cut plan (op<N> or op<N>i, joined by +), a tamper class ({}), `{UNCUT}`, or on qemu-an505 `{POLITE_APP_RESTARTS}`, `{POLITE_TIMEOUT}`, `{APP_CRASH_RESTART}`, kill<MS>ms, or on a board kill<MS>ms@STAGE",
            classes.join(", ")
        )))
    }

    /// Whether the sim can replay it (the app scenarios and kills are QEMU's).
    pub fn on_sim(&self) -> Result<(), PlanError> {
        match self {
            Replay::Plan(_) | Replay::Tamper(_) | Replay::Uncut => Ok(()),
            Replay::Polite { .. } | Replay::Crash | Replay::Kill(_) => Err(PlanError(
                "this id is a qemu-an505 scenario: replay it with --rig qemu-an505".into(),
            )),
            Replay::KillInStage { .. } => Err(PlanError(
                "this id is a cut of the board campaign: replay it with --rig <board>".into(),
            )),
        }
    }
}

/// The first cut of `plan` must land inside the calibrated update (every
/// plan a campaign makes starts there); later cuts land in recovery lives,
/// whose length only running the plan tells.
pub fn check_first_cut(plan: &[Cut], calibration: &Calibration) -> Result<(), PlanError> {
    match plan.first() {
        Some(first) if first.op >= calibration.ops => Err(PlanError(format!(
            "`{}`: the update has {} flash operations (op0 to op{}), so a cut at op{} never fires; pick an operation from the report",
            plan_id(plan),
            calibration.ops,
            calibration.ops.saturating_sub(1),
            first.op
        ))),
        _ => Ok(()),
    }
}

/// What a replayed plan's cuts did, for the line printed after it.
pub fn cuts_note(plan: &[Cut], point: &PointResult) -> String {
    if point.cuts_fired >= plan.len() {
        return format!("{} cut(s) fired", point.cuts_fired);
    }
    let missed = point.cuts_fired;
    format!(
        "{} of {} cut(s) fired: cut {} ({}) came after the end of life {}, which had {} flash operation(s)",
        point.cuts_fired,
        plan.len(),
        missed + 1,
        plan[missed],
        missed,
        point.life_ops.get(missed).copied().unwrap_or(0)
    )
}

#[cfg(test)]
mod tests {
    use super::{check_first_cut, Replay};
    use crate::powercut::plan::{parse_plan, Calibration, Phase};
    use hil_bundle::tamper::TamperClass;

    #[test]
    fn every_id_a_report_lists_parses() {
        assert_eq!(
            Replay::parse("op12i+op3").unwrap(),
            Replay::Plan(parse_plan("op12i+op3").unwrap())
        );
        for class in TamperClass::ALL {
            assert_eq!(Replay::parse(class.name()).unwrap(), Replay::Tamper(class));
        }
        assert_eq!(Replay::parse("uncut").unwrap(), Replay::Uncut);
        assert_eq!(Replay::parse("app-crash-restart").unwrap(), Replay::Crash);
        assert!(
            matches!(Replay::parse("kill1500ms").unwrap(), Replay::Kill(d) if d.as_millis() == 1500)
        );
        assert!(Replay::parse("polite-timeout").unwrap().on_sim().is_err());
        assert_eq!(
            Replay::parse("kill60ms@install").unwrap(),
            Replay::KillInStage {
                phase: Phase::Install,
                after: std::time::Duration::from_millis(60)
            }
        );
        let error = Replay::parse("kill60ms@commit").unwrap_err().to_string();
        assert!(
            error.contains("`commit`") && error.contains("offer, download, verify, install"),
            "{error}"
        );
        let error = Replay::parse("bogus").unwrap_err().to_string();
        assert!(error.contains("truncated-layer"), "{error}");
        assert!(Replay::parse("op12x")
            .unwrap_err()
            .to_string()
            .contains("op12x"));
    }

    #[test]
    fn a_first_cut_past_the_calibrated_update_is_refused() {
        let cal = Calibration {
            ops: 10,
            phases: vec![Phase::Offer; 10],
            chunk_records: Vec::new(),
        };
        assert!(check_first_cut(&parse_plan("op9i+op500").unwrap(), &cal).is_ok());
        let error = check_first_cut(&parse_plan("op10").unwrap(), &cal)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("10 flash operations (op0 to op9)"),
            "{error}"
        );
    }
}
