//! Rig files: what loads, and what is refused naming its file, line and field.

use super::{load_rigs, RigConfig, RigKind};
use crate::board::BoardConfig;

/// A `rigs/` folder holding `files`; everything goes when the value is dropped.
struct RigsDir {
    _tmp: tempfile::TempDir,
    rigs: std::path::PathBuf,
}

impl std::ops::Deref for RigsDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.rigs
    }
}

fn rigs_dir(name: &str, files: &[(&str, &str)]) -> RigsDir {
    let tmp = tempfile::Builder::new()
        .prefix(&format!("hil-rig-config-{name}-"))
        .tempdir()
        .unwrap();
    let rigs = tmp.path().join("rigs");
    std::fs::create_dir_all(&rigs).unwrap();
    for (file, text) in files {
        std::fs::write(rigs.join(file), text).unwrap();
    }
    RigsDir { _tmp: tmp, rigs }
}

/// The errors loading `dir` gives, as a person reads them.
fn load_errors(dir: &RigsDir) -> Vec<String> {
    load_rigs(dir)
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The board of a rig that must be one.
fn board_of(rig: &RigConfig) -> &BoardConfig {
    match &rig.kind {
        RigKind::Board(b) => b,
        _ => panic!("`{}` is not a board", rig.name),
    }
}

#[test]
fn rig_files_load_sorted_with_their_kind_and_defaults() {
    let dir = rigs_dir(
        "good",
        &[
            ("sim.yaml", "name: sim\nkind: sim\nsim: { seed: 7 }\n"),
            ("q.yaml", "name: q\nkind: qemu-an505\ncase_timeout_ms: 99\n"),
        ],
    );
    let rigs = load_rigs(&dir).unwrap();
    assert_eq!(rigs[0].name, "q");
    assert_eq!(rigs[0].case_timeout_ms, 99);
    let RigKind::Qemu(q) = &rigs[0].kind else {
        panic!("q is a qemu-an505 rig")
    };
    assert_eq!(q.machine, "mps2-an505");
    assert_eq!(q.root, dir.parent().unwrap());
    assert!(matches!(&rigs[1].kind, RigKind::Sim(s) if s.seed == 7));
}

#[test]
fn a_timeout_of_zero_is_refused_naming_the_line() {
    let dir = rigs_dir(
        "zero",
        &[
            ("a.yaml", "name: a\nkind: sim\ncase_timeout_ms: 0\n"),
            (
                "b.yaml",
                "name: b\nkind: qemu-an505\nqemu:\n  machine: mps2-an505\n  exec_timeout_ms: 0\n",
            ),
        ],
    );
    let text = load_errors(&dir);
    assert!(
        text[0].ends_with(
            "a.yaml:3: case_timeout_ms: must be at least 1 ms (0 would end every wait at once)"
        ),
        "{text:?}"
    );
    assert!(
        text[1].ends_with("b.yaml:5: qemu.exec_timeout_ms: must be at least 1 ms (0 would end every wait at once)"),
        "{text:?}"
    );
}

#[test]
fn a_qemu_binary_that_does_not_exist_is_bad_config_naming_the_line() {
    let dir = rigs_dir(
        "binary",
        &[
            (
                "q.yaml",
                "name: q\nkind: qemu-an505\nqemu:\n  binary: /nonexistent/qemu-system-arm\n",
            ),
            ("s.yaml", "name: s\nkind: sim\n"),
        ],
    );
    let rigs = load_rigs(&dir).unwrap();
    let error = rigs[0].check_runnable().unwrap_err();
    assert_eq!(error.exit_code(), hil_report::ExitCode::BadInput);
    assert!(
        error.to_string().ends_with(
            "q.yaml:4: qemu.binary: `/nonexistent/qemu-system-arm` is not an executable file here; install QEMU (Debian: `apt-get install qemu-system-arm`) or point qemu.binary at it"
        ),
        "{error}"
    );
    rigs[1].check_runnable().unwrap();
}

#[test]
fn a_board_rig_names_its_links_power_and_labgrid_place() {
    let dir = rigs_dir(
        "board",
        &[
            ("lab.yaml", "name: lab\nkind: board\nboard:\n  labgrid: { coordinator: '127.0.0.1:20408', place: an505-1 }\n  agent_link: { labgrid: agent }\n  cloud_link: { serial: /dev/ttyACM1 }\n  power: labgrid\n  images: an505\n"),
            ("nolg.yaml", "name: nolg\nkind: board\nboard:\n  agent_link: { labgrid: agent }\n  cloud_link: { labgrid: cloud }\n  power: { command: { on: [uhubctl, -a, on], off: [uhubctl, -a, off] } }\n  images: an505\n"),
        ],
    );
    let errors = load_rigs(&dir).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]
            .to_string()
            .contains("nolg.yaml: board.labgrid: links or power through labgrid need"),
        "{}",
        errors[0]
    );
    std::fs::remove_file(dir.join("nolg.yaml")).unwrap();
    let rigs = load_rigs(&dir).unwrap();
    let b = board_of(&rigs[0]);
    assert_eq!(b.labgrid.as_ref().unwrap().place, "an505-1");
    assert_eq!(b.agent_link, crate::board::LinkAt::Labgrid("agent".into()));
    assert_eq!(
        b.cloud_link,
        crate::board::LinkAt::Serial("/dev/ttyACM1".into())
    );
    assert_eq!(b.power, crate::power::PowerBy::Labgrid);
}

