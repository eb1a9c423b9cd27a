//! `hil rig check <rig>`: a doctor — one checklist line per thing the rig needs, each failure saying what to do next.
//!
//! Nothing is switched or flashed: a board's probe (if its rig file names
//! one) is found and attached, and the images are planned with a dry run;
//! the power backend is asked whether it answers (a program on PATH, a hub that lists the port, a supply that
//! answers its query), serial ports are opened and closed, a labgrid place
//! is looked at without acquiring it. Exit 0 when every check passed, 3
//! (rig error) when one failed; a rig file that cannot be read is bad
//! input (2), as for every command.

use std::path::{Path, PathBuf};

use anyhow::Result;
use hil_report::ExitCode;
use hil_rig::board::{BoardConfig, LinkAt};
use hil_rig::power::PowerBy;
use hil_rig::probe::{dry_run_quietly, find_probe, ImageRole, Lister, ProbeSpec, ProbeTarget};
use hil_rig::qemu::{
    build_board_images, ensure_target, installed, ImageBoard, Images, QemuConfig, BAUD,
};
use hil_rig::{u585_elf, RigConfig, RigError, RigKind};

use super::repo::{all_rigs, find_root};
use crate::failure::BadInput;

/// One line of the checklist.
struct Check {
    what: String,
    result: Verdict,
}

enum Verdict {
    Ok(String),
    /// Why, and what to do next.
    Failed(String, String),
    /// Not checked here, and why.
    Skipped(String),
}

pub fn rig_check(root: Option<PathBuf>, name: &str) -> Result<ExitCode> {
    let root = find_root(root)?;
    let rigs = all_rigs(&root)?;
    let Some(rig) = rigs.into_iter().find(|r| r.name == name) else {
        return Err(BadInput::one(format!("no rig `{name}` (rigs/{name}.yaml)")).into());
    };
    let file = rig.file.display().to_string();
    let (kind, checks) = match &rig.kind {
        RigKind::Sim(_) => (
            "sim",
            vec![Check {
                what: "the sim".into(),
                result: Verdict::Ok("runs in this process: nothing to check".into()),
            }],
        ),
        RigKind::Qemu(q) => ("qemu-an505", qemu_checks(&rig, q)),
        RigKind::Board(b) => ("board", board_checks(b, &file)),
    };
    println!("rig `{}` ({kind}, {file})", rig.name);
    let mut failed = 0;
    for check in &checks {
        match &check.result {
            Verdict::Ok(detail) => println!("  ok    {}: {detail}", check.what),
            Verdict::Skipped(why) => println!("  skip  {}: {why}", check.what),
            Verdict::Failed(why, next) => {
                failed += 1;
                println!("  FAIL  {}: {why}", check.what);
                println!("        next: {next}");
            }
        }
    }
    if failed == 0 {
        println!("every check passed");
        Ok(ExitCode::Passed)
    } else {
        println!("{failed} of {} checks failed", checks.len());
        Ok(ExitCode::RigError)
    }
}

fn qemu_checks(rig: &RigConfig, q: &QemuConfig) -> Vec<Check> {
    let binary = q.binary.display();
    let qemu = match rig.check_runnable() {
        Err(e) => Verdict::Failed(
            e.message,
            format!("then run `hil rig check {}` again", rig.name),
        ),
        Ok(()) if !installed(&q.binary) => Verdict::Failed(
            format!("`{binary} --version` does not succeed"),
            "reinstall QEMU (Debian: `apt-get install qemu-system-arm`)".into(),
        ),
        Ok(()) => Verdict::Ok(format!("`{binary} --version` runs")),
    };
    vec![
        Check {
            what: "QEMU".into(),
            result: qemu,
        },
        target_check(&q.root),
    ]
}

fn target_check(root: &Path) -> Check {
    Check {
        what: "firmware target".into(),
        result: match ensure_target(root) {
            Ok(()) => Verdict::Ok(format!("{} is installed", hil_rig::qemu::TARGET)),
            Err(e) => Verdict::Failed(why(&e), "install it as the line says".into()),
        },
    }
}

