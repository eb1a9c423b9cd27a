//! Cut plans: what a point cuts, its replay id, what it came to, and which plans a campaign runs.
//!
//! A *plan* is a list of cuts; cut `i` lands at operation `op` counted from
//! the start of the device's `i`-th life (life 0 starts at the first boot
//! after the factory image). Its id (`op1234i+op5`) replays it exactly,
//! because the kernel, the flash model and the cloud are deterministic.

use mv_flash::CutPoint;
use serde::{Deserialize, Serialize};

/// Where in the update an operation belongs (from the golden run's trace).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Switching journal pages (a new offer).
    Rotate,
    /// Staging the verified manifest.
    Offer,
    /// Staging chunks and journalling them.
    Download,
    /// Recording the verdict on the staged ROM.
    Verify,
    /// Rewriting the app region from staging.
    Install,
    /// Recording the commit.
    Commit,
}

impl Phase {
    pub const ALL: [Phase; 6] = [
        Phase::Rotate,
        Phase::Offer,
        Phase::Download,
        Phase::Verify,
        Phase::Install,
        Phase::Commit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Rotate => "rotate",
            Phase::Offer => "offer",
            Phase::Download => "download",
            Phase::Verify => "verify",
            Phase::Install => "install",
            Phase::Commit => "commit",
        }
    }
}

/// One cut of a plan (the sim's flash model counts the operations).
pub type Cut = CutPoint;

/// The replay id of a plan.
pub fn plan_id(plan: &[Cut]) -> String {
    plan.iter()
        .map(Cut::to_string)
        .collect::<Vec<_>>()
        .join("+")
}

/// A replay id that names nothing the campaign can run (the message says why).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// Parses a plan's replay id (`op12i+op3`).
pub fn parse_plan(id: &str) -> Result<Vec<Cut>, PlanError> {
    id.split('+')
        .map(|p| {
            Cut::parse(p).ok_or_else(|| PlanError(format!("`{p}` is not a cut (op<N> or op<N>i)")))
        })
        .collect()
}

/// What a point came to (serialized as its [`Outcome::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every invariant held and the new app runs.
    Ok,
    /// The app region was neither image, or the journal named the other one.
    WrongImage,
    /// The kernel did not come up, or could not finish an install.
    NoBoot,
    /// Later clean boots changed flash or state.
    NotConverged,
    /// A download started over (or lost chunks) after a cut.
    NoResume,
    /// The journal lists staged data that the staging area does not hold.
    JournalInconsistent,
    /// The verified new app was never installed.
    NotUpdated,
    /// A tampered bundle was not refused (or left staged data behind).
    TamperAccepted,
    /// A tampered bundle was refused, but for another reason than its class's.
    RefusedOtherwise,
}

impl Outcome {
    /// Every outcome, in the order reports list them.
    pub const ALL: [Outcome; 9] = [
        Outcome::Ok,
        Outcome::WrongImage,
        Outcome::NoBoot,
        Outcome::NotConverged,
        Outcome::NoResume,
        Outcome::JournalInconsistent,
        Outcome::NotUpdated,
        Outcome::TamperAccepted,
        Outcome::RefusedOtherwise,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::WrongImage => "wrong_image",
            Outcome::NoBoot => "no_boot",
            Outcome::NotConverged => "not_converged",
            Outcome::NoResume => "no_resume",
            Outcome::JournalInconsistent => "journal_inconsistent",
            Outcome::NotUpdated => "not_updated",
            Outcome::TamperAccepted => "tamper_accepted",
            Outcome::RefusedOtherwise => "refused_otherwise",
        }
    }
}

/// The result of one plan.
#[derive(Clone, Debug)]
pub struct PointResult {
    pub id: String,
    /// Phase of the first cut in the golden run.
    pub phase: Phase,
    pub outcome: Outcome,
    /// What went wrong (empty when ok).
    pub detail: String,
    /// Cuts that actually fired.
    pub cuts_fired: usize,
    /// Flash operations of each life (the recovery of cut `i` is life `i + 1`).
    pub life_ops: Vec<u64>,
    /// How the point was verified.
    pub verified: Verified,
}

