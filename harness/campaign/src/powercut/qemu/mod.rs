//! The OTA campaign on `qemu-an505`: the real secure image over NVM that survives the cut.
//!
//! The NVM is QEMU's PSRAM backed by a file (`memory-backend-file`,
//! `share=on`): every guest store lands in the file, so killing QEMU keeps
//! the flash exactly as it was. The harness writes the factory image into
//! that file (flash bytes, unit states, the provisioned signer key), boots
//! only the secure image, which loads the installed app from the app region,
//! and plays the cloud over UART3 with the same [`hil_cloud::deliver`] as the
//! sim. QEMU is started by `hil-rig`'s one launcher ([`hil_rig::qemu::Launch`]),
//! loading only the secure image's boot part; the rest of its code lies in
//! the NVM file past the flash's cells, restored by the image's
//! `__pre_init` at every reset ([`SecureLoad::FromNvm`], as the conformance
//! session does), so a reset in place keeps QEMU's translations.
//!
//! Cuts:
//! - *exact*: a request in NVM (`op`, before/inside) that the image's flash
//!   driver counts down across its own restarts; at the operation it tears
//!   what the sim would tear and stops. Operation numbers are the sim's for
//!   the same update, because the engine is the same code. How it stops is
//!   the power rail's choice ([`QemuOta::reset_in_place`]): the core halts
//!   and says so in the NVM file, and the harness pauses QEMU and later
//!   powers it on with a QMP `system_reset` (one QEMU process per worker
//!   for the whole campaign); or QEMU exits (code 90) and is started again
//!   (the previous way, kept for `hil bench`).
//! - *wall clock*: SIGKILL after a chosen delay; replayable only in intent.
//!
//! After every cut QEMU boots again on the same file, and the checks are the
//! sim's: the app region is byte-for-byte one image and the journal names
//! it, the agent comes up and the kernel answers a call (`mvGetWakeReason`),
//! an unfinished download resumes, and three more boots change nothing
//! (or, from a snapshot, the NVM images show convergence: [`Convergence`]).
//! A single cut need not run to the end: its recovery is stopped right
//! after the golden-run record the sim says it first comes back to, and
//! joins the golden run (or the boot-install or offer reference, which QEMU
//! ran itself: `references.rs`) there when the NVM is the reference's
//! there byte for byte (`join.rs`). A delivery whose link goes down with the power on
//! (QEMU runs, the rail says nothing) is a timeout, reported as one.

mod device;
mod join;
mod lives;
mod references;
mod scenarios;

pub use references::{schedule, with_references};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hil_bundle::{build_bundle, stamp_version, BundlePolicy, Rom, SigningKey};
use hil_cloud::Deployment;
use hil_rig::qemu::{
    agent_factory, agent_rom, build_images, CloudRing, DownRing, FrameLink, Machine, NvmFile,
    QemuConfig, SecureLoad,
};
use hil_sim::Factory;
pub use mv_boards::an505::NS_CODE_BASE;
use mv_update::{Layout, Phase as EnginePhase, Updater};

use super::plan::{Convergence, Cut, Outcome};
use super::scenario::{development_key, padded, Copied, Images, Scenario};
use crate::error::fail;
use crate::CampaignError;

pub use hil_rig::qemu::NVM_MIB;
/// Exit code of the secure image when an armed cut fires.
const POWER_CUT_EXIT: i32 = mv_abi::exit::ExitCode::PowerCut as i32;

/// A QEMU between its start and its stop: the agent and cloud links.
struct Booted {
    /// Declared first: the links close before QEMU is killed.
    agent: FrameLink,
    /// The agent link's way in when [`QemuOta::fast_link`] is set.
    agent_ring: Option<DownRing>,
    cloud: FrameLink,
    /// The cloud link's way in when [`QemuOta::fast_link`] is set.
    ring: Option<CloudRing>,
    machine: Machine,
    /// False once the power is off: a cut halted the core, or `stop`
    /// paused QEMU (reset in place).
    powered: bool,
}

