//! What the engine does per case × rig besides running it: how often to retry, and which quarantine entry covers it.
//!
//! The engine knows no file formats: the CLI resolves the plan's retry rules
//! and `conformance/quarantine.yaml` into these two lookups.

use std::sync::Arc;

use hil_report::QuarantineMark;

/// `(case id, rig) -> retries`: extra tries after a failure or rig error.
pub type RetryLookup = Arc<dyn Fn(&str, &str) -> u32 + Send + Sync>;

/// `(case id, rig) -> entry`: the quarantine entry in force for that pair.
pub type QuarantineLookup = Arc<dyn Fn(&str, &str) -> Option<QuarantineMark> + Send + Sync>;

/// Retries and quarantine for every case × rig of a run.
#[derive(Clone)]
pub struct CasePolicy {
    pub retries: RetryLookup,
    pub quarantine: QuarantineLookup,
}

impl Default for CasePolicy {
    /// No retries, nothing quarantined.
    fn default() -> Self {
        CasePolicy {
            retries: Arc::new(|_, _| 0),
            quarantine: Arc::new(|_, _| None),
        }
    }
}

impl CasePolicy {
    /// The same number of retries for every case on every rig.
    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = Arc::new(move |_, _| retries);
        self
    }
}

impl std::fmt::Debug for CasePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CasePolicy { .. }")
    }
}