#[test]
fn each_power_backend_loads_from_the_rig_file_and_bad_fields_name_their_line() {
    let board = |power: &str| {
        format!("kind: board\nboard:\n  agent_link: {{ serial: /dev/ttyACM0 }}\n  cloud_link: {{ serial: /dev/ttyACM1 }}\n  power:\n{power}  images: stm32u585\n")
    };
    let dir = rigs_dir(
        "power",
        &[
            ("hub.yaml", &format!("name: hub\n{}", board("    uhubctl: { location: '1-1.4', port: 2 }\n"))),
            ("psu.yaml", &format!("name: psu\n{}", board("    scpi:\n      port: /dev/ttyUSB0\n      baud: 9600\n      on: OUTP ON\n      off: OUTP OFF\n      terminator: \"\\r\\n\"\n      query: OUTP?\n"))),
            ("rel.yaml", &format!("name: rel\n{}", board("    relay: { port: /dev/ttyUSB1, baud: 9600, on: { hex: 'A0 01 01 A2' }, off: \"off\\n\" }\n"))),
        ],
    );
    let rigs = load_rigs(&dir).unwrap();
    let power = |i: usize| board_of(&rigs[i]).power.clone();
    use crate::power::{PowerBy, Relay, Scpi, Uhubctl};
    assert_eq!(
        power(0),
        PowerBy::Uhubctl(Uhubctl {
            location: "1-1.4".into(),
            port: 2
        })
    );
    assert_eq!(
        power(1),
        PowerBy::Scpi(Scpi {
            port: "/dev/ttyUSB0".into(),
            baud: 9600,
            on: "OUTP ON".into(),
            off: "OUTP OFF".into(),
            terminator: "\r\n".into(),
            query: Some("OUTP?".into()),
        })
    );
    assert_eq!(
        power(2),
        PowerBy::Relay(Relay {
            port: "/dev/ttyUSB1".into(),
            baud: 9600,
            on: vec![0xa0, 1, 1, 0xa2],
            off: b"off\n".to_vec(),
        })
    );

    let bad = rigs_dir(
        "power-bad",
        &[
            ("a.yaml", &format!("name: a\n{}", board("    scpi:\n      port: /dev/ttyUSB0\n      baud: 0\n      on: OUTP ON\n      off: OUTP OFF\n"))),
            ("b.yaml", &format!("name: b\n{}", board("    relay: { port: /dev/ttyUSB1, baud: 9600, on: { hex: 'A0 0G' }, off: x }\n"))),
            ("c.yaml", &format!("name: c\n{}", board("    uhubctl: { location: '1-1', port: 0 }\n"))),
            ("d.yaml", &format!("name: d\n{}", board("    scpi: { port: /dev/ttyUSB0, baud: 9600, on: a, off: b, querry: c }\n"))),
        ],
    );
    let text = load_errors(&bad);
    assert_eq!(text.len(), 4, "{text:?}");
    assert!(
        text[0].ends_with(
            "a.yaml:9: board.power.scpi.baud: must be the port's baud rate (9600, 115200), not 0"
        ),
        "{text:?}"
    );
    assert!(
        text[1].contains("b.yaml:7: board.power.relay.on: `A0 0G` is not hex bytes"),
        "{text:?}"
    );
    assert!(
        text[2].ends_with("c.yaml:7: board.power.uhubctl.port: ports count from 1"),
        "{text:?}"
    );
    assert!(
        text[3].contains("d.yaml:7: board.power.scpi") && text[3].contains("querry"),
        "{text:?}"
    );
}

