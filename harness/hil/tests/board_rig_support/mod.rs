//! An emulated board for `board_rig.rs`: `hil emulate-board` as a child, a scratch repository with a board rig driving it through `command` power, `flash:` and (optionally) `reset:`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};

use crate::support::{copy_dir, repo};
pub use crate::support::{hil, text};

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

/// One emulated board at a time in a test binary. Every byte into a board
/// passes through QEMU's main loop, which must get a core: on a 2-core
/// machine, a slice of 24 cases took 28 s on one board alone and 70-74 s on
/// each of two side by side (measured while the agent still waited for
/// bytes in a busy loop, before `firmware/agent/src/sleep.rs`; not measured
/// since). The tests take turns instead.
static ONE_BOARD: Mutex<()> = Mutex::new(());

/// A running emulated board and a scratch repository whose
/// `rigs/an505-board.yaml` drives it.
pub struct Lab {
    /// Declared first: the board stops before its folder goes.
    _board: Children,
    /// Held while the board runs (declared after it: released once it stopped).
    _turn: MutexGuard<'static, ()>,
    /// The board's HTTP port (`http://127.0.0.1:P`).
    pub url: String,
    tmp: tempfile::TempDir,
}

impl Lab {
    /// A board without a reset action: every case power-cycles it.
    /// `None` (after saying why) when QEMU is not installed and
    /// `HIL_REQUIRE_QEMU` is unset.
    pub fn start(name: &str) -> Option<Lab> {
        Lab::start_with(name, false)
    }

    /// As [`Lab::start`]; with `reset`, the rig file names the board's
    /// reset line (`reset: { command: [hil, emulate-board, reset, URL] }`).
    pub fn start_with(name: &str, reset: bool) -> Option<Lab> {
        let installed = Command::new("qemu-system-arm")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            let why = "the board rig test needs qemu-system-arm (apt-get install qemu-system-arm)";
            assert!(std::env::var_os("HIL_REQUIRE_QEMU").is_none(), "{why}");
            eprintln!("skipped: {why}");
            return None;
        }
        // A test that failed holding the turn poisoned it; the next one
        // still runs.
        let turn = ONE_BOARD.lock().unwrap_or_else(|e| e.into_inner());
        let repo = repo();
        let tmp = tempfile::Builder::new()
            .prefix(&format!("hil-board-{name}-"))
            .tempdir()
            .unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("rigs")).unwrap();
        copy_dir(&repo.join("conformance"), &root.join("conformance"));
        std::fs::copy(repo.join("rigs/sim.yaml"), root.join("rigs/sim.yaml")).unwrap();
        // QEMU runs this repository's images, as the board does; like the
        // board's, its case limit is generous, so a busy machine slows the
        // reference down instead of failing it.
        let qemu = std::fs::read_to_string(repo.join("rigs/qemu-an505.yaml"))
            .unwrap()
            .lines()
            .map(|l| {
                if l.starts_with("case_timeout_ms:") {
                    "case_timeout_ms: 120000\n".to_owned()
                } else {
                    format!("{l}\n")
                }
            })
            .collect::<String>();
        std::fs::write(
            root.join("rigs/qemu-an505.yaml"),
            qemu.replacen(
                "qemu:\n",
                &format!("qemu:\n  firmware: {}\n", repo.display()),
                1,
            ),
        )
        .unwrap();
        // The board builds the images first (cached after the first time).
        let mut board = Command::new(env!("CARGO_BIN_EXE_hil"))
            .args(["--root", repo.to_str().unwrap(), "emulate-board"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = board.stdout.take().unwrap();
        let children = Children(vec![board]);
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        // Keep reading what it says, so its stdout never closes under it.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let ports: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!("the emulated board did not say where it is ({e}): {line:?}")
        });
        let url = ports["url"].as_str().unwrap().to_owned();
        let hil = env!("CARGO_BIN_EXE_hil");
        let control = |args: &[&str]| {
            let quoted: Vec<String> = [hil, "emulate-board"]
                .iter()
                .chain(args)
                .map(|a| format!("'{a}'"))
                .collect();
            format!("[{}]", quoted.join(", "))
        };
        let reset = if reset {
            format!("  reset: {{ command: {} }}\n", control(&["reset", &url]))
        } else {
            String::new()
        };
        std::fs::write(
            root.join("rigs/an505-board.yaml"),
            format!(
                "name: an505-board\nkind: board\ndescription: QEMU as a board, power, flashing and reset by command\ncase_timeout_ms: 120000\nboard:\n  firmware: {}\n  images: an505\n  agent_link: {{ serial: {} }}\n  cloud_link: {{ serial: {} }}\n  power:\n    command:\n      on: {}\n      off: {}\n    settle_ms: 20\n  flash: {{ command: {} }}\n{reset}",
                repo.display(),
                ports["agent_link"].as_str().unwrap(),
                ports["cloud_link"].as_str().unwrap(),
                control(&["power", &url, "on"]),
                control(&["power", &url, "off"]),
                control(&["flash", &url]),
            ),
        )
        .unwrap();
        Some(Lab {
            _board: children,
            _turn: turn,
            url,
            tmp,
        })
    }

    pub fn root(&self) -> &Path {
        self.tmp.path()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // A failed test keeps its reports (and the board's logs) to read.
        if std::thread::panicking() {
            let kept = std::mem::replace(&mut self.tmp, tempfile::tempdir().unwrap()).keep();
            eprintln!("the scratch repository is kept: {}", kept.display());
        }
    }
}

/// What happened to the board so far (`on`, `off`, `flash`, `reset`), asked with
/// `hil emulate-board status`.
pub fn events(lab: &Lab) -> Vec<String> {
    let out = hil(lab.root(), &["emulate-board", "status", &lab.url]);
    assert!(out.status.success(), "{}", text(&out));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    status["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["what"].as_str().unwrap().to_owned())
        .collect()
}
