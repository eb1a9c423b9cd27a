//! The conformance session on `qemu-an505`: one QEMU, reused across cases, reset over QMP.
//!
//! QEMU boots the secure image over a file-backed NVM holding the factory
//! image (the agent, app version 1, as the sim's factory holds its app): the
//! secure image loads the installed app from the NVM, exactly as it does in
//! the OTA campaign. `reset` is a QMP `system_reset` followed by the agent's
//! ready frame, which stands for the hello the session holds
//! ([`Handshake`]); after a case that deployed an update the NVM no longer
//! holds the factory image, so QEMU starts afresh on a rewritten file
//! instead. UART0 carries the secure image's defmt log, UART1 the agent link
//! (a pty opened with `serialport`), UART2 the agent's defmt log, UART3 the
//! cloud link (`mv_proto::{CloudToDevice, DeviceToCloud}`); frames towards
//! the device go into the links' shared-memory rings in the NVM file
//! instead of the UARTs once the device has laid them out ([`WayIn`]); the
//! cloud link's answers are read into the
//! same [`Inbox`] as the sim's uplink; channel traffic goes through the same
//! [`NetRelay`], with a `Flush` barrier so that everything the device sent
//! before it has been read (logs too). Both links' protocol versions are
//! checked when QEMU starts. A request that gets no answer in time is a
//! hang: QEMU is killed and the next case starts a fresh one. The app
//! restarting under a request (a ready frame instead of replies) is
//! reported with the wake reason the device announced and the crash it
//! reported, if any; the kernel faulting is reported from its `KernelFault`
//! frame and the image's exit code. The NVM file, UART logs and QMP socket
//! live in a scratch folder (`hil_proc::scratch`) that goes with the
//! session.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use hil_cloud::{app_deployment, deliver, AppDeploy, Deployment};
use hil_report::LogLine;
use mv_abi::exit::ExitCode;
use mv_proto::{
    CloudToDevice, DeviceToCloud, Hello, Primitive, Reply, Request, Response, PROTOCOL_VERSION,
};
use serde_json::json;

mod handshake;
mod ports;
mod scratch;
#[cfg(test)]
mod tests;
mod way_in;

pub use handshake::Handshake;
use ports::{QemuLink, QemuPort};
use scratch::Scratch;
pub use way_in::WayIn;
use way_in::{ready_frame_way, Rings, To};

use super::nvm::{agent_factory, NVM_MIB};
use super::{
    build_board_images, FrameLink, ImageBoard, Images, Launch, Machine, QemuConfig, SecureLoad,
    Serial, Symbols, UpRing,
};
use crate::board::{Board, BoardConfig};
use crate::defmt_log::DefmtLog;
use crate::inbox::Inbox;
use crate::net::NetRelay;
use crate::probe::link::PumpLog;
use crate::{
    AppRestart, CloudAction, CloudEvent, CloudOutcome, GuardedRegion, NetAction, RigError,
    RigSession,
};

/// How long a restarted app's `Started` frame may trail its hello.
const STARTED_WAIT: Duration = Duration::from_millis(500);

/// What a running device is attached to.
struct Running {
    /// Declared first: the links close before QEMU is killed.
    link: FrameLink,
    cloud: FrameLink,
    /// The links' rings in QEMU's NVM file; `None` on a board.
    rings: Option<Rings>,
    /// QEMU, when hil started it; `None` on a board (the lab runs it).
    machine: Option<Machine>,
    /// A board's log from the RTT pump that carries its cloud link.
    rtt_log: Option<PumpLog>,
}

