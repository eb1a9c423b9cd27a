//! [`spawn`] and [`output`]: children in their own process group that die with `hil`.

use std::io;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Sender};
use std::sync::OnceLock;

/// What the spawner thread is asked: start this command, answer here.
type Job = (Command, Sender<io::Result<Child>>);

/// The one thread that forks every child. Linux sends the parent-death
/// signal when the thread that forked the child ends, not the process: a
/// child forked by a worker thread (tokio's blocking pool retires idle
/// threads after seconds) would be killed while `hil` still needs it. This
/// thread waits on a channel whose sender is never dropped, so it ends only
/// with the process.
fn spawner() -> &'static Sender<Job> {
    static SPAWNER: OnceLock<Sender<Job>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("hil-spawner".into())
            .spawn(move || {
                for (mut command, reply) in rx {
                    let _ = reply.send(supervised(&mut command).spawn());
                }
            })
            .expect("a thread can be started at the first spawn");
        tx
    })
}

/// Starts `command` as a child that never outlives `hil` and does not share
/// its terminal's process group (see the crate docs).
///
/// # Errors
/// What [`Command::spawn`] reports; also `ESRCH` if `hil` was exiting while
/// the child started (the child is gone then).
pub fn spawn(command: Command) -> io::Result<Child> {
    let (tx, rx) = mpsc::channel();
    spawner()
        .send((command, tx))
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    rx.recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))?
}

/// Runs `command` to completion as [`spawn`] starts it and collects its
/// output (stdin closed, stdout and stderr captured), like
/// [`Command::output`].
///
/// # Errors
/// What [`spawn`] or waiting for the child reports.
pub fn output(mut command: Command) -> io::Result<Output> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    spawn(command)?.wait_with_output()
}

/// `command` set up to start in its own process group with a parent-death signal.
fn supervised(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt as _;
    command.process_group(0);
    #[cfg(target_os = "linux")]
    {
        // The id of `hil`, read before the fork: after it, `getppid` in the
        // child says whether `hil` is still there.
        let parent = libc::pid_t::try_from(std::process::id()).unwrap_or(0);
        // SAFETY: the closure runs in the forked child before exec, where
        // only async-signal-safe calls are allowed: it makes two system
        // calls (prctl, getppid) and builds errors from raw OS codes, which
        // allocate nothing. It touches no memory shared with the parent.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(io::Error::last_os_error());
                }
                // `hil` died between the fork and the prctl: no signal will
                // come, so do not start.
                if libc::getppid() != parent {
                    return Err(io::Error::from_raw_os_error(libc::ESRCH));
                }
                Ok(())
            })
        };
    }
    command
}