#[test]
fn a_board_may_name_its_probe_and_a_bad_one_names_its_line() {
    let board = |probe: &str| {
        format!("kind: board\nboard:\n  agent_link: {{ serial: /dev/ttyACM0 }}\n  cloud_link: {{ serial: /dev/ttyACM1 }}\n  power: {{ command: {{ on: [true], off: [true] }} }}\n{probe}  images: stm32u585\n")
    };
    let dir = rigs_dir(
        "probe",
        &[(
            "u585.yaml",
            &format!(
                "name: u585\n{}",
                board(
                    "  probe: { selector: \"0483:374e:0026003A3532510A\", chip: STM32U585AIIx }\n"
                )
            ),
        )],
    );
    let rigs = load_rigs(&dir).unwrap();
    let b = board_of(&rigs[0]);
    let probe = b.probe.as_ref().expect("the probe");
    assert_eq!(probe.selector.to_string(), "0483:374e:0026003A3532510A");
    assert_eq!(probe.chip, "STM32U585AIIx");

    let bad = rigs_dir(
        "probe-bad",
        &[
            (
                "a.yaml",
                &format!(
                    "name: a\n{}",
                    board("  probe:\n    selector: stlink\n    chip: STM32U585AIIx\n")
                ),
            ),
            (
                "b.yaml",
                &format!(
                    "name: b\n{}",
                    board("  probe: { selector: \"0483:374e\", chip: STM32U999 }\n")
                ),
            ),
        ],
    );
    let text = load_errors(&bad);
    assert!(
        text[0].contains("a.yaml:8: board.probe.selector: `stlink` is not a probe selector"),
        "{text:?}"
    );
    assert!(
        text[1].contains("b.yaml:7: board.probe.chip: probe-rs knows no chip `STM32U999`"),
        "{text:?}"
    );
}