/// A session on QEMU.
pub struct QemuSession {
    name: String,
    config: QemuConfig,
    /// The images once built (and the agent's ROM), or why they could not
    /// be: a failed build is not retried for every case.
    images: Option<Result<(Images, Vec<u8>), RigError>>,
    /// The NVM may no longer hold the factory image (a case deployed).
    nvm_dirty: bool,
    /// How resets and log reads are done (the previous way only for `hil bench`).
    handshake: Handshake,
    /// How frames go into the device (the UARTs only for `hil bench`).
    way_in: WayIn,
    /// How the secure image gets into QEMU (`ByQemu` only for `hil bench`).
    secure_load: SecureLoad,
    /// The agent's hello, once asked for: a ready frame with its digest
    /// stands for it.
    hello: Option<Hello>,
    running: Option<Running>,
    logs: Vec<DefmtLog>,
    /// Device log lines not yet handed out.
    pending_logs: Vec<LogLine>,
    /// What the device sent the cloud, not yet taken.
    inbox: Inbox,
    /// A request was sent and its reply not read (it timed out): the link
    /// may hold stale bytes in both directions, so the next reset restarts
    /// QEMU instead of resetting it.
    in_flight: bool,
    /// No wait goes past this instant (the running case's time limit).
    deadline: Option<Instant>,
    /// A `board` rig: its settings, and the board once locked and acquired
    /// (or why it could not be).
    board: Option<(BoardConfig, Option<Result<Board, RigError>>)>,
    /// The cloud's network services for this device.
    net: NetRelay,
    /// The scratch folder (NVM file, UART logs, QMP socket) once QEMU first
    /// started; removed with the session. Declared last: QEMU is killed
    /// before its files go.
    scratch: Option<Scratch>,
}

impl QemuSession {
    pub fn new(name: &str, config: QemuConfig) -> Self {
        QemuSession {
            name: name.to_owned(),
            config,
            images: None,
            nvm_dirty: true,
            handshake: Handshake::default(),
            way_in: WayIn::default(),
            secure_load: SecureLoad::default(),
            hello: None,
            running: None,
            logs: Vec::new(),
            pending_logs: Vec::new(),
            inbox: Inbox::default(),
            in_flight: false,
            deadline: None,
            board: None,
            net: NetRelay::default(),
            scratch: None,
        }
    }

    /// A session on a `board` rig: the same device protocol, but power and
    /// UARTs come from the lab, a reset is the rig file's reset action (or
    /// a power cycle without one), and the board is locked (and its
    /// labgrid place acquired) while the session lives.
    pub fn board(name: &str, board: BoardConfig) -> Self {
        let config = QemuConfig {
            binary: PathBuf::new(),
            machine: String::new(),
            root: board.root.clone(),
            boot_timeout: board.boot_timeout,
            exec_timeout: board.exec_timeout,
            extra_args: Vec::new(),
        };
        let mut session = QemuSession::new(name, config);
        session.board = Some((board, None));
        session
    }

    /// Power the board off, flash the factory image if the run starts or
    /// the last case changed the flash, open its links and power it on.
    fn start_board(&mut self) -> Result<Running, RigError> {
        let name = self.name.clone();
        let dirty = self.nvm_dirty;
        let Some((config, held)) = self.board.as_mut() else {
            return Err(RigError::Link("not a board".into()));
        };
        let first = held.is_none();
        let board = held
            .get_or_insert_with(|| Board::open(&name, config))
            .as_ref()
            .map_err(Clone::clone)?;
        board.power(false)?;
        // A board without a flash action starts as the lab flashed it; only
        // a case that changed its flash makes it unusable.
        if dirty && (board.can_flash() || !first) {
            board.flash(if first {
                "the run starts"
            } else {
                "the last case changed its flash"
            })?;
        }
        // Connected before power-on, so nothing the board says at boot is lost.
        let links = board.links()?;
        board.power(true)?;
        Ok(Running {
            link: links.agent,
            cloud: links.cloud,
            rings: None,
            machine: None,
            rtt_log: links.log,
        })
    }

    /// Whether the board (held, not lost) has a reset action.
    fn board_can_reset(&self) -> bool {
        matches!(&self.board, Some((_, Some(Ok(board)))) if board.can_reset())
    }

    /// Resets the held board with its reset action; it stays powered.
    fn reset_board(&self) -> Result<(), RigError> {
        match &self.board {
            Some((_, Some(Ok(board)))) => board.reset(),
            _ => Err(RigError::Link("no board held: reset first".into())),
        }
    }

    /// Do resets and log reads the current way or the previous one.
    pub fn set_handshake(&mut self, handshake: Handshake) {
        self.handshake = handshake;
    }

    /// Send frames into the device through the rings or the UARTs.
    pub fn set_way_in(&mut self, way_in: WayIn) {
        self.way_in = way_in;
    }

    /// Load the secure image the current way or the previous one, from
    /// the next start of QEMU on.
    pub fn set_secure_load(&mut self, secure_load: SecureLoad) {
        self.secure_load = secure_load;
    }

    /// `own`, cut short by the deadline.
    fn wait(&self, own: Duration) -> Duration {
        match self.deadline {
            Some(deadline) => own.min(deadline.saturating_duration_since(Instant::now())),
            None => own,
        }
    }

