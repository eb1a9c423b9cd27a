//! `reports/<run-id>/`: one directory per run, with `reports/latest` pointing at the newest.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::ReportError;
use crate::html::HtmlSink;
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

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// results.json, junit.xml, summary.md, transcripts and report.html, all writing into this dir.
    pub fn file_sinks(&self) -> FanOut {
        let mut sinks = FanOut::new();
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
