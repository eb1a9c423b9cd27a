//! Scratch folders under the system's temporary folder, removed when dropped; leftovers of killed runs swept.

use std::io;
use std::path::Path;
use std::sync::Once;
use std::time::{Duration, SystemTime};

use tempfile::TempDir;

/// Every scratch folder is `<tmp>/hil-<pid>-<label>-<random>`: the pid says
/// whose it is, so a later run can tell a dead run's folder from a live one's.
pub const SCRATCH_PREFIX: &str = "hil-";

/// A folder is only swept when nothing in it changed for this long: a
/// folder whose pid is not visible here may belong to a run in another pid
/// namespace sharing the temporary folder.
const STALE_AFTER: Duration = Duration::from_secs(10 * 60);

/// A fresh scratch folder named for this process and `label` (e.g.
/// `qemu-an505`); removed with everything in it when the value is dropped.
/// The first call in a process also sweeps what killed runs left behind.
///
/// # Errors
/// If the folder cannot be created.
pub fn scratch(label: &str) -> io::Result<TempDir> {
    static SWEEP: Once = Once::new();
    SWEEP.call_once(|| sweep_stale(&std::env::temp_dir()));
    tempfile::Builder::new()
        .prefix(&format!("{SCRATCH_PREFIX}{}-{label}-", std::process::id()))
        .tempdir()
}

/// Removes the scratch folders in `tmp` whose process is gone and which
/// have not changed for ten minutes (a `hil` killed by SIGKILL removes
/// nothing itself). Folders of other naming schemes are left alone, as is
/// anything that cannot be read or removed.
pub fn sweep_stale(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(owner) else {
            continue;
        };
        let path = entry.path();
        if pid != std::process::id() && !alive(pid) && quiet_since(&path, STALE_AFTER) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// The pid in a scratch folder's name (`hil-<pid>-<label>-<random>`).
fn owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(SCRATCH_PREFIX)?;
    let (pid, tail) = rest.split_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) || tail.is_empty() {
        return None;
    }
    pid.parse().ok()
}

/// Is process `pid` running (as far as this pid namespace can tell)?
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        // Without /proc, never guess a run is dead.
        true
    }
}

/// Neither the folder nor anything directly in it changed for `quiet`.
fn quiet_since(dir: &Path, quiet: Duration) -> bool {
    let Some(cutoff) = SystemTime::now().checked_sub(quiet) else {
        return false;
    };
    let changed = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .map_or(true, |t| t > cutoff)
    };
    if changed(dir) {
        return false;
    }
    match std::fs::read_dir(dir) {
        Ok(entries) => !entries.flatten().any(|e| changed(&e.path())),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::owner;

    #[test]
    fn only_names_with_a_pid_are_scratch_folders() {
        assert_eq!(owner("hil-1234-qemu-an505-Ab12Cd"), Some(1234));
        assert_eq!(owner("hil-qemu-an505-1234-0x7f"), None, "the old naming");
        assert_eq!(owner("hil-engine-fail-1234"), None);
        assert_eq!(owner("hil-1234"), None);
        assert_eq!(owner("other-1234-x"), None);
    }
}
