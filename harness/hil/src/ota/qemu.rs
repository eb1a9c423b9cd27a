//! The OTA campaign on `qemu-an505`: the real secure image over NVM that survives the cut.
//!
//! The NVM is QEMU's PSRAM backed by a file (`memory-backend-file`,
//! `share=on`): every guest store lands in the file, so killing QEMU keeps
//! the flash exactly as it was. The harness writes the factory image into
//! that file (flash bytes, unit states, the provisioned signer key), boots
//! only the secure image, which loads the installed app from the app region,
//! and plays the cloud over UART3 with the same [`deliver`] as the sim.
//!
//! Cuts:
//! - *exact*: a request in NVM (`op`, before/inside) that the image's flash
//!   driver counts down across its own restarts; at the operation it tears
//!   what the sim would tear and exits QEMU (code 90). Operation numbers are
//!   the sim's for the same update, because the engine is the same code.
//! - *wall clock*: SIGKILL after a chosen delay; replayable only in intent.
//!
//! After every cut QEMU starts again on the same file, and the checks are the
//! sim's: the app region is byte-for-byte one image and the journal names
//! it, the agent comes up and the kernel answers a call (`mvGetWakeReason`),
//! an unfinished download resumes, and three more boots change nothing.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use hil_bundle::{build_bundle, elf_to_rom, BundlePolicy, Rom, SigningKey};
use mv_abi::{MvWakeReason, Slot};
use mv_proto::{
    CloudToDevice, DeviceToCloud, OtaReply, Placement, Primitive, Reply, Request, Response,
};
use mv_update::nvm::{map, write_signers, NvmCells, NvmFlash};
use mv_update::{Layout, Phase as EnginePhase, Updater, CHUNK_SIZE};
use serde_json::json;
use tokio::process::{Child, Command};
use tokio::runtime::Runtime;

use super::campaign::{self, Cut, Outcome, Phase, PointResult};
use super::cloud::{deliver, DeliveryEnd, Deployment, LinkDown, OtaLink};
use crate::rig::qemu::link::FrameLink;
use crate::rig::qemu::qmp::Qmp;
use crate::rig::qemu::{build_images, QemuConfig};
use crate::rig::RigError;

/// Bytes of the NVM file the harness reads and writes (the rest stays zero).
const NVM_USED: usize = 0x0070_0000;
/// The PSRAM backend must be exactly this size.
const NVM_SIZE: u64 = 16 << 20;
/// Exit code of the secure image when an armed cut fires.
const POWER_CUT_EXIT: i32 = 90;

/// What one QEMU boot-to-stop did.
struct Machine {
    child: Child,
    agent: FrameLink,
    cloud: FrameLink,
    _qmp: Qmp,
}

/// The rig: QEMU, the images, the NVM file, the two app images.
pub struct QemuOta {
    config: QemuConfig,
    secure_elf: PathBuf,
    workdir: PathBuf,
    nvm: PathBuf,
    rt: Runtime,
    machine: Option<Machine>,
    pub old_rom: Vec<u8>,
    pub new: Deployment,
    /// The new bundle as a ZIP (what the tamper classes start from).
    new_zip: Vec<u8>,
    layout: Layout,
    key: SigningKey,
    old_image: Vec<u8>,
    new_image: Vec<u8>,
    /// Boots (QEMU starts and the device's own restarts) so far.
    pub boots: u32,
    /// A pending wall-clock cut: SIGKILL QEMU at this instant.
    kill_at: Option<Instant>,
    /// The last wall-clock cut landed (QEMU was running when it came).
    killed: bool,
    /// Seconds from the first offer to the new app's hello in the last uncut update.
    pub update_secs: f64,
}

impl Drop for QemuOta {
    fn drop(&mut self) {
        if let Some(m) = self.machine.as_mut() {
            let _ = m.child.start_kill();
        }
    }
}