/// The rig: QEMU, the images, the NVM file, the two app images.
pub struct QemuOta {
    config: QemuConfig,
    secure_elf: PathBuf,
    workdir: PathBuf,
    nvm: NvmFile,
    machine: Option<Booted>,
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
    /// The NVM the uncut run converged on (its three clean boots changed
    /// nothing), once [`Self::adopt_reference`] took it.
    converged_nvm: Option<Vec<u8>>,
    /// Points from a snapshot show convergence from NVM images.
    fast_converge: bool,
    /// How the last point from a snapshot converged.
    converged_by: Option<Convergence>,
    /// Send the cloud's frames through the shared-memory ring in the NVM
    /// file instead of UART3 (the device answers on UART3 either way), and
    /// the agent's requests through its ring instead of UART1 (it answers
    /// up its ring); fixed when QEMU starts.
    pub fast_link: bool,
    /// Keep one QEMU and power-cycle it in place: a cut that fires halts
    /// the core (the power rail in the NVM file says so), `stop` pauses,
    /// and a boot rewrites nothing but what the harness means to and
    /// resets the machine over QMP. Without it every boot starts a QEMU
    /// process and a cut ends it (the previous way, kept for the bench).
    pub reset_in_place: bool,
    /// Join the golden run where a single cut's recovery provably meets it
    /// ([`Self::run_point`]); without it every point runs from the
    /// snapshot to its end (the previous way, kept for the bench).
    pub join: bool,
    /// Join the boot-install and offer references too (`references.rs`):
    /// their points run first and are shared with the siblings; without
    /// it install and offer points run to their end (the previous way,
    /// kept for the bench).
    pub join_references: bool,
    /// The references the campaign's QEMUs ran (shared with the siblings).
    references: references::Shared,
    /// The reference states this QEMU's own run of them was stopped at,
    /// and whether it was found in them.
    found: std::collections::BTreeMap<(super::plan::Reference, u64), bool>,
    /// How the secure image gets into QEMU: split ([`SecureLoad::FromNvm`],
    /// the default), so that a reset in place keeps QEMU's translations of
    /// the secure code, or whole (the previous way, kept for the bench).
    pub secure_load: SecureLoad,
    /// How long the cloud waits for each answer in a delivery (the
    /// agent's `exec_timeout` unless a test shortens it); a delivery that
    /// times out with the power on is a failure, never a cut.
    pub delivery_timeout: Duration,
    /// Keep the NVM when life 0's cut fires ([`Self::take_cut_nvm`]).
    pub keep_cut_nvm: bool,
    cut_nvm: Option<Vec<u8>>,
    /// The folder `workdir` is (NVM file, logs, QMP socket), removed with the
    /// rig; declared last, so QEMU is stopped before its files go.
    _scratch: tempfile::TempDir,
}

impl QemuOta {
    /// Builds the images and the two app versions (the agent, stamped v1 and v2).
    pub fn new(config: QemuConfig) -> Result<QemuOta, CampaignError> {
        let delivery_timeout = config.exec_timeout;
        let images = build_images(&config.root)?;
        let rom = agent_rom(&images.agent)?;
        let key = development_key();
        let old_rom = agent_factory(&rom).app_rom;
        let new_rom = stamp_version(&rom, 2);
        let zip = build_bundle(
            &Rom::new(NS_CODE_BASE, new_rom.clone())?,
            &key,
            &BundlePolicy::with_version(2),
        )?;
        let new = Deployment::from_bundle("agent-v2", &zip)?;
        let layout = Layout::DEFAULT;
        let pad = |r: &[u8]| padded(r, layout.app_size() as usize);
        let scratch = hil_proc::scratch("ota-qemu")
            .map_err(CampaignError::io("cannot create a scratch folder"))?;
        let workdir = scratch.path().to_owned();
        Ok(QemuOta {
            secure_elf: images.secure,
            nvm: NvmFile::new(&workdir.join("nvm.bin")),
            workdir,
            config,
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
            converged_nvm: None,
            fast_converge: false,
            converged_by: None,
            fast_link: true,
            reset_in_place: true,
            join: true,
            join_references: true,
            references: Default::default(),
            found: Default::default(),
            secure_load: SecureLoad::FromNvm,
            delivery_timeout,
            keep_cut_nvm: false,
            cut_nvm: None,
            _scratch: scratch,
        })
    }

