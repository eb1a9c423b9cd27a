//! `hil rig check` on board rigs whose serial ports are ptys and whose power is a stand-in `uhubctl` on PATH: one passes every check (and one running the AN505 images, as QEMU as a board does), one fails naming its missing port and reset program, one names a probe this host lacks; `hil probe list` answers without a probe.

use std::path::Path;
use std::process::{Command, Output};

use serialport::{SerialPort as _, TTYPort};

mod support;

use support::{hil_command, repo};

/// A repository holding `rigs` (name, text) and a stand-in `uhubctl` that
/// records its argv and lists port 2 of hub 1-1.4 as powered.
fn scratch(rigs: &[(&str, String)]) -> tempfile::TempDir {
    let tmp = tempfile::Builder::new()
        .prefix("hil-rig-check-")
        .tempdir()
        .unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("conformance")).unwrap();
    std::fs::create_dir_all(dir.join("rigs")).unwrap();
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    for (name, text) in rigs {
        std::fs::write(dir.join(format!("rigs/{name}.yaml")), text).unwrap();
    }
    let uhubctl = dir.join("bin/uhubctl");
    std::fs::write(
        &uhubctl,
        "#!/bin/sh\necho \"$*\" >> \"$(dirname \"$0\")/uhubctl.calls\"\necho \"Current status for hub $2 [0bda:5411 Generic 4-Port USB 2.0 Hub, USB 2.10, 4 ports, ppps]\"\necho '  Port 1: 0100 power'\necho '  Port 2: 0100 power'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&uhubctl, std::fs::Permissions::from_mode(0o755)).unwrap();
    tmp
}

fn board(agent: &str, cloud: &str, power: &str) -> String {
    format!(
        "name: NAME\nkind: board\nboard:\n  firmware: {}\n  agent_link: {{ serial: {agent} }}\n  cloud_link: {{ serial: {cloud} }}\n  power: {power}\n  images: stm32u585\n",
        repo().display()
    )
}

