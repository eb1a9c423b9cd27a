//! The nightly plan as data (`rigs/plans/nightly.yaml`): rigs, suites, campaigns with their parameters, retries, the quarantine file and the gate.
//!
//! ```yaml
//! rigs: [sim, qemu-an505]            # the default rigs of every suite
//! suites:
//!   - name: conformance
//!     filters: []                    # --filter patterns (all cases when empty)
//!     tags: []                       # --tag
//!     rigs: [sim, qemu-an505]        # optional: the plan's rigs
//!     jobs: 1                        # sessions per rig
//! campaigns:
//!   - { name: overrun, kind: overrun, rigs: [sim, qemu-an505] }
//!   - { name: mqtt-loss, kind: mqtt-loss, rigs: [sim, qemu-an505], quick: false }
//!   - { name: powercut-sim, kind: powercut, rig: sim, app_size: 131072, nested_stride: 16, random: 2000, seed: 1 }
//! retries:
//!   default: 1
//!   rules:
//!     - { case: "update.*", rigs: [qemu-an505], retries: 2 }
//! quarantine: conformance/quarantine.yaml
//! gate:
//!   baseline: reports/baselines/baseline.json
//!   policy: reports/baselines/gate-policy.yaml
//! ```
//!
//! `hil nightly` runs all of it, then the gate, the history record and the
//! HTML report, with one exit code. The file is validated like every other
//! input: each problem names its line and field.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::input::{self, Input, InputError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    rigs: Vec<String>,
    #[serde(default)]
    suites: Vec<RawSuite>,
    #[serde(default)]
    campaigns: Vec<RawCampaign>,
    #[serde(default)]
    retries: RawRetries,
    quarantine: Option<PathBuf>,
    #[serde(default)]
    gate: RawGate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuite {
    name: String,
    #[serde(default)]
    filters: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    rigs: Option<Vec<String>>,
    #[serde(default = "one")]
    jobs: usize,
}

fn one() -> usize {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "lowercase")]
enum RawCampaign {
    Overrun {
        name: String,
        rigs: Option<Vec<String>>,
    },
    #[serde(rename = "mqtt-loss")]
    MqttLoss {
        name: String,
        rigs: Option<Vec<String>>,
        /// The four-point sweep instead of the full one.
        #[serde(default)]
        quick: bool,
    },
    Powercut {
        name: String,
        rig: String,
        #[serde(default = "app_size")]
        app_size: usize,
        #[serde(default = "nested_stride")]
        nested_stride: u64,
        #[serde(default = "random")]
        random: u32,
        #[serde(default = "one_u64")]
        seed: u64,
        #[serde(default = "kills")]
        kills: u32,
        #[serde(default = "one")]
        stride: usize,
    },
}

fn app_size() -> usize {
    128 * 1024
}
fn nested_stride() -> u64 {
    16
}
fn random() -> u32 {
    2000
}
fn one_u64() -> u64 {
    1
}
fn kills() -> u32 {
    3
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRetries {
    #[serde(default)]
    default: u32,
    #[serde(default)]
    rules: Vec<RawRetryRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetryRule {
    case: String,
    #[serde(default)]
    rigs: Vec<String>,
    retries: u32,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGate {
    baseline: Option<PathBuf>,
    policy: Option<PathBuf>,
}

/// One conformance suite of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSuite {
    pub name: String,
    pub filters: Vec<String>,
    pub tags: Vec<String>,
    pub rigs: Vec<String>,
    pub jobs: usize,
}

/// One campaign of the plan, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanCampaign {
    Overrun {
        name: String,
        rigs: Vec<String>,
    },
    MqttLoss {
        name: String,
        rigs: Vec<String>,
        quick: bool,
    },
    Powercut {
        name: String,
        rig: String,
        app_size: usize,
        nested_stride: u64,
        random: u32,
        seed: u64,
        kills: u32,
        stride: usize,
    },
}

impl PlanCampaign {
    pub fn name(&self) -> &str {
        match self {
            PlanCampaign::Overrun { name, .. }
            | PlanCampaign::MqttLoss { name, .. }
            | PlanCampaign::Powercut { name, .. } => name,
        }
    }
}

/// A retry rule: cases matching `case` (an id or a `*` pattern) on `rigs`
/// (every rig when empty) get `retries` extra tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRetryRule {
    pub case: String,
    pub rigs: Vec<String>,
    pub retries: u32,
}