#[test]
fn a_board_names_its_settle_time_and_flash_action_and_two_backends_are_refused() {
    let board = |rest: &str| {
        format!("kind: board\nboard:\n  agent_link: {{ serial: /dev/ttyACM0 }}\n  cloud_link: {{ serial: /dev/ttyACM1 }}\n{rest}  images: stm32u585\n")
    };
    let dir = rigs_dir(
        "settle",
        &[
            ("cmd.yaml", &format!("name: cmd\n{}", board("  power:\n    command: { on: [up], off: [down] }\n    settle_ms: 750\n  flash: { command: [flasher, --factory] }\n"))),
            ("lg.yaml", &format!("name: lg\n{}", board("  labgrid: { coordinator: 'h:1', place: p }\n  power: { labgrid: {}, settle_ms: 20 }\n"))),
        ],
    );
    let rigs = load_rigs(&dir).unwrap();
    let cmd = board_of(&rigs[0]);
    assert_eq!(
        cmd.power,
        crate::power::PowerBy::Command {
            on: vec!["up".into()],
            off: vec!["down".into()]
        }
    );
    assert_eq!(cmd.settle, std::time::Duration::from_millis(750));
    assert_eq!(
        cmd.flash,
        Some(crate::board::FlashBy::Command(vec![
            "flasher".into(),
            "--factory".into()
        ]))
    );
    let lg = board_of(&rigs[1]);
    assert_eq!(lg.power, crate::power::PowerBy::Labgrid);
    assert_eq!(lg.settle, std::time::Duration::from_millis(20));
    assert_eq!(lg.flash, None);

    let bad = rigs_dir(
        "settle-bad",
        &[
            ("a.yaml", &format!("name: a\n{}", board("  power:\n    command: { on: [up], off: [down] }\n    uhubctl: { location: '1-1', port: 2 }\n"))),
            ("b.yaml", &format!("name: b\n{}", board("  power: { settle_ms: 5 }\n"))),
            ("c.yaml", &format!("name: c\n{}", board("  power: { command: { on: [a], off: [b] } }\n  flash: { command: [] }\n"))),
            ("d.yaml", &format!("name: d\n{}", board("  power: { command: { on: [a], off: [b] }, setle_ms: 5 }\n"))),
        ],
    );
    let text = load_errors(&bad);
    assert_eq!(text.len(), 4, "{text:?}");
    assert!(
        text[0].ends_with("a.yaml:6: board.power: name exactly one backend (labgrid, command, uhubctl, scpi, relay), not command and uhubctl"),
        "{text:?}"
    );
    assert!(
        text[1].ends_with("b.yaml:6: board.power: name exactly one backend (labgrid, command, uhubctl, scpi, relay), not none"),
        "{text:?}"
    );
    assert!(
        text[2].contains("c.yaml:7: board.flash.command: must be a program"),
        "{text:?}"
    );
    assert!(
        text[3].contains("d.yaml:6: board.power") && text[3].contains("setle_ms"),
        "{text:?}"
    );
}

#[test]
fn a_board_names_its_reset_action_and_a_probe_reset_needs_a_probe() {
    let board = |rest: &str| {
        format!("kind: board\nboard:\n  agent_link: {{ serial: /dev/ttyACM0 }}\n  cloud_link: {{ serial: /dev/ttyACM1 }}\n  power: {{ command: {{ on: [up], off: [down] }} }}\n{rest}  images: stm32u585\n")
    };
    let dir = rigs_dir(
        "reset",
        &[
            ("cmd.yaml", &format!("name: cmd\n{}", board("  reset: { command: [pulse, nrst] }\n"))),
            ("none.yaml", &format!("name: none\n{}", board(""))),
            ("swd.yaml", &format!("name: swd\n{}", board("  probe: { selector: \"0483:374e\", chip: STM32U585AIIx }\n  reset: probe\n"))),
        ],
    );
    let rigs = load_rigs(&dir).unwrap();
    let reset = |i: usize| board_of(&rigs[i]).reset.clone();
    use crate::board::ResetBy;
    assert_eq!(
        reset(0),
        Some(ResetBy::Command(vec!["pulse".into(), "nrst".into()]))
    );
    assert_eq!(reset(1), None);
    assert_eq!(reset(2), Some(ResetBy::Probe));

    let bad = rigs_dir(
        "reset-bad",
        &[
            ("a.yaml", &format!("name: a\n{}", board("  reset: probe\n"))),
            (
                "b.yaml",
                &format!("name: b\n{}", board("  reset:\n    command: []\n")),
            ),
            ("c.yaml", &format!("name: c\n{}", board("  reset: jtag\n"))),
            (
                "d.yaml",
                &format!("name: d\n{}", board("  reset: { comand: [x] }\n")),
            ),
        ],
    );
    let text = load_errors(&bad);
    assert_eq!(text.len(), 4, "{text:?}");
    assert!(
        text[0].contains("a.yaml:7: board.reset: `reset: probe` resets the core through the debug probe: add `probe: {"),
        "{text:?}"
    );
    assert!(
        text[1].contains("b.yaml:8: board.reset.command: must be a program and its arguments that reset the board"),
        "{text:?}"
    );
    assert!(
        text[2].contains("c.yaml:7: board.reset")
            && text[2].contains("`probe` or `{ command: [PROGRAM, ARGS...] }`"),
        "{text:?}"
    );
    assert!(
        text[3].contains("d.yaml:7: board.reset") && text[3].contains("comand"),
        "{text:?}"
    );
}

