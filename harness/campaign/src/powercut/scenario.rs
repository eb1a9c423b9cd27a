//! The sim's update scenario: old app, new bundle, key; calibration, plans run life by life, and the checks after every boot.
//!
//! After every cut the device is booted again and checked:
//! - it boots (the kernel comes up and answers the cloud);
//! - the app region is byte-for-byte the old image or the new one, and the
//!   journal's installed version says which;
//! - the journal agrees with the flash (a download it lists is in staging);
//! - an unfinished download resumes at the chunk the journal reached;
//! - once the update is in, three more boots change nothing (no flash
//!   operation, same state).

use hil_bundle::tamper::TamperClass;
use hil_bundle::{build_bundle, BundlePolicy, Rom, SigningKey};
use hil_cloud::{deliver, Delivery, DeliveryEnd, Deployment};
use mv_abi::MvWakeReason;
use mv_flash::{FlashOp, PAGE_SIZE};
use mv_ota::TrustedSigner;
use mv_update::journal::kind;
use mv_update::{Layout, Phase as EnginePhase, CHUNK_SIZE};

use super::plan::{plan_id, Calibration, Cut, Outcome, Phase, PointResult, Verified};
use super::sim_device::CampaignDevice;
use crate::error::fail;
use crate::CampaignError;
use hil_sim::{DeviceError, SimCells};

/// The lab's development key: both rigs' factory images trust it.
pub fn development_key() -> SigningKey {
    hil_bundle::dev_signing_key()
}

/// Old app, new bundle, key: everything a plan runs against.
pub struct Scenario {
    pub old_version: u32,
    pub new_version: u32,
    pub key: SigningKey,
    pub new_zip: Vec<u8>,
    pub new: Deployment,
    factory: CampaignDevice,
    old_image: Vec<u8>,
    new_image: Vec<u8>,
}

/// The two images a device may run and the layer it may have staged: what
/// every rig checks after every boot.
pub struct Images<'a> {
    pub old_version: u32,
    pub new_version: u32,
    /// The old ROM padded with 0xFF to the app region.
    pub old_image: &'a [u8],
    /// The new ROM padded likewise.
    pub new_image: &'a [u8],
    /// The new bundle's layer.
    pub layer: &'a [u8],
}

/// What [`Images::check`] reads of a device's flash: copies on QEMU
/// ([`Copied`]), the sim's cells in place ([`CampaignDevice`]).
pub trait Regions {
    /// Offset of the first byte of the app region that differs from `image`
    /// (`None`: the region is `image`).
    fn app_difference(&self, image: &[u8]) -> Option<usize>;
    /// Whether staging starts with `bytes`.
    fn staging_holds(&self, bytes: &[u8]) -> bool;
}

/// The app region and staging area, copied out of a device.
pub struct Copied<'a> {
    pub app: &'a [u8],
    pub staging: &'a [u8],
}

impl Regions for Copied<'_> {
    fn app_difference(&self, image: &[u8]) -> Option<usize> {
        if self.app == image {
            return None;
        }
        Some(
            self.app
                .iter()
                .zip(image)
                .position(|(a, b)| a != b)
                .unwrap_or(0),
        )
    }

    fn staging_holds(&self, bytes: &[u8]) -> bool {
        self.staging.get(..bytes.len()) == Some(bytes)
    }
}

impl Images<'_> {
    /// The app region is byte-for-byte one image and the journal names that
    /// one; whatever the journal lists as staged is in staging.
    pub fn check(
        &self,
        flash: &dyn Regions,
        installed: u32,
        phase: EnginePhase,
    ) -> Result<(), (Outcome, String)> {
        let image = if flash.app_difference(self.old_image).is_none() {
            self.old_version
        } else if flash.app_difference(self.new_image).is_none() {
            self.new_version
        } else {
            let differs = flash.app_difference(self.old_image).unwrap_or(0);
            return Err((
                Outcome::WrongImage,
                format!("app region is neither image (first difference from the old one at {differs:#x})"),
            ));
        };
        if image != installed {
            return Err((
                Outcome::WrongImage,
                format!("journal says version {installed} is installed, the region holds version {image}"),
            ));
        }
        let staged_len = match phase {
            EnginePhase::Idle => 0,
            EnginePhase::Downloading { next_chunk, .. } => {
                (next_chunk * CHUNK_SIZE).min(self.layer.len() as u32) as usize
            }
            EnginePhase::Staged => self.layer.len(),
        };
        if !flash.staging_holds(&self.layer[..staged_len]) {
            return Err((
                Outcome::JournalInconsistent,
                format!(
                    "the journal lists {staged_len} staged bytes the staging area does not hold"
                ),
            ));
        }
        Ok(())
    }
}