    /// Read the cloud link into the inbox: until `done` holds, else until it
    /// is quiet for `wait` (a timeout then is no error).
    fn cloud_receive(
        &mut self,
        wait: Duration,
        done: impl Fn(&Inbox) -> bool,
    ) -> Result<bool, RigError> {
        let running = self
            .running
            .as_mut()
            .ok_or_else(|| RigError::Link("no device: reset first".into()))?;
        loop {
            if done(&self.inbox) {
                return Ok(true);
            }
            match running.cloud.receive::<DeviceToCloud>(wait) {
                Ok(m) => self.inbox.absorb(m),
                Err(RigError::Timeout(_)) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
    }

    /// Send `message` and wait for the device's answer (`Ack`, or a
    /// version mismatch).
    fn cloud_ack(&mut self, message: &CloudToDevice) -> Result<(), RigError> {
        let timeout = self.wait(self.config.exec_timeout);
        let acks = self.inbox.acks;
        let way = self.way_in;
        self.running
            .as_mut()
            .ok_or_else(|| RigError::Link("no device: reset first".into()))?
            .send(To::Cloud, message, way, timeout)?;
        self.in_flight = true;
        let answered =
            self.cloud_receive(timeout, |i| i.acks > acks || i.version_mismatch.is_some())?;
        self.in_flight = false;
        if let Some(device) = self.inbox.version_mismatch.take() {
            return Err(RigError::Version {
                link: "cloud link",
                device,
                host: PROTOCOL_VERSION,
            });
        }
        if !answered {
            return Err(RigError::Timeout(timeout.as_millis() as u64));
        }
        Ok(())
    }

    fn collect_logs(&mut self) {
        for log in &mut self.logs {
            self.pending_logs.extend(log.poll());
        }
        if let Some(log) = self.running.as_ref().and_then(|r| r.rtt_log.as_ref()) {
            self.pending_logs.extend(log.take());
        }
    }

    /// Builds the firmware images (once per session; cargo makes an
    /// unchanged tree quick). [`crate::connect`] calls it before the first
    /// case, so no case's time limit pays for a firmware build.
    pub fn build(&mut self) -> Result<(Images, Vec<u8>), RigError> {
        let root = self.config.root.clone();
        let board = self.image_board();
        self.images
            .get_or_insert_with(|| {
                let images = build_board_images(&root, board)?;
                let rom = board.agent_rom(&images.agent)?;
                Ok((images, rom))
            })
            .clone()
    }

    /// The images this session runs: QEMU's are the AN505's, a board's
    /// are what its rig file names (`board.images`).
    fn image_board(&self) -> ImageBoard {
        self.board
            .as_ref()
            .map_or(ImageBoard::An505, |(board, _)| board.images)
    }

    fn start(&mut self) -> Result<(), RigError> {
        let (images, rom) = self.build()?;
        if self.board.is_some() {
            self.inbox.clear();
            self.logs.clear();
            self.running = Some(self.start_board()?);
            self.nvm_dirty = false;
            return self.hello_cloud();
        }
        // Each session (several with `--jobs`) has its own scratch folder:
        // `hil-<pid>-<rig>-<random>`.
        let scratch = match self.scratch.take() {
            Some(scratch) => scratch,
            None => Scratch::new(&self.name)?,
        };
        let scratch = self.scratch.insert(scratch);
        scratch.clear()?;
        scratch.nvm.write_factory(&agent_factory(&rom))?;
        ready_frame_way(scratch.nvm.path(), self.way_in)?;
        self.nvm_dirty = false;
        self.inbox.clear();
        let workdir = scratch.path().to_owned();
        let nvm = scratch.nvm.path().to_owned();
        let secure_log = workdir.join("uart0-secure.defmt");
        let agent_log = workdir.join("uart2-agent.defmt");
        let kernel = self
            .secure_load
            .kernel(&images.secure, &workdir, &scratch.nvm)?;
        let mut machine = Launch::new(&self.config, &kernel, &workdir.join("qmp.sock"))
            .serial(Serial::File(secure_log.clone()))
            .serial(Serial::Pty)
            .serial(Serial::File(agent_log.clone()))
            .serial(Serial::Pty)
            .nvm(&nvm, NVM_MIB)
            .stderr(&workdir.join("qemu.stderr"))
            .start()?;
        let mut link = machine.take_link(1).expect("UART1 is a pty");
        link.set_up_ring(UpRing::agent(&nvm)?);
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
            rings: Some(Rings::open(&nvm)?),
            machine: Some(machine),
            rtt_log: None,
        });
        self.hello_cloud()
    }

