//! The conformance session on `qemu-an505`: one QEMU, reused across cases, reset over QMP.
//!
//! `reset` is a QMP `system_reset` (QEMU reloads both images), followed by
//! the agent's hello. UART0 carries the secure image's defmt log, UART1 the
//! agent link (a pty opened with `serialport`), UART2 the agent's defmt log,
//! UART3 the cloud link (frames of `mv_proto::{CloudToDevice,
//! DeviceToCloud}`). A request that gets no answer in time is a hang: QEMU is
//! killed and the next case starts a fresh one. A QEMU that exits on its own
//! has faulted (the secure fault handlers log the fault registers and exit
//! through semihosting) or locked up (exit 134); either way the case is an
//! error carrying the evidence.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hil_report::LogLine;
use mv_proto::{CloudToDevice, DeviceToCloud, Hello, Primitive, Reply, Request, Response};
use serde_json::json;

use super::{build_images, FrameLink, Images, Launch, Machine, QemuConfig, Serial, Symbols};
use crate::defmt_log::DefmtLog;
use crate::{CloudAction, RigError, RigSession};

/// What a running QEMU is attached to.
struct Running {
    /// Declared first: the links close before QEMU is killed.
    link: FrameLink,
    cloud: FrameLink,
    machine: Machine,
}

