//! `hil run --rig qemu-an505` stopped the ways a lab stops it: QEMU never outlives `hil`, Ctrl-C is an interrupt, never a rig error.
//!
//! - SIGKILL (no handler runs): QEMU must die with `hil` (parent-death signal).
//! - SIGTERM (what CI sends on cancel): handled like Ctrl-C — exit 130, the
//!   report marked `interrupted`, no QEMU and no scratch folder left.
//! - Ctrl-C in a terminal (SIGINT to the whole foreground process group):
//!   the same, and the case in flight is not turned into a rig error by
//!   QEMU dying under it.
//!
//! - SIGKILL mid-run, on the sim and on QEMU: the report folder is still
//!   valid (`results.json` parses and says `running`, `junit.xml` is whole),
//!   and read the way `hil` reads it (completed from `events.jsonl`) it
//!   holds every case whose transcript was written before the kill.
//!
//! Each `hil` runs with its own `TMPDIR`, so its scratch folders are found
//! and counted. Without `qemu-system-arm` the QEMU trials are ignored with
//! the reason (a failure under `HIL_REQUIRE_QEMU=1`, as in CI).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

mod support;

use support::repo;

/// The state letter and parent of `/proc/<pid>/stat`.
fn stat(pid: u32) -> Option<(char, u32, String)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, rest) = text.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_owned();
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid, comm))
}

fn running(pid: u32) -> bool {
    matches!(stat(pid), Some((s, _, _)) if s != 'Z' && s != 'X')
}

/// The QEMU that `parent` started, if one runs.
fn qemu_of(parent: u32) -> Option<u32> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|&pid| {
            matches!(stat(pid), Some((s, ppid, comm)) if ppid == parent && comm.starts_with("qemu-system") && s != 'Z')
        })
}

/// One `hil run` on QEMU with its own TMPDIR and reports folder.
struct Run {
    hil: Child,
    tmp: tempfile::TempDir,
    reports: PathBuf,
}

impl Run {
    /// Starts the whole suite on QEMU (long enough to be stopped mid-run);
    /// `own_group` makes `hil` lead a process group, as a shell does with a
    /// foreground job.
    fn start(own_group: bool) -> Result<Run, Failed> {
        Run::start_on("qemu-an505", own_group)
    }

    /// [`Run::start`] on `rig`.
    fn start_on(rig: &str, own_group: bool) -> Result<Run, Failed> {
        use std::os::unix::process::CommandExt as _;
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let reports = tmp.path().join("reports");
        let scratch = tmp.path().join("tmp");
        std::fs::create_dir(&scratch).map_err(|e| e.to_string())?;
        let mut command = Command::new(env!("CARGO_BIN_EXE_hil"));
        command
            .args(["--root", repo().to_str().unwrap(), "run", "--rig", rig])
            .arg("--reports")
            .arg(&reports)
            .env("TMPDIR", &scratch)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if own_group {
            command.process_group(0);
        }
        let hil = command.spawn().map_err(|e| e.to_string())?;
        Ok(Run { hil, tmp, reports })
    }

    /// Waits for QEMU to run a case: it is up, and `hil` got going.
    fn qemu(&mut self) -> Result<u32, Failed> {
        // The first run may build the firmware images.
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            if let Some(pid) = qemu_of(self.hil.id()) {
                // Let the first case get under way.
                std::thread::sleep(Duration::from_secs(2));
                return Ok(pid);
            }
            if let Ok(Some(status)) = self.hil.try_wait() {
                return Err(
                    format!("hil exited ({status}) before QEMU ran: {}", self.stderr()).into(),
                );
            }
            if Instant::now() > deadline {
                return Err("no QEMU within 10 minutes".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stderr(&mut self) -> String {
        use std::io::Read as _;
        let mut text = String::new();
        if let Some(mut err) = self.hil.stderr.take() {
            let _ = err.read_to_string(&mut text);
        }
        text
    }

    /// Waits for `hil` to exit (it finishes the case under way first).
    fn exit_code(&mut self) -> Result<Option<i32>, Failed> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.hil.try_wait().map_err(|e| e.to_string())? {
                return Ok(status.code());
            }
            if Instant::now() > deadline {
                let _ = self.hil.kill();
                return Err("hil did not exit within 2 minutes of the signal".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn report(&self) -> Result<hil_report::RunReport, Failed> {
        let text = std::fs::read_to_string(self.reports.join("latest/results.json"))
            .map_err(|e| format!("results.json: {e}"))?;
        serde_json::from_str(&text).map_err(|e| format!("results.json: {e}").into())
    }

    /// Scratch folders `hil` left in its TMPDIR.
    fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.tmp.path().join("tmp"))
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Sends `signal` to `target` (a pid, or `-pgid` for a process group).
fn kill(signal: &str, target: &str) -> Result<(), Failed> {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), "--", target])
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("kill -{signal} {target} failed").into())
    }
}