/// `rom` padded with 0xFF to `size` bytes (an app region as installed).
pub fn padded(rom: &[u8], size: usize) -> Vec<u8> {
    let mut image = vec![0xFF; size];
    image[..rom.len()].copy_from_slice(rom);
    image
}

/// Deterministic bytes standing in for an app ROM.
pub fn synthetic_rom(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

impl Scenario {
    /// An update from a larger old app (so the install must also erase its
    /// tail) to a new app of `app_len` bytes, signed by a fixed development key.
    pub fn synthetic(app_len: usize) -> Result<Scenario, CampaignError> {
        let old = synthetic_rom(app_len + 4 * CHUNK_SIZE as usize + 100, 1);
        let new = synthetic_rom(app_len, 2);
        Scenario::new(&old, 1, &new, 2, development_key())
    }

    pub fn new(
        old_rom: &[u8],
        old_version: u32,
        new_rom: &[u8],
        new_version: u32,
        key: SigningKey,
    ) -> Result<Scenario, CampaignError> {
        let new_zip = build_bundle(
            &Rom::new(0, new_rom.to_vec())?,
            &key,
            &BundlePolicy::with_version(new_version),
        )?;
        let new = Deployment::from_bundle("new", &new_zip)?;
        let factory = CampaignDevice::factory(
            old_rom,
            old_version,
            vec![TrustedSigner::from_signing_key(&key).public_key()],
        );
        let size = factory.layout().app_size() as usize;
        Ok(Scenario {
            old_version,
            new_version,
            key,
            old_image: padded(old_rom, size),
            new_image: padded(new_rom, size),
            new_zip,
            new,
            factory,
        })
    }

    /// Runs the update without cuts and records every flash operation.
    pub fn calibrate(&self) -> Result<Calibration, CampaignError> {
        let mut dev = self.factory.clone();
        dev.flash_mut().enable_trace();
        let result = self.run_lives(&mut dev, &[], None, 0, new_result(&[]), None);
        let trace = dev.flash_mut().take_trace();
        if result.outcome != Outcome::Ok {
            fail!(
                "the uncut update fails: {} ({})",
                result.outcome.name(),
                result.detail
            );
        }
        let layout = dev.layout();
        Ok(Calibration {
            ops: trace.len() as u64,
            phases: trace.iter().map(|op| phase_of(op, &layout)).collect(),
            chunk_records: trace
                .iter()
                .enumerate()
                .filter(|(_, op)| {
                    !op.erase
                        && op.first == kind::CHUNK
                        && layout.journal.contains(&(op.offset / PAGE_SIZE))
                })
                .map(|(i, _)| i as u64)
                .collect(),
        })
    }

    /// Runs one plan from the factory image and checks every invariant
    /// (every life run to its end: [`Verified::Full`]).
    pub fn run_plan(&self, plan: &[Cut], calibration: Option<&Calibration>) -> PointResult {
        let mut dev = self.factory.clone();
        let result = self.run_lives(&mut dev, plan, calibration, 0, new_result(plan), None);
        with_phase(result, plan, calibration)
    }

    /// The factory device (powered off).
    pub(super) fn factory(&self) -> &CampaignDevice {
        &self.factory
    }

    /// Runs lives `from..` of `plan` on `dev` (each boots it), adding each
    /// life's operations to `result`. `golden_final`: the flash the golden
    /// run converged on, so convergence from that very flash is known.
    pub(super) fn run_lives(
        &self,
        dev: &mut CampaignDevice,
        plan: &[Cut],
        calibration: Option<&Calibration>,
        from: usize,
        mut result: PointResult,
        golden_final: Option<&SimCells>,
    ) -> PointResult {
        // Chunks the journal must list after the first cut (from the golden run).
        let resume_floor = resume_floor(plan, calibration);
        for life in from..plan.len() + 2 {
            let start = dev.flash().operations();
            if let Some(&cut) = plan.get(life) {
                dev.flash_mut().arm(cut);
            }
            let floor = if life == 1 { resume_floor } else { None };
            let step = self.life(dev, floor, golden_final);
            result.life_ops.push(dev.flash().operations() - start);
            match step {
                Ok(()) => return result,
                Err(Stop::PowerLost) => result.cuts_fired += 1,
                Err(Stop::Failed(outcome, detail)) => {
                    result.outcome = outcome;
                    result.detail = format!("life {life}: {detail}");
                    return result;
                }
            }
        }
        result.outcome = Outcome::NoBoot;
        result.detail = "power was lost in more lives than the plan has cuts".into();
        result
    }

    /// One life: boot, check, fetch what is missing (the device installs it
    /// and restarts the app itself), converge.
    pub(super) fn life(
        &self,
        dev: &mut CampaignDevice,
        resume_floor: Option<u32>,
        golden_final: Option<&SimCells>,
    ) -> Result<(), Stop> {
        dev.boot().map_err(Stop::from)?;
        self.check_booted(dev)?;
        let installed = dev.updater().map(|u| u.installed_version());
        if installed != Some(self.new_version) {
            let before = dev.updater().map(|u| u.phase());
            if let (Some(floor), Some(phase)) = (resume_floor, before) {
                check_resume_state(phase, floor)?;
            }
            let delivery = deliver(dev, &self.new);
            if let Some(EnginePhase::Downloading { next_chunk, .. }) = before {
                check_resumed(&delivery, next_chunk)?;
            }
            match delivery.end {
                DeliveryEnd::Installing => {}
                DeliveryEnd::LinkDown => return Err(dev_stop(dev)),
                other => {
                    return Err(Stop::Failed(
                        Outcome::NotUpdated,
                        format!("the device answered the verified bundle with {other:?}"),
                    ))
                }
            }
            let start = dev.last_start;
            let version = dev.updater().map(|u| u.installed_version());
            let updated = start
                .is_some_and(|s| s.installed && s.wake_reason == MvWakeReason::ApplicationUpdate);
            if !updated || version != Some(self.new_version) {
                return Err(Stop::Failed(
                    Outcome::NotUpdated,
                    format!("the restart after staging gave {start:?}, version {version:?}"),
                ));
            }
        }
        if dev.app_difference(&self.new_image).is_some() {
            return Err(Stop::Failed(
                Outcome::WrongImage,
                "the install reported success over a region that is not the new image".into(),
            ));
        }
        if golden_final.is_some_and(|cells| dev.flash().cells().same_as(cells)) {
            // Booting depends on the flash alone, and the golden run's three
            // clean boots from exactly these bytes changed nothing.
            return Ok(());
        }
        self.converge(dev)
    }

    /// After any boot: exactly one image, the one the journal names; staged data as listed.
    fn check_booted(&self, dev: &CampaignDevice) -> Result<(), Stop> {
        let Some(u) = dev.updater() else {
            return Err(Stop::Failed(Outcome::NoBoot, "no kernel after boot".into()));
        };
        self.images()
            .check(dev, u.installed_version(), u.phase())
            .map_err(|(outcome, detail)| Stop::Failed(outcome, detail))
    }

    fn images(&self) -> Images<'_> {
        Images {
            old_version: self.old_version,
            new_version: self.new_version,
            old_image: &self.old_image,
            new_image: &self.new_image,
            layer: &self.new.layer,
        }
    }

    /// Three more clean boots: no flash operation, same state.
    fn converge(&self, dev: &mut CampaignDevice) -> Result<(), Stop> {
        let ops = dev.flash().operations();
        for boot in 1..=3 {
            let start = dev.boot().map_err(Stop::from)?;
            let u = dev.updater().ok_or(Stop::PowerLost)?;
            let state = (start.installed, u.installed_version(), u.phase());
            if state != (false, self.new_version, EnginePhase::Idle) {
                return Err(Stop::Failed(
                    Outcome::NotConverged,
                    format!("clean boot {boot} came up as {state:?}"),
                ));
            }
        }
        if dev.flash().operations() != ops || dev.app_difference(&self.new_image).is_some() {
            return Err(Stop::Failed(
                Outcome::NotConverged,
                format!(
                    "three clean boots did {} flash operation(s)",
                    dev.flash().operations() - ops
                ),
            ));
        }
        Ok(())
    }

    /// A tampered bundle against a device running the old app: refused with
    /// the class's reason, nothing staged, the old app intact after a reboot.
    pub fn run_tamper(&self, class: TamperClass) -> PointResult {
        let mut result = PointResult {
            id: class.name().to_owned(),
            phase: Phase::Offer,
            outcome: Outcome::Ok,
            detail: String::new(),
            cuts_fired: 0,
            life_ops: Vec::new(),
            verified: Verified::Full,
        };
        let mut fail = |outcome: Outcome, detail: String| {
            result.outcome = outcome;
            result.detail = detail;
            result.clone()
        };
        let bundle = match class
            .apply(&self.new_zip, &self.key, self.old_version)
            .map_err(CampaignError::from)
            .and_then(|zip| Ok(Deployment::from_bundle(class.name(), &zip)?))
        {
            Ok(b) => b,
            Err(e) => {
                return fail(
                    Outcome::NoBoot,
                    format!("cannot build the tampered bundle: {e}"),
                )
            }
        };
        let mut dev = self.factory.clone();
        if let Err(e) = dev.boot() {
            return fail(Outcome::NoBoot, format!("{e:?}"));
        }
        let delivery = deliver(&mut dev, &bundle);
        if let Err((outcome, detail)) = tamper_verdict(class, delivery.end) {
            return fail(outcome, detail);
        }
        if dev.updater().map(|u| u.phase()) != Some(EnginePhase::Idle) {
            return fail(
                Outcome::TamperAccepted,
                format!(
                    "after the refusal the engine is {:?}",
                    dev.updater().map(|u| u.phase())
                ),
            );
        }
        let reboot = dev.boot();
        if reboot.map(|s| s.installed) != Ok(false) {
            return fail(Outcome::NoBoot, format!("reboot after refusal: {reboot:?}"));
        }
        if let Err(Stop::Failed(outcome, detail)) = self.check_booted(&dev) {
            return fail(outcome, detail);
        }
        let state = dev.updater().map(|u| (u.installed_version(), u.phase()));
        if state != Some((self.old_version, EnginePhase::Idle)) {
            return fail(
                Outcome::WrongImage,
                format!("after refusal and reboot: {state:?}"),
            );
        }
        result
    }
}

