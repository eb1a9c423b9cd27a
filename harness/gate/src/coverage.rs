//! The ABI coverage matrix: for every call, each status its SDK header documents and each notification it posts, which cases observed it on which rigs.
//!
//! The documented outcomes are data beside the ABI crate
//! (`firmware/abi/sdk-retvals.yaml`, [`mv_abi::SDK_RETVALS_YAML`]); what was
//! observed comes from the transcripts of a run set, never from a list kept
//! by hand. A transcript line `call mvX(..) -> STATUS` observes `(mvX,
//! STATUS)`, also when the call came from an IRQ handler or unprivileged
//! code (`call mvX(..) from the handler of IRQ n -> STATUS`); an `event_type: .. -> TYPE` written under that call observes
//! `(mvX, TYPE)`, and one written under a later step (a cloud action, a
//! delay) is credited to every earlier call of the case that documents
//! posting `TYPE` (`mvOpenSystemNotification` for `UPDATEDOWNLOADED`).
//! Uncovered pairs sort first: a contributor's to-do list.

use std::collections::{BTreeMap, BTreeSet};

use hil_report::CaseResult;
use mv_abi::{MvEventType, MvStatus, Slot};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCall {
    #[serde(default)]
    retvals: BTreeMap<String, String>,
    #[serde(default)]
    posts: Vec<String>,
    #[serde(default)]
    posts_source: Option<String>,
    /// Documented statuses this kernel can never return, each with the
    /// `firmware/ABI.md` reason (the lab's note, not the header's text).
    #[serde(default)]
    unreachable: BTreeMap<String, String>,
}

/// What a pair's second half is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OutcomeKind {
    /// A status the call returns.
    Status,
    /// A notification event type it posts.
    Event,
}

/// One documented (call, outcome) pair and where it was seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub slot: u32,
    pub call: &'static str,
    pub kind: OutcomeKind,
    /// `OKAY`, `PARAMETERFAULT`, `CHANNELDATAREADABLE` ...
    pub outcome: String,
    /// The header's sentence.
    pub doc: String,
    /// Rig → case ids that observed it.
    pub seen: BTreeMap<String, BTreeSet<String>>,
    /// Why this kernel can never give it (`firmware/ABI.md`), if it cannot.
    pub unreachable: Option<String>,
}

impl Pair {
    pub fn covered(&self) -> bool {
        !self.seen.is_empty()
    }
}

/// The matrix of a run set.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    /// Uncovered first, then covered on fewer than every rig, then the rest;
    /// by slot within each.
    pub pairs: Vec<Pair>,
    /// Observed outcomes the header does not document for that call
    /// (e.g. `UNAVAILABLE` of a call this kernel does not implement yet).
    pub undocumented: Vec<Pair>,
    pub rigs: Vec<String>,
}

/// What is wrong with the documented outcomes file (a bug in the data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("firmware/abi/sdk-retvals.yaml: {0}")]
pub struct DataError(pub String);

/// The documented pairs of every assigned slot, in slot order, none seen yet.
pub fn documented() -> Result<Vec<Pair>, DataError> {
    let raw: BTreeMap<String, RawCall> =
        serde_yaml::from_str(mv_abi::SDK_RETVALS_YAML).map_err(|e| DataError(e.to_string()))?;
    let mut pairs = Vec::new();
    let mut named = BTreeSet::new();
    for slot in Slot::ALL.into_iter().filter(|s| s.is_assigned()) {
        let call = slot.name();
        let data = raw
            .get(call)
            .ok_or_else(|| DataError(format!("{call} (slot {}) is missing", slot.number())))?;
        named.insert(call);
        for status in data.unreachable.keys() {
            if !data.retvals.contains_key(status) {
                return Err(DataError(format!(
                    "{call}: `{status}` is marked unreachable but is not in its retvals"
                )));
            }
        }
        let mut push = |kind, outcome: &str, doc: &str| {
            pairs.push(Pair {
                slot: slot.number(),
                call,
                kind,
                outcome: outcome.to_owned(),
                doc: doc.to_owned(),
                seen: BTreeMap::new(),
                unreachable: match kind {
                    OutcomeKind::Status => data.unreachable.get(outcome).cloned(),
                    OutcomeKind::Event => None,
                },
            })
        };
        push(OutcomeKind::Status, "OKAY", "Success.");
        for (status, doc) in &data.retvals {
            if MvStatus::DESC.value_of(status).is_none() {
                return Err(DataError(format!("{call}: `{status}` is not an MvStatus")));
            }
            push(OutcomeKind::Status, status, doc);
        }
        for event in &data.posts {
            if MvEventType::DESC.value_of(event).is_none() {
                return Err(DataError(format!(
                    "{call}: `{event}` is not an MvEventType"
                )));
            }
            push(
                OutcomeKind::Event,
                event,
                data.posts_source.as_deref().unwrap_or_default(),
            );
        }
    }
    if let Some(extra) = raw.keys().find(|k| !named.contains(k.as_str())) {
        return Err(DataError(format!("`{extra}` is not a call of the ABI")));
    }
    Ok(pairs)
}

