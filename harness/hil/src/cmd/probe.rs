//! `hil probe list` and `hil probe flash <rig>`: the debug probes this host sees, and a board flashed through the probe its rig file names.

use std::path::PathBuf;

use anyhow::Result;
use hil_report::ExitCode;
use hil_rig::probe::{dry_run_quietly, list_probes, ImageRole, Lister, ProbeTarget};
use hil_rig::qemu::build_board_images;
use hil_rig::{RigError, RigKind};

use super::repo::{all_rigs, find_root};
use crate::failure::BadInput;

/// Lists the probes; none is an answer too (exit 0), said plainly.
pub fn list() -> Result<ExitCode> {
    let probes = list_probes(&Lister::new());
    if probes.is_empty() {
        println!("no debug probe found (is one plugged in? on Linux, probe-rs's udev rules let this user see it)");
        return Ok(ExitCode::Passed);
    }
    println!("{} debug probe(s); a board's rig file names one as `probe: {{ selector: VID:PID[:serial], chip: ... }}`", probes.len());
    for probe in probes {
        println!("  {probe}");
    }
    Ok(ExitCode::Passed)
}

/// Builds the rig's images (the STM32U585's) and flashes them through the rig's probe
/// (the secure image first, each read back), then resets the part so it
/// boots them; with `dry_run`, only plans them (probe-rs on a mocked core:
/// no probe needed). Prints each plan. A rig without `board.probe` is bad
/// input; a probe or flash that fails is a rig error (3).
pub fn flash(root: Option<PathBuf>, name: &str, dry_run: bool) -> Result<ExitCode> {
    let root = find_root(root)?;
    let Some(rig) = all_rigs(&root)?.into_iter().find(|r| r.name == name) else {
        return Err(BadInput::one(format!("no rig `{name}` (rigs/{name}.yaml)")).into());
    };
    let RigKind::Board(board) = &rig.kind else {
        return Err(BadInput::one(format!(
            "rig `{name}` is not a board: only a board is flashed through a probe"
        ))
        .into());
    };
    let Some(spec) = &board.probe else {
        return Err(BadInput::one(format!(
            "{}: board.probe: the rig names no probe (`probe: {{ selector: \"0483:374e\", chip: STM32U585AIIx }}`)",
            rig.file.display()
        ))
        .into());
    };
    // A rig file with `probe:` names images built for its chip (the rig
    // file's validation refuses any other pair).
    let images = build_board_images(&board.root, board.images)?;
    let plans = if dry_run {
        dry_run_quietly(
            &spec.chip,
            &[
                (ImageRole::Secure, &images.secure),
                (ImageRole::App, &images.agent),
            ],
        )
        .map_err(RigError::from)?
    } else {
        let mut target = ProbeTarget::open(&Lister::new(), spec).map_err(RigError::from)?;
        let plans = target
            .flash(&images.secure, &images.agent, false)
            .map_err(RigError::from)?;
        target.reset().map_err(RigError::from)?;
        plans
    };
    for plan in &plans {
        print!("{plan}");
    }
    if dry_run {
        println!(
            "dry run: planned and checked by probe-rs for {}, nothing written",
            spec.chip
        );
    } else {
        println!("flashed through {} and reset", spec.selector);
    }
    Ok(ExitCode::Passed)
}
