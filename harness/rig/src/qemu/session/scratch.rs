//! The session's scratch folder (NVM file, UART logs, QMP socket), removed with the session.

use std::path::Path;

use super::super::nvm::NvmFile;
use crate::RigError;

/// The session's scratch folder and the NVM file in it.
pub(super) struct Scratch {
    pub(super) nvm: NvmFile,
    dir: tempfile::TempDir,
}

impl Scratch {
    pub(super) fn new(name: &str) -> Result<Scratch, RigError> {
        let dir = hil_proc::scratch(name)
            .map_err(|e| RigError::Link(format!("cannot create a scratch folder: {e}")))?;
        Ok(Scratch {
            nvm: NvmFile::new(&dir.path().join("nvm.bin")),
            dir,
        })
    }

    pub(super) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Empties the folder for a fresh QEMU.
    pub(super) fn clear(&self) -> Result<(), RigError> {
        let path = self.path();
        let _ = std::fs::remove_dir_all(path);
        std::fs::create_dir_all(path)
            .map_err(|e| RigError::Link(format!("cannot create {}: {e}", path.display())))
    }
}
