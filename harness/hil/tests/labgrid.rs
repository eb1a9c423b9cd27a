//! A shard of the suite through a real labgrid place: coordinator and exporter on loopback, ser2net serving the UARTs of a QEMU-backed board, power through labgrid's `rest` power model.
//!
//! The test starts everything itself: `labgrid-coordinator`,
//! `hil emulate-board` (the real secure image and agent under QEMU, two
//! stable serial ports, an HTTP power port), `labgrid-exporter` (which
//! serves the ports through ser2net), creates the place, and runs
//! `hil run --rig <board> --partition ...` on it next to the sim, with
//! parity. A place another user holds makes a run fail naming the holder.
//!
//! It needs labgrid (PyPI), ser2net (Debian) and qemu-system-arm; without
//! them it says so and passes, unless `HIL_REQUIRE_LABGRID=1` (CI sets it,
//! and `.ci/run` installs them).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::{copy_dir, hil_command, repo, text};

fn installed(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Children killed (by their own handle) when the test ends, however it ends.
struct Children(Vec<Child>);

impl Drop for Children {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn client(coordinator: &str, user: &str, args: &[&str]) -> Output {
    Command::new("labgrid-client")
        .args(["-x", coordinator])
        .args(args)
        .env("LG_USERNAME", user)
        .output()
        .unwrap()
}

#[test]
fn a_shard_runs_through_a_labgrid_place_with_parity_and_a_held_place_names_its_holder() {
    let missing: Vec<&str> = [
        ("labgrid-coordinator", "--help"),
        ("labgrid-exporter", "--help"),
        ("labgrid-client", "--help"),
        ("ser2net", "-v"),
        ("qemu-system-arm", "--version"),
    ]
    .into_iter()
    .filter(|(p, a)| !installed(p, a))
    .map(|(p, _)| p)
    .collect();
    if !missing.is_empty() {
        let why = format!(
            "labgrid test needs {} (pip install labgrid; apt-get install ser2net qemu-system-arm)",
            missing.join(", ")
        );
        assert!(std::env::var_os("HIL_REQUIRE_LABGRID").is_none(), "{why}");
        eprintln!("skipped: {why}");
        return;
    }
    let repo = repo();
    let tmp = tempfile::Builder::new()
        .prefix("hil-labgrid-")
        .tempdir()
        .unwrap();
    let scratch = tmp.path();
    std::fs::create_dir_all(scratch.join("rigs")).unwrap();
    copy_dir(&repo.join("conformance"), &scratch.join("conformance"));
    for rig in ["sim", "qemu-an505"] {
        std::fs::copy(
            repo.join(format!("rigs/{rig}.yaml")),
            scratch.join(format!("rigs/{rig}.yaml")),
        )
        .unwrap();
    }
    let mut children = Children(Vec::new());

    // The coordinator keeps its places in its working folder.
    let coordinator = format!("127.0.0.1:{}", free_port());
    let log = |name: &str| std::fs::File::create(scratch.join(name)).unwrap();
    children.0.push(
        Command::new("labgrid-coordinator")
            .args(["--listen", &coordinator])
            .current_dir(scratch)
            .stdout(log("coordinator.log"))
            .stderr(log("coordinator.err"))
            .spawn()
            .unwrap(),
    );

    // The exporter gives up if the coordinator is not listening yet.
    let started = Instant::now();
    while std::net::TcpStream::connect(&coordinator).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the coordinator did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // The board: it builds the images first (cached after the first time).
    let mut board = Command::new(env!("CARGO_BIN_EXE_hil"))
        .args(["--root", repo.to_str().unwrap(), "emulate-board"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = board.stdout.take().unwrap();
    children.0.push(board);
    let mut stdout = BufReader::new(stdout);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    // Keep reading what it says, so its stdout never closes under it.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let ports: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("the emulated board did not say where it is ({e}): {line:?}"));

    let exporter_config = scratch.join("exporter.yaml");
    std::fs::write(
        &exporter_config,
        format!(
            "an505-1:\n  agent:\n    cls: RawSerialPort\n    port: {}\n    speed: 115200\n  cloud:\n    cls: RawSerialPort\n    port: {}\n    speed: 115200\n  power:\n    cls: NetworkPowerPort\n    model: rest\n    host: '{}'\n    index: 0\n",
            ports["agent_link"].as_str().unwrap(),
            ports["cloud_link"].as_str().unwrap(),
            ports["power_url"].as_str().unwrap()
        ),
    )
    .unwrap();
    children.0.push(
        Command::new("labgrid-exporter")
            .args([
                "-c",
                &coordinator,
                "--name",
                "hil-lab",
                "--hostname",
                "127.0.0.1",
            ])
            .arg(&exporter_config)
            .current_dir(scratch)
            .stdout(log("exporter.log"))
            .stderr(log("exporter.err"))
            .spawn()
            .unwrap(),
    );
    // Wait for the exporter's resources to reach the coordinator.
    let started = Instant::now();
    loop {
        let out = client(&coordinator, "admin", &["resources"]);
        if text(&out).contains("hil-lab/an505-1/NetworkSerialPort") {
            break;
        }
        let said = |name: &str| std::fs::read_to_string(scratch.join(name)).unwrap_or_default();
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "no resources: {}\ncoordinator: {}\nexporter: {}",
            text(&out),
            said("coordinator.err"),
            said("exporter.err")
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    for args in [
        vec!["-p", "an505-1", "create"],
        vec!["-p", "an505-1", "add-match", "hil-lab/an505-1/*"],
    ] {
        let out = client(&coordinator, "admin", &args);
        assert!(out.status.success(), "{}", text(&out));
    }
    std::fs::write(
        scratch.join("rigs/an505-lab.yaml"),
        format!(
            "name: an505-lab\nkind: board\ndescription: a QEMU-backed AN505 board behind labgrid place an505-1\ncase_timeout_ms: 30000\nboard:\n  firmware: {}\n  images: an505\n  labgrid: {{ coordinator: '{coordinator}', place: an505-1 }}\n  agent_link: {{ labgrid: agent }}\n  cloud_link: {{ labgrid: cloud }}\n  power: labgrid\n  flash: {{ command: ['{}', emulate-board, flash, '{}'] }}\n",
            repo.display(),
            env!("CARGO_BIN_EXE_hil"),
            ports["url"].as_str().unwrap()
        ),
    )
    .unwrap();
    let hil = |args: &[&str], user: &str| {
        hil_command(scratch)
            .args(args)
            .env("LG_USERNAME", user)
            .output()
            .unwrap()
    };

    // `hil rig check` looks at the place without acquiring it (the run
    // below acquires it); a place the coordinator does not know fails.
    let check = hil(&["rig", "check", "an505-lab"], "hil-ci");
    let out = text(&check);
    assert_eq!(check.status.code(), Some(0), "{out}");
    for line in [
        format!("ok    labgrid place `an505-1`: the coordinator at {coordinator} knows it"),
        "ok    power (labgrid): switched by the labgrid place".to_owned(),
        "skip  agent_link labgrid serial port `agent`: served by the labgrid place".to_owned(),
    ] {
        assert!(out.contains(&line), "missing `{line}` in:\n{out}");
    }
    let lab = std::fs::read_to_string(scratch.join("rigs/an505-lab.yaml")).unwrap();
    std::fs::write(
        scratch.join("rigs/an505-gone.yaml"),
        lab.replace("name: an505-lab", "name: an505-gone")
            .replace("place: an505-1", "place: an505-9"),
    )
    .unwrap();
    let check = hil(&["rig", "check", "an505-gone"], "hil-ci");
    let out = text(&check);
    assert_eq!(check.status.code(), Some(3), "{out}");
    assert!(
        out.contains("FAIL  labgrid place `an505-9`: labgrid-client -p an505-9 show failed"),
        "{out}"
    );
    assert!(
        out.contains("skip  power (labgrid): the labgrid place does not answer (above)"),
        "{out}"
    );
    std::fs::remove_file(scratch.join("rigs/an505-gone.yaml")).unwrap();

    // One shard of the device cases, on the board and on the sim: every
    // case passes on the board, with the sim's transcript.
    let run = hil(
        &[
            "run",
            "--rig",
            "an505-lab",
            "--rig",
            "sim",
            "--filter",
            "device.",
            "--partition",
            "count:1/3",
        ],
        "hil-ci",
    );
    let out = text(&run);
    assert_eq!(run.status.code(), Some(0), "{out}");
    assert!(
        out.contains("parity: 0 case(s) differ between an505-lab and sim"),
        "{out}"
    );
    let results: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(scratch.join("reports/latest/results.json")).unwrap(),
    )
    .unwrap();
    let on_board = results["summary"]["per_rig"]["an505-lab"]["passed"]
        .as_u64()
        .unwrap();
    assert!(
        on_board >= 10,
        "{on_board} cases passed on the board: {out}"
    );
    assert_eq!(results["run"]["partition"]["total"], 3);

    // Someone else holds the place: the run fails, naming the holder.
    let held = client(&coordinator, "someone-else", &["-p", "an505-1", "acquire"]);
    assert!(held.status.success(), "{}", text(&held));
    let busy = hil(
        &["run", "--rig", "an505-lab", "--filter", "device.noop-okay"],
        "hil-ci",
    );
    let out = text(&busy);
    assert_eq!(busy.status.code(), Some(3), "{out}");
    assert!(
        out.contains("already acquired by") && out.contains("someone-else"),
        "{out}"
    );
    let _ = client(&coordinator, "someone-else", &["-p", "an505-1", "release"]);
}
