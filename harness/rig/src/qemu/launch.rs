//! The one QEMU launcher: a [`Launch`] describes a start, [`Machine`] is the running process.
//!
//! Both users start QEMU the same way: the machine (with the NVM region
//! backed by a file when the NVM must survive a kill), the secure image as
//! the kernel and, for conformance, the agent through `-device loader`; one
//! `-serial` per UART (a file QEMU appends defmt frames to, a pty the harness
//! opens as a frame link, or nothing); QMP on a unix socket. QEMU starts
//! paused (`-S`): the harness opens every pty first and then sends `cont`,
//! so no byte the device writes at boot is lost.
//!
//! A [`Machine`] that goes away kills and reaps its QEMU; QEMU is started
//! through `hil_proc`, so it dies with `hil` even when `hil` is killed, and
//! sits in its own process group, out of reach of the terminal's Ctrl-C: no
//! QEMU is ever left behind, whatever path dropped it.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{FrameLink, QemuConfig, Qmp, BAUD};
use crate::RigError;

/// Where one UART of the machine goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Serial {
    /// Written to a file (defmt frames are decoded from it).
    File(PathBuf),
    /// A pty the harness opens as a [`FrameLink`].
    Pty,
    /// A pty the harness opens as a plain serial port (to bridge its bytes elsewhere).
    PtyRaw,
    /// Nowhere.
    Null,
}

impl Serial {
    fn arg(&self) -> OsString {
        match self {
            Serial::File(path) => {
                let mut arg = OsString::from("file:");
                arg.push(path);
                arg
            }
            Serial::Pty | Serial::PtyRaw => "pty".into(),
            Serial::Null => "null".into(),
        }
    }
}

/// How to start one QEMU.
#[derive(Clone, Debug)]
pub struct Launch {
    binary: PathBuf,
    machine: String,
    kernel: PathBuf,
    qmp: PathBuf,
    boot_timeout: Duration,
    extra_args: Vec<String>,
    /// The NVM file and its size in MiB.
    nvm: Option<(PathBuf, u64)>,
    loader: Option<PathBuf>,
    serials: Vec<Serial>,
    stderr: Option<PathBuf>,
}

impl Launch {
    /// The rig's QEMU (binary, machine, extra arguments, boot timeout) with
    /// `kernel` (the secure image) and its monitor on the unix socket `qmp`.
    pub fn new(config: &QemuConfig, kernel: &Path, qmp: &Path) -> Launch {
        Launch {
            binary: config.binary.clone(),
            machine: config.machine.clone(),
            kernel: kernel.to_owned(),
            qmp: qmp.to_owned(),
            boot_timeout: config.boot_timeout,
            extra_args: config.extra_args.clone(),
            nvm: None,
            loader: None,
            serials: Vec::new(),
            stderr: None,
        }
    }

    /// Back the machine's NVM region with `file` (`size_mib` MiB, shared):
    /// every guest store lands in the file, so it survives a SIGKILL.
    pub fn nvm(mut self, file: &Path, size_mib: u64) -> Launch {
        self.nvm = Some((file.to_owned(), size_mib));
        self
    }

    /// Load `image` (the agent) next to the kernel (`-device loader`).
    pub fn loader(mut self, image: &Path) -> Launch {
        self.loader = Some(image.to_owned());
        self
    }

    /// The next UART (UART0 first).
    pub fn serial(mut self, serial: Serial) -> Launch {
        self.serials.push(serial);
        self
    }

    /// Write QEMU's own messages to `file` (quoted when QEMU does not start).
    pub fn stderr(mut self, file: &Path) -> Launch {
        self.stderr = Some(file.to_owned());
        self
    }