#[test]
fn a_cloud_link_over_rtt_needs_the_probe_and_the_agent_link_stays_a_uart() {
    let board = |links: &str, rest: &str| {
        format!("kind: board\nboard:\n{links}  power: {{ command: {{ on: [up], off: [down] }} }}\n{rest}  images: stm32u585\n")
    };
    let uart_and_rtt = "  agent_link: { serial: /dev/ttyACM0 }\n  cloud_link: rtt\n";
    let probe = "  probe: { selector: \"0483:374e\", chip: STM32U585AIIx }\n";
    let dir = rigs_dir(
        "rtt",
        &[(
            "u585.yaml",
            &format!("name: u585\n{}", board(uart_and_rtt, probe)),
        )],
    );
    let rigs = load_rigs(&dir).unwrap();
    let b = board_of(&rigs[0]);
    assert_eq!(b.cloud_link, crate::board::LinkAt::Rtt);

    let bad = rigs_dir(
        "rtt-bad",
        &[
            ("a.yaml", &format!("name: a\n{}", board(uart_and_rtt, ""))),
            (
                "b.yaml",
                &format!(
                    "name: b\n{}",
                    board("  agent_link: rtt\n  cloud_link: rtt\n", probe)
                ),
            ),
            (
                "c.yaml",
                &format!(
                    "name: c\n{}",
                    board(uart_and_rtt, &format!("{probe}  reset: probe\n"))
                ),
            ),
        ],
    );
    let text = load_errors(&bad);
    assert_eq!(text.len(), 3, "{text:?}");
    assert!(
        text[0].contains(
            "a.yaml:5: board.cloud_link: `rtt` is read through the debug probe: add `probe: {"
        ),
        "{text:?}"
    );
    assert!(
        text[1].contains("b.yaml:4: board.agent_link: the agent link runs over a UART"),
        "{text:?}"
    );
    assert!(
        text[2]
            .contains("c.yaml:8: board.reset: `reset: probe` cannot go with `cloud_link: rtt` yet"),
        "{text:?}"
    );
}

#[test]
fn a_bad_rig_file_names_the_file_line_and_field() {
    let dir = rigs_dir(
        "bad",
        &[
            ("a.yaml", "name: a\nkind: robot\n"),
            ("b.yaml", "name: b\nkind: sim\nsim:\n  sed: 1\n"),
        ],
    );
    let text = load_errors(&dir);
    assert_eq!(text.len(), 2, "{text:?}");
    assert!(
        text[0].contains("a.yaml:2: kind: unknown rig kind `robot`"),
        "{text:?}"
    );
    assert!(
        text[1].contains("b.yaml:4: sim") && text[1].contains("sed"),
        "{text:?}"
    );
}

