//! Locks on physical rigs: while a run uses a board, a second run on the same host waits or fails naming the holder.
//!
//! One file per rig under the lock folder (`$HIL_LOCK_DIR`, else
//! `<temp>/hil-locks`), locked with the operating system's advisory file
//! lock (`flock` through `std::fs::File::lock`): the kernel drops it when
//! the holder exits however it exits, so a crashed run never leaves a board
//! locked. The holder writes who it is into the file for the next one to
//! read. Across hosts the lab's own engine locks (a labgrid place).

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::RigError;

/// A held lock on one rig; released when dropped.
#[derive(Debug)]
pub struct RigLock {
    file: File,
    path: PathBuf,
}

/// The folder of the lock files.
pub fn lock_dir() -> PathBuf {
    std::env::var_os("HIL_LOCK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("hil-locks"))
}

impl RigLock {
    /// Locks `rig` in `dir`; with `wait`, waits for the holder to finish,
    /// else fails at once naming it.
    pub fn acquire(dir: &Path, rig: &str, wait: bool) -> Result<RigLock, RigError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            RigError::Link(format!(
                "cannot create the lock folder {}: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join(format!("{rig}.lock"));
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| RigError::Link(format!("cannot open the lock {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) if wait => {
                eprintln!(
                    "rig `{rig}` is in use by {}; waiting for it",
                    holder(&mut file)
                );
                file.lock()
                    .map_err(|e| RigError::Link(format!("cannot lock {}: {e}", path.display())))?;
            }
            Err(TryLockError::WouldBlock) => {
                return Err(RigError::Busy(format!(
                    "rig `{rig}` is in use by {} (lock {}); wait for that run, or pass --wait-for-rigs to queue behind it",
                    holder(&mut file),
                    path.display()
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(RigError::Link(format!(
                    "cannot lock {}: {e}",
                    path.display()
                )));
            }
        }
        let me = format!(
            "pid {} on {} since {}: {}",
            std::process::id(),
            hil_report::host_name(),
            time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            std::env::args().collect::<Vec<_>>().join(" ")
        );
        let _ = file.set_len(0);
        let _ = file.seek(SeekFrom::Start(0));
        let _ = file.write_all(me.as_bytes());
        let _ = file.flush();
        Ok(RigLock { file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RigLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// What the holder wrote into the lock file.
fn holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut text);
    if text.trim().is_empty() {
        "another run".to_owned()
    } else {
        text.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::RigLock;

    #[test]
    fn a_second_holder_fails_naming_the_first_and_gets_it_once_released() {
        let tmp = tempfile::Builder::new()
            .prefix("hil-lock-test-")
            .tempdir()
            .unwrap();
        let dir = tmp.path();
        let first = RigLock::acquire(dir, "u585-1", false).unwrap();
        // Another open file description: as another process would hold it.
        let error = RigLock::acquire(dir, "u585-1", false)
            .unwrap_err()
            .to_string();
        assert!(error.contains("rig `u585-1` is in use by pid"), "{error}");
        assert!(error.contains(&std::process::id().to_string()), "{error}");
        assert!(error.contains("--wait-for-rigs"), "{error}");
        drop(first);
        let again = RigLock::acquire(dir, "u585-1", false).unwrap();
        assert!(again.path().ends_with("u585-1.lock"));
    }
}
