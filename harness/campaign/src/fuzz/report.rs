//! `fuzz.md`: what ran, how fast, every finding with its replay command, and which calls the stream reached.

use std::fmt::Write as _;

use super::stream::{slot_name, StreamResult};
use super::FuzzConfig;

/// The paragraph at the top of `fuzz.md` (and printed).
pub(crate) fn header(
    rig: &str,
    cfg: &FuzzConfig,
    calls: u64,
    seconds: f64,
    findings: usize,
    guarded: bool,
) -> String {
    let checks = if guarded {
        "after every batch the kernel answered mvNoOp and secure memory outside the kernel's state, app code and the NVM were compared with their start (read through QEMU's monitor)"
    } else {
        "after every call the sim's memory model reported any access the kernel made outside app memory (it refuses them), and after every batch the kernel answered mvNoOp"
    };
    format!(
        "Rig `{rig}`: {calls} of {} calls from seed {:#x} in {seconds:.1} s ({:.0} calls/s); {findings} finding(s). \
         Every call: a slot from 0 to 135 (the 128 entries of the NSC table and 8 past it), arguments from the attacker's classes (NULL, wrapping, arena, the end of app RAM and past it, secure, unmapped, flash, sizes, enums, handles), \
         half of them aimed at an ABI struct planted with nested pointers; r0 must be an MvStatus and not LATEFAULT (a LATEFAULT the sim's board saw come from its bus-error window is documented and counted apart), and a refused call must leave the arenas unchanged; {checks}.",
        cfg.calls,
        cfg.seed,
        calls as f64 / seconds.max(1e-9)
    )
}

/// The whole page.
pub fn markdown(rig: &str, header: &str, streams: &[StreamResult], interrupted: bool) -> String {
    let mut out = format!("# Kernel boundary fuzz ({rig})\n\n");
    if interrupted {
        out.push_str("**Interrupted** (Ctrl-C or SIGTERM): the streams stopped after the batch under way.\n\n");
    }
    let _ = writeln!(out, "{header}\n");
    out.push_str("| stream | seed | calls | planned | seconds | calls/s | findings | ended early |\n|---:|---|---:|---:|---:|---:|---:|---|\n");
    for r in streams {
        let _ = writeln!(
            out,
            "| {} | `{:#x}` | {} | {} | {:.1} | {:.0} | {} | {} |",
            r.stream,
            r.seed,
            r.calls,
            r.planned,
            r.seconds,
            r.calls as f64 / r.seconds.max(1e-9),
            r.findings.len() as u64 + r.unlisted,
            r.ended.as_deref().unwrap_or("").replace('|', "\\|")
        );
    }
    let window: u64 = streams.iter().map(|r| r.window_latefaults).sum();
    if window > 0 {
        let _ = writeln!(
            out,
            "\n{window} call(s) answered `LATEFAULT` after the board's bus-error window refused the kernel's access (documented in firmware/ABI.md §2, not findings)."
        );
    }
    let findings: Vec<_> = streams.iter().flat_map(|r| &r.findings).collect();
    let _ = writeln!(out, "\n## Findings: {}\n", findings.len());
    for f in findings.iter().take(200) {
        let _ = writeln!(
            out,
            "- call {} (seed `{:#x}`): {}{}  \n  replay: `{}`",
            f.index,
            f.seed,
            f.what,
            f.call
                .as_deref()
                .map(|c| format!(": `{c}`"))
                .unwrap_or_default(),
            f.replay
        );
    }
    let mut okay = vec![0u64; mv_proto::FUZZ_SLOTS as usize];
    for r in streams {
        for (t, n) in okay.iter_mut().zip(&r.okay) {
            *t += n;
        }
    }
    out.push_str("\n## Calls that succeeded (`OKAY`), by slot\n\n| slot | OKAY |\n|---|---:|\n");
    for (slot, n) in okay.iter().enumerate().filter(|(_, n)| **n > 0) {
        let _ = writeln!(out, "| {} | {n} |", slot_name(slot as u32));
    }
    let never: Vec<String> = okay
        .iter()
        .enumerate()
        .filter(|(slot, n)| **n == 0 && (*slot as u32) < mv_abi::SLOT_COUNT)
        .map(|(slot, _)| slot_name(slot as u32))
        .collect();
    let _ = writeln!(
        out,
        "\nNever `OKAY` (not implemented, or no random call got past their checks): {}",
        if never.is_empty() {
            "none".to_owned()
        } else {
            never.join(", ")
        }
    );
    out
}
