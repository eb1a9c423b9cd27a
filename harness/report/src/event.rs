//! The events the engine emits, in order: run started, cases started and finished, run finished.
//!
//! These types are also the per-case records of `results.json`, so they are part
//! of the versioned schema: add fields, never rename or remove them. Campaigns
//! (`hil overrun`, `hil ota powercut`) also emit [`Event::Point`]s, one per
//! measured point, for the sinks that draw their tables and plots; the
//! `results.json`, `junit.xml`, `summary.md` and transcript sinks ignore them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One step of a run, as seen by every sink.
// A case result is the big variant; events are made and consumed one at a
// time (never stored in bulk), so boxing it would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The run is planned and about to start; always the first event.
    RunStarted(RunInfo),
    /// One case begins on one rig.
    CaseStarted { rig: String, case_id: String },
    /// One case finished on one rig, with its verdict and evidence.
    CaseFinished(CaseResult),
    /// One point of a campaign, as data (a campaign's case results group or
    /// summarise its points; its own report sinks want every point).
    Point(CampaignPoint),
    /// One figure a campaign measured (points tried, failures, undetected
    /// overruns ...), recorded in `results.json` so a release gate can hold
    /// it to a limit without reading the campaign's own files.
    Figure(Figure),
    /// The run ended, normally or because it was interrupted; always the last event.
    RunFinished {
        /// RFC 3339, UTC.
        finished_at: String,
        /// True when the run stopped before all planned cases finished (Ctrl-C, fatal rig loss).
        interrupted: bool,
        /// The process exit code: 0 all passed, 1 a case failed, 2 bad input or config, 3 rig error.
        exit_code: i32,
    },
}

impl Event {
    /// The serialized tag of this event, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Event::RunStarted(_) => "run_started",
            Event::CaseStarted { .. } => "case_started",
            Event::CaseFinished(_) => "case_finished",
            Event::Point(_) => "point",
            Event::Figure(_) => "figure",
            Event::RunFinished { .. } => "run_finished",
        }
    }
}

/// One measured point of a campaign: what was tried, how it ended, and the
/// campaign's own record of it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct CampaignPoint {
    /// The campaign: `overrun` or `powercut`.
    pub campaign: String,
    pub rig: String,
    /// The campaign's grouping of points (a cut kind such as `single`, a ring size).
    pub group: String,
    /// The point's id; for power cuts, the replay id.
    pub id: String,
    /// The campaign's verdict name (`ok`, `wrong_image`, `passed`, `failed` ...).
    pub outcome: String,
    /// What went wrong, or what happened; empty when there is nothing to say.
    pub detail: String,
    /// The campaign-specific record of the point (its observation, phase, cuts fired ...).
    pub data: serde_json::Value,
}

/// One number a campaign measured on one rig.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Figure {
    /// The campaign: `overrun` or `powercut`.
    pub campaign: String,
    pub rig: String,
    /// What was counted: `points`, `failures`, `undetected` ...
    pub name: String,
    pub value: f64,
}

/// Which shard of the suite a run is: `hash:k/n` or `count:k/n` (1-based `k`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
pub struct Partition {
    pub kind: PartitionKind,
    /// This shard, 1..=total.
    pub shard: u32,
    pub total: u32,
}

/// How cases are dealt to shards.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum PartitionKind {
    /// By a stable hash of the case id (FNV-1a, 64 bit): a case stays in its
    /// shard when others are added.
    Hash,
    /// Round robin over the cases sorted by id: shards differ by at most one case.
    Count,
}

impl Partition {
    /// Whether this shard holds the item with this id, at this index of
    /// the selection sorted by id (`hash` looks at the id, `count` at the
    /// index). Every sharded selection (the suite's cases, a campaign's
    /// points) is dealt by this one rule.
    pub fn deals(&self, index: usize, id: &str) -> bool {
        let total = u64::from(self.total);
        let shard = u64::from(self.shard - 1);
        match self.kind {
            PartitionKind::Hash => fnv1a(id.as_bytes()) % total == shard,
            PartitionKind::Count => index as u64 % total == shard,
        }
    }
}

/// FNV-1a, 64 bit: stable across Rust versions and platforms (std's
/// `DefaultHasher` is not promised to be).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

impl std::fmt::Display for Partition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            PartitionKind::Hash => "hash",
            PartitionKind::Count => "count",
        };
        write!(f, "{kind}:{}/{}", self.shard, self.total)
    }
}

impl std::str::FromStr for Partition {
    type Err = String;

    /// `hash:2/3` or `count:1/4`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("`{s}` is not a partition: write hash:K/N or count:K/N with 1 <= K <= N");
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        let kind = match kind {
            "hash" => PartitionKind::Hash,
            "count" => PartitionKind::Count,
            _ => return Err(bad()),
        };
        let (shard, total) = rest.split_once('/').ok_or_else(bad)?;
        let shard: u32 = shard.parse().map_err(|_| bad())?;
        let total: u32 = total.parse().map_err(|_| bad())?;
        if shard == 0 || total == 0 || shard > total {
            return Err(bad());
        }
        Ok(Partition { kind, shard, total })
    }
}