/// The agent ROM with a version stamp after it, so old and new differ byte for byte.
fn stamped(rom: &Rom, version: u32) -> Vec<u8> {
    let mut bytes = rom.bytes().to_vec();
    bytes.resize(bytes.len().next_multiple_of(16), 0xFF);
    let mut stamp = format!("hil-ota app version {version}").into_bytes();
    stamp.resize(256, version as u8);
    bytes.extend_from_slice(&stamp);
    bytes
}

impl QemuOta {
    /// Builds the images and the two app versions (the agent, stamped v1 and v2).
    pub fn new(config: QemuConfig) -> Result<QemuOta> {
        let images = build_images(&config.root).map_err(|e| anyhow!("{e}"))?;
        let agent = std::fs::read(&images.agent).context("cannot read the agent ELF")?;
        let rom = elf_to_rom(&agent)?;
        if rom.base() != crate::ota::qemu::NS_CODE_BASE {
            bail!(
                "the agent ROM starts at {:#x}, the app region loads at {NS_CODE_BASE:#x}",
                rom.base()
            );
        }
        let key = SigningKey::from_slice(&[0x17; 32])?;
        let old_rom = stamped(&rom, 1);
        let new_rom = stamped(&rom, 2);
        let zip = build_bundle(
            &Rom::new(rom.base(), new_rom.clone())?,
            &key,
            &BundlePolicy::with_version(2),
        )?;
        let new = Deployment::from_bundle("agent-v2", &zip)?;
        let layout = Layout::DEFAULT;
        let pad = |r: &[u8]| campaign::padded(r, layout.app_size() as usize);
        let workdir = std::env::temp_dir().join(format!("hil-ota-qemu-{}", std::process::id()));
        std::fs::create_dir_all(&workdir)?;
        Ok(QemuOta {
            secure_elf: images.secure,
            nvm: workdir.join("nvm.bin"),
            workdir,
            config,
            rt: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            machine: None,
            old_image: pad(&old_rom),
            new_image: pad(&new_rom),
            old_rom,
            new,
            new_zip: zip,
            layout,
            key,
            boots: 0,
            kill_at: None,
            killed: false,
            update_secs: 0.0,
        })
    }

    /// The sim scenario of this very update (same ROMs, key and engine), for calibration.
    pub fn sim_scenario(&self) -> Result<campaign::Scenario> {
        campaign::Scenario::new(&self.old_rom, 1, &self.new.layer, 2, self.key.clone())
    }

    /// Writes the factory NVM: the old app installed as version 1, the key provisioned.
    pub fn provision(&self) -> Result<()> {
        self.provision_with(0)
    }

    /// As [`Self::provision`], the old app's bundle allowing `politeness_s` seconds.
    fn provision_with(&self, politeness_s: u16) -> Result<()> {
        let mut flash = NvmFlash::open(vec![0u8; NVM_USED], self.layout.flash_size());
        Updater::provision(&mut flash, &self.layout, &self.old_rom, 1, politeness_s)
            .map_err(|e| anyhow!("provisioning: {e:?}"))?;
        let mut cells = flash.into_cells();
        let public = mv_ota::TrustedSigner::from_signing_key(&self.key).public_key();
        write_signers(&mut cells, &[public]);
        self.write_nvm(&cells)
    }

    fn write_nvm(&self, cells: &[u8]) -> Result<()> {
        let file = std::fs::File::create(&self.nvm).context("cannot create the NVM file")?;
        use std::io::Write as _;
        (&file).write_all(cells)?;
        file.set_len(NVM_SIZE)?;
        Ok(())
    }

    fn read_nvm(&self) -> Result<Vec<u8>> {
        let mut bytes = std::fs::read(&self.nvm).context("cannot read the NVM file")?;
        bytes.truncate(NVM_USED);
        Ok(bytes)
    }

    /// Asks the image to cut power at operation `op` of its next life.
    pub fn request_cut(&self, cut: Cut) -> Result<()> {
        let mut cells = self.read_nvm()?;
        cells.store(
            map::CUT_REQUEST,
            &NvmFlash::<Vec<u8>>::cut_request(cut.op as u32, cut.inside),
        );
        self.write_nvm(&cells)
    }

