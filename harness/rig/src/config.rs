//! `rigs/<name>.yaml`: deserialized raw, then validated into a [`RigConfig`].

use std::path::{Path, PathBuf};

use hil_report::ExitCode;
use hil_sim::SimConfig;
use serde::Deserialize;

use crate::board::{BoardConfig, FlashBy, LinkAt, RawReset, ResetBy};
use crate::labgrid::Labgrid;
use crate::power::rig_file::RawPower;
use crate::power::PowerBy;
use crate::probe::select::{check_chip, parse_selector};
use crate::probe::ProbeSpec;
use crate::qemu::{ImageBoard, QemuConfig};

/// A validated rig description.
#[derive(Clone, Debug)]
pub struct RigConfig {
    pub name: String,
    pub description: String,
    pub kind: RigKind,
    /// Per-case limit unless the case sets its own.
    pub case_timeout_ms: u64,
    pub file: PathBuf,
}

/// What kind of rig, with its kind-specific settings.
#[derive(Clone, Debug)]
pub enum RigKind {
    Sim(SimConfig),
    Qemu(QemuConfig),
    /// A device the lab powers and connects (a labgrid place, serial ports).
    Board(Box<BoardConfig>),
}

impl RigKind {
    /// The firmware images this rig runs: the AN505's under QEMU, a board's
    /// as its rig file names them (`board.images`); `None` for the sim,
    /// which runs no image. Everything board-specific the harness needs
    /// (the binaries, the app's code base) follows from it.
    pub fn image_board(&self) -> Option<ImageBoard> {
        match self {
            RigKind::Sim(_) => None,
            RigKind::Qemu(_) => Some(ImageBoard::An505),
            RigKind::Board(b) => Some(b.images),
        }
    }

    /// The images this rig runs, as a case's `skip:` names them
    /// (`hil_cases::SKIP_IMAGES`): a reason to skip holds wherever the same
    /// images run, so a board running the AN505 images skips what
    /// `qemu-an505` skips without cases listing boards by name.
    pub fn images(&self) -> &'static str {
        self.image_board().map_or("sim", ImageBoard::name)
    }
}

/// A rig file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {field}{}{message}", .line.map(|l| format!(":{l}")).unwrap_or_default(), if .field.is_empty() { "" } else { ": " })]
pub struct RigConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