fn board_checks(board: &BoardConfig, file: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    let place_ok = board.labgrid.as_ref().map(|lg| {
        let result = match lg.show() {
            Ok(_) => Verdict::Ok(format!("the coordinator at {} knows it", lg.coordinator)),
            Err(e) => Verdict::Failed(
                why(&e),
                format!(
                    "start the coordinator, or fix board.labgrid in {file}; `labgrid-client -x {} places` lists the places",
                    lg.coordinator
                ),
            ),
        };
        let ok = matches!(result, Verdict::Ok(_));
        checks.push(Check {
            what: format!("labgrid place `{}`", lg.place),
            result,
        });
        ok
    });
    let (image_lines, images) = image_checks(&board.root, board.images);
    checks.extend(image_lines);
    for (field, link) in [
        ("agent_link", &board.agent_link),
        ("cloud_link", &board.cloud_link),
    ] {
        checks.push(link_check(field, link, file));
    }
    checks.push(Check {
        what: format!("power ({})", board.power.kind()),
        result: match (&board.power, place_ok) {
            (PowerBy::Labgrid, Some(false)) => {
                Verdict::Skipped("the labgrid place does not answer (above)".into())
            }
            (power, _) => match power.check() {
                Ok(detail) => Verdict::Ok(detail),
                Err(e) => Verdict::Failed(
                    why(&e),
                    format!("fix board.power in {file} (this check switches nothing)"),
                ),
            },
        },
    });
    checks.push(Check {
        what: "reset".into(),
        result: match &board.reset {
            None => Verdict::Skipped(
                "the rig file names none (board.reset): every case power-cycles the board".into(),
            ),
            Some(reset) => match reset.check() {
                Ok(detail) => Verdict::Ok(format!("{}: {detail}", reset.kind())),
                Err(e) => Verdict::Failed(
                    why(&e),
                    format!("fix board.reset in {file} (this check resets nothing)"),
                ),
            },
        },
    });
    match &board.probe {
        None => checks.push(Check {
            what: "probe".into(),
            result: Verdict::Skipped(
                "the rig file names none (board.probe): flashing the images is the lab's step"
                    .into(),
            ),
        }),
        Some(spec) => checks.extend(probe_checks(spec, images.as_ref(), file)),
    }
    checks
}

