//! `reports/<run-id>/`: one directory per run, with `reports/latest` pointing at the newest.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::ReportError;
use crate::html::HtmlSink;
use crate::journal::JournalSink;
use crate::json::JsonSink;
use crate::junit::JunitSink;
use crate::markdown::MarkdownSink;
use crate::sink::FanOut;
use crate::transcripts::TranscriptSink;

/// The directory of one run's reports.
#[derive(Debug, Clone)]
pub struct ReportDir {
    path: PathBuf,
}

impl ReportDir {
    /// Makes `root/<run_id>/` and its `transcripts/`, and points `root/latest` at it.
    ///
    /// Fails if the run directory already exists: mixing two runs' files would make
    /// both unreadable. `latest` is a relative symlink on unix (swapped atomically);
    /// elsewhere a `latest` text file holding the run id.
    pub fn create(root: &Path, run_id: &str) -> Result<ReportDir, ReportError> {
        fs::create_dir_all(root).map_err(|source| ReportError::CreateDir {
            path: root.to_owned(),
            source,
        })?;
        let path = root.join(run_id);
        match fs::create_dir(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(ReportError::RunDirExists { path });
            }
            Err(source) => return Err(ReportError::CreateDir { path, source }),
        }
        let transcripts = path.join("transcripts");
        fs::create_dir(&transcripts).map_err(|source| ReportError::CreateDir {
            path: transcripts,
            source,
        })?;
        point_latest(root, run_id).map_err(|source| ReportError::Latest {
            link: root.join("latest"),
            target: path.clone(),
            source,
        })?;
        Ok(ReportDir { path })
    }

    /// Makes the folder of a new run under `root` and returns it with its run
    /// id, drawing ids from `next_id` (e.g. [`crate::new_run_id`] of the
    /// clock). Two runs started in the same instant draw the same id; the
    /// one that finds the folder taken draws again, so a collision never
    /// stops a run.
    ///
    /// # Errors
    /// What [`ReportDir::create`] reports, other than a taken folder; a
    /// folder still taken after 64 draws.
    pub fn create_new(
        root: &Path,
        mut next_id: impl FnMut() -> String,
    ) -> Result<(ReportDir, String), ReportError> {
        let mut last = None;
        for _ in 0..64 {
            let run_id = next_id();
            match ReportDir::create(root, &run_id) {
                Ok(dir) => return Ok((dir, run_id)),
                Err(e @ ReportError::RunDirExists { .. }) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.expect("64 draws were made"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// events.jsonl, results.json, junit.xml, summary.md, transcripts and
    /// report.html, all writing into this dir. The journal comes first: a
    /// case whose transcript exists is in it.
    pub fn file_sinks(&self) -> FanOut {
        let mut sinks = FanOut::new();
        sinks.add(Box::new(JournalSink::new(&self.path)));
        sinks.add(Box::new(JsonSink::new(&self.path)));
        sinks.add(Box::new(JunitSink::new(&self.path)));
        sinks.add(Box::new(MarkdownSink::new(&self.path)));
        sinks.add(Box::new(TranscriptSink::new(&self.path)));
        sinks.add(Box::new(HtmlSink::new(&self.path)));
        sinks
    }
}

#[cfg(unix)]
fn point_latest(root: &Path, run_id: &str) -> io::Result<()> {
    // A fresh link renamed over the old one: readers always see a valid `latest`.
    let tmp = root.join(format!(".latest-{run_id}.tmp"));
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    std::os::unix::fs::symlink(run_id, &tmp)?;
    fs::rename(&tmp, root.join("latest")).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

#[cfg(not(unix))]
fn point_latest(root: &Path, run_id: &str) -> io::Result<()> {
    fs::write(root.join("latest"), format!("{run_id}\n"))
}
