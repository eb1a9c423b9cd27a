//! `hil emulate-board`: a QEMU-backed board for a lab engine — two stable serial ports and an HTTP power port — until Ctrl-C.
//!
//! Prints one JSON line, `{"agent_link": "/dev/pts/N", "cloud_link":
//! "/dev/pts/M", "power_url": "http://127.0.0.1:P/power/{index}"}`, for the
//! lab's configuration (a labgrid exporter: two `RawSerialPort`s and a
//! `NetworkPowerPort` with `model: rest`). See `hil_rig::qemu::emulated_board`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use hil_report::ExitCode;
use hil_rig::qemu::emulated_board::serve;
use hil_rig::RigKind;

use super::repo::{find_root, pick_rigs};
use crate::failure::BadInput;
use crate::interrupt;

pub fn emulate_board(root: Option<PathBuf>, rig: &str, listen: &str) -> Result<ExitCode> {
    let root = find_root(root)?;
    let rig = pick_rigs(&root, &[rig.to_owned()])?.remove(0);
    let RigKind::Qemu(config) = rig.kind else {
        return Err(BadInput::one(format!(
            "rig `{}` is not a qemu-an505 rig: the emulated board runs QEMU",
            rig.name
        ))
        .into());
    };
    let stop = interrupt::flag(None);
    serve(config, listen, &stop, |ports| {
        println!(
            "{{\"agent_link\": \"{}\", \"cloud_link\": \"{}\", \"power_url\": \"{}\"}}",
            ports.agent_link, ports.cloud_link, ports.power_url
        );
        let _ = std::io::stdout().flush();
    })?;
    Ok(ExitCode::Passed)
}
