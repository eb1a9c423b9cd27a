//! Power-cut campaigns on the sim: calibrate, cut at every flash operation
//! (before it and inside it), cut again during recovery, cut at random; check
//! every outcome against the invariants.
//!
//! A *plan* is a list of cuts; cut `i` lands at operation `op` counted from
//! the start of the device's `i`-th life (life 0 starts at the first boot
//! after the factory image). Its id (`op1234i+op5`) replays it exactly,
//! because the kernel, the flash model and the cloud are deterministic.
//!
//! After every cut the device is booted again and checked:
//! - it boots (the kernel comes up and answers the cloud);
//! - the app region is byte-for-byte the old image or the new one, and the
//!   journal's installed version says which;
//! - the journal agrees with the flash (a download it lists is in staging);
//! - an unfinished download resumes at the chunk the journal reached;
//! - once the update is in, three more boots change nothing (no flash
//!   operation, same state).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use hil_bundle::tamper::TamperClass;
use hil_bundle::{build_bundle, BundlePolicy, Rom, SigningKey};
use hil_sim::flash::{CutPoint, FlashOp};
use mv_ota::TrustedSigner;
use mv_update::journal::kind;
use mv_update::{BootOutcome, Layout, Phase as EnginePhase, RejectCode, CHUNK_SIZE};

use super::cloud::{deliver, Delivery, DeliveryEnd, Deployment};
use super::sim_device::{DeviceError, SimOtaDevice};

/// Where in the update an operation belongs (from the golden run's trace).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Switching journal pages (a new offer).
    Rotate,
    /// Staging the verified manifest.
    Offer,
    /// Staging chunks and journalling them.
    Download,
    /// Recording the verdict on the staged ROM.
    Verify,
    /// Rewriting the app region from staging.
    Install,
    /// Recording the commit.
    Commit,
}

impl Phase {
    pub const ALL: [Phase; 6] = [
        Phase::Rotate,
        Phase::Offer,
        Phase::Download,
        Phase::Verify,
        Phase::Install,
        Phase::Commit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Rotate => "rotate",
            Phase::Offer => "offer",
            Phase::Download => "download",
            Phase::Verify => "verify",
            Phase::Install => "install",
            Phase::Commit => "commit",
        }
    }

    fn of(op: &FlashOp, layout: &Layout) -> Phase {
        let page = op.offset / mv_kernel::flash::PAGE_SIZE;
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
        } else if (layout.staging_first..layout.staging_first + layout.staging_pages)
            .contains(&page)
        {
            Phase::Download
        } else {
            Phase::Install
        }
    }
}

/// One cut of a plan.
pub type Cut = CutPoint;

/// The replay id of a plan.
pub fn plan_id(plan: &[Cut]) -> String {
    plan.iter().map(CutPoint::id).collect::<Vec<_>>().join("+")
}

/// Parses a replay id (`op12i+op3`).
pub fn parse_plan(id: &str) -> Result<Vec<Cut>> {
    id.split('+')
        .map(|p| CutPoint::parse(p).ok_or_else(|| anyhow!("`{p}` is not a cut (op<N> or op<N>i)")))
        .collect()
}

/// What a point came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Every invariant held and the new app runs.
    Ok,
    /// The app region was neither image, or the journal named the other one.
    WrongImage,
    /// The kernel did not come up, or could not finish an install.
    NoBoot,
    /// Later clean boots changed flash or state.
    NotConverged,
    /// A download started over (or lost chunks) after a cut.
    NoResume,
    /// The journal lists staged data that the staging area does not hold.
    JournalInconsistent,
    /// The verified new app was never installed.
    NotUpdated,
    /// A tampered bundle was not refused the way its class must be.
    TamperAccepted,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::WrongImage => "wrong_image",
            Outcome::NoBoot => "no_boot",
            Outcome::NotConverged => "not_converged",
            Outcome::NoResume => "no_resume",
            Outcome::JournalInconsistent => "journal_inconsistent",
            Outcome::NotUpdated => "not_updated",
            Outcome::TamperAccepted => "tamper_accepted",
        }
    }
}

