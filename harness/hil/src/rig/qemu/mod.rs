//! The `qemu-an505` rig: the real secure image and agent under QEMU.
//!
//! One QEMU process per session, reused across cases: `reset` is a QMP
//! `system_reset` (QEMU reloads both images), followed by the agent's hello.
//! UART0 carries the secure image's defmt log, UART1 the agent link (a pty
//! opened with `serialport`), UART2 the agent's defmt log, UART3 the cloud
//! link (frames of `mv_proto::{CloudToDevice, DeviceToCloud}`). A request that
//! gets no answer in time is a hang: QEMU is killed and the next case starts
//! a fresh one. A QEMU that exits on its own has faulted (the secure fault
//! handlers log the fault registers and exit through semihosting) or locked
//! up (exit 134); either way the case is an error carrying the evidence.

mod build;
pub(crate) mod link;
pub(crate) mod qmp;
mod symbols;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use hil_report::LogLine;
use mv_proto::{CloudToDevice, DeviceToCloud, Hello, Primitive, Reply, Request, Response};
use serde_json::json;
use tokio::process::{Child, Command};

pub use build::{build_images, Images};
use link::FrameLink;
use qmp::Qmp;

use super::defmt_log::DefmtLog;
use super::{CloudAction, RigError, RigSession};

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

/// What a running QEMU is attached to.
struct Running {
    child: Child,
    qmp: Qmp,
    link: FrameLink,
    cloud: FrameLink,
}

/// A session on QEMU.
pub struct QemuSession {
    name: String,
    config: QemuConfig,
    images: Option<Images>,
    workdir: PathBuf,
    running: Option<Running>,
    logs: Vec<DefmtLog>,
    /// Device log lines not yet handed out.
    pending_logs: Vec<LogLine>,
    /// `mvServerLog` messages the cloud link delivered, not yet handed out.
    server_log: Vec<Vec<u8>>,
    /// The last app crash the kernel reported on the cloud link.
    crash: Option<mv_proto::CrashReport>,
    /// A request was sent and its reply not read (the case was abandoned,
    /// e.g. by its timeout): the link may hold stale bytes in both
    /// directions, so the next reset restarts QEMU instead of resetting it.
    in_flight: bool,
}

impl Drop for QemuSession {
    /// Never leave a QEMU behind: a session that goes away kills its process
    /// (`kill_on_drop` covers tokio's own drop; this covers every path).
    fn drop(&mut self) {
        if let Some(running) = self.running.as_mut() {
            let _ = running.child.start_kill();
        }
    }
}

impl QemuSession {
    pub fn new(name: &str, config: QemuConfig) -> Self {
        let workdir =
            std::env::temp_dir().join(format!("hil-{name}-{}-{:p}", std::process::id(), &config));
        QemuSession {
            name: name.to_owned(),
            config,
            images: None,
            workdir,
            running: None,
            logs: Vec::new(),
            pending_logs: Vec::new(),
            server_log: Vec::new(),
            crash: None,
            in_flight: false,
        }
    }