    /// Both ends of the cloud link check each other's protocol version.
    fn hello_cloud(&mut self) -> Result<(), RigError> {
        // The device checks the cloud's protocol version, the cloud the device's.
        self.cloud_ack(&CloudToDevice::Hello {
            protocol_version: PROTOCOL_VERSION,
        })?;
        if let Some(started) = self.inbox.started {
            if started.protocol_version != PROTOCOL_VERSION {
                return Err(RigError::Version {
                    link: "cloud link",
                    device: started.protocol_version,
                    host: PROTOCOL_VERSION,
                });
            }
        }
        Ok(())
    }

    /// After a hello in place of replies: how the app came back (the
    /// device announces every start, and reports a crash before it). A
    /// crash is logged, decoded against the agent's ELF.
    fn app_restarted(&mut self) -> Option<AppRestart> {
        let _ = self.cloud_receive(STARTED_WAIT, |i| i.started.is_some());
        if let Some(report) = self.inbox.crash.clone() {
            self.log_crash(&report);
        }
        self.inbox.take_restart()
    }

    fn log_crash(&mut self, report: &mv_proto::CrashReport) {
        let symbols = self
            .images
            .as_ref()
            .and_then(|i| i.as_ref().ok())
            .and_then(|(i, _)| std::fs::read(&i.agent).ok())
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
    }

    /// QEMU stopped or hung: turn what it left behind into a rig error.
    fn device_lost(&mut self, cause: RigError) -> RigError {
        if self.running.is_none() {
            return cause;
        }
        // A kernel fault is announced on the cloud link before the image stops.
        let _ = self.cloud_receive(Duration::from_millis(50), |i| i.kernel_fault.is_some());
        let Some(mut running) = self.running.take() else {
            return cause;
        };
        let Some(machine) = running.machine.as_mut() else {
            // A board: power it off (its log read first); the next case
            // powers it on afresh.
            if let Some(log) = &running.rtt_log {
                self.pending_logs.extend(log.take());
            }
            drop(running);
            if let Some((_, Some(Ok(board)))) = &self.board {
                let _ = board.power(false);
            }
            return cause;
        };
        let exit = machine.exited();
        if exit.is_none() {
            machine.kill();
        }
        drop(running);
        std::thread::sleep(Duration::from_millis(20));
        self.collect_logs();
        if let Some(report) = self.inbox.kernel_fault.take() {
            return RigError::DeviceFault(report);
        }
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
        let status = match exit.and_then(|s| s.code()) {
            None if exit.is_none() => return cause,
            Some(134) => {
                "QEMU locked up (exit 134: a fault the core could not escalate)".to_owned()
            }
            Some(code) => match ExitCode::from_status(code) {
                Some(c) => format!("QEMU exited with code {code}: {}", c.describe()),
                None => format!("QEMU exited with code {code}"),
            },
            None => "QEMU was killed by a signal".to_owned(),
        };
        RigError::Fault(format!("{status}; secure log: {}", evidence.join(" | ")))
    }

    /// The running QEMU's process id, when hil started one.
    pub fn qemu_pid(&self) -> Option<u32> {
        Some(self.running.as_ref()?.machine.as_ref()?.pid())
    }

    /// Sends `message` on the cloud link and waits for the device's `Ack`:
    /// how long the exchange took (`hil bench` measures the link with it).
    pub fn time_cloud_message(&mut self, message: &CloudToDevice) -> Result<Duration, RigError> {
        let started = Instant::now();
        self.cloud_ack(message)?;
        Ok(started.elapsed())
    }

    /// The app's image, for deployments of it.
    fn agent_rom(&self) -> Result<Vec<u8>, RigError> {
        match &self.images {
            Some(Ok((_, rom))) => Ok(rom.clone()),
            Some(Err(e)) => Err(e.clone()),
            None => Err(RigError::Link("no device: reset first".into())),
        }
    }

