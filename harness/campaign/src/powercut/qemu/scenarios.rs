//! Scenarios without cuts on QEMU: polite deployment both ways, app crashes and back-off, the tampered bundles.

use std::time::{Duration, Instant};

use hil_bundle::tamper::TamperClass;
use hil_cloud::{deliver, DeliveryEnd, Deployment, OtaLink};
use mv_abi::{MvWakeReason, Slot};
use mv_proto::{CloudToDevice, Primitive};
use mv_update::{Phase as EnginePhase, CHUNK_SIZE};

use super::{QemuOta, NS_CODE_BASE};
use crate::error::fail;
use crate::powercut::plan::Outcome;
use crate::powercut::scenario::{expected_rejection, tamper_verdict};
use crate::CampaignError;

impl QemuOta {
    /// Polite deployment end to end: the app subscribes to `UPDATE`; a
    /// restart during the download is `MICROVISORBUSY`; once staged the
    /// kernel posts `UPDATEDOWNLOADED` (with the app's tag) and waits; then
    /// either the app calls `mvRestart` or the politeness time (2 s) runs
    /// out, and the boot installs the update (`APPLICATIONUPDATE`). Returns
    /// what happened, line by line.
    pub fn run_polite(&mut self, app_restarts: bool) -> Result<Vec<String>, CampaignError> {
        const TAG: u32 = 0x55AA;
        const IRQ: u32 = 41;
        let mut log = Vec::new();
        self.provision_with(2)?;
        if !self.boot()? {
            fail!("the factory image did not boot");
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
            fail!("subscribing failed: {log:?}");
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
            fail!("mvRestart during a download must be MICROVISORBUSY: {log:?}");
        }
        let deployment = self.new.clone();
        let delivery = deliver(self, &deployment);
        log.push(format!(
            "delivery resumed at chunk {:?}: {:?}",
            delivery.first_chunk, delivery.end
        ));
        if delivery.end != DeliveryEnd::Staged || delivery.first_chunk != Some(1) {
            fail!("the download did not resume and stage: {log:?}");
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
            fail!("no UPDATEDOWNLOADED with the app's tag: {log:?}");
        }
        let waited = Instant::now();
        if app_restarts {
            self.send_agent(vec![Primitive::Call {
                slot: Slot::Restart as u32,
                args: [0; 4],
            }])?;
        }
        if !self.await_hello()? {
            fail!("QEMU stopped instead of restarting");
        }
        let waited = waited.elapsed();
        let (version, _) = self
            .check_booted()
            .map_err(|(o, d)| CampaignError::Failed(format!("{}: {d}", o.name())))?;
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
            fail!("the update was not installed on restart: {log:?}");
        }
        if !app_restarts && waited < Duration::from_millis(1500) {
            fail!("restarted before the politeness time: {log:?}");
        }
        self.stop();
        Ok(log)
    }

    /// App crashes: the app loads from secure RAM twice in a row. Each time
    /// the kernel reports the crash on the cloud link (a SecureFault, the PC
    /// in the app's code), restarts the app after the back-off (100 ms, then
    /// 200 ms), and the app's `mvGetWakeReason` says `APPLICATIONCRASH`.
    pub fn run_crash(&mut self) -> Result<Vec<String>, CampaignError> {
        // Secure RAM nobody uses: the `secure_ram` placement's pool.
        const SECURE_RAM: u32 = mv_boards::an505::BOARD.pools.secure_ram;
        let mut log = Vec::new();
        self.provision()?;
        if !self.boot()? {
            fail!("the factory image did not boot");
        }
        for n in 1..=2u32 {
            self.send_agent(vec![Primitive::Read {
                addr: SECURE_RAM,
                len: 4,
            }])?;
            let crashed = Instant::now();
            if !self.await_hello()? {
                fail!("QEMU stopped instead of restarting the app");
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
                fail!("crash {n} was not handled as specified: {log:?}");
            }
        }
        self.stop();
        Ok(log)
    }
    /// A tampered bundle: refused with its class's reason, no restart, the
    /// old app intact in NVM and running after a reboot.
    /// A tampered bundle: refused with its class's reason ([`tamper_verdict`],
    /// as on the sim), nothing staged, the old app intact after a reboot.
    pub fn run_tamper(&mut self, class: TamperClass) -> Result<String, (Outcome, String)> {
        let no_boot = |e: CampaignError| (Outcome::NoBoot, e.to_string());
        let zip = class
            .apply(&self.new_zip, &self.key, 1)
            .map_err(|e| no_boot(e.into()))?;
        let bundle = Deployment::from_bundle(class.name(), &zip).map_err(|e| no_boot(e.into()))?;
        self.provision().map_err(no_boot)?;
        if !self.boot().map_err(no_boot)? {
            return Err((Outcome::NoBoot, "the factory image did not boot".into()));
        }
        let delivery = deliver(self, &bundle);
        tamper_verdict(class, delivery.end)?;
        let reason = self.wake_reason().map_err(no_boot)?;
        self.stop();
        if !self.boot().map_err(no_boot)? {
            return Err((Outcome::NoBoot, "no boot after the refusal".into()));
        }
        let (version, phase) = self.check_booted()?;
        self.stop();
        if version != 1 || phase != EnginePhase::Idle || reason != 0 {
            return Err((
                Outcome::TamperAccepted,
                format!("after the refusal: version {version}, {phase:?}, wake reason {reason}"),
            ));
        }
        Ok(format!(
            "refused with code {} after {} chunk(s); old app runs",
            expected_rejection(class) as u16,
            delivery.chunks_sent
        ))
    }
}
