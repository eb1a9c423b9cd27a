//! The `qemu-an505` rig: the real secure image and agent under `qemu-system-arm`.
//!
//! Everything QEMU lives here, once: the [`Launch`] builder that starts a
//! [`Machine`] (machine, optional file-backed NVM, optional agent image,
//! UARTs, QMP, started paused and continued once the harness is attached),
//! the blocking [`Qmp`] client, the [`FrameLink`] over a UART's pty, the
//! cloud link's shared-memory way in ([`CloudRing`]), the
//! image build ([`build_images`]) and the ELF symbols that decode crashes.
//! The conformance session ([`QemuSession`]) and the OTA power-cut campaign
//! (in `hil-campaign`) both start QEMU through [`Launch`].

mod build;
pub mod emulated_board;
pub mod guard;
mod launch;
mod link;
pub mod nvm;
mod qmp;
mod ring;
mod secure_split;
mod session;
mod symbols;
mod toolchain;

use std::path::PathBuf;
use std::time::Duration;

pub use build::{build_board_images, build_images, ImageBoard, Images, MemoryUse, TARGET};
pub use launch::{Launch, Machine, Serial};
pub use link::{Ended, FrameLink};
pub use nvm::{agent_factory, agent_rom, NvmFile, NVM_MIB};
pub use qmp::Qmp;
pub use ring::{CloudRing, DownRing, UpRing};
pub use secure_split::{SecureLoad, SecureSplit};
pub use session::{Handshake, QemuSession, WayIn};
pub use symbols::Symbols;
pub use toolchain::ensure_target;

/// Settings of a `qemu-an505` rig (from its rig file).
#[derive(Clone, Debug)]
pub struct QemuConfig {
    pub binary: PathBuf,
    pub machine: String,
    /// The repository root: where to build the images.
    pub root: PathBuf,
    pub boot_timeout: Duration,
    pub exec_timeout: Duration,
    /// Extra QEMU arguments (e.g. `-icount shift=0`).
    pub extra_args: Vec<String>,
}

/// Can `binary` be run (`<binary> --version` succeeds)?
pub fn installed(binary: &std::path::Path) -> bool {
    let mut command = std::process::Command::new(binary);
    command.arg("--version");
    hil_proc::output(command).is_ok_and(|o| o.status.success())
}

/// Baud rate of every UART link (QEMU ignores it on a pty; a board does not).
pub const BAUD: u32 = 115_200;
