//! The gate: a run set against a blessed baseline, the quarantine and the policy, down to one verdict.
//!
//! Per rig and case the baseline's status meets the run's: a pass that now
//! fails is a regression, a failure that now passes is fixed, a case of the
//! baseline that did not run vanished, a case that ran on fewer rigs lost
//! coverage. A failure covered by a quarantine entry in force is reported
//! and does not count; an entry past its last day fails the gate. Campaign
//! figures are held to the policy's limits, and parity (the same redacted
//! transcript on every rig) is one of them.

use std::collections::{BTreeMap, BTreeSet};

use hil_report::{parity, CaseResult, ExitCode};

use crate::baseline::{figure_key, Baseline, Status};
use crate::policy::{GatePolicy, Rule};
use crate::quarantine::Quarantine;
use crate::runset::RunSet;

/// What kind of difference a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// Passed in the baseline, fails now.
    Regression,
    /// Not in the baseline, fails now.
    NewCaseFailure,
    /// A rig error now: no verdict.
    Error,
    /// A campaign figure over its limit.
    Limit,
    /// In the baseline, not run now.
    Vanished,
    /// Ran on fewer rigs than in the baseline.
    FewerRigs,
    /// A quarantine entry past its last day.
    ExpiredQuarantine,
    /// Passed only on a retry.
    Flaky,
    /// Failed in the baseline and now.
    StillFailing,
    /// Failed now, under a quarantine entry in force: reported, not counted.
    Quarantined,
    /// Failed in the baseline, passes now.
    Fixed,
    /// Not in the baseline.
    NewCase,
}

impl Kind {
    /// Plural heading, as in the verdict line.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Regression => "regressions",
            Kind::NewCaseFailure => "new cases failing",
            Kind::Error => "rig errors",
            Kind::Limit => "campaign figures over their limit",
            Kind::Vanished => "vanished",
            Kind::FewerRigs => "ran on fewer rigs",
            Kind::ExpiredQuarantine => "expired quarantine entries",
            Kind::Flaky => "flaky",
            Kind::StillFailing => "still failing",
            Kind::Quarantined => "quarantined failures",
            Kind::Fixed => "fixed",
            Kind::NewCase => "new cases",
        }
    }

    /// What the policy says about this kind (fixed and new cases, and
    /// quarantined failures, are information).
    pub fn rule(self, policy: &GatePolicy) -> Rule {
        match self {
            Kind::Regression => policy.regressions,
            Kind::NewCaseFailure => policy.new_case_failures,
            Kind::Error => policy.errors,
            Kind::Limit => Rule::Fail,
            Kind::Vanished => policy.vanished,
            Kind::FewerRigs => policy.fewer_rigs,
            Kind::ExpiredQuarantine => policy.expired_quarantine,
            Kind::Flaky => policy.flaky,
            Kind::StillFailing => policy.still_failing,
            Kind::Quarantined | Kind::Fixed | Kind::NewCase => Rule::Ignore,
        }
    }
}

/// One difference the gate found.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: Kind,
    /// The rig, or empty when the finding is not about one rig.
    pub rig: String,
    /// The case id, figure key or quarantine pattern.
    pub subject: String,
    /// What happened, in a line.
    pub detail: String,
    /// What the policy made of it.
    pub rule: Rule,
}

/// The gate's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct GateReport {
    /// Every finding, gating ones first.
    pub findings: Vec<Finding>,
    /// Figures compared: key, value now, baseline value, limit.
    pub figures: Vec<FigureCheck>,
    /// Rigs of the run set.
    pub rigs: Vec<String>,
    /// Case × rig results judged.
    pub judged: usize,
}

/// One campaign figure against its limit and its baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureCheck {
    pub key: String,
    pub value: f64,
    pub baseline: Option<f64>,
    pub limit: Option<f64>,
}

impl GateReport {
    pub fn passed(&self) -> bool {
        !self.findings.iter().any(|f| f.rule == Rule::Fail)
    }

    /// 0 passed, 1 the gate failed (documented with `hil gate`).
    pub fn exit_code(&self) -> ExitCode {
        if self.passed() {
            ExitCode::Passed
        } else {
            ExitCode::CaseFailed
        }
    }