/// The matrix of `results` (the transcripts of every rig).
pub fn matrix<'a>(
    results: impl IntoIterator<Item = &'a CaseResult>,
) -> Result<Coverage, DataError> {
    let mut pairs = documented()?;
    let mut undocumented: BTreeMap<(u32, OutcomeKind, String), Pair> = BTreeMap::new();
    let mut rigs: Vec<String> = Vec::new();
    for result in results {
        if !rigs.contains(&result.rig) {
            rigs.push(result.rig.clone());
        }
        for (call, kind, outcome) in observations(&result.transcript, &pairs) {
            let pair = pairs
                .iter_mut()
                .find(|p| p.call == call && p.kind == kind && p.outcome == outcome);
            let pair = match pair {
                Some(pair) => pair,
                None => {
                    let Some(slot) = Slot::from_name(call) else {
                        continue;
                    };
                    undocumented
                        .entry((slot.number(), kind, outcome.clone()))
                        .or_insert_with(|| Pair {
                            slot: slot.number(),
                            call: slot.name(),
                            kind,
                            outcome: outcome.clone(),
                            doc: String::new(),
                            seen: BTreeMap::new(),
                            unreachable: None,
                        })
                }
            };
            pair.seen
                .entry(result.rig.clone())
                .or_default()
                .insert(result.case_id.clone());
        }
    }
    let rank = |p: &Pair| {
        if p.seen.is_empty() && p.unreachable.is_none() {
            0
        } else if p.seen.len() < rigs.len() {
            1
        } else {
            2
        }
    };
    pairs.sort_by_key(|p| (rank(p), p.slot, p.kind));
    Ok(Coverage {
        pairs,
        undocumented: undocumented.into_values().collect(),
        rigs,
    })
}