/// What a run is about to do.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct RunInfo {
    /// Unique, sortable id, also the report directory name (see `new_run_id`).
    pub run_id: String,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// The command line that started the run.
    pub command: String,
    /// Rig names, in the order they were given.
    pub rigs: Vec<String>,
    /// Planned case×rig pairs.
    pub planned: usize,
    /// Version of the `hil` binary.
    pub hil_version: String,
    /// The shard of the suite this run is, when it is one (`--partition`).
    #[serde(default)]
    pub partition: Option<Partition>,
    /// The host the run ran on (for merged reports of many hosts).
    #[serde(default)]
    pub host: String,
    /// Every case id the run selected (before `skip:`), sorted: `hil merge`
    /// checks that shards neither overlap nor miss a case.
    #[serde(default)]
    pub selected: Vec<String>,
    /// How many cases the selection picked before partitioning (equal to
    /// `selected.len()` when the run is not a shard).
    #[serde(default)]
    pub suite_selected: usize,
}

/// The result of one case on one rig.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct CaseResult {
    pub rig: String,
    pub case_id: String,
    pub title: String,
    pub area: String,
    /// Path of the case file, relative to the repository root.
    pub file: String,
    pub tags: Vec<String>,
    /// The spec sentence this case checks.
    pub spec: SpecCitation,
    pub outcome: Outcome,
    pub duration_ms: f64,
    /// The redacted, rig-independent transcript (multi-line).
    pub transcript: String,
    /// Device evidence: server-log messages, decoded defmt lines, fault dumps.
    pub logs: Vec<LogLine>,
    /// The earlier tries of this case on this rig that did not pass, oldest
    /// first (`--retries`); empty when the first try decided.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// Passed, but only on a retry: the case is flaky here. The gate policy
    /// decides what that means for a release.
    #[serde(default)]
    pub flaky: bool,
    /// The quarantine entry that covered this result when it ran: a failure
    /// or error is then reported but does not fail the run.
    #[serde(default)]
    pub quarantine: Option<QuarantineMark>,
}

impl CaseResult {
    /// A failure or rig error that counts: not covered by a quarantine entry.
    pub fn counts_against(&self) -> bool {
        matches!(self.outcome, Outcome::Failed { .. } | Outcome::Error { .. })
            && self.quarantine.is_none()
    }
}

/// One earlier try of a case that did not pass.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Attempt {
    pub outcome: Outcome,
    pub duration_ms: f64,
    /// The transcript of that try.
    pub transcript: String,
}

/// Why a result was quarantined: the entry of `conformance/quarantine.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct QuarantineMark {
    pub reason: String,
    /// Where the problem is tracked (an issue URL).
    pub link: String,
    /// The last day the entry holds (YYYY-MM-DD, UTC).
    pub expires: String,
}

/// A quote from the specification and where it comes from.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct SpecCitation {
    pub quote: String,
    pub source: String,
}

/// The verdict of one case on one rig.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Every step matched.
    Passed,
    /// The firmware did not behave as the case expects.
    Failed {
        /// 0-based index of the failing step.
        step: usize,
        /// Where in the case the step lives, e.g. `steps[3]`.
        field: String,
        /// Line of that step in the case file.
        line: usize,
        message: String,
    },
    /// The rig failed (crash, hang, lost link): not a verdict on the firmware.
    Error { message: String },
    /// Not run, and why (unsupported on this rig, quarantined, filtered).
    Skipped { reason: String },
}

impl Outcome {
    /// The serialized status tag: `passed`, `failed`, `error` or `skipped`.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed { .. } => "failed",
            Outcome::Error { .. } => "error",
            Outcome::Skipped { .. } => "skipped",
        }
    }

    /// One line saying what went wrong, or `None` for a pass.
    ///
    /// A failure reads `steps[3] (line 12): <message>`, the form used in every sink.
    pub fn detail(&self) -> Option<String> {
        match self {
            Outcome::Passed => None,
            Outcome::Failed {
                field,
                line,
                message,
                ..
            } => Some(format!("{field} (line {line}): {message}")),
            Outcome::Error { message } => Some(message.clone()),
            Outcome::Skipped { reason } => Some(reason.clone()),
        }
    }
}

/// One line of device evidence.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct LogLine {
    /// `server-log`, `defmt:secure`, `defmt:agent` or `fault`.
    pub source: String,
    pub text: String,
    /// Source location, e.g. `src/main.rs:82`, when the log format carries one.
    pub location: Option<String>,
}

impl std::fmt::Display for LogLine {
    /// `[source] text (location)`, the form used in transcripts and junit.xml.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.source, self.text)?;
        if let Some(location) = &self.location {
            write!(f, " ({location})")?;
        }
        Ok(())
    }
}
