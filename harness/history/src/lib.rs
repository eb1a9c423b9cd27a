//! The run history of `hil`: every run recorded in one embedded SQLite file (`reports/history.sqlite`).
//!
//! SQLite (bundled by `rusqlite`, so no system library is needed) gives
//! what a lab that runs nightly on many rigs asks of its history: several
//! runs on one host may record at once without corrupting it (WAL journal,
//! a busy timeout, one `IMMEDIATE` transaction per run), and the questions
//! are queries: pass rate and flakiness of a case over its last N runs, the
//! first run of its current failing streak, its duration over time.
#![forbid(unsafe_code)]

mod query;
mod store;

pub use query::{CaseStats, RunPoint};
pub use store::{History, HistoryError};