/// The result of one plan.
#[derive(Clone, Debug)]
pub struct PointResult {
    pub id: String,
    /// Phase of the first cut in the golden run.
    pub phase: Phase,
    pub outcome: Outcome,
    /// What went wrong (empty when ok).
    pub detail: String,
    /// Cuts that actually fired.
    pub cuts_fired: usize,
    /// Flash operations of each life (the recovery of cut `i` is life `i + 1`).
    pub life_ops: Vec<u64>,
}

/// The uncut run: how many operations, and what each one is.
#[derive(Clone, Debug)]
pub struct Calibration {
    pub ops: u64,
    pub phases: Vec<Phase>,
    /// Operation index of each `Chunk` record.
    pub chunk_records: Vec<u64>,
}

impl Calibration {
    /// Chunks the journal lists once the operations before `cut` are done.
    fn chunks_done(&self, cut: Cut) -> u32 {
        self.chunk_records.iter().filter(|&&op| op < cut.op).count() as u32
    }

    fn phase(&self, op: u64) -> Phase {
        self.phases
            .get(op as usize)
            .copied()
            .unwrap_or(Phase::Commit)
    }
}

/// Old app, new bundle, key: everything a plan runs against.
pub struct Scenario {
    pub old_version: u32,
    pub new_version: u32,
    pub key: SigningKey,
    pub new_zip: Vec<u8>,
    pub new: Deployment,
    factory: SimOtaDevice,
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

impl Images<'_> {
    /// The app region is byte-for-byte one image and the journal names that
    /// one; whatever the journal lists as staged is in staging.
    pub fn check(
        &self,
        region: &[u8],
        staging: &[u8],
        installed: u32,
        phase: EnginePhase,
    ) -> Result<(), (Outcome, String)> {
        let image = if region == self.old_image {
            self.old_version
        } else if region == self.new_image {
            self.new_version
        } else {
            let differs = region
                .iter()
                .zip(self.old_image)
                .position(|(a, b)| a != b)
                .unwrap_or(0);
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
        if staging[..staged_len] != self.layer[..staged_len] {
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
    pub fn synthetic(app_len: usize) -> Result<Scenario> {
        let old = synthetic_rom(app_len + 4 * CHUNK_SIZE as usize + 100, 1);
        let new = synthetic_rom(app_len, 2);
        Scenario::new(&old, 1, &new, 2, SigningKey::from_slice(&[0x17; 32])?)
    }

    pub fn new(
        old_rom: &[u8],
        old_version: u32,
        new_rom: &[u8],
        new_version: u32,
        key: SigningKey,
    ) -> Result<Scenario> {
        let new_zip = build_bundle(
            &Rom::new(0, new_rom.to_vec())?,
            &key,
            &BundlePolicy::with_version(new_version),
        )?;
        let new = Deployment::from_bundle("new", &new_zip)?;
        let factory = SimOtaDevice::factory(
            old_rom,
            old_version,
            vec![TrustedSigner::from_signing_key(&key)],
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
    pub fn calibrate(&self) -> Result<Calibration> {
        let mut dev = self.factory.clone();
        dev.flash.enable_trace();
        let result = self.run_lives(&mut dev, &[], None);
        let trace = dev.flash.take_trace();
        if result.outcome != Outcome::Ok {
            return Err(anyhow!(
                "the uncut update fails: {} ({})",
                result.outcome.name(),
                result.detail
            ));
        }
        let layout = *dev.layout();
        Ok(Calibration {
            ops: trace.len() as u64,
            phases: trace.iter().map(|op| Phase::of(op, &layout)).collect(),
            chunk_records: trace
                .iter()
                .enumerate()
                .filter(|(_, op)| {
                    !op.erase
                        && op.first == kind::CHUNK
                        && layout
                            .journal
                            .contains(&(op.offset / mv_kernel::flash::PAGE_SIZE))
                })
                .map(|(i, _)| i as u64)
                .collect(),
        })
    }

    /// Runs one plan from the factory image and checks every invariant.
    pub fn run_plan(&self, plan: &[Cut], calibration: Option<&Calibration>) -> PointResult {
        let mut dev = self.factory.clone();
        let mut result = self.run_lives(&mut dev, plan, calibration);
        if let (Some(first), Some(cal)) = (plan.first(), calibration) {
            result.phase = cal.phase(first.op);
        }
        result
    }

    fn run_lives(
        &self,
        dev: &mut SimOtaDevice,
        plan: &[Cut],
        calibration: Option<&Calibration>,
    ) -> PointResult {
        let mut result = PointResult {
            id: plan_id(plan),
            phase: Phase::Rotate,
            outcome: Outcome::Ok,
            detail: String::new(),
            cuts_fired: 0,
            life_ops: Vec::new(),
        };
        // Chunks the journal must list after the first cut (from the golden run).
        let resume_floor = plan
            .first()
            .zip(calibration)
            .map(|(&cut, cal)| cal.chunks_done(cut));
        for life in 0..plan.len() + 2 {
            let start = dev.flash.operations();
            if let Some(cut) = plan.get(life) {
                dev.flash.arm(CutPoint {
                    op: start + cut.op,
                    inside: cut.inside,
                });
            }
            let step = self.life(dev, if life == 1 { resume_floor } else { None });
            result.life_ops.push(dev.flash.operations() - start);
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

    /// One life: boot, check, fetch what is missing, install, converge.
    fn life(&self, dev: &mut SimOtaDevice, resume_floor: Option<u32>) -> Result<(), Stop> {
        let outcome = dev.boot().map_err(Stop::from)?;
        if outcome == BootOutcome::InstallFailed {
            return Err(Stop::Failed(
                Outcome::NoBoot,
                "the install could not complete".into(),
            ));
        }
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
                DeliveryEnd::Staged => {}
                DeliveryEnd::LinkDown => return Err(dev_stop(dev)),
                other => {
                    return Err(Stop::Failed(
                        Outcome::NotUpdated,
                        format!("the device answered the verified bundle with {other:?}"),
                    ))
                }
            }
            match dev.restart().map_err(Stop::from)? {
                Some(BootOutcome::Installed { version }) if version == self.new_version => {}
                other => {
                    return Err(Stop::Failed(
                        Outcome::NotUpdated,
                        format!("restart with a staged update gave {other:?}"),
                    ))
                }
            }
        }
        if dev.app_region() != self.new_image.as_slice() {
            return Err(Stop::Failed(
                Outcome::WrongImage,
                "the install reported success over a region that is not the new image".into(),
            ));
        }
        self.converge(dev)
    }

    /// After any boot: exactly one image, the one the journal names; staged data as listed.
    fn check_booted(&self, dev: &SimOtaDevice) -> Result<(), Stop> {
        let Some(u) = dev.updater() else {
            return Err(Stop::Failed(Outcome::NoBoot, "no kernel after boot".into()));
        };
        self.images()
            .check(
                dev.app_region(),
                dev.staging(),
                u.installed_version(),
                u.phase(),
            )
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
    fn converge(&self, dev: &mut SimOtaDevice) -> Result<(), Stop> {
        let ops = dev.flash.operations();
        for boot in 1..=3 {
            let outcome = dev.boot().map_err(Stop::from)?;
            let u = dev.updater().ok_or(Stop::PowerLost)?;
            let state = (outcome, u.installed_version(), u.phase());
            if state != (BootOutcome::Clean, self.new_version, EnginePhase::Idle) {
                return Err(Stop::Failed(
                    Outcome::NotConverged,
                    format!("clean boot {boot} came up as {state:?}"),
                ));
            }
        }
        if dev.flash.operations() != ops || dev.app_region() != self.new_image.as_slice() {
            return Err(Stop::Failed(
                Outcome::NotConverged,
                format!(
                    "three clean boots did {} flash operation(s)",
                    dev.flash.operations() - ops
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
        };
        let mut fail = |outcome: Outcome, detail: String| {
            result.outcome = outcome;
            result.detail = detail;
            result.clone()
        };
        let bundle = match class
            .apply(&self.new_zip, &self.key, self.old_version)
            .map_err(anyhow::Error::from)
            .and_then(|zip| {
                Deployment::from_bundle(class.name(), &zip).map_err(anyhow::Error::from)
            }) {
            Ok(b) => b,
            Err(e) => {
                return fail(
                    Outcome::NoBoot,
                    format!("cannot build the tampered bundle: {e:#}"),
                )
            }
        };
        let mut dev = self.factory.clone();
        if let Err(e) = dev.boot() {
            return fail(Outcome::NoBoot, format!("{e:?}"));
        }
        let delivery = deliver(&mut dev, &bundle);
        let expected = expected_rejection(class) as u16;
        if delivery.end != DeliveryEnd::Rejected(expected) {
            return fail(
                Outcome::TamperAccepted,
                format!(
                    "expected Rejected({expected}), the device answered {:?}",
                    delivery.end
                ),
            );
        }
        match dev.restart() {
            Ok(None) => {}
            other => {
                return fail(
                    Outcome::TamperAccepted,
                    format!("restart after refusal: {other:?}"),
                )
            }
        }
        let reboot = dev.boot();
        if reboot != Ok(BootOutcome::Clean) {
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

/// The reason each tamper class must be refused with.
pub fn expected_rejection(class: TamperClass) -> RejectCode {
    match class {
        TamperClass::BadSignature => RejectCode::BadSignature,
        TamperClass::UnknownSigner => RejectCode::UnknownSigner,
        TamperClass::TruncatedLayer | TamperClass::LayerHashMismatch => {
            RejectCode::FetchHashMismatch
        }
        TamperClass::MeasurementMismatch => RejectCode::MeasurementMismatch,
        TamperClass::OversizedRom => RejectCode::RomTooLarge,
        TamperClass::Downgrade => RejectCode::Downgrade,
        TamperClass::MalformedManifest => RejectCode::Malformed,
    }
}

enum Stop {
    PowerLost,
    Failed(Outcome, String),
}

impl From<DeviceError> for Stop {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::PowerLost => Stop::PowerLost,
            DeviceError::Flash(f) => Stop::Failed(Outcome::NoBoot, format!("flash error {f:?}")),
        }
    }
}

fn dev_stop(dev: &SimOtaDevice) -> Stop {
    match dev.fault {
        Some(f) => Stop::Failed(Outcome::NoBoot, format!("flash error {f:?}")),
        None => Stop::PowerLost,
    }
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

/// Campaign size.
#[derive(Clone, Debug)]
pub struct CampaignConfig {
    /// Bytes of the new app (the old one is 32 KiB larger).
    pub app_size: usize,
    /// Nested cuts for every `nested_stride`-th single cut (0: none).
    pub nested_stride: u64,
    /// Random multi-cut plans.
    pub random: u32,
    pub seed: u64,
    pub threads: usize,
}

/// Everything a campaign measured.
pub struct CampaignResult {
    pub calibration: Calibration,
    pub single: Vec<PointResult>,
    pub nested: Vec<PointResult>,
    pub random: Vec<PointResult>,
    pub tamper: Vec<PointResult>,
    pub elapsed: Duration,
    pub threads: usize,
    pub app_size: usize,
    /// Ctrl-C stopped it: the lists hold the points that finished.
    pub interrupted: bool,
}

impl CampaignResult {
    /// Every cut point run (single, nested, random).
    pub fn cut_points(&self) -> usize {
        self.single.len() + self.nested.len() + self.random.len()
    }

    pub fn failures(&self) -> impl Iterator<Item = &PointResult> {
        self.single
            .iter()
            .chain(&self.nested)
            .chain(&self.random)
            .chain(&self.tamper)
            .filter(|p| p.outcome != Outcome::Ok)
    }
}

/// Runs `f` over `items` on `threads` threads, keeping the order; once
/// `stop` is set no new item starts, and only the finished ones come back.
pub fn par_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
    done: &(dyn Fn(usize) + Sync),
    stop: &AtomicBool,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let slots = std::sync::Mutex::new(&mut out);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                slots.lock().expect("no panics while holding it")[i] = Some(r);
                done(1);
            });
        }
    });
    // Items start in order and every started one finishes, so after a stop
    // the results are a prefix of `items`, still aligned with it.
    out.into_iter().flatten().collect()
}

/// Single cuts at every operation, before and inside.
pub fn single_plans(cal: &Calibration) -> Vec<Vec<Cut>> {
    (0..cal.ops)
        .flat_map(|op| [false, true].map(|inside| vec![CutPoint { op, inside }]))
        .collect()
}

/// Depth 2: for every `stride`-th single plan, a second cut at the start,
/// a third, half, two thirds and the end of its recovery, before and inside.
pub fn nested_plans(single: &[(Vec<Cut>, PointResult)], stride: u64) -> Vec<Vec<Cut>> {
    if stride == 0 {
        return Vec::new();
    }
    let mut plans = Vec::new();
    for (plan, result) in single.iter().step_by(stride as usize) {
        let Some(&recovery) = result.life_ops.get(1) else {
            continue;
        };
        let mut at = vec![
            0,
            1,
            recovery / 3,
            recovery / 2,
            2 * recovery / 3,
            recovery.saturating_sub(1),
        ];
        at.sort_unstable();
        at.dedup();
        for op in at {
            for inside in [false, true] {
                let mut p = plan.clone();
                p.push(CutPoint { op, inside });
                plans.push(p);
            }
        }
    }
    plans
}

/// `n` random plans of 2–5 cuts anywhere in a life, from `seed`.
pub fn random_plans(cal: &Calibration, n: u32, seed: u64) -> Vec<Vec<Cut>> {
    let mut x = seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            let cuts = 2 + next() % 4;
            (0..cuts)
                .map(|_| CutPoint {
                    op: next() % cal.ops.max(1),
                    inside: next() % 2 == 1,
                })
                .collect()
        })
        .collect()
}

/// The whole campaign: calibrate, single, nested, random, tamper. Once
/// `stop` is set, what finished is returned (`interrupted` says so).
pub fn run(
    cfg: &CampaignConfig,
    progress: &(dyn Fn(&str, usize, usize) + Sync),
    stop: &AtomicBool,
) -> Result<CampaignResult> {
    let started = Instant::now();
    let scenario = Scenario::synthetic(cfg.app_size)?;
    let calibration = scenario.calibrate()?;
    let threads = cfg.threads.max(1);
    let run_all = |what: &str, plans: &[Vec<Cut>]| {
        let count = AtomicUsize::new(0);
        let total = plans.len();
        par_map(
            plans,
            threads,
            |plan| scenario.run_plan(plan, Some(&calibration)),
            &|n| {
                let c = count.fetch_add(n, Ordering::Relaxed) + n;
                if c.is_multiple_of(1024) || c == total {
                    progress(what, c, total);
                }
            },
            stop,
        )
    };
    let plans = single_plans(&calibration);
    let single = run_all("single", &plans);
    let paired: Vec<(Vec<Cut>, PointResult)> =
        plans.into_iter().zip(single.iter().cloned()).collect();
    let nested = run_all("nested", &nested_plans(&paired, cfg.nested_stride));
    let random = run_all("random", &random_plans(&calibration, cfg.random, cfg.seed));
    let tamper = TamperClass::ALL
        .iter()
        .take_while(|_| !stop.load(Ordering::Relaxed))
        .map(|&class| scenario.run_tamper(class))
        .collect();
    Ok(CampaignResult {
        interrupted: stop.load(Ordering::Relaxed),
        calibration,
        single,
        nested,
        random,
        tamper,
        elapsed: started.elapsed(),
        threads,
        app_size: cfg.app_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_ids_round_trip() {
        let plan = parse_plan("op12i+op3").unwrap();
        assert_eq!(plan_id(&plan), "op12i+op3");
        assert!(parse_plan("op12x").is_err());
    }

    #[test]
    fn a_scenario_whose_install_mixes_images_is_caught() {
        // The checker must be able to fail: a region with one byte of each
        // image is neither.
        let s = Scenario::synthetic(3 * CHUNK_SIZE as usize).unwrap();
        let mut dev = s.factory.clone();
        dev.boot().unwrap();
        // Reprogramming over the old image is refused by the flash rules, so
        // tear the first page down the way a buggy install would.
        use mv_kernel::flash::Flash;
        dev.flash.erase_page(0).unwrap();
        dev.flash
            .program(0, &s.new_image[..16].try_into().unwrap())
            .unwrap();
        match s.check_booted(&dev) {
            Err(Stop::Failed(Outcome::WrongImage, _)) => {}
            _ => panic!("a mixed region passed the check"),
        }
    }
}
