//! The gate policy: which findings fail a release, which only warn, and the limits on campaign figures.
//!
//! ```yaml
//! regressions: fail          # passed in the baseline, fails now
//! new_case_failures: fail    # a case the baseline does not know fails
//! errors: fail               # a rig error: no verdict, the run is incomplete
//! vanished: fail             # in the baseline, not run now
//! fewer_rigs: fail           # ran on fewer rigs than in the baseline
//! still_failing: warn        # failed in the baseline and now
//! flaky: warn                # passed only on a retry
//! expired_quarantine: fail   # a quarantine entry past its last day
//! limits:                    # campaign figures: <campaign>.<figure> -> maximum, on every rig
//!   powercut.failures: 0
//!   overrun.undetected: 0
//!   parity.differences: 0
//! ```
//!
//! Every rule is `fail`, `warn` or `ignore`; a rule left out takes the
//! default above.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::input::{self, Input, InputError};

/// What a kind of finding does to the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// The gate fails.
    Fail,
    /// Shown as a warning; the gate passes.
    Warn,
    /// Shown in the report only.
    Ignore,
}

impl Rule {
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::Fail => "fail",
            Rule::Warn => "warn",
            Rule::Ignore => "ignore",
        }
    }
}

fn fail() -> Rule {
    Rule::Fail
}

fn warn() -> Rule {
    Rule::Warn
}

/// A validated gate policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatePolicy {
    #[serde(default = "fail")]
    pub regressions: Rule,
    #[serde(default = "fail")]
    pub new_case_failures: Rule,
    #[serde(default = "fail")]
    pub errors: Rule,
    #[serde(default = "fail")]
    pub vanished: Rule,
    #[serde(default = "fail")]
    pub fewer_rigs: Rule,
    #[serde(default = "warn")]
    pub still_failing: Rule,
    #[serde(default = "warn")]
    pub flaky: Rule,
    #[serde(default = "fail")]
    pub expired_quarantine: Rule,
    /// `<campaign>.<figure>` → the largest value that passes, on every rig.
    #[serde(default = "default_limits")]
    pub limits: BTreeMap<String, f64>,
}

fn default_limits() -> BTreeMap<String, f64> {
    [
        ("powercut.failures", 0.0),
        ("overrun.undetected", 0.0),
        ("mqtt-loss.unaccounted", 0.0),
        ("mqtt-loss.qos1_lost_fitting", 0.0),
        ("parity.differences", 0.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

impl Default for GatePolicy {
    /// The policy above: everything that can hide a regression fails.
    fn default() -> Self {
        GatePolicy {
            regressions: Rule::Fail,
            new_case_failures: Rule::Fail,
            errors: Rule::Fail,
            vanished: Rule::Fail,
            fewer_rigs: Rule::Fail,
            still_failing: Rule::Warn,
            flaky: Rule::Warn,
            expired_quarantine: Rule::Fail,
            limits: default_limits(),
        }
    }
}

impl GatePolicy {
    /// Reads and checks `file`.
    pub fn load(file: &Path) -> Result<GatePolicy, Vec<InputError>> {
        let input: Input<GatePolicy> = input::read(file).map_err(|e| vec![e])?;
        GatePolicy::validate(input)
    }

    /// Parses `text` as if read from `file`.
    pub fn parse(file: &Path, text: &str) -> Result<GatePolicy, Vec<InputError>> {
        GatePolicy::validate(input::parse(file, text).map_err(|e| vec![e])?)
    }

    fn validate(input: Input<GatePolicy>) -> Result<GatePolicy, Vec<InputError>> {
        let mut errors = Vec::new();
        for (key, limit) in &input.raw.limits {
            let field = format!("limits.{key}");
            let parts: Vec<&str> = key.split('.').collect();
            if parts.len() != 2 || parts.iter().any(|p| p.is_empty()) {
                errors.push(input.error(
                    &field,
                    format!("`{key}` is not <campaign>.<figure> (e.g. powercut.failures)"),
                ));
            }
            if !limit.is_finite() || *limit < 0.0 {
                errors.push(input.error(&field, "a limit is a number >= 0"));
            }
        }
        if errors.is_empty() {
            Ok(input.raw)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{GatePolicy, Rule};

    #[test]
    fn rules_left_out_take_the_defaults() {
        let p = GatePolicy::parse(Path::new("p.yaml"), "flaky: fail\n").unwrap();
        assert_eq!(p.flaky, Rule::Fail);
        assert_eq!(p.regressions, Rule::Fail);
        assert_eq!(p.still_failing, Rule::Warn);
        assert_eq!(p.limits["powercut.failures"], 0.0);
    }

    #[test]
    fn the_committed_policy_fails_on_everything_that_can_hide_a_regression() {
        let file =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/baselines/gate-policy.yaml");
        let p = GatePolicy::load(&file).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(p.regressions, Rule::Fail);
        assert_eq!(p.expired_quarantine, Rule::Fail);
        assert_eq!(p.limits["overrun.undetected"], 0.0);
        assert_eq!(p.limits["mqtt-loss.unaccounted"], 0.0);
        assert_eq!(p.limits["parity.differences"], 0.0);
    }

    #[test]
    fn a_bad_policy_names_line_and_field() {
        let e = GatePolicy::parse(Path::new("p.yaml"), "flaky: maybe\n").unwrap_err();
        assert!(
            e[0].to_string()
                .starts_with("p.yaml:1: flaky: unknown variant `maybe`"),
            "{}",
            e[0]
        );
        let e = GatePolicy::parse(
            Path::new("p.yaml"),
            "regressions: fail\nlimits:\n  failures: 1\n",
        )
        .unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "p.yaml:3: limits.failures: `failures` is not <campaign>.<figure> (e.g. powercut.failures)"
        );
    }
}