    /// Starts QEMU on the NVM and waits for the agent's hello.
    /// `Ok(false)`: QEMU stopped (a cut) before the app came up.
    pub fn boot(&mut self) -> Result<bool> {
        self.stop();
        let qmp_socket = self.workdir.join("qmp.sock");
        let _ = std::fs::remove_file(&qmp_socket);
        let mut command = Command::new(&self.config.binary);
        command
            .arg("-M")
            .arg(format!("{},memory-backend=nvm", self.config.machine))
            .arg("-object")
            .arg(format!(
                "memory-backend-file,id=nvm,size=16M,mem-path={},share=on",
                self.nvm.display()
            ))
            .args(["-display", "none", "-monitor", "none"])
            .args(["-semihosting-config", "enable=on,target=native"])
            .arg("-serial")
            .arg(format!(
                "file:{}",
                self.workdir.join("uart0-secure.defmt").display()
            ))
            .args(["-serial", "pty", "-serial", "null", "-serial", "pty"])
            .arg("-qmp")
            .arg(format!("unix:{},server=on,wait=off", qmp_socket.display()))
            .args(&self.config.extra_args)
            .arg("-kernel")
            .arg(&self.secure_elf)
            .args(["-S"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let boot_timeout = self.config.boot_timeout;
        let machine = self.rt.block_on(async {
            let child = command
                .spawn()
                .map_err(|e| RigError::Link(format!("cannot start QEMU: {e}")))?;
            let mut qmp = Qmp::connect(&qmp_socket, boot_timeout).await?;
            let agent = FrameLink::open(&qmp.pty_of("serial1").await?, 115_200)?;
            let cloud = FrameLink::open(&qmp.pty_of("serial3").await?, 115_200)?;
            qmp.execute("cont", json!({})).await?;
            Ok::<_, RigError>(Machine {
                child,
                agent,
                cloud,
                _qmp: qmp,
            })
        });
        self.machine = Some(machine.map_err(|e| anyhow!("{e}"))?);
        self.boots += 1;
        let t = Instant::now();
        let r = self.await_hello();
        trace(&format!("boot {:?} in {:?}", r.as_ref().ok(), t.elapsed()));
        r
    }

    /// Waits for a hello (after a start or the device's own restart).
    fn await_hello(&mut self) -> Result<bool> {
        let deadline = Instant::now() + self.config.boot_timeout + self.config.exec_timeout;
        loop {
            let Some(m) = self.machine.as_mut() else {
                return Ok(false);
            };
            if let Some(status) = m.child.try_wait()? {
                self.machine = None;
                return match status.code() {
                    Some(POWER_CUT_EXIT) => Ok(false),
                    None if self.killed => Ok(false),
                    other => bail!("QEMU exited with {other:?} before the app came up"),
                };
            }
            if Instant::now() > deadline {
                bail!(
                    "no hello from the agent within {:?}",
                    self.config.boot_timeout + self.config.exec_timeout
                );
            }
            let got = self
                .rt
                .block_on(m.agent.receive::<Response>(Duration::from_millis(100)));
            self.kill_if_due();
            match got {
                Ok(Response::Hello(_)) => return Ok(true),
                Ok(_) | Err(RigError::Timeout(_)) => {}
                // The pty closes when QEMU exits: see how it exited.
                Err(e) => {
                    let m = self.machine.as_mut().expect("checked above");
                    let status = self.rt.block_on(async {
                        tokio::time::timeout(Duration::from_secs(5), m.child.wait()).await
                    });
                    self.machine = None;
                    return match status {
                        Ok(Ok(s)) if s.code() == Some(POWER_CUT_EXIT) => Ok(false),
                        Ok(Ok(s)) if s.code().is_none() && self.killed => Ok(false),
                        Ok(Ok(s)) => {
                            bail!("QEMU exited with {:?} before the app came up", s.code())
                        }
                        _ => bail!("agent link: {e}"),
                    };
                }
            }
        }
    }

    /// Kills QEMU (a wall-clock power cut when the update is under way).
    pub fn stop(&mut self) {
        if let Some(mut m) = self.machine.take() {
            let _ = m.child.start_kill();
            let _ = self.rt.block_on(m.child.wait());
        }
    }

    /// One agent request; its replies.
    fn agent(&mut self, prims: Vec<Primitive>) -> Result<Vec<Reply>> {
        let timeout = self.config.exec_timeout;
        let m = self
            .machine
            .as_mut()
            .ok_or_else(|| anyhow!("QEMU is not running"))?;
        m.agent
            .send(&Request::Exec(prims))
            .map_err(|e| anyhow!("{e}"))?;
        loop {
            match self
                .rt
                .block_on(m.agent.receive::<Response>(timeout))
                .map_err(|e| anyhow!("{e}"))?
            {
                Response::Replies(r) => return Ok(r),
                Response::Hello(_) => continue,
                Response::BadRequest => bail!("the agent refused the request"),
            }
        }
    }

    /// App memory for the agent to use.
    fn alloc(&mut self, size: u32) -> Result<u32> {
        let replies = self.agent(vec![Primitive::Alloc {
            size,
            align: 16,
            placement: Placement::NsRam,
            misalign: 0,
        }])?;
        match replies.as_slice() {
            [Reply::Allocated { addr }] => Ok(*addr),
            other => bail!("alloc: {other:?}"),
        }
    }

    /// A system call from the app; its status.
    fn call(&mut self, slot: Slot, args: [u32; 4]) -> Result<u32> {
        match self
            .agent(vec![Primitive::Call {
                slot: slot as u32,
                args,
            }])?
            .as_slice()
        {
            [Reply::Status(s)] => Ok(*s),
            other => bail!("{slot:?}: {other:?}"),
        }
    }

    fn write(&mut self, addr: u32, data: Vec<u8>) -> Result<()> {
        self.agent(vec![Primitive::Write { addr, data }])
            .map(|_| ())
    }

    fn read(&mut self, addr: u32, len: u32) -> Result<Vec<u8>> {
        match self.agent(vec![Primitive::Read { addr, len }])?.as_slice() {
            [Reply::Bytes(b)] => Ok(b.clone()),
            other => bail!("read: {other:?}"),
        }
    }

    /// `mvGetWakeReason` through the agent: the kernel answers the app.
    fn wake_reason(&mut self) -> Result<u8> {
        let addr = self.alloc(4)?;
        let status = self.call(Slot::GetWakeReason, [addr, 0, 0, 0])?;
        if status != 0 {
            bail!("mvGetWakeReason: status {status:#x}");
        }
        Ok(self.read(addr, 1)?[0])
    }

    /// The journal and app region as the NVM file holds them now.
    fn inspect(&self) -> Result<(u32, EnginePhase, Vec<u8>, Vec<u8>)> {
        let mut flash = NvmFlash::open(self.read_nvm()?, self.layout.flash_size());
        let signers = mv_update::nvm::read_signers(flash.cells());
        // A copy: booting it here changes nothing on the device.
        let (u, _) =
            Updater::boot(&mut flash, self.layout, signers).map_err(|e| anyhow!("{e:?}"))?;
        let cells = flash.into_cells();
        let app = cells[..self.layout.app_size() as usize].to_vec();
        let s = self.layout.staging_offset() as usize;
        let staging = cells[s..s + self.layout.staging_size() as usize].to_vec();
        Ok((u.installed_version(), u.phase(), app, staging))
    }

    /// The sim's checks after a boot, on the NVM file.
    fn check_booted(&self) -> Result<(u32, EnginePhase), (Outcome, String)> {
        let (version, phase, app, staging) = self
            .inspect()
            .map_err(|e| (Outcome::NoBoot, format!("{e:#}")))?;
        campaign::Images {
            old_version: 1,
            new_version: 2,
            old_image: &self.old_image,
            new_image: &self.new_image,
            layer: &self.new.layer,
        }
        .check(&app, &staging, version, phase)?;
        Ok((version, phase))
    }

    /// One plan: factory NVM, then lives until the new app runs and converges.
    pub fn run_plan(
        &mut self,
        id: &str,
        plan: &[Cut],
        kill_after: Option<Duration>,
    ) -> PointResult {
        let mut result = PointResult {
            id: id.to_owned(),
            phase: Phase::Rotate,
            outcome: Outcome::Ok,
            detail: String::new(),
            cuts_fired: 0,
            life_ops: Vec::new(),
        };
        if let Err((outcome, detail)) = self.lives(plan, kill_after, &mut result) {
            result.outcome = outcome;
            result.detail = detail;
        }
        if kill_after.is_some() && !self.killed && result.outcome == Outcome::Ok {
            result.detail = "the update finished before the SIGKILL was due".into();
        }
        self.stop();
        result
    }

    fn lives(
        &mut self,
        plan: &[Cut],
        kill_after: Option<Duration>,
        result: &mut PointResult,
    ) -> Result<(), (Outcome, String)> {
        let fail = |e: anyhow::Error| (Outcome::NoBoot, format!("{e:#}"));
        self.provision().map_err(fail)?;
        for life in 0..plan.len() + 3 {
            if let Some(&cut) = plan.get(life) {
                self.request_cut(cut).map_err(fail)?;
            }
            if !self.boot().map_err(fail)? {
                result.cuts_fired += 1;
                continue;
            }
            let (version, phase) = self.check_booted()?;
            let reason = self
                .wake_reason()
                .map_err(|e| (Outcome::NoBoot, format!("the kernel did not answer: {e:#}")))?;
            if version == 2 {
                if life > 0
                    && reason != MvWakeReason::ApplicationUpdate as u8
                    && reason != MvWakeReason::ColdBoot as u8
                {
                    return Err((
                        Outcome::NotConverged,
                        format!("wake reason {reason} after the update"),
                    ));
                }
                return self.converge();
            }
            if life == 0 {
                self.kill_at = kill_after.map(|d| Instant::now() + d);
                self.killed = false;
            }
            let deployment = self.new.clone();
            let update_started = Instant::now();
            let t = Instant::now();
            let delivery = deliver(self, &deployment);
            trace(&format!("delivery {:?} in {:?}", delivery.end, t.elapsed()));
            if let EnginePhase::Downloading { next_chunk, .. } = phase {
                if let Some(first) = delivery.first_chunk {
                    if first != next_chunk {
                        return Err((Outcome::NoResume, format!("the journal lists {next_chunk} chunk(s), the device asked for chunk {first}")));
                    }
                }
            }
            match delivery.end {
                DeliveryEnd::Staged => {}
                DeliveryEnd::LinkDown => {
                    result.cuts_fired += 1;
                    continue;
                }
                other => {
                    return Err((
                        Outcome::NotUpdated,
                        format!("the device answered the verified bundle with {other:?}"),
                    ))
                }
            }
            // Staged: the image restarts itself and installs at boot.
            self.boots += 1;
            let t = Instant::now();
            let up = self.await_hello().map_err(fail)?;
            trace(&format!("restart + install in {:?}", t.elapsed()));
            if !up {
                result.cuts_fired += 1;
                continue;
            }
            // The update is in: a wall-clock cut not yet due is moot.
            self.kill_at = None;
            if plan.is_empty() && kill_after.is_none() {
                self.update_secs = update_started.elapsed().as_secs_f64();
            }
            let (version, _) = self.check_booted()?;
            let reason = self
                .wake_reason()
                .map_err(|e| (Outcome::NoBoot, format!("the kernel did not answer: {e:#}")))?;
            if version != 2 {
                return Err((
                    Outcome::NotUpdated,
                    "the restart after staging did not install the update".into(),
                ));
            }
            if reason != MvWakeReason::ApplicationUpdate as u8 {
                return Err((
                    Outcome::NotUpdated,
                    format!("wake reason {reason} after the install, expected APPLICATIONUPDATE"),
                ));
            }
            return self.converge();
        }
        Err((
            Outcome::NoBoot,
            "power was lost in more lives than the plan has cuts".into(),
        ))
    }

    /// Polite deployment end to end: the app subscribes to `UPDATE`; a
    /// restart during the download is `MICROVISORBUSY`; once staged the
    /// kernel posts `UPDATEDOWNLOADED` (with the app's tag) and waits; then
    /// either the app calls `mvRestart` or the politeness time (2 s) runs
    /// out, and the boot installs the update (`APPLICATIONUPDATE`). Returns
    /// what happened, line by line.
    pub fn run_polite(&mut self, app_restarts: bool) -> Result<Vec<String>> {
        const TAG: u32 = 0x55AA;
        const IRQ: u32 = 41;
        let mut log = Vec::new();
        self.provision_with(2)?;
        if !self.boot()? {
            bail!("the factory image did not boot");
        }
        let ring = self.alloc(64)?;
        let setup = self.alloc(16)?;
        let handle = self.alloc(16)?;
        let mut bytes = Vec::new();
        for w in [IRQ, ring, 64] {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        self.write(setup, bytes)?;
        let status = self.call(Slot::SetupNotifications, [setup, handle, 0, 0])?;
        let centre = u32::from_le_bytes(self.read(handle, 4)?.try_into().expect("4 bytes"));
        let params = self.alloc(16)?;
        let mut bytes = Vec::new();
        for w in [
            centre,
            TAG,
            mv_abi::MvSystemNotificationSource::Update as u32,
        ] {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        self.write(params, bytes)?;
        let opened = self.call(Slot::OpenSystemNotification, [params, handle + 4, 0, 0])?;
        log.push(format!(
            "mvSetupNotifications {status:#x}, mvOpenSystemNotification(UPDATE) {opened:#x}"
        ));
        if status != 0 || opened != 0 {
            bail!("subscribing failed: {log:?}");
        }
        let first = self.exchange(CloudToDevice::OtaOffer {
            manifest: self.new.manifest.clone(),
            rom_len: self.new.layer.len() as u32,
        });
        let chunk0 = self.new.layer[..CHUNK_SIZE as usize].to_vec();
        let second = self.exchange(CloudToDevice::OtaChunk {
            index: 0,
            data: chunk0,
        });
        let busy = self.call(Slot::Restart, [0, 0, 0, 0])?;
        log.push(format!(
            "offer {first:?}, chunk 0 {second:?}, mvRestart during the download {busy:#x}"
        ));
        if busy != mv_abi::MvStatus::MicrovisorBusy as u32 {
            bail!("mvRestart during a download must be MICROVISORBUSY: {log:?}");
        }
        let deployment = self.new.clone();
        let delivery = deliver(self, &deployment);
        log.push(format!(
            "delivery resumed at chunk {:?}: {:?}",
            delivery.first_chunk, delivery.end
        ));
        if delivery.end != DeliveryEnd::Staged || delivery.first_chunk != Some(1) {
            bail!("the download did not resume and stage: {log:?}");
        }
        let record = self.read(ring, 16)?;
        let word = |i: usize| u32::from_le_bytes(record[i..i + 4].try_into().expect("4 bytes"));
        let still = self.wake_reason()?;
        log.push(format!(
            "ring record 0: event_type {}, tag {:#x}; the app still runs (wake reason {still})",
            word(8),
            word(12)
        ));
        if word(8) != mv_abi::MvEventType::UpdateDownloaded as u32 || word(12) != TAG {
            bail!("no UPDATEDOWNLOADED with the app's tag: {log:?}");
        }
        let waited = Instant::now();
        if app_restarts {
            let m = self
                .machine
                .as_mut()
                .ok_or_else(|| anyhow!("QEMU is not running"))?;
            m.agent
                .send(&Request::Exec(vec![Primitive::Call {
                    slot: Slot::Restart as u32,
                    args: [0; 4],
                }]))
                .map_err(|e| anyhow!("{e}"))?;
        }
        if !self.await_hello()? {
            bail!("QEMU stopped instead of restarting");
        }
        let waited = waited.elapsed();
        let (version, _) = self
            .check_booted()
            .map_err(|(o, d)| anyhow!("{}: {d}", o.name()))?;
        let reason = self.wake_reason()?;
        log.push(format!(
            "{} after {:.1} s: app version {version}, wake reason {reason}",
            if app_restarts {
                "mvRestart(AUTOAPPLYUPDATE) restarted"
            } else {
                "politeness time ran out and restarted"
            },
            waited.as_secs_f64()
        ));
        if version != 2 || reason != MvWakeReason::ApplicationUpdate as u8 {
            bail!("the update was not installed on restart: {log:?}");
        }
        if !app_restarts && waited < Duration::from_millis(1500) {
            bail!("restarted before the politeness time: {log:?}");
        }
        self.stop();
        Ok(log)
    }

    /// App crashes: the app loads from secure RAM twice in a row. Each time
    /// the kernel reports the crash on the cloud link (a SecureFault, the PC
    /// in the app's code), restarts the app after the back-off (100 ms, then
    /// 200 ms), and the app's `mvGetWakeReason` says `APPLICATIONCRASH`.
    pub fn run_crash(&mut self) -> Result<Vec<String>> {
        const SECURE_RAM: u32 = 0x3810_0000;
        let mut log = Vec::new();
        self.provision()?;
        if !self.boot()? {
            bail!("the factory image did not boot");
        }
        for n in 1..=2u32 {
            let m = self
                .machine
                .as_mut()
                .ok_or_else(|| anyhow!("QEMU is not running"))?;
            m.agent
                .send(&Request::Exec(vec![Primitive::Read {
                    addr: SECURE_RAM,
                    len: 4,
                }]))
                .map_err(|e| anyhow!("{e}"))?;
            let crashed = Instant::now();
            if !self.await_hello()? {
                bail!("QEMU stopped instead of restarting the app");
            }
            let restarted_after = crashed.elapsed();
            let report = self.crash_report()?;
            let pc = report.fault.register("PC").unwrap_or(0);
            let reason = self.wake_reason()?;
            log.push(format!(
                "crash {n}: {} PC={pc:#010x}, report says crash {} with {} ms back-off, app back after {:.0} ms, wake reason {reason}",
                report.fault.kind.name(),
                report.crashes,
                report.backoff_ms,
                restarted_after.as_secs_f64() * 1e3
            ));
            let backoff = 100 << (n - 1);
            if report.fault.kind != mv_proto::FaultKind::SecureFault
                || !(NS_CODE_BASE..NS_CODE_BASE + 0x0010_0000).contains(&pc)
                || report.crashes != n
                || report.backoff_ms != backoff
                || restarted_after < Duration::from_millis(u64::from(backoff))
                || reason != MvWakeReason::ApplicationCrash as u8
            {
                bail!("crash {n} was not handled as specified: {log:?}");
            }
        }
        self.stop();
        Ok(log)
    }

    /// A tampered bundle: refused with its class's reason, no restart, the
    /// old app intact in NVM and running after a reboot.
    pub fn run_tamper(&mut self, class: hil_bundle::tamper::TamperClass) -> Result<String> {
        let zip = class.apply(&self.new_zip, &self.key, 1)?;
        let bundle = Deployment::from_bundle(class.name(), &zip)?;
        self.provision()?;
        if !self.boot()? {
            bail!("the factory image did not boot");
        }
        let delivery = deliver(self, &bundle);
        let expected = campaign::expected_rejection(class) as u16;
        if delivery.end != DeliveryEnd::Rejected(expected) {
            bail!(
                "expected Rejected({expected}), the device answered {:?}",
                delivery.end
            );
        }
        let reason = self.wake_reason()?;
        self.stop();
        if !self.boot()? {
            bail!("no boot after the refusal");
        }
        let (version, phase) = self
            .check_booted()
            .map_err(|(o, d)| anyhow!("{}: {d}", o.name()))?;
        self.stop();
        if version != 1 || phase != EnginePhase::Idle || reason != 0 {
            bail!("after the refusal: version {version}, {phase:?}, wake reason {reason}");
        }
        Ok(format!(
            "refused with code {expected} after {} chunk(s); old app runs",
            delivery.chunks_sent
        ))
    }

    /// The next crash report on the cloud link.
    fn crash_report(&mut self) -> Result<mv_proto::CrashReport> {
        let m = self
            .machine
            .as_mut()
            .ok_or_else(|| anyhow!("QEMU is not running"))?;
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            match self
                .rt
                .block_on(m.cloud.receive::<DeviceToCloud>(Duration::from_millis(200)))
            {
                Ok(DeviceToCloud::Crash(report)) => return Ok(report),
                Ok(_) | Err(RigError::Timeout(_)) => {}
                Err(e) => bail!("cloud link: {e}"),
            }
        }
        bail!("no crash report on the cloud link")
    }

    /// Three more boots: the app comes up, the NVM does not change.
    fn converge(&mut self) -> Result<(), (Outcome, String)> {
        self.kill_at = None;
        self.stop();
        let before = self
            .read_nvm()
            .map_err(|e| (Outcome::NoBoot, format!("{e:#}")))?;
        for boot in 1..=3 {
            match self.boot() {
                Ok(true) => {}
                other => {
                    return Err((
                        Outcome::NotConverged,
                        format!("clean boot {boot}: {other:?}"),
                    ))
                }
            }
            self.wake_reason()
                .map_err(|e| (Outcome::NotConverged, format!("clean boot {boot}: {e:#}")))?;
            self.stop();
        }
        let after = self
            .read_nvm()
            .map_err(|e| (Outcome::NoBoot, format!("{e:#}")))?;
        if before != after {
            return Err((
                Outcome::NotConverged,
                "three clean boots changed the NVM".into(),
            ));
        }
        Ok(())
    }

    /// SIGKILLs QEMU if a wall-clock cut is due (polled by every wait).
    fn kill_if_due(&mut self) {
        if self.kill_at.is_some_and(|t| Instant::now() >= t) {
            self.kill_at = None;
            if let Some(m) = self.machine.as_mut() {
                if m.child.try_wait().ok().flatten().is_none() && m.child.start_kill().is_ok() {
                    self.killed = true;
                }
            }
        }
    }

    pub fn nvm_path(&self) -> &Path {
        &self.nvm
    }
}

/// `HIL_OTA_TRACE=1`: print where a point's time goes.
fn trace(what: &str) {
    if std::env::var_os("HIL_OTA_TRACE").is_some() {
        eprintln!("[ota-qemu] {what}");
    }
}

/// Where the app region is loaded (the agent's code base).
pub const NS_CODE_BASE: u32 = 0x0020_0000;

impl OtaLink for QemuOta {
    fn exchange(&mut self, message: CloudToDevice) -> Result<OtaReply, LinkDown> {
        let timeout = self.config.exec_timeout;
        self.kill_if_due();
        let Some(m) = self.machine.as_mut() else {
            return Err(LinkDown);
        };
        m.cloud.send(&message).map_err(|_| LinkDown)?;
        let deadline = Instant::now() + timeout;
        loop {
            if self.kill_at.is_some_and(|t| Instant::now() >= t) {
                self.kill_at = None;
                if m.child.start_kill().is_ok() {
                    self.killed = true;
                }
            }
            if matches!(m.child.try_wait(), Ok(Some(_))) || Instant::now() > deadline {
                return Err(LinkDown);
            }
            match self
                .rt
                .block_on(m.cloud.receive::<DeviceToCloud>(Duration::from_millis(100)))
            {
                Ok(DeviceToCloud::Ota(reply)) => return Ok(reply),
                Ok(_) | Err(RigError::Timeout(_)) => {}
                Err(_) => return Err(LinkDown),
            }
        }
    }
}