fn check(root: &Path, rig: &str) -> (i32, String) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let path =
        std::env::join_paths(std::iter::once(root.join("bin")).chain(std::env::split_paths(&path)))
            .unwrap();
    let out: Output = hil_command(root)
        .args(["rig", "check", rig])
        .env("PATH", path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_board_rig_passes_each_check_or_fails_naming_its_missing_serial_port() {
    // The board's two UARTs: ptys held open by the test (pair() takes no lock).
    let (_agent_master, agent) = TTYPort::pair().unwrap();
    let (_cloud_master, cloud) = TTYPort::pair().unwrap();
    let (agent, cloud) = (agent.name().unwrap(), cloud.name().unwrap());
    let hub = "{ uhubctl: { location: '1-1.4', port: 2 } }";
    let root = scratch(&[
        (
            "bench-ok",
            board(&agent, &cloud, hub).replace("NAME", "bench-ok"),
        ),
        (
            "bench-probe",
            format!(
                "{}  probe: {{ selector: \"0483:374e:hil-no-such-probe\", chip: STM32U585AIIx }}\n  reset: probe\n",
                board(&agent, &cloud, hub).replace("NAME", "bench-probe")
            ),
        ),
        (
            "qemu-board",
            board(&agent, &cloud, hub)
                .replace("NAME", "qemu-board")
                .replace("images: stm32u585", "images: an505"),
        ),
        (
            "bench-unplugged",
            format!(
                "{}  reset: {{ command: [hil-no-such-reset-line, pulse] }}\n",
                board(
                    "/dev/hil-no-such-ttyACM0",
                    &cloud,
                    "{ command: { on: [hil-no-such-relay, on], off: [hil-no-such-relay, off] } }",
                )
                .replace("NAME", "bench-unplugged")
            ),
        ),
    ]);
    let root = root.path();

    let (code, text) = check(root, "bench-ok");
    assert_eq!(code, 0, "{text}");
    for line in [
        "ok    firmware images `stm32u585` (mv-secure-u585, mv-agent-u585): built in".to_owned(),
        "ok    STM32U585 images fit the part's flash map: NSC table at 0x0C1F_E000".to_owned(),
        format!("ok    agent_link serial port {agent}: opens at 115200 baud"),
        format!("ok    cloud_link serial port {cloud}: opens at 115200 baud"),
        "ok    power (uhubctl): hub 1-1.4 reports `Port 2: 0100 power`".to_owned(),
        "skip  reset: the rig file names none (board.reset): every case power-cycles the board"
            .to_owned(),
        "skip  probe: the rig file names none (board.probe)".to_owned(),
        "every check passed".to_owned(),
    ] {
        assert!(text.contains(&line), "missing `{line}` in:\n{text}");
    }
    // The power was looked at, not switched: a status listing, no `-a`.
    assert_eq!(
        std::fs::read_to_string(root.join("bin/uhubctl.calls")).unwrap(),
        "-l 1-1.4\n"
    );

    // QEMU as a board runs the AN505 images: the checklist names them and
    // holds the agent to QEMU's app region, not to the part's flash map.
    let (code, text) = check(root, "qemu-board");
    assert_eq!(code, 0, "{text}");
    for line in [
        "ok    firmware images `an505` (mv-secure, mv-agent): built in",
        "ok    AN505 agent loads at QEMU's app region: ",
        " bytes at 0x00200000",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    assert!(!text.contains("STM32U585 images fit"), "{text}");

    // A probe this host does not have: the line says so and what to do;
    // the images are still planned by probe-rs (a dry run needs no probe).
    let (code, text) = check(root, "bench-probe");
    assert_eq!(code, 3, "{text}");
    for line in [
        "FAIL  probe found (0483:374e:hil-no-such-probe): no probe matches 0483:374e:hil-no-such-probe: is the ST-LINK connected? `hil probe list` shows what this host sees",
        "next: connect the probe, or fix board.probe.selector in",
        "skip  target attached (STM32U585AIIx): no probe (above)",
        "ok    images fit the flash map (probe-rs dry run for STM32U585AIIx): secure image 0x0c100000..",
        "app image 0x08000000..",
        "ok    reset: probe: through the probe (its lines below)",
        "1 of 9 checks failed",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }

    // `hil probe flash`: the plan without a probe, and a clear rig error
    // when the probe is not there.
    let flash = |args: &[&str]| {
        let out = hil_command(root)
            .args(["probe", "flash"])
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), text)
    };
    let (code, text) = flash(&["bench-probe", "--dry-run"]);
    assert_eq!(code, 0, "{text}");
    for line in [
        "secure image ",
        "  0x0c100000..",
        "region synthesized for stm32u59x_4m_0c00  algorithm stm32u59x_4m_0c00",
        "  0x0c1fe000..",
        "  0x08000000..",
        "region BANK_1  algorithm stm32u59x_4m_0800",
        "dry run: planned and checked by probe-rs for STM32U585AIIx, nothing written",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    assert!(
        !text.contains("DHCSR"),
        "the mocked core's chatter is dropped:\n{text}"
    );
    let (code, text) = flash(&["bench-probe"]);
    assert_eq!(code, 3, "{text}");
    assert!(
        text.contains("no probe matches 0483:374e:hil-no-such-probe"),
        "{text}"
    );
    let (code, text) = flash(&["bench-ok"]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("board.probe: the rig names no probe"),
        "{text}"
    );

    let (code, text) = check(root, "bench-unplugged");
    assert_eq!(code, 3, "a failed check is a rig error:\n{text}");
    for line in [
        "FAIL  agent_link serial port /dev/hil-no-such-ttyACM0: cannot open the serial port /dev/hil-no-such-ttyACM0",
        "next: plug the board in and check the path (`ls /dev/serial/by-id/`)",
        "FAIL  power (command): the power command's `on` program `hil-no-such-relay` is not an executable file here or on PATH",
        "FAIL  reset: the reset command's program `hil-no-such-reset-line` is not an executable file here or on PATH",
        "next: fix board.reset in",
        "3 of 7 checks failed",
    ] {
        assert!(text.contains(line), "missing `{line}` in:\n{text}");
    }
    assert!(
        text.contains(&format!("ok    cloud_link serial port {cloud}")),
        "{text}"
    );
}

#[test]
fn probe_list_answers_on_a_host_without_a_probe() {
    let out = Command::new(env!("CARGO_BIN_EXE_hil"))
        .args(["probe", "list"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // CI and this lab's build hosts have no probe; a host with one lists it.
    assert!(
        text.starts_with("no debug probe found (is one plugged in?")
            || text.contains("debug probe(s); a board's rig file names one as"),
        "{text}"
    );
}