    /// The command line after the binary.
    pub fn args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["-M".into()];
        match &self.nvm {
            Some(_) => args.push(format!("{},memory-backend=nvm", self.machine).into()),
            None => args.push(self.machine.clone().into()),
        }
        if let Some((file, size_mib)) = &self.nvm {
            let mut object = OsString::from(format!(
                "memory-backend-file,id=nvm,size={size_mib}M,mem-path="
            ));
            object.push(file);
            object.push(",share=on");
            args.extend(["-object".into(), object]);
        }
        for arg in [
            "-display",
            "none",
            "-monitor",
            "none",
            "-semihosting-config",
            "enable=on,target=native",
        ] {
            args.push(arg.into());
        }
        for serial in &self.serials {
            args.extend(["-serial".into(), serial.arg()]);
        }
        let mut qmp = OsString::from("unix:");
        qmp.push(&self.qmp);
        qmp.push(",server=on,wait=off");
        args.extend(["-qmp".into(), qmp]);
        args.extend(self.extra_args.iter().map(OsString::from));
        args.extend(["-kernel".into(), self.kernel.clone().into_os_string()]);
        if let Some(image) = &self.loader {
            let mut device = OsString::from("loader,file=");
            device.push(image);
            args.extend(["-device".into(), device]);
        }
        args.push("-S".into());
        args
    }

    /// Starts QEMU paused, connects QMP, opens every pty UART and lets the
    /// machine run. Any failure on the way kills the half-started QEMU.
    pub fn start(&self) -> Result<Machine, RigError> {
        let _ = std::fs::remove_file(&self.qmp);
        let stderr = match &self.stderr {
            Some(path) => File::create(path)
                .map(Stdio::from)
                .map_err(|e| RigError::Link(format!("cannot create {}: {e}", path.display())))?,
            None => Stdio::null(),
        };
        let mut command = Command::new(&self.binary);
        command
            .args(self.args())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        // Its own process group and a parent-death signal: QEMU never gets
        // the terminal's Ctrl-C and never outlives `hil`.
        let child = hil_proc::spawn(command)
            .map_err(|e| RigError::Link(format!("cannot start {}: {e}", self.binary.display())))?;
        let mut machine = Machine {
            child,
            qmp: None,
            links: Vec::new(),
            raw: Vec::new(),
        };
        let stderr_file = self.stderr.clone();
        let qmp = Qmp::connect(&self.qmp, self.boot_timeout, &mut || {
            let status = machine.exited()?;
            let said = stderr_file
                .as_deref()
                .and_then(|f| std::fs::read_to_string(f).ok())
                .map(|s| s.trim().replace('\n', " | "))
                .filter(|s| !s.is_empty())
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            Some(RigError::Link(format!(
                "QEMU exited ({status}) before its monitor came up{said}"
            )))
        })?;
        let qmp = machine.qmp.insert(qmp);
        for (uart, serial) in self.serials.iter().enumerate() {
            let (link, raw) = match serial {
                Serial::Pty => (
                    Some(FrameLink::open(
                        &qmp.pty_of(&format!("serial{uart}"))?,
                        BAUD,
                    )?),
                    None,
                ),
                Serial::PtyRaw => {
                    let path = qmp.pty_of(&format!("serial{uart}"))?;
                    let port = serialport::new(&path, BAUD)
                        .timeout(Duration::from_millis(20))
                        .open()
                        .map_err(|e| RigError::Link(format!("cannot open {path}: {e}")))?;
                    (None, Some(port))
                }
                Serial::File(_) | Serial::Null => (None, None),
            };
            machine.links.push(link);
            machine.raw.push(raw);
        }
        qmp.execute("cont", json!({}))?;
        Ok(machine)
    }
}

/// A running QEMU, its monitor and its UART links. Dropping it kills and reaps QEMU.
pub struct Machine {
    child: Child,
    qmp: Option<Qmp>,
    links: Vec<Option<FrameLink>>,
    raw: Vec<Option<Box<dyn serialport::SerialPort>>>,
}

impl Drop for Machine {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Machine {
    /// The monitor.
    pub fn qmp(&mut self) -> &mut Qmp {
        self.qmp.as_mut().expect("a started machine has a monitor")
    }

    /// The frame link on UART `uart` (a [`Serial::Pty`]), once.
    pub fn take_link(&mut self, uart: usize) -> Option<FrameLink> {
        self.links.get_mut(uart).and_then(Option::take)
    }

