//! `transcripts/<rig>/<case_id>.txt`: what each case did, readable without any tool.

use std::path::{Path, PathBuf};

use crate::atomic::write_creating_dirs;
use crate::error::ReportError;
use crate::event::{CaseResult, Event};
use crate::sink::Sink;

/// Writes one transcript file per `CaseFinished`.
pub struct TranscriptSink {
    dir: PathBuf,
}

impl TranscriptSink {
    pub fn new(dir: &Path) -> Self {
        TranscriptSink {
            dir: dir.to_owned(),
        }
    }
}

impl Sink for TranscriptSink {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        let Event::CaseFinished(case) = event else {
            return Ok(());
        };
        let path = self.dir.join(transcript_path(&case.rig, &case.case_id));
        write_creating_dirs(&path, render_transcript(case).as_bytes())
    }
}

/// `transcripts/<rig>/<case_id>.txt`, relative to the report directory.
///
/// Names are reduced to `[A-Za-z0-9._-]` (anything else becomes `_`) so an odd rig
/// or case name can never escape the directory or break a Markdown link.
pub fn transcript_path(rig: &str, case_id: &str) -> PathBuf {
    Path::new("transcripts")
        .join(file_name(rig))
        .join(format!("{}.txt", file_name(case_id)))
}

fn file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        format!("_{cleaned}")
    } else {
        cleaned
    }
}

/// The transcript file: header, transcript text, then a `## logs` section if any.
pub fn render_transcript(case: &CaseResult) -> String {
    let mut out = format!(
        "# {} on {}: {}\n",
        case.case_id,
        case.rig,
        case.outcome.status()
    );
    if let Some(detail) = case.outcome.detail() {
        out.push_str(&format!("# {detail}\n"));
    }
    out.push_str(&format!("title: {}\n", case.title));
    out.push_str(&format!("file: {}\n", case.file));
    out.push_str(&format!(
        "spec: \"{}\" ({})\n",
        case.spec.quote, case.spec.source
    ));
    out.push('\n');
    out.push_str(&case.transcript);
    if !case.transcript.ends_with('\n') {
        out.push('\n');
    }
    if !case.logs.is_empty() {
        out.push_str("\n## logs\n");
        for log in &case.logs {
            out.push_str(&format!("{log}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_names_stay_inside_the_transcripts_dir() {
        assert_eq!(
            transcript_path("../etc", "a/b c"),
            Path::new("transcripts/.._etc/a_b_c.txt")
        );
        assert_eq!(
            transcript_path("..", ""),
            Path::new("transcripts/_../_.txt")
        );
    }
}
