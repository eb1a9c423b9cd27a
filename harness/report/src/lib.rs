//! Stable report schema and file sinks of `hil`: one event stream, many consumers.
//!
//! The engine emits [`Event`]s; every output (results.json, junit.xml, summary.md,
//! per-case transcripts, report.html, the terminal) is a [`Sink`] of that same stream, so no
//! output ever has to parse another one's text. `events.jsonl` ([`JournalSink`]) records
//! every finished case at once; the whole-file reports are rewritten on a [`cadence`]. `results.json` follows a versioned
//! schema ([`SCHEMA_VERSION`], `reports/README.md`): within a version fields are only
//! ever added; a breaking change bumps the version. [`ExitCode`] holds the
//! documented exit codes, which `results.json` records.
#![forbid(unsafe_code)]

mod atomic;
pub mod cadence;
mod dir;
mod error;
mod event;
mod exit;
mod host;
pub mod html;
mod journal;
mod json;
mod junit;
mod markdown;
pub mod parity;
mod run_id;
mod schema;
mod sink;
mod transcripts;

pub use dir::ReportDir;
pub use error::ReportError;
pub use event::{
    Attempt, CampaignPoint, CaseResult, Event, Figure, LogLine, Outcome, Partition, PartitionKind,
    QuarantineMark, RunInfo, SpecCitation,
};
pub use exit::ExitCode;
pub use host::host_name;
pub use html::{render_html, svg, write_html, HtmlSection, HtmlSink};
pub use journal::{complete_from_journal, JournalSink, JOURNAL};
pub use json::JsonSink;
pub use junit::{junit_report, JunitSink};
pub use markdown::{render_summary, MarkdownSink};
pub use run_id::{new_run_id, run_id_now};
pub use schema::{results_json_schema, RigSummary, RunReport, RunStatus, Summary, SCHEMA_VERSION};
pub use sink::{FanOut, Sink};
pub use transcripts::{render_transcript, transcript_path, TranscriptSink};