/// A session on QEMU.
pub struct QemuSession {
    name: String,
    config: QemuConfig,
    /// The images once built, or why they could not be: a failed build is
    /// not retried for every case (each would fail the same way, at length).
    images: Option<Result<Images, RigError>>,
    workdir: PathBuf,
    running: Option<Running>,
    logs: Vec<DefmtLog>,
    /// Device log lines not yet handed out.
    pending_logs: Vec<LogLine>,
    /// `mvServerLog` messages the cloud link delivered, not yet handed out.
    server_log: Vec<Vec<u8>>,
    /// The last app crash the kernel reported on the cloud link.
    crash: Option<mv_proto::CrashReport>,
    /// A request was sent and its reply not read (it timed out): the link
    /// may hold stale bytes in both directions, so the next reset restarts
    /// QEMU instead of resetting it.
    in_flight: bool,
    /// No wait goes past this instant (the running case's time limit).
    deadline: Option<Instant>,
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
            deadline: None,
        }
    }

    /// `own`, cut short by the deadline.
    fn wait(&self, own: Duration) -> Duration {
        match self.deadline {
            Some(deadline) => own.min(deadline.saturating_duration_since(Instant::now())),
            None => own,
        }
    }

    /// Read the cloud link: until an `Ack` if `ack_wanted`, else until it is
    /// quiet for `wait`. Log messages are kept for `take_server_log`.
    fn cloud_receive(&mut self, wait: Duration, ack_wanted: bool) -> Result<(), RigError> {
        let running = self
            .running
            .as_mut()
            .ok_or_else(|| RigError::Link("no device: reset first".into()))?;
        loop {
            match running.cloud.receive::<DeviceToCloud>(wait) {
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

    fn start(&mut self) -> Result<(), RigError> {
        let images = self
            .images
            .get_or_insert_with(|| build_images(&self.config.root))
            .clone()?;
        let _ = std::fs::remove_dir_all(&self.workdir);
        std::fs::create_dir_all(&self.workdir).map_err(|e| {
            RigError::Link(format!("cannot create {}: {e}", self.workdir.display()))
        })?;
        let secure_log = self.workdir.join("uart0-secure.defmt");
        let agent_log = self.workdir.join("uart2-agent.defmt");
        let mut machine = Launch::new(&self.config, &images.secure, &self.workdir.join("qmp.sock"))
            .serial(Serial::File(secure_log.clone()))
            .serial(Serial::Pty)
            .serial(Serial::File(agent_log.clone()))
            .serial(Serial::Pty)
            .loader(&images.agent)
            .stderr(&self.workdir.join("qemu.stderr"))
            .start()?;
        let link = machine.take_link(1).expect("UART1 is a pty");
        let cloud = machine.take_link(3).expect("UART3 is a pty");
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
            link,
            cloud,
            machine,
        });
        Ok(())
    }

    /// After an unexpected hello: did the kernel report an app crash? If so,
    /// log it decoded against the agent's ELF; the kernel and QEMU run on.
    fn app_crashed(&mut self) -> bool {
        if self.crash.is_none() {
            let _ = self.cloud_receive(Duration::from_millis(300), false);
        }
        let Some(report) = self.crash.as_ref() else {
            return false;
        };
        let symbols = self
            .images
            .as_ref()
            .and_then(|i| i.as_ref().ok())
            .and_then(|i| std::fs::read(&i.agent).ok())
            .and_then(|elf| Symbols::of(&elf));
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
    fn await_hello(&mut self) -> Result<Hello, RigError> {
        let timeout = self.wait(self.config.boot_timeout);
        let running = self.running.as_mut().expect("started");
        loop {
            if let Response::Hello(hello) = running.link.receive::<Response>(timeout)? {
                return Ok(hello);
            }
        }
    }

    /// QEMU stopped or hung: turn what it left behind into a rig error.
    fn device_lost(&mut self, cause: RigError) -> RigError {
        let Some(mut running) = self.running.take() else {
            return cause;
        };
        let exit = running.machine.exited();
        if exit.is_none() {
            running.machine.kill();
        }
        drop(running);
        std::thread::sleep(Duration::from_millis(20));
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

impl RigSession for QemuSession {
    fn name(&self) -> &str {
        &self.name
    }

    fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    fn reset(&mut self) -> Result<Hello, RigError> {
        self.crash = None;
        if std::mem::take(&mut self.in_flight) {
            // Dropping the machine kills QEMU; the next start is fresh.
            self.running = None;
        }
        let alive = match self.running.as_mut() {
            Some(r) => r.machine.exited().is_none(),
            None => false,
        };
        if alive {
            let running = self.running.as_mut().expect("alive");
            running.link.discard_pending();
            running.cloud.discard_pending();
            self.server_log.clear();
            if let Err(e) = running.machine.qmp().execute("system_reset", json!({})) {
                return Err(self.device_lost(e));
            }
        } else {
            self.running = None;
            self.start()?;
        }
        match self.await_hello() {
            Ok(hello) => {
                self.collect_logs();
                Ok(hello)
            }
            Err(e) => Err(self.device_lost(e)),
        }
    }

    fn exec(&mut self, primitives: Vec<Primitive>) -> Result<Vec<Reply>, RigError> {
        let expected = primitives.len();
        let timeout = self.wait(self.config.exec_timeout);
        let running = self
            .running
            .as_mut()
            .ok_or_else(|| RigError::Link("no device: reset first".into()))?;
        self.in_flight = true;
        let received = running
            .link
            .send(&Request::Exec(primitives))
            .and_then(|()| running.link.receive::<Response>(timeout));
        if received.is_ok() {
            self.in_flight = false;
        }
        let result = match received {
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
        };
        self.collect_logs();
        match result {
            Ok(replies) => Ok(replies),
            Err(RigError::Fault(_)) if self.app_crashed() => {
                let report = self.crash.take().expect("app_crashed saw it");
                Err(RigError::DeviceFault(report.fault))
            }
            Err(e) => Err(self.device_lost(e)),
        }
    }

    fn cloud(&mut self, action: &CloudAction) -> Result<(), RigError> {
        let message = match *action {
            CloudAction::SyncTimeUs(wall_us) => CloudToDevice::SyncTime { wall_us },
            CloudAction::Link { online } => CloudToDevice::Link { online },
            CloudAction::Logging { enabled } => CloudToDevice::Logging { enabled },
        };
        let timeout = self.wait(self.config.exec_timeout);
        let sent = match self.running.as_mut() {
            Some(running) => running.cloud.send(&message),
            None => Err(RigError::Link("no device: reset first".into())),
        };
        self.in_flight = true;
        let acked = match sent {
            Ok(()) => self.cloud_receive(timeout, true),
            Err(e) => Err(e),
        };
        match acked {
            Ok(()) => {
                self.in_flight = false;
                Ok(())
            }
            Err(e) => Err(self.device_lost(e)),
        }
    }

    fn take_server_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
        // Messages are sent as the kernel flushes them; give the link a moment.
        self.cloud_receive(self.wait(Duration::from_millis(20)), false)?;
        Ok(std::mem::take(&mut self.server_log))
    }

    fn take_device_log(&mut self) -> Vec<LogLine> {
        self.collect_logs();
        std::mem::take(&mut self.pending_logs)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_fault;

    #[test]
    fn a_secure_fault_line_becomes_a_report() {
        let lines = [
            "INFO booting".to_owned(),
            "ERROR FAULT SecureFault: SFSR=0x00000048 SFAR=0x38100000".to_owned(),
        ];
        let report = parse_fault(&lines).expect("a fault line");
        assert_eq!(report.kind, mv_proto::FaultKind::SecureFault);
        assert_eq!(
            report.registers,
            vec![("SFSR".to_owned(), 0x48), ("SFAR".to_owned(), 0x3810_0000)]
        );
        assert!(parse_fault(&lines[..1]).is_none());
    }
}