/// The probe is on this host, attaches to its chip, and probe-rs plans
/// both images inside the chip's flash (a dry run: nothing is written).
fn probe_checks(spec: &ProbeSpec, images: Option<&Images>, file: &str) -> Vec<Check> {
    let lister = Lister::new();
    let found = find_probe(&lister, &spec.selector);
    let attached = match &found {
        Err(_) => Verdict::Skipped("no probe (above)".into()),
        Ok(_) => match ProbeTarget::open(&lister, spec) {
            Ok(target) => Verdict::Ok(format!("{} answers through {}", target.chip(), spec.selector)),
            Err(e) => Verdict::Failed(
                e.to_string(),
                format!("power the board and check its debug cable; board.probe.chip in {file} must name its part"),
            ),
        },
    };
    let found = match found {
        Ok(probe) => Verdict::Ok(probe.to_string()),
        Err(e) => Verdict::Failed(
            e.to_string(),
            format!("connect the probe, or fix board.probe.selector in {file}"),
        ),
    };
    let planned = match images {
        None => Verdict::Skipped("the images did not build".into()),
        Some(images) => match dry_run_quietly(
            &spec.chip,
            &[(ImageRole::Secure, &images.secure), (ImageRole::App, &images.agent)],
        ) {
            Ok(plans) => Verdict::Ok(
                plans
                    .iter()
                    .map(|p| {
                        let span = p.span().unwrap_or(0..0);
                        format!(
                            "{} {:#010x}..{:#010x} ({} bytes, {})",
                            p.role.name(),
                            span.start,
                            span.end,
                            p.bytes(),
                            p.blocks.first().map_or("-", |b| b.algorithm.as_str())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Err(e) => Verdict::Failed(
                e.to_string(),
                "fix the link addresses (the images' memory-stm32u585.x) to match mv_boards::stm32u585".into(),
            ),
        },
    };
    vec![
        Check {
            what: format!("probe found ({})", spec.selector),
            result: found,
        },
        Check {
            what: format!("target attached ({})", spec.chip),
            result: attached,
        },
        Check {
            what: format!(
                "images fit the flash map (probe-rs dry run for {})",
                spec.chip
            ),
            result: planned,
        },
    ]
}

/// The images the rig names build, and fit the board: the STM32U585 pair
/// its flash map, the AN505 agent QEMU's app region; the images, if they
/// built.
fn image_checks(root: &Path, board: ImageBoard) -> (Vec<Check>, Option<Images>) {
    let built = build_board_images(root, board);
    let (secure, agent) = board.binaries();
    let build = Check {
        what: format!("firmware images `{}` ({secure}, {agent})", board.name()),
        result: match &built {
            Ok(_) => Verdict::Ok(format!("built in {}", root.display())),
            Err(e) => Verdict::Failed(
                why(e),
                format!(
                    "run `cargo build --release --target {} -p mv-secure -p mv-agent` in {} and fix what it says",
                    hil_rig::qemu::TARGET,
                    root.display()
                ),
            ),
        },
    };
    let fit = match board {
        ImageBoard::Stm32u585 => u585_fit(&built),
        ImageBoard::An505 => Check {
            what: "AN505 agent loads at QEMU's app region".into(),
            result: match &built {
                Err(_) => Verdict::Skipped("the images did not build".into()),
                Ok(images) => match board.agent_rom(&images.agent) {
                    Ok(rom) => Verdict::Ok(format!(
                        "{} bytes at {:#010x}",
                        rom.len(),
                        board.app_code_base()
                    )),
                    Err(e) => Verdict::Failed(
                        why(&e),
                        "fix the agent's link address (firmware/agent's memory.x) to match mv_boards::an505".into(),
                    ),
                },
            },
        },
    };
    (vec![build, fit], built.ok())
}

/// The STM32U585 pair fits the part's flash map (its ELF checks).
fn u585_fit(built: &Result<Images, RigError>) -> Check {
    Check {
        what: "STM32U585 images fit the part's flash map".into(),
        result: match built {
            Err(_) => Verdict::Skipped("the images did not build".into()),
            Ok(images) => {
                let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
                let problems: Vec<String> = match (read(&images.secure), read(&images.agent)) {
                    (Ok(secure), Ok(agent)) => u585_elf::check_secure(&secure)
                        .into_iter()
                        .chain(u585_elf::check_agent(&agent))
                        .collect(),
                    (Err(e), _) | (_, Err(e)) => vec![e],
                };
                if problems.is_empty() {
                    Verdict::Ok("NSC table at 0x0C1F_E000, vector table at 0x0800_0000, everything inside its region".into())
                } else {
                    Verdict::Failed(
                        problems.join("; "),
                        "fix the link addresses (firmware/boards, the images' memory.x) to match mv_boards::stm32u585".into(),
                    )
                }
            }
        },
    }
}

fn link_check(field: &str, link: &LinkAt, file: &str) -> Check {
    let what = match link {
        LinkAt::Serial(path) => format!("{field} serial port {path}"),
        LinkAt::Labgrid(name) => format!("{field} labgrid serial port `{name}`"),
        LinkAt::Rtt => format!("{field} over RTT"),
    };
    let result = match link.try_open() {
        None if *link == LinkAt::Rtt => {
            Verdict::Skipped("read through the probe: its checks are below".into())
        }
        None => Verdict::Skipped("served by the labgrid place: opened when a run acquires it".into()),
        Some(Ok(())) => Verdict::Ok(format!("opens at {BAUD} baud")),
        Some(Err(e)) => Verdict::Failed(
            why(&e),
            format!(
                "plug the board in and check the path (`ls /dev/serial/by-id/`), that no other program holds the port, and board.{field} in {file}"
            ),
        ),
    };
    Check { what, result }
}

/// The message of a rig error, without the "link failed" preamble that
/// reads oddly on a checklist line.
fn why(error: &RigError) -> String {
    match error {
        RigError::Link(message) => message.clone(),
        other => other.to_string(),
    }
}
