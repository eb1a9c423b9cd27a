//! Snapshots of summary.md and junit.xml for a fixed run, as the files are written.

mod common;

use std::fs;

use common::{full_run, scratch_dir, RUN_ID};
use hil_report::{ReportDir, Sink};

fn written(file: &str) -> String {
    let tmp = scratch_dir(&format!("snap-{file}"));
    let root = tmp.path();
    let dir = ReportDir::create(root, RUN_ID).unwrap();
    let mut sinks = dir.file_sinks();
    for event in full_run() {
        sinks.on_event(&event).unwrap();
    }
    fs::read_to_string(dir.path().join(file)).unwrap()
}

#[test]
fn summary_md() {
    insta::assert_snapshot!(written("summary.md"));
}

#[test]
fn junit_xml() {
    insta::assert_snapshot!(written("junit.xml"));
}

#[test]
fn transcript_of_a_failed_case() {
    insta::assert_snapshot!(written("transcripts/sim/mem-unaligned.txt"));
}