/// How a point was verified (reported with it).
///
/// Every way gives the same [`PointResult`] otherwise: the campaign's tests
/// run whole sweeps both ways and compare them point by point, a planted
/// journal bug included.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "how")]
pub enum Verified {
    /// Every life run from the factory image to its end and checked.
    #[default]
    Full,
    /// Life 0 not re-run: the device started from the golden run's flash at
    /// the first cut (rebuilt from its trace, the cut applied by the same
    /// flash model); every later life run to its end and checked.
    Snapshot,
    /// From the snapshot, the recovery redid the interrupted step and its
    /// flash then equalled the reference's at operation `at_op` of the
    /// golden run, in the same context (inside the download, or inside the
    /// boot-time install); the rest of that life is the reference's, already
    /// run to its end and checked.
    Joined {
        reference: Reference,
        /// Golden-run operation at which the flash states were equal.
        at_op: u64,
        /// Recovery operations run before joining.
        ran: u64,
    },
    /// QEMU: life 0 not re-run (the NVM file written with the golden run's
    /// flash at the first cut, which the campaign's checks show equal to
    /// what QEMU itself leaves there); every later life run and checked;
    /// convergence known as `by` says instead of three clean boots.
    SnapshotConverged { by: Convergence },
}

/// How a QEMU point's convergence was shown without three clean boots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Convergence {
    /// The NVM after the update equals, byte for byte, the NVM the uncut
    /// run's three clean boots (run on QEMU in this campaign) left unchanged;
    /// a boot depends on the NVM alone.
    Reference,
    /// One clean boot came up, answered, and left the NVM byte for byte as
    /// it was: a fixed point, so every later boot starts from the same bytes.
    FixedPoint,
}

/// What a joined point finished by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reference {
    /// The golden (uncut) run, for joins inside the download.
    Golden,
    /// The point cut just before the first install page, whose recovery
    /// installs every page at boot, for joins inside a boot-time install.
    BootInstall,
    /// The recovery of the first cut while staging the manifest, for
    /// joins of the other offer cuts' recoveries (which never meet the
    /// golden run); a join's `at_op` then counts that recovery's
    /// operations.
    Offer,
    /// A depth-2 plan whose second cut lands after its first recovery
    /// joined: the flash is then the golden run's at `at_op`, and the rest is
    /// the single cut there (which passed).
    SingleCut,
}

impl Verified {
    /// `full`, `snapshot` or `joined`.
    pub fn name(self) -> &'static str {
        match self {
            Verified::Full => "full",
            Verified::Snapshot => "snapshot",
            Verified::Joined { .. } => "joined",
            Verified::SnapshotConverged { .. } => "snapshot",
        }
    }

    /// For reports: how, with the join's reference and operation.
    pub fn describe(self) -> String {
        match self {
            Verified::Joined {
                reference: Reference::SingleCut,
                at_op,
                ..
            } => format!(
                "the second cut left the golden run's flash at op {at_op}: the rest is the single cut there"
            ),
            Verified::Joined {
                reference: Reference::Offer,
                at_op,
                ran,
            } => format!(
                "joined the offer reference (the first offer cut's recovery) after {ran} recovery ops, its op {at_op}"
            ),
            Verified::Joined {
                reference,
                at_op,
                ran,
            } => format!(
                "joined the {} at golden op {at_op} after {ran} recovery ops",
                match reference {
                    Reference::Golden => "golden run",
                    Reference::BootInstall => "boot-install reference",
                    Reference::Offer => "offer reference",
                    Reference::SingleCut => "single cut",
                }
            ),
            Verified::SnapshotConverged {
                by: Convergence::Reference,
            } => "snapshot; converged: the NVM equals the uncut run's converged NVM".to_owned(),
            Verified::SnapshotConverged {
                by: Convergence::FixedPoint,
            } => "snapshot; converged: one clean boot changed no NVM byte (fixed point)".to_owned(),
            other => other.name().to_owned(),
        }
    }
}

/// What a campaign will run, known before its first point: per section (cut
/// kind), the group (phase, or tamper class) of every planned point.
#[derive(Clone, Debug, Default)]
pub struct CampaignPlan {
    pub sections: Vec<(String, Vec<String>)>,
}

impl CampaignPlan {
    /// Adds a section of plans, each grouped by the phase its first cut lands in.
    pub fn cuts(&mut self, kind: &str, plans: &[Vec<Cut>], calibration: &Calibration) {
        let keys = plans
            .iter()
            .map(|p| {
                p.first()
                    .map_or("rotate", |c| calibration.phase(c.op).name())
                    .to_owned()
            })
            .collect();
        self.sections.push((kind.to_owned(), keys));
    }

