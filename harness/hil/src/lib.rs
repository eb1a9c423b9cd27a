//! The `hil` engine: runs conformance cases on rigs and writes reports.
//!
//! ```text
//! conformance/*.yaml ─▶ hil_cases::load_suite ─▶ runner::run ─▶ rig sessions (sim, ...)
//!                                                     │
//!                                                     ▼ Event stream
//!                             progress (terminal) · results.json · junit.xml · summary.md · transcripts/
//! ```
//!
//! The library is the engine; `src/main.rs` is a thin CLI over it.
#![forbid(unsafe_code)]

pub mod bench;
pub mod campaign_run;
pub mod exec;
pub mod ota;
pub mod overrun;
pub mod overrun_report;
pub mod parity;
pub mod progress;
pub mod rig;
pub mod runner;
pub mod selection;

pub use hil_report::ExitCode;
