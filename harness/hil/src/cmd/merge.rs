//! `hil merge DIR...`: per-host report folders (shards, nightly parts) into one report and one gate verdict.
//!
//! The folders must make one whole set: every shard `k/n` exactly once, no
//! case × rig twice (a duplicate or missing shard is bad input, exit 2).
//! The merged folder is written through the same sinks as a run (its
//! results.json, junit.xml, summary.md, transcripts and report.html read as
//! if one run had done it all); when a baseline exists it is gated too.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hil_report::{run_id_now, Event, ExitCode, ReportDir, Sink};
use hil_runner::ParitySink;

use super::repo::{command_line, find_root, reports_dir};
use super::run::print_summary;
use super::runs::{baseline_path, gate, load_runs, publish, GateInputs};

pub fn merge(
    root: Option<PathBuf>,
    dirs: &[PathBuf],
    reports: &Path,
    inputs: &GateInputs,
) -> Result<ExitCode> {
    let root = find_root(root)?;
    let dirs: Vec<PathBuf> = dirs.iter().map(|d| reports_dir(&root, d)).collect();
    let set = load_runs(&dirs)?;
    let (dir, run_id) = ReportDir::create_new(&reports_dir(&root, reports), run_id_now)
        .context("cannot create the merged report folder")?;
    let merged = set.merged(&run_id, &command_line());
    let mut sinks = dir.file_sinks();
    sinks.add(Box::new(ParitySink::new(dir.path())));
    let mut events = vec![Event::RunStarted(merged.run.clone())];
    for case in &merged.cases {
        events.push(Event::CaseStarted {
            rig: case.rig.clone(),
            case_id: case.case_id.clone(),
        });
        events.push(Event::CaseFinished(case.clone()));
    }
    events.extend(merged.figures.iter().cloned().map(Event::Figure));
    events.push(Event::RunFinished {
        finished_at: merged.finished_at.clone().unwrap_or_default(),
        interrupted: false,
        exit_code: merged.exit_code.unwrap_or(0),
    });
    let mut failed = Vec::new();
    for event in &events {
        if let Err(e) = sinks.on_event(event) {
            for e in e.into_list() {
                let text = e.to_string();
                if !failed.contains(&text) {
                    eprintln!("error: a report file was not written: {text}");
                    failed.push(text);
                }
            }
        }
    }
    println!(
        "merged {} run(s) from {} folder(s): {} result(s)",
        set.runs.len(),
        dirs.len(),
        merged.cases.len()
    );
    print_summary(&merged.cases, false, dir.path());
    if !failed.is_empty() {
        return Ok(ExitCode::RigError);
    }
    super::history::record(&root, &merged)?;
    let mut code = ExitCode::from_results(&merged.cases);
    let gated = inputs.baseline.is_some() || baseline_path(&root, inputs).exists();
    let verdict = if gated {
        let (report, baseline) = gate(&root, &set, inputs)?;
        publish(dir.path(), &report, &baseline)?;
        code = report.exit_code();
        Some((report, baseline))
    } else {
        println!(
            "gate: no baseline ({}): merged without a verdict",
            baseline_path(&root, inputs).display()
        );
        None
    };
    let run_dirs: Vec<&Path> = set.runs.iter().map(|r| r.dir.as_path()).collect();
    super::html::write(
        &root,
        dir.path(),
        &merged,
        &run_dirs,
        verdict.as_ref().map(|(r, b)| (r, b.as_str())),
    )?;
    Ok(code)
}