    /// Findings of one kind.
    pub fn of(&self, kind: Kind) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.kind == kind).collect()
    }

    /// `gate: FAIL: 1 regression (device.noop on sim); warnings: 2 flaky` —
    /// one line for a CI log, naming up to three subjects per kind.
    pub fn verdict_line(&self) -> String {
        let mut kinds: Vec<Kind> = self.findings.iter().map(|f| f.kind).collect();
        kinds.sort();
        kinds.dedup();
        let describe = |rule: Rule| -> Vec<String> {
            kinds
                .iter()
                .filter(|k| {
                    self.findings
                        .iter()
                        .any(|f| f.kind == **k && f.rule == rule)
                })
                .map(|k| {
                    let of: Vec<&Finding> = self
                        .findings
                        .iter()
                        .filter(|f| f.kind == *k && f.rule == rule)
                        .collect();
                    let names: Vec<String> = of
                        .iter()
                        .take(3)
                        .map(|f| {
                            if f.rig.is_empty() {
                                f.subject.clone()
                            } else {
                                format!("{} on {}", f.subject, f.rig)
                            }
                        })
                        .collect();
                    let more = if of.len() > 3 {
                        format!(", {} more", of.len() - 3)
                    } else {
                        String::new()
                    };
                    format!("{} {} ({}{more})", of.len(), k.title(), names.join(", "))
                })
                .collect()
        };
        let failing = describe(Rule::Fail);
        let warnings = describe(Rule::Warn);
        let mut line = if failing.is_empty() {
            format!(
                "gate: PASS: {} results on {} rig(s) match the baseline",
                self.judged,
                self.rigs.len()
            )
        } else {
            format!("gate: FAIL: {}", failing.join("; "))
        };
        if !warnings.is_empty() {
            line.push_str(&format!("; warnings: {}", warnings.join("; ")));
        }
        line
    }
}