/// Waits up to 5 s for `pid` to be gone; kills it (and fails) if it is not.
fn gone(pid: u32, what: &str) -> Result<(), Failed> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while running(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if running(pid) {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        return Err(format!("QEMU ({pid}) still ran 5 s after {what}").into());
    }
    Ok(())
}

fn sigkill() -> Result<(), Failed> {
    let mut run = Run::start(false)?;
    let qemu = run.qemu()?;
    run.hil.kill().map_err(|e| e.to_string())?;
    let _ = run.hil.wait();
    gone(qemu, "hil was killed with SIGKILL")?;
    killed_report(&run.reports.join("latest"))
}

/// The transcripts a run wrote: `(rig, case_id)` of every finished case.
fn transcripts(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for rig in std::fs::read_dir(dir.join("transcripts"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for case in std::fs::read_dir(rig.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = case.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".txt") {
                found.push((
                    rig.file_name().to_string_lossy().into_owned(),
                    id.to_owned(),
                ));
            }
        }
    }
    found
}

/// The report folder of a run killed with SIGKILL: valid files, and every
/// case that finished (its transcript exists) in the report as `hil` reads
/// it; at most one more (its journal line was written, not its transcript).
fn killed_report(dir: &Path) -> Result<(), Failed> {
    let text = std::fs::read_to_string(dir.join("results.json"))
        .map_err(|e| format!("results.json after SIGKILL: {e}"))?;
    let written: hil_report::RunReport =
        serde_json::from_str(&text).map_err(|e| format!("results.json after SIGKILL: {e}"))?;
    if written.status != hil_report::RunStatus::Running {
        return Err(format!("a killed run's results.json says {:?}", written.status).into());
    }
    let report = hil_report::complete_from_journal(dir, written.clone())
        .map_err(|e| format!("the journal after SIGKILL: {e}"))?;
    let finished = transcripts(dir);
    let missing: Vec<_> = finished
        .iter()
        .filter(|(rig, id)| {
            !report
                .cases
                .iter()
                .any(|c| &c.rig == rig && &c.case_id == id)
        })
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{} case(s) finished before the kill (transcripts) but are not in the report: {missing:?}",
            missing.len()
        )
        .into());
    }
    if report.cases.len() > finished.len() + 1 || report.summary.total != report.cases.len() {
        return Err(format!(
            "the report holds {} cases (summary {}) for {} transcripts",
            report.cases.len(),
            report.summary.total,
            finished.len()
        )
        .into());
    }
    if !finished.is_empty() {
        let junit = std::fs::read_to_string(dir.join("junit.xml"))
            .map_err(|e| format!("junit.xml after SIGKILL: {e}"))?;
        let whole = junit.starts_with("<?xml") && junit.trim_end().ends_with("</testsuites>");
        let known = junit.matches("<testcase ").count() <= report.cases.len();
        if !whole || !known {
            return Err(format!("junit.xml after SIGKILL is not a whole report: {junit}").into());
        }
    }
    eprintln!(
        "killed run: {} finished, results.json had {}, the journal {}",
        finished.len(),
        written.cases.len(),
        report.cases.len()
    );
    Ok(())
}

