//! Each power backend against a stand-in: SCPI and relay against a simulated instrument on a pty, `uhubctl` and `command` against recording scripts first on `PATH`.
//!
//! No hardware: what is checked is what the lab would see on the wire or
//! in the argv — the exact bytes, the exact arguments — and that a backend
//! whose switch did not happen fails naming what to fix.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use hil_rig::power::{PowerBy, Relay, Scpi, Uhubctl};
use serialport::{SerialPort as _, TTYPort};

/// A simulated instrument on the master side of a pty: it records every byte
/// the backend sent and answers each query line with `answer(state)`.
struct Instrument {
    /// The pty's other end, kept open (shared) so the backend can open it by path.
    _slave: TTYPort,
    path: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Vec<u8>>>,
}

impl Instrument {
    /// `respond(line)` gives the answer to a received line (`None`: silence).
    fn start(
        terminator: &'static str,
        respond: impl FnMut(&str) -> Option<String> + Send + 'static,
    ) -> Self {
        // The slave end stays open without a lock (pair() takes none), so
        // the backend opens it by path as it would a USB serial adapter.
        let (mut master, slave) = TTYPort::pair().expect("a pty pair");
        master.set_timeout(Duration::from_millis(20)).unwrap();
        let path = slave.name().expect("the pty has a name");
        let stop = Arc::new(AtomicBool::new(false));
        let halt = stop.clone();
        let mut respond = respond;
        let thread = std::thread::spawn(move || {
            let (mut all, mut line) = (Vec::new(), Vec::new());
            let mut byte = [0u8; 1];
            loop {
                // Stopped, it still drains what is buffered: the backend
                // returned after its bytes left, not after they were read.
                if !matches!(master.read(&mut byte), Ok(1)) {
                    if halt.load(Ordering::Relaxed) {
                        break;
                    }
                    continue;
                }
                all.push(byte[0]);
                line.push(byte[0]);
                if line.ends_with(terminator.as_bytes()) {
                    let text = String::from_utf8_lossy(&line[..line.len() - terminator.len()])
                        .into_owned();
                    line.clear();
                    if let Some(answer) = respond(&text) {
                        master
                            .write_all(format!("{answer}{terminator}").as_bytes())
                            .unwrap();
                    }
                }
            }
            all
        });
        Instrument {
            _slave: slave,
            path,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the instrument and returns every byte it received.
    fn received(mut self) -> Vec<u8> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap()
    }
}

/// A supply whose output follows `OUTP ON`/`OUTP OFF` and answers `OUTP?`.
fn supply() -> impl FnMut(&str) -> Option<String> + Send + 'static {
    let mut on = false;
    move |line| match line {
        "OUTP ON" => {
            on = true;
            None
        }
        "OUTP OFF" => {
            on = false;
            None
        }
        "OUTP?" => Some(if on { "1" } else { "0" }.into()),
        _ => None,
    }
}

fn scpi(path: &str, terminator: &str, query: Option<&str>) -> PowerBy {
    PowerBy::Scpi(Scpi {
        port: path.into(),
        baud: 9600,
        on: "OUTP ON".into(),
        off: "OUTP OFF".into(),
        terminator: terminator.into(),
        query: query.map(Into::into),
    })
}

#[test]
fn scpi_sends_the_rig_files_commands_and_terminator_and_confirms_by_query() {
    let instrument = Instrument::start("\r\n", supply());
    let power = scpi(&instrument.path, "\r\n", Some("OUTP?"));
    power.switch(true, None).unwrap();
    power.switch(false, None).unwrap();
    assert_eq!(
        String::from_utf8(instrument.received()).unwrap(),
        "OUTP ON\r\nOUTP?\r\nOUTP OFF\r\nOUTP?\r\n"
    );
}

#[test]
fn scpi_without_a_query_only_sends_the_command() {
    let instrument = Instrument::start("\n", supply());
    scpi(&instrument.path, "\n", None)
        .switch(true, None)
        .unwrap();
    assert_eq!(instrument.received(), b"OUTP ON\n");
}