pub use hil_cloud::expected_rejection;

/// How the device's answer to a tampered bundle of `class` is judged, on
/// every rig: refused with the class's reason is right; refused with another
/// reason is [`Outcome::RefusedOtherwise`] (the old app still runs, but the
/// check that should have caught it did not speak); anything else is
/// [`Outcome::TamperAccepted`].
pub fn tamper_verdict(class: TamperClass, end: DeliveryEnd) -> Result<(), (Outcome, String)> {
    let expected = expected_rejection(class);
    match end {
        DeliveryEnd::Rejected(code) if code == expected as u16 => Ok(()),
        DeliveryEnd::Rejected(code) => Err((
            Outcome::RefusedOtherwise,
            format!(
                "refused with {}, but a {} bundle must be refused with {expected:?}",
                reject_name(code),
                class.name()
            ),
        )),
        other => Err((
            Outcome::TamperAccepted,
            format!("expected Rejected({expected:?}), the device answered {other:?}"),
        )),
    }
}

/// A rejection code by its name (`RomTooLarge`), or its number if unknown.
fn reject_name(code: u16) -> String {
    mv_update::RejectCode::ALL
        .iter()
        .find(|c| **c as u16 == code)
        .map_or_else(|| format!("code {code}"), |c| format!("{c:?}"))
}