    /// The plain serial port on UART `uart` (a [`Serial::PtyRaw`]), once.
    pub fn take_raw(&mut self, uart: usize) -> Option<Box<dyn serialport::SerialPort>> {
        self.raw.get_mut(uart).and_then(Option::take)
    }

    /// QEMU's process id (to read its CPU time from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How QEMU exited, if it has.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Pauses the machine (QMP `stop`): nothing runs and nothing changes
    /// its memory until [`Self::reset_and_run`].
    pub fn pause(&mut self) -> Result<(), RigError> {
        self.qmp().execute("stop", json!({})).map(drop)
    }

    /// Resets the machine (QMP `system_reset`, waiting for QEMU to carry it
    /// out) and lets it run: the images boot again from their reset
    /// vectors, on whatever the file-backed memory holds now.
    pub fn reset_and_run(&mut self) -> Result<(), RigError> {
        let qmp = self.qmp();
        qmp.execute_until("system_reset", json!({}), Some("RESET"))?;
        qmp.execute("cont", json!({})).map(drop)
    }

    /// SIGKILL, without waiting (a power cut at this instant). False if the
    /// signal could not be sent.
    pub fn signal_kill(&mut self) -> bool {
        self.child.kill().is_ok()
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits up to `within` for QEMU to exit on its own.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use super::{Launch, Serial};
    use crate::qemu::QemuConfig;

    fn config() -> QemuConfig {
        QemuConfig {
            binary: PathBuf::from("qemu-system-arm"),
            machine: "mps2-an505".into(),
            root: PathBuf::from("."),
            boot_timeout: Duration::from_secs(10),
            exec_timeout: Duration::from_secs(5),
            extra_args: vec!["-icount".into(), "shift=0".into()],
        }
    }

    fn line(launch: &Launch) -> String {
        launch
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn the_conformance_machine_loads_both_images() {
        let launch = Launch::new(&config(), Path::new("/i/secure"), Path::new("/w/qmp.sock"))
            .serial(Serial::File("/w/uart0-secure.defmt".into()))
            .serial(Serial::Pty)
            .serial(Serial::File("/w/uart2-agent.defmt".into()))
            .serial(Serial::Pty)
            .loader(Path::new("/i/agent"));
        assert_eq!(
            line(&launch),
            "-M mps2-an505 -display none -monitor none -semihosting-config enable=on,target=native \
             -serial file:/w/uart0-secure.defmt -serial pty -serial file:/w/uart2-agent.defmt -serial pty \
             -qmp unix:/w/qmp.sock,server=on,wait=off -icount shift=0 -kernel /i/secure \
             -device loader,file=/i/agent -S"
        );
    }

    #[test]
    fn the_ota_machine_boots_the_secure_image_on_file_backed_nvm() {
        let launch = Launch::new(&config(), Path::new("/i/secure"), Path::new("/w/qmp.sock"))
            .nvm(Path::new("/w/nvm.bin"), 16)
            .serial(Serial::File("/w/uart0-secure.defmt".into()))
            .serial(Serial::Pty)
            .serial(Serial::Null)
            .serial(Serial::Pty);
        assert_eq!(
            line(&launch),
            "-M mps2-an505,memory-backend=nvm -object memory-backend-file,id=nvm,size=16M,mem-path=/w/nvm.bin,share=on \
             -display none -monitor none -semihosting-config enable=on,target=native \
             -serial file:/w/uart0-secure.defmt -serial pty -serial null -serial pty \
             -qmp unix:/w/qmp.sock,server=on,wait=off -icount shift=0 -kernel /i/secure -S"
        );
    }

    #[test]
    fn a_qemu_that_cannot_start_is_a_link_error_naming_the_binary() {
        let mut config = config();
        config.binary = PathBuf::from("/nonexistent/qemu-system-arm");
        let dir = std::env::temp_dir();
        let error = Launch::new(
            &config,
            &dir.join("secure"),
            &dir.join("hil-rig-no-qemu.sock"),
        )
        .start()
        .err()
        .expect("no QEMU there");
        assert!(
            error
                .to_string()
                .contains("cannot start /nonexistent/qemu-system-arm"),
            "{error}"
        );
    }
}