/// Judges `set` against `baseline` on `today` (quarantine expiry).
pub fn judge(
    set: &RunSet,
    baseline: &Baseline,
    quarantine: &Quarantine,
    policy: &GatePolicy,
    today: time::Date,
) -> GateReport {
    let mut findings = Vec::new();
    let mut add = |kind: Kind, rig: &str, subject: &str, detail: String| {
        findings.push(Finding {
            kind,
            rig: rig.to_owned(),
            subject: subject.to_owned(),
            detail,
            rule: kind.rule(policy),
        });
    };
    let cases: Vec<&CaseResult> = set.cases().collect();
    let now: BTreeMap<(&str, &str), &CaseResult> = cases
        .iter()
        .map(|c| ((c.rig.as_str(), c.case_id.as_str()), *c))
        .collect();
    let known = baseline.case_ids();

    for case in &cases {
        let (rig, id) = (case.rig.as_str(), case.case_id.as_str());
        let was = baseline.results.get(rig).and_then(|r| r.get(id)).copied();
        let is = Status::of(&case.outcome);
        let detail = case.outcome.detail().unwrap_or_default();
        let entry = quarantine.lookup(id, rig, today);
        if matches!(is, Status::Failed | Status::Error) {
            if let Some(entry) = entry {
                add(
                    Kind::Quarantined,
                    rig,
                    id,
                    format!(
                        "{} (quarantined until {}: {}; {})",
                        detail, entry.expires, entry.reason, entry.link
                    ),
                );
                continue;
            }
        }
        match (was, is) {
            (Some(Status::Passed), Status::Failed) => add(Kind::Regression, rig, id, detail),
            (None, Status::Failed) => add(Kind::NewCaseFailure, rig, id, detail),
            (Some(Status::Failed), Status::Failed) => add(Kind::StillFailing, rig, id, detail),
            (Some(Status::Failed | Status::Error), Status::Passed) => {
                add(Kind::Fixed, rig, id, "passes now".into())
            }
            (_, Status::Error) => add(Kind::Error, rig, id, detail),
            _ => {}
        }
        if case.flaky {
            let tries: Vec<String> = case
                .attempts
                .iter()
                .filter_map(|a| a.outcome.detail())
                .collect();
            add(
                Kind::Flaky,
                rig,
                id,
                format!(
                    "passed on try {} after: {}",
                    case.attempts.len() + 1,
                    tries.join(" | ")
                ),
            );
        }
        if was.is_none() && !known.contains(id) {
            add(
                Kind::NewCase,
                rig,
                id,
                format!("{} (not in the baseline)", is.as_str()),
            );
        }
    }

    // Cases of the baseline: vanished entirely, or on fewer rigs.
    let ids_now: BTreeSet<&str> = cases.iter().map(|c| c.case_id.as_str()).collect();
    for id in &known {
        let ran_before: Vec<&str> = baseline
            .results
            .iter()
            .filter(|(_, r)| r.get(*id).is_some_and(|s| s.ran()))
            .map(|(rig, _)| rig.as_str())
            .collect();
        if !ids_now.contains(id) {
            add(
                Kind::Vanished,
                "",
                id,
                format!(
                    "ran on {} in the baseline; not run now",
                    ran_before.join(", ")
                ),
            );
            continue;
        }
        let missing: Vec<&str> = ran_before
            .iter()
            .filter(|rig| {
                !now.get(&(**rig, *id))
                    .is_some_and(|c| Status::of(&c.outcome).ran())
            })
            .copied()
            .collect();
        for rig in missing {
            let why = match now.get(&(rig, *id)) {
                Some(c) => format!("{} now", c.outcome.status()),
                None => "not run now".to_owned(),
            };
            add(
                Kind::FewerRigs,
                rig,
                id,
                format!("ran on {rig} in the baseline; {why}"),
            );
        }
    }

    for entry in quarantine.expired(today) {
        let rigs = if entry.rigs.is_empty() {
            "every rig".to_owned()
        } else {
            entry.rigs.join(", ")
        };
        add(
            Kind::ExpiredQuarantine,
            "",
            &entry.case,
            format!(
                "expired {} ({}:{}, {rigs}): {}; fix the case or renew the entry with a reason",
                entry.expires,
                quarantine.file,
                entry.line.unwrap_or(0),
                entry.reason
            ),
        );
    }

    // Figures: the campaigns', and parity over the whole set.
    let mut values: Vec<(String, String, String, f64)> = set
        .figures()
        .map(|f| (f.campaign.clone(), f.rig.clone(), f.name.clone(), f.value))
        .collect();
    let rigs = set.rigs();
    if rigs.len() > 1 {
        let all: Vec<CaseResult> = cases.iter().map(|c| (*c).clone()).collect();
        let differences = parity::compare(&all);
        for d in &differences {
            add(
                Kind::Limit,
                "",
                &d.case_id,
                format!(
                    "parity: transcripts differ between {} and {} at line {}: `{}` vs `{}`",
                    d.left_rig, d.right_rig, d.line, d.left, d.right
                ),
            );
        }
        values.push((
            "parity".into(),
            rigs.join("+"),
            "differences".into(),
            differences.len() as f64,
        ));
    }
    let mut figures = Vec::new();
    let mut measured = BTreeSet::new();
    for (campaign, rig, name, value) in values {
        let key = figure_key(&campaign, &rig, &name);
        let limit = policy.limits.get(&format!("{campaign}.{name}")).copied();
        if let Some(limit) = limit {
            if value > limit && campaign != "parity" {
                add(
                    Kind::Limit,
                    &rig,
                    &key,
                    format!("{value} > {limit} (policy limit {campaign}.{name})"),
                );
            }
        }
        figures.push(FigureCheck {
            baseline: baseline.figures.get(&key).copied(),
            key: key.clone(),
            value,
            limit,
        });
        measured.insert(key);
    }
    for key in baseline.figures.keys() {
        if !measured.contains(key) && !key.starts_with("parity.") {
            add(
                Kind::Vanished,
                "",
                key,
                "a campaign figure of the baseline was not measured".into(),
            );
        }
    }

    findings.sort_by(|a, b| {
        let gating = |f: &Finding| match f.rule {
            Rule::Fail => 0,
            Rule::Warn => 1,
            Rule::Ignore => 2,
        };
        (gating(a), a.kind, &a.rig, &a.subject).cmp(&(gating(b), b.kind, &b.rig, &b.subject))
    });
    GateReport {
        findings,
        figures,
        rigs,
        judged: cases.len(),
    }
}