/// A validated nightly plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NightlyPlan {
    pub file: PathBuf,
    pub suites: Vec<PlanSuite>,
    pub campaigns: Vec<PlanCampaign>,
    pub retries: u32,
    pub retry_rules: Vec<PlanRetryRule>,
    pub quarantine: Option<PathBuf>,
    pub baseline: Option<PathBuf>,
    pub policy: Option<PathBuf>,
}

impl NightlyPlan {
    /// Reads `file` and checks it against the repository's rig names.
    pub fn load(file: &Path, known_rigs: &[String]) -> Result<NightlyPlan, Vec<InputError>> {
        let input: Input<RawPlan> = input::read(file).map_err(|e| vec![e])?;
        validate(input, known_rigs)
    }

    /// Parses `text` as if read from `file`.
    pub fn parse(
        file: &Path,
        text: &str,
        known_rigs: &[String],
    ) -> Result<NightlyPlan, Vec<InputError>> {
        validate(input::parse(file, text).map_err(|e| vec![e])?, known_rigs)
    }
}

fn validate(input: Input<RawPlan>, known: &[String]) -> Result<NightlyPlan, Vec<InputError>> {
    let raw = &input.raw;
    let mut errors = Vec::new();
    let check_rigs = |field: &str, rigs: &[String], errors: &mut Vec<InputError>| {
        for (n, rig) in rigs.iter().enumerate() {
            if !known.contains(rig) {
                errors.push(input.error(
                    &format!("{field}[{n}]"),
                    format!(
                        "no rig `{rig}` (rigs/{rig}.yaml); known rigs: {}",
                        known.join(", ")
                    ),
                ));
            }
        }
    };
    if raw.rigs.is_empty() {
        errors.push(input.error("rigs", "name at least one rig"));
    }
    check_rigs("rigs", &raw.rigs, &mut errors);
    if raw.suites.is_empty() && raw.campaigns.is_empty() {
        errors.push(input.error("", "a plan runs at least one suite or campaign"));
    }
    let mut names: Vec<String> = Vec::new();
    let mut check_name = |field: String, name: &str, errors: &mut Vec<InputError>| {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            errors.push(input.error(
                &field,
                format!("`{name}` is not a name: use [a-z0-9-]+ (it names a report folder)"),
            ));
        } else if names.iter().any(|n| n == name) {
            errors.push(input.error(
                &field,
                format!("`{name}` is used twice: suites and campaigns need distinct names"),
            ));
        }
        names.push(name.to_owned());
    };
    let mut suites = Vec::new();
    for (n, s) in raw.suites.iter().enumerate() {
        check_name(format!("suites[{n}].name"), &s.name, &mut errors);
        let rigs = s.rigs.clone().unwrap_or_else(|| raw.rigs.clone());
        check_rigs(&format!("suites[{n}].rigs"), &rigs, &mut errors);
        if s.jobs == 0 {
            errors.push(input.error(&format!("suites[{n}].jobs"), "at least 1"));
        }
        suites.push(PlanSuite {
            name: s.name.clone(),
            filters: s.filters.clone(),
            tags: s.tags.clone(),
            rigs,
            jobs: s.jobs,
        });
    }
    let mut campaigns = Vec::new();
    for (n, c) in raw.campaigns.iter().enumerate() {
        match c {
            RawCampaign::Overrun { name, rigs } => {
                check_name(format!("campaigns[{n}].name"), name, &mut errors);
                let rigs = rigs.clone().unwrap_or_else(|| raw.rigs.clone());
                check_rigs(&format!("campaigns[{n}].rigs"), &rigs, &mut errors);
                campaigns.push(PlanCampaign::Overrun {
                    name: name.clone(),
                    rigs,
                });
            }
            RawCampaign::MqttLoss { name, rigs, quick } => {
                check_name(format!("campaigns[{n}].name"), name, &mut errors);
                let rigs = rigs.clone().unwrap_or_else(|| raw.rigs.clone());
                check_rigs(&format!("campaigns[{n}].rigs"), &rigs, &mut errors);
                campaigns.push(PlanCampaign::MqttLoss {
                    name: name.clone(),
                    rigs,
                    quick: *quick,
                });
            }
            RawCampaign::Powercut {
                name,
                rig,
                app_size,
                nested_stride,
                random,
                seed,
                kills,
                stride,
            } => {
                check_name(format!("campaigns[{n}].name"), name, &mut errors);
                if !known.contains(rig) {
                    errors.push(input.error(
                        &format!("campaigns[{n}].rig"),
                        format!(
                            "no rig `{rig}` (rigs/{rig}.yaml); known rigs: {}",
                            known.join(", ")
                        ),
                    ));
                }
                if *app_size == 0 || *stride == 0 {
                    errors.push(input.error(
                        &format!("campaigns[{n}]"),
                        "app_size and stride are at least 1",
                    ));
                }
                campaigns.push(PlanCampaign::Powercut {
                    name: name.clone(),
                    rig: rig.clone(),
                    app_size: *app_size,
                    nested_stride: *nested_stride,
                    random: *random,
                    seed: *seed,
                    kills: *kills,
                    stride: *stride,
                });
            }
        }
    }
    let mut retry_rules = Vec::new();
    for (n, r) in raw.retries.rules.iter().enumerate() {
        if r.case.trim().is_empty() {
            errors.push(input.error(
                &format!("retries.rules[{n}].case"),
                "name a case id or a pattern with *",
            ));
        }
        check_rigs(&format!("retries.rules[{n}].rigs"), &r.rigs, &mut errors);
        retry_rules.push(PlanRetryRule {
            case: r.case.clone(),
            rigs: r.rigs.clone(),
            retries: r.retries,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NightlyPlan {
        file: input.file.clone(),
        suites,
        campaigns,
        retries: raw.retries.default,
        retry_rules,
        quarantine: raw.quarantine.clone(),
        baseline: raw.gate.baseline.clone(),
        policy: raw.gate.policy.clone(),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{NightlyPlan, PlanCampaign};

    fn rigs() -> Vec<String> {
        vec!["sim".into(), "qemu-an505".into()]
    }

    #[test]
    fn the_committed_nightly_plan_is_valid() {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rigs/plans/nightly.yaml");
        let plan = NightlyPlan::load(&file, &rigs()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(!plan.suites.is_empty());
        assert!(plan
            .campaigns
            .iter()
            .any(|c| matches!(c, PlanCampaign::Powercut { .. })));
        assert!(plan.campaigns.iter().any(|c| matches!(
            c,
            PlanCampaign::MqttLoss { rigs, quick: false, .. } if rigs.len() == 2
        )));
    }

    #[test]
    fn an_mqtt_loss_campaign_takes_the_plans_rigs_and_quick() {
        let text = "rigs: [sim]\ncampaigns:\n  - { name: loss, kind: mqtt-loss, quick: true }\n  - { name: loss2, kind: mqtt-loss, rigs: [sim], quik: true }\n";
        let errors = NightlyPlan::parse(Path::new("n.yaml"), text, &rigs()).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(text[0].contains("campaigns[1]"), "{text:?}");
        assert!(text[0].contains("quik"), "{text:?}");
        let text = "rigs: [sim]\ncampaigns:\n  - { name: loss, kind: mqtt-loss, quick: true }\n";
        let plan = NightlyPlan::parse(Path::new("n.yaml"), text, &rigs()).unwrap();
        assert_eq!(
            plan.campaigns,
            [PlanCampaign::MqttLoss {
                name: "loss".into(),
                rigs: vec!["sim".into()],
                quick: true
            }]
        );
    }

    #[test]
    fn plan_errors_name_line_and_field() {
        let text = "rigs: [sim]\nsuites:\n  - name: Conformance\n    rigs: [sim, qemu-an55]\ncampaigns:\n  - { name: pc, kind: powercut, rig: sim, randm: 3 }\n";
        let errors = NightlyPlan::parse(Path::new("n.yaml"), text, &rigs()).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(text[0].starts_with("n.yaml:6: campaigns[0]"), "{text:?}");
        assert!(text[0].contains("randm"), "{text:?}");
        let text = "rigs: [sim]\nsuites:\n  - name: Conformance\n    rigs: [sim, qemu-an55]\n";
        let errors = NightlyPlan::parse(Path::new("n.yaml"), text, &rigs()).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "n.yaml:3: suites[0].name: `Conformance` is not a name: use [a-z0-9-]+ (it names a report folder)",
                "n.yaml:4: suites[0].rigs[1]: no rig `qemu-an55` (rigs/qemu-an55.yaml); known rigs: sim, qemu-an505",
            ]
        );
    }
}