    /// Read the cloud link: until an `Ack` if `ack_wanted`, else until it is
    /// quiet for `wait`. Log messages are kept for `take_server_log`.
    async fn cloud_receive(&mut self, wait: Duration, ack_wanted: bool) -> Result<(), RigError> {
        let running = self
            .running
            .as_mut()
            .ok_or_else(|| RigError::Link("no device: reset first".into()))?;
        loop {
            match running.cloud.receive::<DeviceToCloud>(wait).await {
                Ok(DeviceToCloud::Log(m)) => self.server_log.push(m),
                Ok(DeviceToCloud::Ack) if ack_wanted => return Ok(()),
                Ok(DeviceToCloud::Ack) => {}
                // No deployment is offered during a conformance case.
                Ok(DeviceToCloud::Ota(_)) => {}
                Ok(DeviceToCloud::Crash(report)) => self.crash = Some(report),
                Err(RigError::Timeout(_)) if !ack_wanted => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    fn collect_logs(&mut self) {
        for log in &mut self.logs {
            self.pending_logs.extend(log.poll());
        }
    }

    async fn start(&mut self) -> Result<(), RigError> {
        if self.images.is_none() {
            let root = self.config.root.clone();
            let images = tokio::task::spawn_blocking(move || build_images(&root))
                .await
                .map_err(|e| RigError::Link(format!("the image build panicked: {e}")))??;
            self.images = Some(images);
        }
        let images = self.images.clone().expect("built above");
        let _ = std::fs::remove_dir_all(&self.workdir);
        std::fs::create_dir_all(&self.workdir).map_err(|e| {
            RigError::Link(format!("cannot create {}: {e}", self.workdir.display()))
        })?;
        let secure_log = self.workdir.join("uart0-secure.defmt");
        let agent_log = self.workdir.join("uart2-agent.defmt");
        let qmp_socket = self.workdir.join("qmp.sock");
        let mut command = Command::new(&self.config.binary);
        command
            .args([
                "-M",
                &self.config.machine,
                "-display",
                "none",
                "-monitor",
                "none",
            ])
            .args(["-semihosting-config", "enable=on,target=native"])
            .arg("-serial")
            .arg(format!("file:{}", secure_log.display()))
            .args(["-serial", "pty"])
            .arg("-serial")
            .arg(format!("file:{}", agent_log.display()))
            .args(["-serial", "pty"])
            .arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", qmp_socket.display()))
            .args(&self.config.extra_args)
            .arg("-kernel")
            .arg(&images.secure)
            .arg("-device")
            .arg(format!("loader,file={}", images.agent.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command.spawn().map_err(|e| {
            RigError::Link(format!(
                "cannot start {}: {e}",
                self.config.binary.display()
            ))
        })?;
        let mut qmp = Qmp::connect(&qmp_socket, self.config.boot_timeout).await?;
        let pty = qmp.pty_of("serial1").await?;
        let link = FrameLink::open(&pty, 115_200)?;
        let cloud_pty = qmp.pty_of("serial3").await?;
        let cloud = FrameLink::open(&cloud_pty, 115_200)?;
        qmp.execute("cont", json!({})).await?;
        self.logs.clear();
        for (source, elf, stream) in [
            ("defmt:secure", &images.secure, &secure_log),
            ("defmt:agent", &images.agent, &agent_log),
        ] {
            match DefmtLog::open(source, elf, stream, &self.config.root) {
                Ok(Some(log)) => self.logs.push(log),
                Ok(None) => {}
                Err(e) => {
                    return Err(RigError::Link(format!(
                        "cannot read the defmt table of {}: {e}",
                        elf.display()
                    )))
                }
            }
        }
        self.running = Some(Running {
            child,
            qmp,
            link,
            cloud,
        });
        Ok(())
    }

    /// After an unexpected hello: did the kernel report an app crash? If so,
    /// log it decoded against the agent's ELF; the kernel and QEMU run on.
    async fn app_crashed(&mut self) -> bool {
        if self.crash.is_none() {
            let _ = self.cloud_receive(Duration::from_millis(300), false).await;
        }
        let Some(report) = self.crash.as_ref() else {
            return false;
        };
        let symbols = self
            .images
            .as_ref()
            .and_then(|i| std::fs::read(&i.agent).ok())
            .and_then(|elf| symbols::Symbols::of(&elf));
        let at = |name: &str| {
            let value = report.fault.register(name).unwrap_or(0);
            let place = symbols
                .as_ref()
                .and_then(|s| s.describe(value))
                .unwrap_or_else(|| "?".into());
            format!("{name}={value:#010x} ({place})")
        };
        let stack: Vec<String> = report.stack.iter().map(|b| format!("{b:02x}")).collect();
        self.pending_logs.push(LogLine {
            source: "crash".into(),
            text: format!(
                "app crash {} ({}): {}, {}; SP={:#010x}; restarted after {} ms; stack: {}",
                report.crashes,
                report.fault.kind.name(),
                at("PC"),
                at("LR"),
                report.sp,
                report.backoff_ms,
                stack.join(" ")
            ),
            location: None,
        });
        true
    }

    /// Wait for the agent's hello after a (re)boot.
    async fn await_hello(&mut self) -> Result<Hello, RigError> {
        let timeout = self.config.boot_timeout;
        let running = self.running.as_mut().expect("started");
        loop {
            match running.link.receive::<Response>(timeout).await? {
                Response::Hello(hello) => return Ok(hello),
                _ => continue,
            }
        }
    }

    /// QEMU stopped or hung: turn what it left behind into a rig error.
    async fn device_lost(&mut self, cause: RigError) -> RigError {
        let Some(mut running) = self.running.take() else {
            return cause;
        };
        let exit = running.child.try_wait().ok().flatten();
        if exit.is_none() {
            let _ = running.child.kill().await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.collect_logs();
        let evidence: Vec<String> = self
            .pending_logs
            .iter()
            .filter(|l| l.source == "defmt:secure")
            .rev()
            .take(8)
            .map(|l| l.text.clone())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if let Some(report) = parse_fault(&evidence) {
            return RigError::DeviceFault(report);
        }
        let status = match exit.and_then(|s| s.code()) {
            None if exit.is_none() => return cause,
            Some(134) => {
                "QEMU locked up (exit 134: a fault the core could not escalate)".to_owned()
            }
            Some(code) => format!("QEMU exited with code {code}"),
            None => "QEMU was killed by a signal".to_owned(),
        };
        RigError::Fault(format!("{status}; secure log: {}", evidence.join(" | ")))
    }
}

/// The secure fault handlers log `FAULT <Kind>: SFSR=0x... SFAR=0x... ...`
/// (see firmware/secure/src/faults.rs); turn that line into a report.
fn parse_fault(lines: &[String]) -> Option<mv_proto::FaultReport> {
    lines.iter().find_map(|line| {
        let rest = &line[line.find("FAULT ")? + 6..];
        let (kind, registers) = rest.split_once(':')?;
        let kind = mv_proto::FaultKind::from_name(kind.trim())?;
        let registers = registers
            .split_whitespace()
            .filter_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                let value = u32::from_str_radix(value.trim_start_matches("0x"), 16).ok()?;
                Some((name.to_owned(), value))
            })
            .collect();
        Some(mv_proto::FaultReport { kind, registers })
    })
}

#[async_trait]
impl RigSession for QemuSession {
    fn name(&self) -> &str {
        &self.name
    }

    async fn reset(&mut self) -> Result<Hello, RigError> {
        self.crash = None;
        if std::mem::take(&mut self.in_flight) {
            if let Some(mut running) = self.running.take() {
                let _ = running.child.kill().await;
            }
        }
        let alive = match self.running.as_mut() {
            Some(r) => r.child.try_wait().ok().flatten().is_none(),
            None => false,
        };
        if alive {
            let running = self.running.as_mut().expect("alive");
            running.link.discard_pending();
            running.cloud.discard_pending();
            self.server_log.clear();
            if let Err(e) = running.qmp.execute("system_reset", json!({})).await {
                return Err(self.device_lost(e).await);
            }
        } else {
            self.running = None;
            self.start().await?;
        }
        match self.await_hello().await {
            Ok(hello) => {
                self.collect_logs();
                Ok(hello)
            }
            Err(e) => Err(self.device_lost(e).await),
        }
    }

    async fn exec(&mut self, primitives: Vec<Primitive>) -> Result<Vec<Reply>, RigError> {
        let expected = primitives.len();
        let timeout = self.config.exec_timeout;
        let running = self
            .running
            .as_mut()
            .ok_or_else(|| RigError::Link("no device: reset first".into()))?;
        self.in_flight = true;
        let result = match running.link.send(&Request::Exec(primitives)) {
            Ok(()) => match running.link.receive::<Response>(timeout).await {
                Ok(Response::Replies(replies)) if replies.len() == expected => Ok(replies),
                Ok(Response::Replies(replies)) => Err(RigError::Link(format!(
                    "the agent answered {} replies to {expected} primitives",
                    replies.len()
                ))),
                Ok(Response::BadRequest) => Err(RigError::Link(
                    "the agent could not decode a request".into(),
                )),
                // A hello here means the app restarted under us: after a
                // crash the kernel reported on the cloud link, or worse.
                Ok(Response::Hello(_)) => Err(RigError::Fault(
                    "the app restarted during the request".into(),
                )),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        self.in_flight = false;
        self.collect_logs();
        match result {
            Ok(replies) => Ok(replies),
            Err(RigError::Fault(_)) if self.app_crashed().await => {
                let report = self.crash.take().expect("app_crashed saw it");
                Err(RigError::DeviceFault(report.fault))
            }
            Err(e) => Err(self.device_lost(e).await),
        }
    }

    async fn cloud(&mut self, action: &CloudAction) -> Result<(), RigError> {
        let message = match *action {
            CloudAction::SyncTimeUs(wall_us) => CloudToDevice::SyncTime { wall_us },
            CloudAction::Link { online } => CloudToDevice::Link { online },
            CloudAction::Logging { enabled } => CloudToDevice::Logging { enabled },
        };
        let timeout = self.config.exec_timeout;
        let sent = match self.running.as_mut() {
            Some(running) => running.cloud.send(&message),
            None => Err(RigError::Link("no device: reset first".into())),
        };
        self.in_flight = true;
        let acked = match sent {
            Ok(()) => self.cloud_receive(timeout, true).await,
            Err(e) => Err(e),
        };
        self.in_flight = false;
        match acked {
            Ok(()) => Ok(()),
            Err(e) => Err(self.device_lost(e).await),
        }
    }

    async fn take_server_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
        // Messages are sent as the kernel flushes them; give the link a moment.
        self.cloud_receive(Duration::from_millis(20), false).await?;
        Ok(std::mem::take(&mut self.server_log))
    }

    async fn take_device_log(&mut self) -> Vec<LogLine> {
        self.collect_logs();
        std::mem::take(&mut self.pending_logs)
    }
}