    /// Another rig on the same images, with a scratch folder (NVM file) of
    /// its own: for QEMU instances in parallel. It shares the reference.
    pub fn sibling(&self) -> Result<QemuOta, CampaignError> {
        let scratch = hil_proc::scratch("ota-qemu")
            .map_err(CampaignError::io("cannot create a scratch folder"))?;
        let workdir = scratch.path().to_owned();
        Ok(QemuOta {
            config: self.config.clone(),
            secure_elf: self.secure_elf.clone(),
            nvm: NvmFile::new(&workdir.join("nvm.bin")),
            workdir,
            machine: None,
            old_rom: self.old_rom.clone(),
            new: self.new.clone(),
            new_zip: self.new_zip.clone(),
            layout: self.layout,
            key: self.key.clone(),
            old_image: self.old_image.clone(),
            new_image: self.new_image.clone(),
            boots: 0,
            kill_at: None,
            killed: false,
            update_secs: self.update_secs,
            converged_nvm: self.converged_nvm.clone(),
            fast_converge: false,
            converged_by: None,
            fast_link: self.fast_link,
            reset_in_place: self.reset_in_place,
            join: self.join,
            join_references: self.join_references,
            references: self.references.clone(),
            found: Default::default(),
            secure_load: self.secure_load,
            delivery_timeout: self.delivery_timeout,
            keep_cut_nvm: self.keep_cut_nvm,
            cut_nvm: None,
            _scratch: scratch,
        })
    }

    /// After an uncut [`Self::run_plan`] that passed: its NVM (unchanged by
    /// its three clean boots) becomes the reference points converge to.
    pub fn adopt_reference(&mut self) -> Result<Vec<u8>, CampaignError> {
        let nvm = self.read_nvm()?;
        self.converged_nvm = Some(nvm.clone());
        Ok(nvm)
    }

    /// The NVM life 0 left when its cut fired in the last point run with
    /// [`Self::keep_cut_nvm`] set.
    pub fn take_cut_nvm(&mut self) -> Option<Vec<u8>> {
        self.cut_nvm.take()
    }

    /// The sim scenario of this very update (same ROMs, key and engine), for calibration.
    pub fn sim_scenario(&self) -> Result<Scenario, CampaignError> {
        Scenario::new(&self.old_rom, 1, &self.new.layer, 2, self.key.clone())
    }

    /// Writes the factory NVM: the old app installed as version 1, the key provisioned.
    pub fn provision(&self) -> Result<(), CampaignError> {
        self.provision_with(0)
    }

    /// As [`Self::provision`], the old app's bundle allowing `politeness_s` seconds.
    fn provision_with(&self, politeness_s: u16) -> Result<(), CampaignError> {
        Ok(self.nvm.write_factory(&Factory {
            app_rom: self.old_rom.clone(),
            app_version: 1,
            politeness_s,
            signers: vec![hil_bundle::dev_public_key()],
        })?)
    }

    fn read_nvm(&self) -> Result<Vec<u8>, CampaignError> {
        Ok(self.nvm.read()?)
    }

    /// Asks the image to cut power at operation `op` of its next life.
    pub fn request_cut(&self, cut: Cut) -> Result<(), CampaignError> {
        Ok(self.nvm.request_cut(cut)?)
    }

    /// The journal and app region as the NVM file holds them now.
    fn inspect(&self) -> Result<(u32, EnginePhase, Vec<u8>, Vec<u8>), CampaignError> {
        let mut flash = self.nvm.flash()?;
        let signers = mv_update::otp::read_signers(flash.cells(), flash.map());
        // A copy: booting it here changes nothing on the device.
        let (u, _) = match Updater::boot(&mut flash, self.layout, signers) {
            Ok(booted) => booted,
            Err(e) => fail!("{e:?}"),
        };
        let cells = flash.into_cells();
        let app = cells.read_vec(0, self.layout.app_size() as usize);
        let s = self.layout.staging_offset() as usize;
        let staging = cells.read_vec(s, self.layout.staging_size() as usize);
        Ok((u.installed_version(), u.phase(), app, staging))
    }

    /// The sim's checks after a boot, on the NVM file.
    fn check_booted(&self) -> Result<(u32, EnginePhase), (Outcome, String)> {
        let (version, phase, app, staging) = self
            .inspect()
            .map_err(|e| (Outcome::NoBoot, e.to_string()))?;
        Images {
            old_version: 1,
            new_version: 2,
            old_image: &self.old_image,
            new_image: &self.new_image,
            layer: &self.new.layer,
        }
        .check(
            &Copied {
                app: &app,
                staging: &staging,
            },
            version,
            phase,
        )?;
        Ok((version, phase))
    }

    pub fn nvm_path(&self) -> &Path {
        self.nvm.path()
    }
}

/// `HIL_OTA_TRACE=1`: print where a point's time goes.
fn trace(what: &str) {
    if std::env::var_os("HIL_OTA_TRACE").is_some() {
        eprintln!("[ota-qemu] {what}");
    }
}

/// The error of a call that needs a running QEMU.
fn not_running() -> CampaignError {
    CampaignError::Failed("QEMU is not running".into())
}
