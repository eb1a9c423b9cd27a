//! Children started through `hil_proc` die with their parent, outlive the thread that asked, and have their own process group.
//!
//! The parent that dies is this test binary run again as a helper
//! (`HIL_PROC_ROLE=parent`): it starts `sleep` through `hil_proc::spawn`,
//! prints the child's pid and waits to be killed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

const ROLE: &str = "HIL_PROC_ROLE";

fn main() {
    if std::env::var_os(ROLE).is_some() {
        be_a_parent();
    }
    let args = Arguments::from_args();
    let trials = vec![
        Trial::test("a_child_dies_with_its_parent_even_on_sigkill", || {
            dies_with_parent("KILL")
        }),
        Trial::test("a_child_dies_with_its_parent_on_sigterm", || {
            dies_with_parent("TERM")
        }),
        Trial::test(
            "a_child_outlives_the_thread_that_started_it",
            outlives_its_thread,
        ),
        Trial::test("a_child_has_a_process_group_of_its_own", own_process_group),
        Trial::test("output_collects_what_the_child_printed", output_works),
        Trial::test("scratch_folders_go_when_dropped", scratch_goes),
        Trial::test("stale_scratch_folders_of_dead_runs_are_swept", stale_swept),
    ];
    libtest_mimic::run(&args, trials).exit();
}

/// The helper: a child through `hil_proc`, its pid on stdout, then wait.
fn be_a_parent() -> ! {
    let mut sleep = Command::new("sleep");
    sleep.arg("1000");
    let child = hil_proc::spawn(sleep).expect("sleep starts");
    println!("{}", child.id());
    std::thread::sleep(Duration::from_secs(1000));
    std::process::exit(0);
}

/// The state letter of `/proc/<pid>/stat`, or `None` once it is gone.
fn state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) S ...`: the comm may hold spaces, the state follows its `)`.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

fn running(pid: u32) -> bool {
    matches!(state(pid), Some(s) if s != 'Z' && s != 'X')
}

fn dies_with_parent(signal: &str) -> Result<(), Failed> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut parent = Command::new(exe)
        .env(ROLE, "parent")
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new(parent.stdout.take().expect("piped"))
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let child: u32 = line.trim().parse().map_err(|e| format!("{e}: {line:?}"))?;
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &parent.id().to_string()])
        .status()
        .map_err(|e| e.to_string())?;
    let _ = parent.wait();
    if !killed.success() {
        return Err("kill failed".into());
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while running(child) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if running(child) {
        // Leave nothing behind, then fail.
        let _ = Command::new("kill")
            .args(["-KILL", &child.to_string()])
            .status();
        return Err(
            format!("the child {child} still runs 5 s after its parent got SIG{signal}").into(),
        );
    }
    Ok(())
}

fn outlives_its_thread() -> Result<(), Failed> {
    let mut child = std::thread::spawn(|| {
        let mut sleep = Command::new("sleep");
        sleep.arg("1000");
        hil_proc::spawn(sleep)
    })
    .join()
    .map_err(|_| "the thread panicked")?
    .map_err(|e| e.to_string())?;
    // The thread that asked is gone; give a death signal time to land.
    std::thread::sleep(Duration::from_millis(300));
    let alive = child.try_wait().map_err(|e| e.to_string())?.is_none();
    let _ = child.kill();
    let _ = child.wait();
    if alive {
        Ok(())
    } else {
        Err("the child died with the thread that asked for it".into())
    }
}

/// Field 5 of `/proc/<pid>/stat`: the process group.
fn process_group(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(2)?
        .parse()
        .ok()
}

fn own_process_group() -> Result<(), Failed> {
    let mut sleep = Command::new("sleep");
    sleep.arg("1000");
    let mut child = hil_proc::spawn(sleep).map_err(|e| e.to_string())?;
    let theirs = process_group(child.id());
    let ours = process_group(std::process::id());
    let _ = child.kill();
    let _ = child.wait();
    match (theirs, ours) {
        (Some(theirs), Some(ours)) if theirs == child.id() && theirs != ours => Ok(()),
        other => Err(format!(
            "child {} has process group {other:?} (child's, ours); it must lead its own",
            child.id()
        )
        .into()),
    }
}

fn output_works() -> Result<(), Failed> {
    let mut echo = Command::new("sh");
    echo.args(["-c", "echo out; echo err >&2; exit 3"]);
    let out = hil_proc::output(echo).map_err(|e| e.to_string())?;
    if out.stdout == b"out\n" && out.stderr == b"err\n" && out.status.code() == Some(3) {
        Ok(())
    } else {
        Err(format!("{out:?}").into())
    }
}

fn scratch_goes() -> Result<(), Failed> {
    let dir = hil_proc::scratch("test").map_err(|e| e.to_string())?;
    let path = dir.path().to_owned();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    if !name.starts_with(&format!("hil-{}-test-", std::process::id())) {
        return Err(format!("unexpected name {name}").into());
    }
    std::fs::write(path.join("nvm.bin"), [0u8; 16]).map_err(|e| e.to_string())?;
    drop(dir);
    if path.exists() {
        return Err(format!("{} is still there", path.display()).into());
    }
    Ok(())
}

/// Sets the modification time of `path` (a file or a folder) to `ago` before now.
fn age(path: &Path, ago: Duration) {
    let t = std::time::SystemTime::now() - ago;
    std::fs::File::open(path).unwrap().set_modified(t).unwrap();
}

fn stale_swept() -> Result<(), Failed> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    // A pid that was just in use and is no more.
    let mut gone = Command::new("true").spawn().map_err(|e| e.to_string())?;
    gone.wait().map_err(|e| e.to_string())?;
    let dead = gone.id();
    let old = Duration::from_secs(3600);
    let make = |name: &str, ago: Option<Duration>| {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("nvm.bin"), b"x").unwrap();
        if let Some(ago) = ago {
            age(&dir.join("nvm.bin"), ago);
            age(&dir, ago);
        }
        dir
    };
    let stale = make(&format!("hil-{dead}-qemu-an505-abc"), Some(old));
    let recent = make(&format!("hil-{dead}-qemu-an505-def"), None);
    let live = make(
        &format!("hil-{}-qemu-an505-ghi", std::process::id()),
        Some(old),
    );
    let other = make(&format!("hil-engine-fail-{dead}"), Some(old));
    hil_proc::sweep_stale(tmp.path());
    let report = [
        (&stale, false, "a dead run's old folder"),
        (&recent, true, "a folder changed a moment ago"),
        (&live, true, "a live run's folder"),
        (&other, true, "a folder of another naming"),
    ];
    for (path, kept, what) in report {
        if path.exists() != kept {
            return Err(format!(
                "{what} ({}) was {}",
                path.display(),
                if kept { "removed" } else { "kept" }
            )
            .into());
        }
    }
    Ok(())
}
