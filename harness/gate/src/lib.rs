//! Release gating of `hil`: the nightly plan, blessed baselines, quarantine, the gate policy, run sets merged from shards, and the ABI coverage matrix.
//!
//! ```text
//! reports/<run>/ ...  ─▶ RunSet (shards checked) ─▶ judge(baseline, quarantine, policy) ─▶ GateReport
//!                                    │                                                      ├─ verdict line, exit code
//!                                    └─▶ merged RunReport (hil merge)                        └─ gate.md, report.html section
//! ```
//!
//! Every input (quarantine file, gate policy) is validated like the case
//! files, with file:line:field errors ([`InputError`]); a run set that is
//! not whole (a shard missing or given twice) is an error, never a smaller
//! report ([`RunSetError`]).
#![forbid(unsafe_code)]

mod baseline;
pub mod coverage;
mod gate;
mod input;
mod plan;
mod policy;
mod quarantine;
mod render;
mod runset;

pub use baseline::{figure_key, Baseline, BaselineError, Status, BASELINE_SCHEMA};
pub use gate::{judge, FigureCheck, Finding, GateReport, Kind};
pub use input::{parse_date, today, InputError};
pub use plan::{NightlyPlan, PlanCampaign, PlanRetryRule, PlanSuite};
pub use policy::{GatePolicy, Rule};
pub use quarantine::{pattern_matches, Entry, Quarantine};
pub use render::{html_section, markdown};
pub use runset::{LoadedRun, RunSet, RunSetError};