pub(super) enum Stop {
    PowerLost,
    Failed(Outcome, String),
}

impl From<DeviceError> for Stop {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::PowerLost => Stop::PowerLost,
            DeviceError::Flash(f) => Stop::Failed(Outcome::NoBoot, format!("flash error {f:?}")),
            DeviceError::InstallFailed => {
                Stop::Failed(Outcome::NoBoot, "the install could not complete".into())
            }
        }
    }
}

fn dev_stop(dev: &CampaignDevice) -> Stop {
    match dev.fault {
        Some(f) => Stop::Failed(Outcome::NoBoot, format!("{f:?}")),
        None => Stop::PowerLost,
    }
}

/// A point that has not run yet.
pub(super) fn new_result(plan: &[Cut]) -> PointResult {
    PointResult {
        id: plan_id(plan),
        phase: Phase::Rotate,
        outcome: Outcome::Ok,
        detail: String::new(),
        cuts_fired: 0,
        life_ops: Vec::new(),
        verified: Verified::Full,
    }
}

/// The point grouped by the golden-run phase of its first cut.
pub(super) fn with_phase(
    mut result: PointResult,
    plan: &[Cut],
    calibration: Option<&Calibration>,
) -> PointResult {
    if let (Some(first), Some(cal)) = (plan.first(), calibration) {
        result.phase = cal.phase(first.op);
    }
    result
}

