//! Keeps probe-rs's `FakeProbe` quiet: its mocked core prints every register access to stdout, which would bury a command's own output.
//!
//! [`super::plan::dry_run_quietly`] is the only user, for commands that
//! plan on their one thread (`hil rig check`): stdout (file descriptor 1)
//! points at `/dev/null` while the dry run runs and is put back
//! afterwards, even if it panics. Another thread writing to stdout
//! meanwhile would lose its lines, so tests (many threads, whose output
//! libtest captures anyway) call the plain `dry_run`.

#![allow(unsafe_code)]

use std::io::Write as _;
use std::os::fd::{AsFd as _, AsRawFd as _, OwnedFd};

/// Puts the saved stdout back when dropped.
struct Restore(Option<OwnedFd>);

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = std::io::stdout().flush();
        if let Some(saved) = self.0.take() {
            // SAFETY: dup2 only makes fd 1 a copy of `saved`, an open
            // descriptor this guard owns (closed when it drops after this).
            unsafe { libc::dup2(saved.as_raw_fd(), libc::STDOUT_FILENO) };
        }
    }
}

/// Runs `f` with stdout sent to `/dev/null`; if that cannot be arranged,
/// runs it as it is (the output is noisier, nothing else changes).
pub(crate) fn without_stdout<T>(f: impl FnOnce() -> T) -> T {
    let _ = std::io::stdout().flush();
    let saved = std::io::stdout().as_fd().try_clone_to_owned().ok();
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .ok();
    let guard = match (saved, null) {
        (Some(saved), Some(null)) => {
            // SAFETY: both descriptors are open and owned here; dup2 only
            // points fd 1 at /dev/null (the guard points it back).
            let moved = unsafe { libc::dup2(null.as_raw_fd(), libc::STDOUT_FILENO) };
            Restore((moved >= 0).then_some(saved))
        }
        _ => Restore(None),
    };
    let result = f();
    drop(guard);
    result
}