#[test]
fn a_board_names_its_images_and_a_missing_unknown_or_inconsistent_name_is_refused() {
    let board = |images: &str, rest: &str| {
        format!("kind: board\nboard:\n  agent_link: {{ serial: /dev/ttyACM0 }}\n  cloud_link: {{ serial: /dev/ttyACM1 }}\n  power: {{ command: {{ on: [up], off: [down] }} }}\n{images}{rest}")
    };
    let probe = "  probe: { selector: \"0483:374e\", chip: STM32U585AIIx }\n";
    let dir = rigs_dir(
        "images",
        &[
            (
                "qemu.yaml",
                &format!("name: qemu\n{}", board("  images: an505\n", "")),
            ),
            (
                "u585.yaml",
                &format!("name: u585\n{}", board("  images: stm32u585\n", probe)),
            ),
        ],
    );
    let rigs = load_rigs(&dir).unwrap();
    let images = |i: usize| board_of(&rigs[i]).images;
    use crate::qemu::ImageBoard;
    assert_eq!(images(0), ImageBoard::An505);
    assert_eq!(rigs[0].kind.images(), "an505");
    assert_eq!(images(1), ImageBoard::Stm32u585);
    assert_eq!(rigs[1].kind.images(), "stm32u585");
    assert_eq!(rigs[1].kind.image_board(), Some(ImageBoard::Stm32u585));

    let bad = rigs_dir(
        "images-bad",
        &[
            ("a.yaml", &format!("name: a\n{}", board("", ""))),
            (
                "b.yaml",
                &format!("name: b\n{}", board("  images: u585\n", "")),
            ),
            (
                "c.yaml",
                &format!("name: c\n{}", board("  images: [an505]\n", "")),
            ),
            (
                "d.yaml",
                &format!("name: d\n{}", board("  images: an505\n", probe)),
            ),
            (
                "e.yaml",
                &format!(
                    "name: e\n{}",
                    board(
                        "  images: stm32u585\n",
                        "  probe: { selector: \"0483:374e\", chip: nRF52840_xxAA }\n"
                    )
                ),
            ),
            (
                "f.yaml",
                &format!(
                    "name: f\n{}",
                    board("  images: an505\n", "")
                        .replace("cloud_link: { serial: /dev/ttyACM1 }", "cloud_link: rtt")
                ),
            ),
        ],
    );
    let text = load_errors(&bad);
    assert_eq!(text.len(), 6, "{text:?}");
    assert!(
        text[0].ends_with("a.yaml:3: board.images: a board rig names the images it runs, one of `an505`, `stm32u585`: `an505` for QEMU as a board (`hil emulate-board`), `stm32u585` for an STM32U585 part"),
        "{text:?}"
    );
    assert!(
        text[1].ends_with(
            "b.yaml:7: board.images: no images called `u585`; this build knows `an505`, `stm32u585`"
        ),
        "{text:?}"
    );
    assert!(
        text[2].ends_with(
            "c.yaml:7: board.images: must name the images, one of `an505`, `stm32u585`, not `- an505`"
        ),
        "{text:?}"
    );
    assert!(
        text[3].ends_with("d.yaml:7: board.images: the `an505` images run under QEMU only, which no debug probe reaches; a board with `probe:` runs `stm32u585`"),
        "{text:?}"
    );
    assert!(
        text[4].ends_with("e.yaml:8: board.probe.chip: `nRF52840_xxAA` is not a part the `stm32u585` images are built for (a STM32U585…); fix the chip or board.images"),
        "{text:?}"
    );
    assert!(
        text[5].ends_with("f.yaml:5: board.cloud_link: the `an505` images carry the cloud link on a UART (`{ serial: PATH }`); RTT is the STM32U585 image's"),
        "{text:?}"
    );
}

/// A case's `skip:` can name exactly the images some rig runs: the sim's
/// and each board's (a name missing there could not be skipped; one too
/// many would skip nothing).
#[test]
fn the_skip_keys_are_the_images_rigs_run() {
    let mut run: Vec<&str> = crate::qemu::ImageBoard::ALL
        .iter()
        .map(|b| b.name())
        .chain([RigKind::Sim(hil_sim::SimConfig::default()).images()])
        .collect();
    run.sort_unstable();
    let mut skip = hil_cases::SKIP_IMAGES.to_vec();
    skip.sort_unstable();
    assert_eq!(run, skip);
}