    /// The update a case's `deploy` offers: the running images' agent,
    /// stamped with the case's app version, for their app region.
    fn deployment(&self, d: &hil_cases::Deploy) -> Result<Deployment, RigError> {
        app_deployment(
            &self.agent_rom()?,
            self.image_board().app_code_base(),
            &AppDeploy {
                app_version: d.app_version,
                politeness_s: d.politeness_s,
                tamper: d.tamper,
                installed: self.inbox.app_version,
            },
        )
        .map_err(|e| RigError::Link(format!("cannot build the deployment: {e}")))
    }

    /// Offers a deployment and serves its chunks; if the device restarts the
    /// app to install it, waits for the new app's hello.
    fn deploy(&mut self, d: &hil_cases::Deploy) -> Result<CloudOutcome, RigError> {
        let deployment = self.deployment(d)?;
        self.nvm_dirty = true;
        self.inbox.started = None;
        let mut link = QemuLink {
            session: self,
            failed: None,
        };
        let delivery = deliver(&mut link, &deployment);
        if let Some(e) = link.failed {
            return Err(self.device_lost(e));
        }
        // An app that did not opt into polite deployment restarts at once.
        let mut restarted = None;
        if delivery.end == hil_cloud::DeliveryEnd::Installing {
            let wait = self.wait(self.config.boot_timeout);
            let started = self.cloud_receive(wait, |i| i.started.is_some());
            if let Err(e) = started.and_then(|_| self.await_ready().map(drop)) {
                return Err(self.device_lost(e));
            }
            restarted = self.inbox.take_restart();
        }
        Ok(CloudOutcome::Deployed {
            end: delivery.end,
            restarted,
        })
    }
}

impl RigSession for QemuSession {
    fn name(&self) -> &str {
        &self.name
    }

    fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    fn reset(&mut self) -> Result<Hello, RigError> {
        self.net.reset();
        if std::mem::take(&mut self.in_flight) || self.nvm_dirty {
            // Dropping the machine kills QEMU; the next start is fresh.
            self.running = None;
        }
        // QEMU is reset over QMP; a board with a reset action is reset
        // with it, one without is power-cycled (start). A lost device (a
        // hang, a fault) was powered off, and a dirty flash needs power
        // off to be rewritten: both start afresh.
        let alive = match self.running.as_mut() {
            Some(Running {
                machine: Some(machine),
                ..
            }) => machine.exited().is_none(),
            Some(Running { machine: None, .. }) => self.board_can_reset(),
            None => false,
        };
        if alive {
            let running = self.running.as_mut().expect("alive");
            running.link.discard_pending();
            running.cloud.discard_pending();
            self.inbox.clear();
            if let Some(scratch) = &self.scratch {
                ready_frame_way(scratch.nvm.path(), self.way_in)?;
            }
            // The return is read once the device is up (one wake-up, not two).
            let reset = match running.machine.as_mut() {
                Some(machine) => machine.qmp().send("system_reset", json!({})),
                None => self.reset_board(),
            };
            if let Err(e) = reset {
                return Err(self.device_lost(e));
            }
        } else {
            self.running = None;
            self.start()?;
        }
        let settled = |s: &mut Self| match s.running.as_mut().and_then(|r| r.machine.as_mut()) {
            Some(machine) => machine.qmp().settle(),
            None => Ok(()),
        };
        match self
            .await_ready()
            .and_then(|hello| settled(self).map(|()| hello))
        {
            Ok(hello) => {
                // The boot's own start announcement is not a restart.
                let _ = self.cloud_receive(STARTED_WAIT, |i| i.started.is_some());
                self.inbox.started = None;
                self.collect_logs();
                Ok(hello)
            }
            Err(e @ RigError::Version { .. }) => Err(e),
            Err(e) => Err(self.device_lost(e)),
        }
    }