impl RigConfigError {
    /// A rig file that cannot be used is bad config: exit code 2, nothing runs.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::BadInput
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRig {
    name: String,
    kind: String,
    #[serde(default)]
    description: String,
    case_timeout_ms: Option<u64>,
    sim: Option<RawSim>,
    qemu: Option<RawQemu>,
    board: Option<RawBoard>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBoard {
    /// The repository whose images the board runs (default: this one).
    firmware: Option<PathBuf>,
    /// Which images it runs (`an505`, `stm32u585`); required. Read as
    /// any value so that a wrong type is refused listing the names too.
    images: Option<serde_yaml::Value>,
    labgrid: Option<RawLabgrid>,
    // `{ labgrid: agent }` rather than serde_yaml's `!labgrid agent`.
    #[serde(with = "serde_yaml::with::singleton_map")]
    agent_link: RawLink,
    #[serde(with = "serde_yaml::with::singleton_map")]
    cloud_link: RawLink,
    power: RawPower,
    /// How the factory image is written to the board (a flasher command).
    flash: Option<RawFlash>,
    /// How the board is reset between cases (`probe`, or a command).
    reset: Option<RawReset>,
    boot_timeout_ms: Option<u64>,
    exec_timeout_ms: Option<u64>,
    probe: Option<RawProbe>,
}

/// `flash: { command: [probe-rs, download, ...] }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlash {
    command: Vec<String>,
}

/// `probe: { selector: "0483:374e", chip: STM32U585AIIx }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProbe {
    selector: String,
    chip: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabgrid {
    coordinator: String,
    place: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum RawLink {
    Serial(String),
    Labgrid(String),
    /// `cloud_link: rtt`: through the debug probe.
    Rtt,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawQemu {
    /// The repository whose images QEMU runs (default: this one).
    firmware: Option<PathBuf>,
    binary: Option<String>,
    machine: Option<String>,
    boot_timeout_ms: Option<u64>,
    exec_timeout_ms: Option<u64>,
    #[serde(default)]
    extra_args: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSim {
    seed: Option<u64>,
    device_id: Option<String>,
}

const DEFAULT_CASE_TIMEOUT_MS: u64 = 10_000;

/// Load every `*.yaml` in `dir`, sorted by name.
pub fn load_rigs(dir: &Path) -> Result<Vec<RigConfig>, Vec<RigConfigError>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect(),
        Err(e) => {
            return Err(vec![RigConfigError {
                file: dir.display().to_string(),
                line: None,
                field: String::new(),
                message: format!("cannot read the rigs folder: {e}"),
            }])
        }
    };
    files.sort();
    let (mut rigs, mut errors) = (Vec::new(), Vec::new());
    for file in files {
        match load_rig(&file) {
            Ok(rig) => rigs.push(rig),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(rigs)
    } else {
        Err(errors)
    }
}

fn load_rig(file: &Path) -> Result<RigConfig, RigConfigError> {
    let label = file.display().to_string();
    let error = |line: Option<usize>, field: &str, message: String| RigConfigError {
        file: label.clone(),
        line,
        field: field.to_owned(),
        message,
    };
    let text =
        std::fs::read_to_string(file).map_err(|e| error(None, "", format!("cannot read: {e}")))?;
    let de = serde_yaml::Deserializer::from_str(&text);
    let raw: RawRig = serde_path_to_error::deserialize(de).map_err(|e| {
        let line = e.inner().location().map(|l| l.line());
        let field = e.path().to_string();
        error(
            line,
            if field == "." { "" } else { &field },
            e.into_inner().to_string(),
        )
    })?;
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    let at = |field: &str| line_of(&text, field);
    if raw.name != stem {
        return Err(error(
            at("name"),
            "name",
            format!("`{}` must match the file name `{stem}`", raw.name),
        ));
    }
    // A limit of 0 would end every case (or boot, or request) before it
    // started; cases refuse `timeout_ms: 0` for the same reason.
    let positive = |field: &str, value: Option<u64>| match value {
        Some(0) => Err(error(
            at(field),
            field,
            "must be at least 1 ms (0 would end every wait at once)".into(),
        )),
        _ => Ok(()),
    };
    positive("case_timeout_ms", raw.case_timeout_ms)?;
    if let Some(q) = &raw.qemu {
        positive("qemu.boot_timeout_ms", q.boot_timeout_ms)?;
        positive("qemu.exec_timeout_ms", q.exec_timeout_ms)?;
    }
    let kind = match raw.kind.as_str() {
        "sim" => {
            let sim = raw.sim.unwrap_or(RawSim {
                seed: None,
                device_id: None,
            });
            let mut config = SimConfig::default();
            if let Some(seed) = sim.seed {
                config.seed = seed;
            }
            if let Some(id) = sim.device_id {
                config.device_id = id.as_bytes().try_into().map_err(|_| {
                    error(
                        at("sim.device_id"),
                        "sim.device_id",
                        format!("must be 34 ASCII characters, got {}", id.len()),
                    )
                })?;
            }
            RigKind::Sim(config)
        }
        "qemu-an505" => {
            let q = raw.qemu.unwrap_or_default();
            let root = file
                .parent()
                .and_then(Path::parent)
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            RigKind::Qemu(QemuConfig {
                binary: PathBuf::from(q.binary.unwrap_or_else(|| "qemu-system-arm".into())),
                machine: q.machine.unwrap_or_else(|| "mps2-an505".into()),
                root: q.firmware.map_or(root.clone(), |f| root.join(f)),
                boot_timeout: std::time::Duration::from_millis(q.boot_timeout_ms.unwrap_or(10_000)),
                exec_timeout: std::time::Duration::from_millis(q.exec_timeout_ms.unwrap_or(5_000)),
                extra_args: q.extra_args,
            })
        }
        "board" => {
            let Some(b) = raw.board else {
                return Err(error(
                    None,
                    "board",
                    "a board rig needs a `board:` section (agent_link, cloud_link, power)".into(),
                ));
            };
            let root = file
                .parent()
                .and_then(Path::parent)
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            let labgrid = b.labgrid.map(|l| Labgrid {
                coordinator: l.coordinator,
                place: l.place,
            });
            let link = |raw: RawLink| match raw {
                RawLink::Serial(path) => LinkAt::Serial(path),
                RawLink::Labgrid(name) => LinkAt::Labgrid(name),
                RawLink::Rtt => LinkAt::Rtt,
            };
            let (agent_link, cloud_link) = (link(b.agent_link), link(b.cloud_link));
            if agent_link == LinkAt::Rtt {
                return Err(error(
                    at("board.agent_link"),
                    "board.agent_link",
                    "the agent link runs over a UART (`{ serial: PATH }` or `{ labgrid: NAME }`); RTT carries the cloud link and the secure image's log (`cloud_link: rtt`)".into(),
                ));
            }
            let (power, settle) = b
                .power
                .validate()
                .map_err(|e| error(at(&e.field), &e.field, e.message))?;
            let flash = match b.flash {
                None => None,
                Some(RawFlash { command }) if command.is_empty() => return Err(error(
                    at("board.flash.command"),
                    "board.flash.command",
                    "must be a program and its arguments that write the factory image to the board"
                        .into(),
                )),
                Some(RawFlash { command }) => Some(FlashBy::Command(command)),
            };
            let uses_labgrid = power == PowerBy::Labgrid
                || matches!(agent_link, LinkAt::Labgrid(_))
                || matches!(cloud_link, LinkAt::Labgrid(_));
            if uses_labgrid && labgrid.is_none() {
                return Err(error(
                    None,
                    "board.labgrid",
                    "links or power through labgrid need `labgrid: { coordinator: HOST:PORT, place: NAME }`".into(),
                ));
            }
            let probe = match b.probe {
                None => None,
                Some(p) => {
                    let selector = parse_selector(&p.selector).map_err(|e| {
                        error(
                            at("board.probe.selector"),
                            "board.probe.selector",
                            e.to_string(),
                        )
                    })?;
                    check_chip(&p.chip).map_err(|e| {
                        error(at("board.probe.chip"), "board.probe.chip", e.to_string())
                    })?;
                    Some(Box::new(ProbeSpec {
                        selector,
                        chip: p.chip,
                    }))
                }
            };
            let chip = probe.as_ref().map(|p| p.chip.as_str());
            let images = board_images(b.images.as_ref(), chip, &cloud_link)
                .map_err(|(field, message)| error(at(field).or(at("board")), field, message))?;
            if cloud_link == LinkAt::Rtt && probe.is_none() {
                return Err(error(
                    at("board.cloud_link"),
                    "board.cloud_link",
                    "`rtt` is read through the debug probe: add `probe: { selector: VID:PID[:SERIAL], chip: CHIP }`".into(),
                ));
            }
            let reset = b
                .reset
                .map(|r| r.validate(probe.is_some()))
                .transpose()
                .map_err(|e| error(at(e.field), e.field, e.message))?;
            if reset == Some(ResetBy::Probe) && cloud_link == LinkAt::Rtt {
                return Err(error(
                    at("board.reset"),
                    "board.reset",
                    "`reset: probe` cannot go with `cloud_link: rtt` yet: the RTT link holds the probe while the board runs; name a reset command, or leave `reset:` out to power-cycle between cases".into(),
                ));
            }
            RigKind::Board(Box::new(BoardConfig {
                root: b.firmware.map_or(root.clone(), |f| root.join(f)),
                images,
                boot_timeout: std::time::Duration::from_millis(b.boot_timeout_ms.unwrap_or(20_000)),
                exec_timeout: std::time::Duration::from_millis(b.exec_timeout_ms.unwrap_or(15_000)),
                labgrid,
                agent_link,
                cloud_link,
                power,
                settle,
                flash,
                reset,
                probe,
                wait_for_lock: false,
            }))
        }
        other => {
            return Err(error(
                at("kind"),
                "kind",
                format!("unknown rig kind `{other}` (this build knows: sim, qemu-an505, board)"),
            ))
        }
    };
    Ok(RigConfig {
        name: raw.name,
        description: raw.description,
        kind,
        case_timeout_ms: raw.case_timeout_ms.unwrap_or(DEFAULT_CASE_TIMEOUT_MS),
        file: file.to_owned(),
    })
}

/// `board.images`, validated: named (a board that silently ran other
/// images than the harness builds, deploys and reads would fail every
/// update case for no visible reason), known, and consistent with the
/// probe and the cloud link. An error is `(field, message)`.
fn board_images(
    given: Option<&serde_yaml::Value>,
    probe_chip: Option<&str>,
    cloud_link: &LinkAt,
) -> Result<ImageBoard, (&'static str, String)> {
    let known = || {
        ImageBoard::ALL
            .iter()
            .map(|b| format!("`{}`", b.name()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(given) = given else {
        return Err((
            "board.images",
            format!(
                "a board rig names the images it runs, one of {}: `an505` for QEMU as a board (`hil emulate-board`), `stm32u585` for an STM32U585 part",
                known()
            ),
        ));
    };
    let images = match given {
        serde_yaml::Value::String(name) => ImageBoard::from_name(name).ok_or_else(|| {
            (
                "board.images",
                format!("no images called `{name}`; this build knows {}", known()),
            )
        }),
        other => Err((
            "board.images",
            format!(
                "must name the images, one of {}, not {}",
                known(),
                serde_yaml::to_string(other)
                    .map_or_else(|_| "this".into(), |t| format!("`{}`", t.trim()))
            ),
        )),
    }?;
    match (images.chip_prefix(), probe_chip) {
        (None, Some(_)) => {
            return Err((
                "board.images",
                format!(
                    "the `{}` images run under QEMU only, which no debug probe reaches; a board with `probe:` runs `stm32u585`",
                    images.name()
                ),
            ))
        }
        (Some(prefix), Some(chip)) if !chip.to_ascii_uppercase().starts_with(prefix) => {
            return Err((
                "board.probe.chip",
                format!(
                    "`{chip}` is not a part the `{}` images are built for (a {prefix}…); fix the chip or board.images",
                    images.name()
                ),
            ))
        }
        _ => {}
    }
    if *cloud_link == LinkAt::Rtt && images.chip_prefix().is_none() {
        return Err((
            "board.cloud_link",
            format!(
                "the `{}` images carry the cloud link on a UART (`{{ serial: PATH }}`); RTT is the STM32U585 image's",
                images.name()
            ),
        ));
    }
    Ok(images)
}

impl RigConfig {
    /// Whether this rig can run here: for a `qemu-an505` rig, its QEMU
    /// binary exists (a path that names a file, or a name found on `PATH`).
    /// A rig that cannot run is bad config — exit 2, nothing runs — not a
    /// rig error mid-run.
    pub fn check_runnable(&self) -> Result<(), RigConfigError> {
        let RigKind::Qemu(q) = &self.kind else {
            return Ok(());
        };
        if find_program(&q.binary) {
            return Ok(());
        }
        let text = std::fs::read_to_string(&self.file).unwrap_or_default();
        let given = line_of(&text, "qemu.binary");
        let message = if given.is_some() {
            format!(
                "`{}` is not an executable file here; install QEMU (Debian: `apt-get install qemu-system-arm`) or point qemu.binary at it",
                q.binary.display()
            )
        } else {
            format!(
                "`{}` (the default) is not on PATH; install QEMU (Debian: `apt-get install qemu-system-arm`) or set qemu.binary",
                q.binary.display()
            )
        };
        Err(RigConfigError {
            file: self.file.display().to_string(),
            line: given,
            field: "qemu.binary".into(),
            message,
        })
    }
}

/// Is `program` an executable file: a path as given, or a bare name on `PATH`?
pub(crate) fn find_program(program: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    let executable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.components().count() > 1 {
        return executable(program);
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| executable(&dir.join(program))))
}

/// The 1-based line of `field` (`case_timeout_ms`, `qemu.binary`,
/// `board.power.scpi.baud`) in a rig file: each key found under its parent
/// key's block, or on the parent's line in flow style (`{ baud: 0 }`).
/// `None` when the file does not spell it out.
fn line_of(text: &str, field: &str) -> Option<usize> {
    let mut parts = field.split('.');
    let first = parts.next()?;
    let key = |line: &str, name: &str| {
        line.trim_start()
            .strip_prefix(name)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    };
    let indent = |line: &str| line.len() - line.trim_start().len();
    let lines: Vec<&str> = text.lines().collect();
    let mut at = lines
        .iter()
        .position(|l| !l.starts_with([' ', '\t', '#']) && key(l, first))?;
    for part in parts {
        if lines[at].contains(&format!("{part}:")) {
            return Some(at + 1);
        }
        let parent = indent(lines[at]);
        at += 1 + lines[at + 1..]
            .iter()
            .take_while(|l| {
                l.trim().is_empty() || l.trim_start().starts_with('#') || indent(l) > parent
            })
            .position(|l| key(l, part))?;
    }
    Some(at + 1)
}

#[cfg(test)]
mod tests;