    /// Adds a section whose points are grouped by the given keys.
    pub fn section(&mut self, kind: &str, keys: impl IntoIterator<Item = String>) {
        self.sections
            .push((kind.to_owned(), keys.into_iter().collect()));
    }

    /// Planned points.
    pub fn points(&self) -> usize {
        self.sections.iter().map(|(_, keys)| keys.len()).sum()
    }
}

/// The uncut run: how many operations, and what each one is.
#[derive(Clone, Debug)]
pub struct Calibration {
    pub ops: u64,
    pub phases: Vec<Phase>,
    /// Operation index of each `Chunk` record.
    pub chunk_records: Vec<u64>,
}

impl Calibration {
    /// Chunks the journal lists once the operations before `cut` are done.
    pub(crate) fn chunks_done(&self, cut: Cut) -> u32 {
        self.chunk_records.iter().filter(|&&op| op < cut.op).count() as u32
    }

    /// The phase of operation `op` in the uncut run.
    pub fn phase(&self, op: u64) -> Phase {
        self.phases
            .get(op as usize)
            .copied()
            .unwrap_or(Phase::Commit)
    }
}

/// Single cuts at every operation, before and inside.
pub fn single_plans(cal: &Calibration) -> Vec<Vec<Cut>> {
    (0..cal.ops)
        .flat_map(|op| [false, true].map(|inside| vec![Cut { op, inside }]))
        .collect()
}

/// Depth 2: for every `stride`-th single plan, a second cut at the start,
/// a third, half, two thirds and the end of its recovery, before and inside.
pub fn nested_plans(single: &[(Vec<Cut>, PointResult)], stride: u64) -> Vec<Vec<Cut>> {
    if stride == 0 {
        return Vec::new();
    }
    let mut plans = Vec::new();
    for (plan, result) in single.iter().step_by(stride as usize) {
        let Some(&recovery) = result.life_ops.get(1) else {
            continue;
        };
        let mut at = vec![
            0,
            1,
            recovery / 3,
            recovery / 2,
            2 * recovery / 3,
            recovery.saturating_sub(1),
        ];
        at.sort_unstable();
        at.dedup();
        for op in at {
            for inside in [false, true] {
                let mut p = plan.clone();
                p.push(Cut { op, inside });
                plans.push(p);
            }
        }
    }
    plans
}

/// `n` random plans of 2–5 cuts anywhere in a life, from `seed`.
pub fn random_plans(cal: &Calibration, n: u32, seed: u64) -> Vec<Vec<Cut>> {
    let mut x = seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            let cuts = 2 + next() % 4;
            (0..cuts)
                .map(|_| Cut {
                    op: next() % cal.ops.max(1),
                    inside: next() % 2 == 1,
                })
                .collect()
        })
        .collect()
}

/// Exact cut points worth the time QEMU takes: the first and last operation
/// of every phase and the middle of the long ones, before and inside, plus
/// two nested plans (a second cut early in the recovery of an install cut).
pub fn chosen_plans(cal: &Calibration) -> Vec<Vec<Cut>> {
    let mut ops: Vec<u64> = Vec::new();
    for phase in Phase::ALL {
        let at: Vec<u64> = (0..cal.ops)
            .filter(|&op| cal.phases[op as usize] == phase)
            .collect();
        if let (Some(&first), Some(&last)) = (at.first(), at.last()) {
            ops.extend([first, last]);
            if at.len() > 16 {
                ops.push(at[at.len() / 2]);
            }
        }
    }
    ops.sort_unstable();
    ops.dedup();
    let mut plans: Vec<Vec<Cut>> = ops
        .iter()
        .flat_map(|&op| [false, true].map(|inside| vec![Cut { op, inside }]))
        .collect();
    let install: Vec<u64> = (0..cal.ops)
        .filter(|&op| cal.phases[op as usize] == Phase::Install)
        .collect();
    if let Some(&mid) = install.get(install.len() / 2) {
        for second in [0, 1] {
            plans.push(vec![
                Cut {
                    op: mid,
                    inside: true,
                },
                Cut {
                    op: second,
                    inside: true,
                },
            ]);
        }
    }
    plans
}

#[cfg(test)]
mod tests {
    use super::{parse_plan, plan_id};

    #[test]
    fn plan_ids_round_trip() {
        let plan = parse_plan("op12i+op3").unwrap();
        assert_eq!(plan_id(&plan), "op12i+op3");
        assert!(parse_plan("op12x").is_err());
    }
}