#[test]
fn a_supply_whose_output_did_not_follow_fails_saying_so() {
    // A supply that ignores the command (output locked, wrong command set).
    let instrument = Instrument::start("\n", |line| (line == "OUTP?").then(|| "0".into()));
    let error = scpi(&instrument.path, "\n", Some("OUTP?"))
        .switch(true, None)
        .unwrap_err()
        .to_string();
    drop(instrument.received());
    assert!(
        error.contains("after `OUTP ON` it answers `OUTP?` with `0`: the output is still off"),
        "{error}"
    );
}

#[test]
fn a_silent_supply_fails_naming_the_port_and_what_to_check() {
    let instrument = Instrument::start("\n", |_| None);
    let error = scpi(&instrument.path, "\n", Some("OUTP?"))
        .switch(true, None)
        .unwrap_err()
        .to_string();
    let path = instrument.path.clone();
    drop(instrument.received());
    assert!(
        error.contains(&format!("no answer on {path} within 2000 ms"))
            && error.contains("check the baud rate and the terminator"),
        "{error}"
    );
}

#[test]
fn a_relay_gets_exactly_its_on_and_off_bytes() {
    let instrument = Instrument::start("\u{0}", |_| None);
    let power = PowerBy::Relay(Relay {
        port: instrument.path.clone(),
        baud: 9600,
        on: vec![0xa0, 0x01, 0x01, 0xa2],
        off: vec![0xa0, 0x01, 0x00, 0xa1],
    });
    power.switch(true, None).unwrap();
    power.switch(false, None).unwrap();
    assert_eq!(
        instrument.received(),
        [0xa0, 0x01, 0x01, 0xa2, 0xa0, 0x01, 0x00, 0xa1]
    );
}

#[test]
fn a_missing_serial_port_is_named() {
    let error = PowerBy::Relay(Relay {
        port: "/dev/hil-no-such-relay".into(),
        baud: 9600,
        on: vec![1],
        off: vec![0],
    })
    .switch(true, None)
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("the relay board: cannot open the serial port /dev/hil-no-such-relay"),
        "{error}"
    );
}

/// The stand-ins' folder, put first on this test process's `PATH` once.
/// Each stand-in appends its argv to `<name>.calls` beside it.
fn stand_ins() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // Under the build's own scratch folder, emptied first: a stale
        // `.calls` file from an earlier run must not count.
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("power-stand-ins");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // A hub with per-port power: reports the new state. Hub 2-2 ignores
        // the request (no ppps); hub 9-9 does not exist.
        let uhubctl = r#"#!/bin/sh
echo "$*" >> "$(dirname "$0")/uhubctl.calls"
while getopts l:p:a: o; do case $o in l) loc=$OPTARG;; p) port=$OPTARG;; a) act=$OPTARG;; esac; done
if [ "$loc" = 9-9 ]; then echo "No compatible devices detected!" >&2; exit 1; fi
echo "Current status for hub $loc [0bda:5411 Generic 4-Port USB 2.0 Hub, USB 2.10, 4 ports, ppps]"
if [ -z "$act" ]; then echo "  Port 1: 0100 power"; echo "  Port 2: 0100 power"; exit 0; fi
echo "  Port $port: 0100 power"
echo "Sent power $act request"
echo "New status for hub $loc [0bda:5411 Generic 4-Port USB 2.0 Hub, USB 2.10, 4 ports, ppps]"
if [ "$act" = off ] && [ "$loc" != 2-2 ]; then echo "  Port $port: 0000 off"; else echo "  Port $port: 0100 power"; fi
"#;
        let switch = "#!/bin/sh\necho \"$*\" >> \"$(dirname \"$0\")/power-switch.calls\"\n";
        let failing = "#!/bin/sh\necho \"$*\" >> \"$(dirname \"$0\")/power-fail.calls\"\necho 'relay 3: no such channel' >&2\nexit 4\n";
        for (name, text) in [("uhubctl", uhubctl), ("power-switch", switch), ("power-fail", failing)] {
            use std::os::unix::fs::PermissionsExt as _;
            let file = dir.join(name);
            std::fs::write(&file, text).unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        let joined =
            std::env::join_paths(std::iter::once(dir.clone()).chain(std::env::split_paths(&path)))
                .unwrap();
        // Set once, before any stand-in runs; std's env lock keeps the
        // spawns of concurrent tests consistent with it.
        std::env::set_var("PATH", joined);
        dir
    })
}