/// `hil run` on the sim, killed with SIGKILL once some dozens of cases
/// finished: the report read back holds every one of them.
fn sim_sigkill() -> Result<(), Failed> {
    let mut run = Run::start_on("sim", false)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let dir = run.reports.join("latest");
    while transcripts(&dir).len() < 40 {
        if let Ok(Some(status)) = run.hil.try_wait() {
            return Err(format!("hil exited ({status}) before 40 cases: {}", run.stderr()).into());
        }
        if Instant::now() > deadline {
            let _ = run.hil.kill();
            return Err("fewer than 40 cases within 2 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    run.hil.kill().map_err(|e| e.to_string())?;
    let _ = run.hil.wait();
    killed_report(&dir)
}

/// The checks after an interrupt: exit 130, the report says interrupted,
/// no case is a rig error, no QEMU and no scratch folder is left.
fn interrupted(run: &mut Run, qemu: u32, how: &str) -> Result<(), Failed> {
    let code = run.exit_code()?;
    let stderr = run.stderr();
    gone(qemu, how)?;
    if code != Some(130) {
        return Err(format!("hil exited with {code:?} after {how}, not 130: {stderr}").into());
    }
    let report = run.report()?;
    if report.status != hil_report::RunStatus::Interrupted || report.exit_code != Some(130) {
        return Err(format!(
            "results.json says {:?} (exit {:?}) after {how}",
            report.status, report.exit_code
        )
        .into());
    }
    let errors: Vec<String> = report
        .cases
        .iter()
        .filter(|c| matches!(c.outcome, hil_report::Outcome::Error { .. }))
        .map(|c| format!("{}: {:?}", c.case_id, c.outcome))
        .collect();
    if !errors.is_empty() {
        return Err(format!("{how} made rig errors of cases: {errors:?}").into());
    }
    let left = run.leftovers();
    if !left.is_empty() {
        return Err(format!("{how} left scratch folders behind: {left:?}").into());
    }
    Ok(())
}

fn sigterm() -> Result<(), Failed> {
    let mut run = Run::start(false)?;
    let qemu = run.qemu()?;
    kill("TERM", &run.hil.id().to_string())?;
    interrupted(&mut run, qemu, "SIGTERM")
}

fn terminal_ctrl_c() -> Result<(), Failed> {
    let mut run = Run::start(true)?;
    let qemu = run.qemu()?;
    // What a terminal does on Ctrl-C: SIGINT to the foreground process group.
    kill("INT", &format!("-{}", run.hil.id()))?;
    interrupted(&mut run, qemu, "Ctrl-C in the terminal")
}

fn main() {
    let mut args = Arguments::from_args();
    // One QEMU at a time.
    args.test_threads = Some(1);
    let installed = hil_rig::qemu::installed(Path::new("qemu-system-arm"));
    if !installed && std::env::var_os("HIL_REQUIRE_QEMU").is_some() {
        eprintln!("HIL_REQUIRE_QEMU is set but qemu-system-arm is not installed");
        std::process::exit(101);
    }
    let trial = |name: &str, test: fn() -> Result<(), Failed>| {
        Trial::test(name, test).with_ignored_flag(!installed)
    };
    let trials = vec![
        Trial::test(
            "a_sim_run_killed_mid_run_leaves_a_report_of_every_finished_case",
            sim_sigkill,
        ),
        trial("qemu_dies_with_hil_on_sigkill", sigkill),
        trial(
            "sigterm_is_an_interrupt_and_leaves_no_qemu_and_no_scratch",
            sigterm,
        ),
        trial(
            "ctrl_c_in_a_terminal_is_an_interrupt_not_a_rig_error",
            terminal_ctrl_c,
        ),
    ];
    if !installed {
        eprintln!("qemu-system-arm is not installed: the QEMU trials are ignored (the sim's runs)");
    }
    libtest_mimic::run(&args, trials).exit();
}
