//! `hil probe list`: the debug probes this host sees, each with the selector a rig file names it by.

use anyhow::Result;
use hil_report::ExitCode;
use hil_rig::probe::{list_probes, Lister};

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
