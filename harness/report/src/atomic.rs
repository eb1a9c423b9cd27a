//! Atomic file replacement, so a reader (or a killed run) never sees half a file.

use std::fs;
use std::path::Path;

use crate::error::ReportError;

/// Writes `contents` to `<path>.tmp`, then renames it over `path`.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), ReportError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = Path::new(&tmp);
    fs::write(tmp, contents).map_err(|source| ReportError::Write {
        path: tmp.to_owned(),
        source,
    })?;
    fs::rename(tmp, path).map_err(|source| ReportError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Writes `contents` to `path`, creating its parent directories.
pub(crate) fn write_creating_dirs(path: &Path, contents: &[u8]) -> Result<(), ReportError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|source| ReportError::Write {
            path: parent.to_owned(),
            source,
        })?;
    }
    write_atomic(path, contents)
}
