//! `hil emulate-board`: a QEMU-backed board for a lab engine — two stable serial ports and an HTTP power port — until Ctrl-C; and its `power`, `flash`, `reset` and `status` controls.
//!
//! Serving, it prints one JSON line, `{"agent_link": "/dev/pts/N",
//! "cloud_link": "/dev/pts/M", "power_url":
//! "http://127.0.0.1:P/power/{index}", "url": "http://127.0.0.1:P"}`, for the
//! lab's configuration (a labgrid exporter: two `RawSerialPort`s and a
//! `NetworkPowerPort` with `model: rest`; or a board rig's `command` power
//! backend and `flash:` and `reset:` actions, `hil emulate-board power URL on|off`,
//! `hil emulate-board flash URL` and `hil emulate-board reset URL`, so no
//! HTTP client is needed on the host).
//! See `hil_rig::qemu::emulated_board`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use hil_report::ExitCode;
use hil_rig::qemu::emulated_board::{control, serve, Control};
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
            "{}",
            serde_json::json!({
                "agent_link": ports.agent_link,
                "cloud_link": ports.cloud_link,
                "power_url": ports.power_url,
                "url": ports.url,
            })
        );
        let _ = std::io::stdout().flush();
    })?;
    Ok(ExitCode::Passed)
}

/// `hil emulate-board power|flash|reset|status URL`: one request to a running
/// board; prints its answer (the power state, or the status JSON). Exit 0
/// when the board did it, 3 when it could not (what it said is the error).
pub fn emulate_board_control(url: &str, what: Control) -> Result<ExitCode> {
    let answer = control(url, what)?;
    // A reader that stops early (`| head`) is no failure of the board's.
    let _ = writeln!(std::io::stdout(), "{answer}");
    Ok(ExitCode::Passed)
}