/// The (call, kind, outcome) triples one transcript shows.
fn observations(transcript: &str, documented: &[Pair]) -> Vec<(&'static str, OutcomeKind, String)> {
    let posts = |call: &str, event: &str| {
        documented
            .iter()
            .any(|p| p.call == call && p.kind == OutcomeKind::Event && p.outcome == event)
    };
    let mut seen = Vec::new();
    let mut calls: Vec<&'static str> = Vec::new();
    let mut current: Option<&'static str> = None;
    for line in transcript.lines() {
        // A `batch` step lists its calls indented under it.
        if let Some(rest) = line
            .strip_prefix("call ")
            .or_else(|| line.strip_prefix("  call "))
        {
            let name = rest.split('(').next().unwrap_or_default();
            current = Slot::from_name(name)
                .filter(|s| s.is_assigned())
                .map(Slot::name);
            if let (Some(call), Some((_, status))) = (current, rest.rsplit_once(" -> ")) {
                let status = status.split_whitespace().next().unwrap_or_default();
                if MvStatus::DESC.value_of(status).is_some() {
                    seen.push((call, OutcomeKind::Status, status.to_owned()));
                }
                calls.push(call);
            }
            continue;
        }
        if !line.starts_with(' ') {
            // Another step: what it makes the kernel write is not a call's.
            current = None;
            continue;
        }
        let Some((_, written)) = line.split_once(".event_type: ") else {
            continue;
        };
        let Some((_, event)) = written.rsplit_once(" -> ") else {
            continue;
        };
        let event = event.trim();
        if event == "NOEVENT" || MvEventType::DESC.value_of(event).is_none() {
            continue;
        }
        match current {
            Some(call) => seen.push((call, OutcomeKind::Event, event.to_owned())),
            None => {
                for call in calls.iter().filter(|c| posts(c, event)) {
                    seen.push((call, OutcomeKind::Event, event.to_owned()));
                }
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_one_of_the_72_calls_has_its_documented_outcomes() {
        let pairs = documented().unwrap();
        let calls: BTreeSet<&str> = pairs.iter().map(|p| p.call).collect();
        assert_eq!(calls.len(), 72);
        let setup: Vec<&str> = pairs
            .iter()
            .filter(|p| p.call == "mvSetupNotifications")
            .map(|p| p.outcome.as_str())
            .collect();
        assert_eq!(
            setup,
            [
                "OKAY",
                "BUFFERALREADYINUSE",
                "INVALIDBUFFERSIZE",
                "INVALIDINTERRUPT",
                "PARAMETERFAULT",
                "TOOMANYNOTIFICATIONBUFFERS"
            ]
        );
        assert!(pairs
            .iter()
            .any(|p| p.call == "mvOpenSystemNotification" && p.outcome == "UPDATEDOWNLOADED"));
    }

    #[test]
    fn batch_calls_count_and_unreachable_pairs_carry_their_reason() {
        let transcript = "batch of 2 calls on the device:\n  call mvMqttRequestUnsubscribe(*ch, @u) -> OKAY\n  call mvMqttRequestUnsubscribe(*ch, @u) -> RATELIMITED\n";
        let pairs = documented().unwrap();
        let seen = observations(transcript, &pairs);
        assert!(seen.contains(&(
            "mvMqttRequestUnsubscribe",
            OutcomeKind::Status,
            "RATELIMITED".to_owned()
        )));
        let unreachable: Vec<&str> = pairs
            .iter()
            .filter(|p| p.unreachable.is_some())
            .map(|p| p.call)
            .collect();
        assert_eq!(
            unreachable,
            [
                "mvMqttReadDisconnectResponse",
                "mvMqttReadConnectResponse",
                "mvMqttReadPublishResponse"
            ]
        );
    }

    #[test]
    fn statuses_and_notifications_are_read_from_transcripts() {
        let transcript = "alloc ring: notifications, 64 bytes\ncall mvSetupNotifications(@setup, @nc) -> OKAY\n  nc: 0 -> <handle 1>\ncall mvOpenSystemNotification(@params, @sys) -> OKAY\n  sys: 0 -> <handle 2>\ncloud: deploy app v2 -> staged\n  ring[0].event_type: NOEVENT -> UPDATEDOWNLOADED\ncall mvTempTriggerNotification(*nc, 2, 4660) -> OKAY\n  ring[1].event_type: NOEVENT -> CHANNELDATAREADABLE\ncall mvRestart(0) -> no return: the app restarted (APPLICATIONUPDATE)\ncall unassigned20(@msg, 5, @out, 0) -> UNAVAILABLE\ncall mvOpenChannel(@p, @h) -> UNAVAILABLE\ncall mvRestart(0) from the handler of IRQ 46 -> UNAVAILABLE\ncall mvGetDeviceId(@id, 34) unprivileged -> PARAMETERFAULT\n";
        let pairs = documented().unwrap();
        let seen = observations(transcript, &pairs);
        assert_eq!(
            seen,
            [
                (
                    "mvSetupNotifications",
                    OutcomeKind::Status,
                    "OKAY".to_owned()
                ),
                (
                    "mvOpenSystemNotification",
                    OutcomeKind::Status,
                    "OKAY".to_owned()
                ),
                (
                    "mvOpenSystemNotification",
                    OutcomeKind::Event,
                    "UPDATEDOWNLOADED".to_owned()
                ),
                (
                    "mvTempTriggerNotification",
                    OutcomeKind::Status,
                    "OKAY".to_owned()
                ),
                (
                    "mvTempTriggerNotification",
                    OutcomeKind::Event,
                    "CHANNELDATAREADABLE".to_owned()
                ),
                (
                    "mvOpenChannel",
                    OutcomeKind::Status,
                    "UNAVAILABLE".to_owned()
                ),
                ("mvRestart", OutcomeKind::Status, "UNAVAILABLE".to_owned()),
                (
                    "mvGetDeviceId",
                    OutcomeKind::Status,
                    "PARAMETERFAULT".to_owned()
                ),
            ]
        );
    }
}
