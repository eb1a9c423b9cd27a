//! A board's core through its probe: flash both images, reset, halt, run, read memory, and faults caught by vector catch.

use std::path::Path;
use std::time::Duration;

use probe_rs::probe::list::Lister;
use probe_rs::probe::Probe;
use probe_rs::{
    Core, CoreStatus, HaltReason, MemoryInterface, Permissions, RegisterId, Session,
    VectorCatchCondition,
};

use super::error::{chain, ProbeError};
use super::fault::{fault_report, from_app, kind_of, secure_frame, FAULT_REGISTERS};
use super::plan::{self, FlashPlan, ImageRole};
use super::select::{open_probe, ProbeSpec};

/// How long a halt may take before the core is called unresponsive.
const HALT_TIMEOUT: Duration = Duration::from_millis(500);

// Core register numbers (DCRSR.REGSEL, Armv8-M ARM): read in the state the
// core halted in, the secure one inside a secure fault handler.
const R0: RegisterId = RegisterId(0);
const R1: RegisterId = RegisterId(1);
const LR: RegisterId = RegisterId(14);
const XPSR: RegisterId = RegisterId(0b1_0000);
const MSP: RegisterId = RegisterId(0b1_0001);
const PSP: RegisterId = RegisterId(0b1_0010);

/// Semihosting `SYS_EXIT_EXTENDED` in r0, and the reason word of its block
/// (`firmware/secure/src/exit.rs`).
const SYS_EXIT_EXTENDED: u32 = 0x20;
const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x2_0026;

/// A core halted on a fault the probe caught, and what it was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caught {
    /// The app faulted: the kernel reports it as a crash and restarts the
    /// app, so the core is let run on ([`ProbeTarget::resume_after`]).
    AppFault(mv_proto::FaultReport),
    /// The secure kernel faulted: the run is over.
    KernelFault(mv_proto::FaultReport),
}

/// An attached target: one probe-rs session on one chip.
pub struct ProbeTarget {
    session: Session,
    selector: String,
}

impl std::fmt::Debug for ProbeTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ProbeTarget({} on {})",
            self.session.target().name,
            self.selector
        )
    }
}

impl ProbeTarget {
    /// Opens the probe the spec names (through `lister`: `Lister::new()`
    /// on a lab host) and attaches to its chip.
    pub fn open(lister: &Lister, spec: &ProbeSpec) -> Result<ProbeTarget, ProbeError> {
        let probe = open_probe(lister, &spec.selector)?;
        ProbeTarget::attach(probe, &spec.chip, &spec.selector.to_string())
    }

    /// Attaches an opened probe to `chip`.
    pub fn attach(probe: Probe, chip: &str, selector: &str) -> Result<ProbeTarget, ProbeError> {
        let session =
            probe
                .attach(chip, Permissions::default())
                .map_err(|e| ProbeError::Attach {
                    chip: chip.to_owned(),
                    selector: selector.to_owned(),
                    why: chain(&e),
                })?;
        Ok(ProbeTarget {
            session,
            selector: selector.to_owned(),
        })
    }

    /// The chip's name as probe-rs knows it.
    pub fn chip(&self) -> &str {
        &self.session.target().name
    }

    /// Flashes the secure image, then the app, each verified by reading it
    /// back; with `dry_run` only plans and checks. Returns the plans.
    pub fn flash(
        &mut self,
        secure: &Path,
        app: &Path,
        dry_run: bool,
    ) -> Result<Vec<FlashPlan>, ProbeError> {
        let mut plans = Vec::new();
        // The secure image first: at TZEN=1 the part boots it, and an app
        // without its kernel must never be what the part starts.
        for (role, elf) in [(ImageRole::Secure, secure), (ImageRole::App, app)] {
            let (loader, plan) = plan::load(&mut self.session, elf, role)?;
            plan::commit(&mut self.session, &loader, &plan, dry_run, !dry_run)?;
            plans.push(plan);
        }
        Ok(plans)
    }

