//! The engine of `hil`: runs conformance cases on rigs and feeds the report sinks. The one async crate.
//!
//! ```text
//! conformance/*.yaml ─▶ hil_cases::load_suite ─▶ Plan ─▶ run ─▶ one blocking thread per rig:
//!                                                          │      run_case (exec) on a hil_rig::RigSession
//!                                                          ▼ Event stream (one channel, one consumer)
//!            progress (terminal) · results.json · junit.xml · summary.md · transcripts/ · parity.md
//! ```
//!
//! Only the run loop is async (tokio): it fans the rigs out and funnels their
//! events into the sinks in order. The case executor and the sessions are
//! synchronous; a case's time limit is a deadline the session honours.
#![forbid(unsafe_code)]

pub mod exec;
mod needs;
pub mod parity;
mod partition;
mod policy;
mod run;
pub mod selection;

pub use exec::{run_case, run_case_with, CaseRun, Writes};
pub use needs::{host_skip, needs_mosquitto, skip_reason, BROKER_TAG};
pub use parity::{Difference, ParitySink};
pub use partition::partition;
pub use policy::{CasePolicy, QuarantineLookup, RetryLookup};
pub use run::{case_result, run, run_with, Connector, Plan, RunSummary};
pub use selection::Selection;