    fn exec(&mut self, primitives: Vec<Primitive>) -> Result<Vec<Reply>, RigError> {
        self.net.note(&primitives);
        // The external flash lives in the NVM file: a case that may have
        // written it gets a fresh file next, as the sim gets a fresh device.
        self.nvm_dirty |= primitives.iter().any(may_write_external_flash);
        let expected = primitives.len();
        let timeout = self.wait(self.config.exec_timeout);
        let way = self.way_in;
        let running = self
            .running
            .as_mut()
            .ok_or_else(|| RigError::Link("no device: reset first".into()))?;
        self.in_flight = true;
        let received = running
            .send(To::Agent, &Request::exec(primitives), way, timeout)
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
            // A ready frame here means the app restarted under the request.
            Ok(Response::Ready { .. } | Response::Hello(_)) => Err(RigError::Fault(
                "the app restarted during the request".into(),
            )),
            Ok(Response::VersionMismatch { agent, host }) => Err(RigError::Version {
                link: "agent link",
                device: agent,
                host,
            }),
            Err(e) => Err(e),
        };
        self.collect_logs();
        match result {
            Ok(replies) => Ok(replies),
            Err(RigError::Fault(cause)) => match self.app_restarted() {
                Some(restart) => Err(RigError::AppRestarted(restart)),
                None => Err(self.device_lost(RigError::Fault(cause))),
            },
            Err(e @ RigError::Version { .. }) => Err(e),
            Err(e) => Err(self.device_lost(e)),
        }
    }

    fn cloud(&mut self, action: &CloudAction) -> Result<CloudOutcome, RigError> {
        let message = match action {
            CloudAction::SyncTimeUs(wall_us) => CloudToDevice::SyncTime { wall_us: *wall_us },
            CloudAction::Link { online } => {
                self.net.link(*online);
                CloudToDevice::Link { online: *online }
            }
            CloudAction::Logging { enabled } => CloudToDevice::Logging { enabled: *enabled },
            CloudAction::AppTestMode { on } => CloudToDevice::AppTestMode { on: *on },
            CloudAction::Deploy(d) => return self.deploy(d),
        };
        match self.cloud_ack(&message) {
            Ok(()) => Ok(CloudOutcome::Applied),
            Err(e @ RigError::Version { .. }) => Err(e),
            Err(e) => Err(self.device_lost(e)),
        }
    }

    fn take_server_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
        self.read_cloud_so_far()?;
        Ok(std::mem::take(&mut self.inbox.server_log))
    }

    fn take_test_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
        self.read_cloud_so_far()?;
        Ok(std::mem::take(&mut self.inbox.test_log))
    }

    fn take_device_log(&mut self) -> Vec<LogLine> {
        self.collect_logs();
        std::mem::take(&mut self.pending_logs)
    }

    fn guarded_memory(&mut self) -> Result<Option<Vec<GuardedRegion>>, RigError> {
        let Some(running) = self.running.as_mut() else {
            return Err(RigError::Link("no device: reset first".into()));
        };
        // A board rig has no monitor to read secure memory through.
        let (Some(machine), Some(scratch)) = (running.machine.as_mut(), self.scratch.as_ref())
        else {
            return Ok(None);
        };
        super::guard::read(machine.qmp(), scratch.path(), scratch.nvm.path()).map(Some)
    }

    fn network(&mut self, action: &NetAction) -> Result<(), RigError> {
        self.net.act(action)
    }

    fn server_requests(&mut self) -> Result<Vec<hil_cloud::net::ReceivedRequest>, RigError> {
        Ok(self.net.server_requests())
    }

    fn relay_received(
        &mut self,
        expected: usize,
        until_closed: bool,
    ) -> Result<(Vec<u8>, bool), RigError> {
        self.net.relay_received(expected, until_closed)
    }

    fn broker_received(
        &mut self,
        wait: std::time::Duration,
    ) -> Result<Vec<hil_cloud::net::BrokerMessage>, RigError> {
        self.net.broker_received(wait)
    }

    fn serve_network(&mut self) -> Result<Vec<CloudEvent>, RigError> {
        let mut net = std::mem::take(&mut self.net);
        let served = net.serve(&mut QemuPort { session: self });
        self.net = net;
        served
    }
}

/// Could this primitive write the external flash (`mvExternalFlashWriteBlocking`,
/// `mvExternalFlashEraseBlocking`, or a fuzz batch, which may call anything)?
fn may_write_external_flash(p: &Primitive) -> bool {
    let writes = |slot: &u32| {
        [
            mv_abi::Slot::ExternalFlashWriteBlocking,
            mv_abi::Slot::ExternalFlashEraseBlocking,
        ]
        .iter()
        .any(|s| s.number() == *slot)
    };
    match p {
        Primitive::Call { slot, .. }
        | Primitive::CallSeries { slot, .. }
        | Primitive::CallFromIrq { slot, .. }
        | Primitive::CallUnprivileged { slot, .. } => writes(slot),
        Primitive::Batch(inner) => inner.iter().any(may_write_external_flash),
        Primitive::Fuzz(_) => true,
        _ => false,
    }
}