    /// The core, for what reads it directly (RTT).
    pub fn core(&mut self) -> Result<Core<'_>, ProbeError> {
        self.session
            .core(0)
            .map_err(|e| ProbeError::core("opening core 0", chain(&e)))
    }

    /// Resets the core and holds it at its reset vector.
    pub fn reset_and_halt(&mut self) -> Result<(), ProbeError> {
        self.core()?
            .reset_and_halt(HALT_TIMEOUT)
            .map(drop)
            .map_err(|e| ProbeError::core("reset and halt", chain(&e)))
    }

    /// Resets the core and lets it run.
    pub fn reset(&mut self) -> Result<(), ProbeError> {
        self.core()?
            .reset()
            .map_err(|e| ProbeError::core("reset", chain(&e)))
    }

    /// Halts the core where it is.
    pub fn halt(&mut self) -> Result<(), ProbeError> {
        self.core()?
            .halt(HALT_TIMEOUT)
            .map(drop)
            .map_err(|e| ProbeError::core("halt", chain(&e)))
    }

    /// Lets a halted core run.
    pub fn run(&mut self) -> Result<(), ProbeError> {
        self.core()?
            .run()
            .map_err(|e| ProbeError::core("run", chain(&e)))
    }

    /// Reads `len` bytes at `address` (secure addresses too: probe-rs
    /// makes secure debug accesses at RDP 0), for post-mortems.
    pub fn read(&mut self, address: u64, len: usize) -> Result<Vec<u8>, ProbeError> {
        let mut bytes = vec![0; len];
        self.core()?.read(address, &mut bytes).map_err(|e| {
            ProbeError::core(format!("reading {len} bytes at {address:#010x}"), chain(&e))
        })?;
        Ok(bytes)
    }

    /// Halts the core at the entry of the HardFault and SecureFault
    /// handlers from now on, so [`ProbeTarget::caught`] can read the
    /// fault before the handler reports or resets anything.
    pub fn catch_faults(&mut self) -> Result<(), ProbeError> {
        let mut core = self.core()?;
        for condition in [
            VectorCatchCondition::HardFault,
            VectorCatchCondition::SecureFault,
        ] {
            core.enable_vector_catch(condition).map_err(|e| {
                ProbeError::core(format!("vector catch on {condition:?}"), chain(&e))
            })?;
        }
        Ok(())
    }

    /// If the core is halted at a fault handler (vector catch), the fault
    /// and whose it was; `None` while it runs or halted for another reason.
    pub fn caught(&mut self) -> Result<Option<Caught>, ProbeError> {
        let mut core = self.core()?;
        let status = core
            .status()
            .map_err(|e| ProbeError::core("reading the core's status", chain(&e)))?;
        if !matches!(status, CoreStatus::Halted(HaltReason::Exception)) {
            return Ok(None);
        }
        let reg = |core: &mut Core<'_>, id: RegisterId, name: &str| {
            core.read_core_reg::<u32>(id)
                .map_err(|e| ProbeError::core(format!("reading {name}"), chain(&e)))
        };
        let ipsr = reg(&mut core, XPSR, "xPSR")? & 0x1FF;
        if kind_of(ipsr).is_none() {
            return Ok(None);
        }
        let exc_return = reg(&mut core, LR, "LR (EXC_RETURN)")?;
        let mut registers = Vec::new();
        for (name, address) in FAULT_REGISTERS {
            let value = core
                .read_word_32(u64::from(address))
                .map_err(|e| ProbeError::core(format!("reading {name}"), chain(&e)))?;
            registers.push((name, value));
        }
        if from_app(exc_return) {
            return Ok(Some(Caught::AppFault(fault_report(
                ipsr, exc_return, &registers, None,
            ))));
        }
        let (msp, psp) = (reg(&mut core, MSP, "MSP")?, reg(&mut core, PSP, "PSP")?);
        let frame = u64::from(secure_frame(exc_return, msp, psp));
        let mut words = [0u32; 8];
        // An unreadable frame (a stack pointer run wild) still leaves the
        // fault registers to report.
        let stacked = core
            .read_32(frame, &mut words)
            .ok()
            .map(|()| [words[5], words[6], words[7]]);
        Ok(Some(Caught::KernelFault(fault_report(
            ipsr, exc_return, &registers, stacked,
        ))))
    }

    /// If the core halted on the images' semihosting exit (`BKPT 0xAB`
    /// with `SYS_EXIT_EXTENDED`, `firmware/secure/src/exit.rs`): the code
    /// it passed, as QEMU would have exited with it.
    pub fn exited(&mut self) -> Result<Option<u32>, ProbeError> {
        let mut core = self.core()?;
        let status = core
            .status()
            .map_err(|e| ProbeError::core("reading the core's status", chain(&e)))?;
        if !matches!(status, CoreStatus::Halted(HaltReason::Breakpoint(_))) {
            return Ok(None);
        }
        let read = |core: &mut Core<'_>, id: RegisterId| {
            core.read_core_reg::<u32>(id)
                .map_err(|e| ProbeError::core("reading r0/r1", chain(&e)))
        };
        if read(&mut core, R0)? != SYS_EXIT_EXTENDED {
            return Ok(None);
        }
        let block = u64::from(read(&mut core, R1)?);
        let mut words = [0u32; 2];
        core.read_32(block, &mut words).map_err(|e| {
            ProbeError::core(
                format!("reading the exit block at {block:#010x}"),
                chain(&e),
            )
        })?;
        Ok((words[0] == ADP_STOPPED_APPLICATION_EXIT).then_some(words[1]))
    }

    /// Lets the core run on after an app fault was caught: the kernel's
    /// handler reports the crash and restarts the app.
    pub fn resume_after(&mut self, caught: &Caught) -> Result<(), ProbeError> {
        match caught {
            Caught::AppFault(_) => self.run(),
            Caught::KernelFault(report) => Err(ProbeError::Fault(report.clone())),
        }
    }
}
