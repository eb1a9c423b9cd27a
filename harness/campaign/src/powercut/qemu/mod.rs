//! The OTA campaign on `qemu-an505`: the real secure image over NVM that survives the cut.
//!
//! The NVM is QEMU's PSRAM backed by a file (`memory-backend-file`,
//! `share=on`): every guest store lands in the file, so killing QEMU keeps
//! the flash exactly as it was. The harness writes the factory image into
//! that file (flash bytes, unit states, the provisioned signer key), boots
//! only the secure image, which loads the installed app from the app region,
//! and plays the cloud over UART3 with the same [`hil_cloud::deliver`] as the
//! sim. QEMU is started by `hil-rig`'s one launcher ([`hil_rig::qemu::Launch`]).
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

mod device;
mod lives;
mod scenarios;

use std::path::{Path, PathBuf};
use std::time::Instant;

use hil_bundle::{build_bundle, elf_to_rom, BundlePolicy, Rom, SigningKey};
use hil_cloud::Deployment;
use hil_rig::qemu::{build_images, FrameLink, Machine, QemuConfig};
use mv_update::nvm::{map, write_signers, NvmCells, NvmFlash};
use mv_update::{Layout, Phase as EnginePhase, Updater};

use super::plan::{Cut, Outcome};
use super::scenario::{development_key, padded, Images, Scenario};
use crate::error::fail;
use crate::CampaignError;

/// Bytes of the NVM file the harness reads and writes (the rest stays zero).
const NVM_USED: usize = 0x0070_0000;
/// The PSRAM backend must be exactly this size (MiB).
const NVM_MIB: u64 = 16;
/// Exit code of the secure image when an armed cut fires.
const POWER_CUT_EXIT: i32 = 90;
/// Where the app region is loaded (the agent's code base).
pub const NS_CODE_BASE: u32 = 0x0020_0000;

/// A QEMU between its start and its stop: the agent and cloud links.
struct Booted {
    /// Declared first: the links close before QEMU is killed.
    agent: FrameLink,
    cloud: FrameLink,
    machine: Machine,
}

/// The rig: QEMU, the images, the NVM file, the two app images.
pub struct QemuOta {
    config: QemuConfig,
    secure_elf: PathBuf,
    workdir: PathBuf,
    nvm: PathBuf,
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
    pub fn new(config: QemuConfig) -> Result<QemuOta, CampaignError> {
        let images = build_images(&config.root)?;
        let agent =
            std::fs::read(&images.agent).map_err(CampaignError::io("cannot read the agent ELF"))?;
        let rom = elf_to_rom(&agent)?;
        if rom.base() != NS_CODE_BASE {
            fail!(
                "the agent ROM starts at {:#x}, the app region loads at {NS_CODE_BASE:#x}",
                rom.base()
            );
        }
        let key = development_key();
        let old_rom = stamped(&rom, 1);
        let new_rom = stamped(&rom, 2);
        let zip = build_bundle(
            &Rom::new(rom.base(), new_rom.clone())?,
            &key,
            &BundlePolicy::with_version(2),
        )?;
        let new = Deployment::from_bundle("agent-v2", &zip)?;
        let layout = Layout::DEFAULT;
        let pad = |r: &[u8]| padded(r, layout.app_size() as usize);
        let workdir = std::env::temp_dir().join(format!("hil-ota-qemu-{}", std::process::id()));
        std::fs::create_dir_all(&workdir).map_err(CampaignError::io(format!(
            "cannot create {}",
            workdir.display()
        )))?;
        Ok(QemuOta {
            secure_elf: images.secure,
            nvm: workdir.join("nvm.bin"),
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
        })
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
        let mut flash = NvmFlash::open(vec![0u8; NVM_USED], self.layout.flash_size());
        if let Err(e) = Updater::provision(&mut flash, &self.layout, &self.old_rom, 1, politeness_s)
        {
            fail!("provisioning: {e:?}");
        }
        let mut cells = flash.into_cells();
        let public = mv_ota::TrustedSigner::from_signing_key(&self.key).public_key();
        write_signers(&mut cells, &[public]);
        self.write_nvm(&cells)
    }

    fn write_nvm(&self, cells: &[u8]) -> Result<(), CampaignError> {
        use std::io::Write as _;
        let mut file = std::fs::File::create(&self.nvm)
            .map_err(CampaignError::io("cannot create the NVM file"))?;
        file.write_all(cells)
            .and_then(|()| file.set_len(NVM_MIB << 20))
            .map_err(CampaignError::io("cannot write the NVM file"))
    }

    fn read_nvm(&self) -> Result<Vec<u8>, CampaignError> {
        let mut bytes =
            std::fs::read(&self.nvm).map_err(CampaignError::io("cannot read the NVM file"))?;
        bytes.truncate(NVM_USED);
        Ok(bytes)
    }

    /// Asks the image to cut power at operation `op` of its next life.
    pub fn request_cut(&self, cut: Cut) -> Result<(), CampaignError> {
        let mut cells = self.read_nvm()?;
        cells.store(
            map::CUT_REQUEST,
            &NvmFlash::<Vec<u8>>::cut_request(cut.op as u32, cut.inside),
        );
        self.write_nvm(&cells)
    }

    /// The journal and app region as the NVM file holds them now.
    fn inspect(&self) -> Result<(u32, EnginePhase, Vec<u8>, Vec<u8>), CampaignError> {
        let mut flash = NvmFlash::open(self.read_nvm()?, self.layout.flash_size());
        let signers = mv_update::nvm::read_signers(flash.cells());
        // A copy: booting it here changes nothing on the device.
        let (u, _) = match Updater::boot(&mut flash, self.layout, signers) {
            Ok(booted) => booted,
            Err(e) => fail!("{e:?}"),
        };
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
            .map_err(|e| (Outcome::NoBoot, e.to_string()))?;
        Images {
            old_version: 1,
            new_version: 2,
            old_image: &self.old_image,
            new_image: &self.new_image,
            layer: &self.new.layer,
        }
        .check(&app, &staging, version, phase)?;
        Ok((version, phase))
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

/// The error of a call that needs a running QEMU.
fn not_running() -> CampaignError {
    CampaignError::Failed("QEMU is not running".into())
}