/// Chunks the journal must list right after the first cut.
fn resume_floor(plan: &[Cut], calibration: Option<&Calibration>) -> Option<u32> {
    plan.first()
        .zip(calibration)
        .map(|(&cut, cal)| cal.chunks_done(cut))
}

/// Right after the first recovery boot: the journal lists every chunk the
/// golden run had journalled before the cut.
fn check_resume_state(phase: EnginePhase, floor: u32) -> Result<(), Stop> {
    match phase {
        EnginePhase::Downloading { next_chunk, .. } if next_chunk < floor => Err(Stop::Failed(
            Outcome::NoResume,
            format!(
                "{floor} chunk(s) were journalled before the cut, the journal lists {next_chunk}"
            ),
        )),
        EnginePhase::Idle if floor > 0 => Err(Stop::Failed(
            Outcome::NoResume,
            format!("{floor} chunk(s) were journalled before the cut, the download is gone"),
        )),
        _ => Ok(()),
    }
}

/// The cloud was asked for the first chunk the journal lacks, not chunk 0.
fn check_resumed(delivery: &Delivery, next_chunk: u32) -> Result<(), Stop> {
    match delivery.first_chunk {
        Some(first) if first != next_chunk => Err(Stop::Failed(
            Outcome::NoResume,
            format!("the journal lists {next_chunk} chunk(s), the device asked for chunk {first}"),
        )),
        _ => Ok(()),
    }
}

/// The phase an operation of the golden run belongs to.
fn phase_of(op: &FlashOp, layout: &Layout) -> Phase {
    let page = op.offset / PAGE_SIZE;
    if layout.journal.contains(&page) {
        if op.erase {
            return Phase::Rotate;
        }
        return match op.first {
            kind::BEGIN => Phase::Offer,
            kind::CHUNK => Phase::Download,
            kind::STAGED | kind::REJECTED => Phase::Verify,
            kind::INSTALL_START | kind::INSTALL_PAGE => Phase::Install,
            kind::COMMITTED => Phase::Commit,
            _ => Phase::Rotate,
        };
    }
    if page == layout.manifest_page {
        Phase::Offer
    } else if (layout.staging_first..layout.staging_first + layout.staging_pages).contains(&page) {
        Phase::Download
    } else {
        Phase::Install
    }
}

#[cfg(test)]
mod tests {
    use super::{Outcome, Scenario, Stop, CHUNK_SIZE};

    #[test]
    fn a_scenario_whose_install_mixes_images_is_caught() {
        // The checker must be able to fail: a region with one byte of each
        // image is neither.
        let s = Scenario::synthetic(3 * CHUNK_SIZE as usize).unwrap();
        let mut dev = s.factory.clone();
        dev.boot().unwrap();
        // Reprogramming over the old image is refused by the flash rules, so
        // tear the first page down the way a buggy install would.
        use mv_flash::Flash;
        dev.flash_mut().erase_page(0).unwrap();
        dev.flash_mut()
            .program(0, &s.new_image[..16].try_into().unwrap())
            .unwrap();
        match s.check_booted(&dev) {
            Err(Stop::Failed(Outcome::WrongImage, _)) => {}
            _ => panic!("a mixed region passed the check"),
        }
    }
}