/// The calls a stand-in recorded that mention `needle`.
fn calls(program: &str, needle: &str) -> Vec<String> {
    std::fs::read_to_string(stand_ins().join(format!("{program}.calls")))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(needle))
        .map(str::to_owned)
        .collect()
}

fn hub(location: &str, port: u32) -> PowerBy {
    PowerBy::Uhubctl(Uhubctl {
        location: location.into(),
        port,
    })
}

#[test]
fn uhubctl_is_run_with_the_hub_location_and_port() {
    stand_ins();
    hub("1-1.4", 2).switch(true, None).unwrap();
    hub("1-1.4", 2).switch(false, None).unwrap();
    assert_eq!(
        calls("uhubctl", "1-1.4"),
        ["-l 1-1.4 -p 2 -a on", "-l 1-1.4 -p 2 -a off"]
    );
}

#[test]
fn a_hub_that_ignores_the_request_fails_with_its_status() {
    stand_ins();
    let error = hub("2-2", 3).switch(false, None).unwrap_err().to_string();
    assert!(
        error.contains("`uhubctl -l 2-2 -p 3 -a off` left the port powered: `Port 3: 0100 power`"),
        "{error}"
    );
}

#[test]
fn a_failing_uhubctl_is_named_with_its_exit_status_and_what_it_said() {
    stand_ins();
    let error = hub("9-9", 1).switch(true, None).unwrap_err().to_string();
    assert!(
        error.contains("uhubctl `uhubctl -l 9-9 -p 1 -a on` failed (exit status: 1): No compatible devices detected!"),
        "{error}"
    );
}

#[test]
fn a_command_backend_runs_its_argv_for_on_and_off() {
    stand_ins();
    let power = PowerBy::Command {
        on: vec![
            "power-switch".into(),
            "--port".into(),
            "cmd-test".into(),
            "on".into(),
        ],
        off: vec![
            "power-switch".into(),
            "--port".into(),
            "cmd-test".into(),
            "off".into(),
        ],
    };
    power.switch(true, None).unwrap();
    power.switch(false, None).unwrap();
    assert_eq!(
        calls("power-switch", "cmd-test"),
        ["--port cmd-test on", "--port cmd-test off"]
    );
}

#[test]
fn a_failing_command_is_named_with_its_exit_status_and_what_it_said() {
    stand_ins();
    let power = PowerBy::Command {
        on: vec!["power-fail".into(), "3".into(), "on".into()],
        off: vec!["power-fail".into(), "3".into(), "off".into()],
    };
    let error = power.switch(true, None).unwrap_err().to_string();
    assert!(
        error.contains(
            "the power command `power-fail 3 on` failed (exit status: 4): relay 3: no such channel"
        ),
        "{error}"
    );
    assert_eq!(calls("power-fail", "3 on"), ["3 on"]);
    let missing = PowerBy::Command {
        on: vec!["hil-no-such-power-tool".into()],
        off: vec!["hil-no-such-power-tool".into()],
    };
    let error = missing.switch(true, None).unwrap_err().to_string();
    assert!(
        error.contains("cannot run the power command `hil-no-such-power-tool`"),
        "{error}"
    );
}

#[test]
fn checking_a_supply_only_asks_its_query() {
    let instrument = Instrument::start("\n", supply());
    let detail = scpi(&instrument.path, "\n", Some("OUTP?")).check().unwrap();
    assert_eq!(instrument.received(), b"OUTP?\n", "nothing switched");
    assert_eq!(detail, "`OUTP?` answers `0` (output off)");
}

#[test]
fn checking_a_hub_lists_it_without_switching_and_a_missing_port_is_named() {
    stand_ins();
    let detail = hub("3-1", 2).check().unwrap();
    assert_eq!(detail, "hub 3-1 reports `Port 2: 0100 power`");
    assert_eq!(calls("uhubctl", "3-1"), ["-l 3-1"]);
    let error = hub("3-2", 7).check().unwrap_err().to_string();
    assert!(
        error.contains("`uhubctl -l 3-2` lists no port 7; run `uhubctl` to see the hubs and ports it can switch"),
        "{error}"
    );
}
