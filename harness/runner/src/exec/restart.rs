//! Steps that restart the app: a successful `mvRestart`, an app read that faults, a deployment that installs.
//!
//! The app does not see the return of what restarts it; the rig reports the
//! restart (`RigError::AppRestarted`) with the wake reason the device
//! announced and the crash it reported. The transcript says what the app
//! would notice — the fault's rig-independent cause and the wake reason —
//! and the case goes on with a fresh agent: every allocation is gone.

use hil_cases::{AppRead, Call, Deploy, DeployExpect};
use hil_cloud::{expected_rejection, DeliveryEnd};
use hil_rig::{AppRestart, CloudOutcome, RigError};
use mv_abi::MvWakeReason;
use mv_proto::Primitive;
use mv_update::RejectCode;

use super::steps::{status_name, unexpected};
use super::{Executor, StepError, StepResult};

fn wake_reason_name(reason: u8) -> String {
    MvWakeReason::DESC
        .name_of(u32::from(reason))
        .map_or_else(|| format!("{reason:#x}"), str::to_owned)
}

impl Executor<'_> {
    /// The app is gone; the new one starts with nothing the case allocated.
    pub(super) fn app_restarted(&mut self) {
        self.allocs.clear();
        self.readers.clear();
    }

    /// `mvRestart` that must succeed: the app restarts instead of returning.
    pub(super) fn restart_call(&mut self, c: &Call) -> StepResult {
        let (call, head) = self.call_primitive(c);
        match self.session.exec(vec![call]) {
            Err(RigError::AppRestarted(AppRestart {
                wake_reason,
                crash: None,
            })) => {
                self.line(&format!(
                    "{head} -> no return: the app restarted ({})",
                    wake_reason_name(wake_reason)
                ));
                self.app_restarted();
                Ok(())
            }
            Err(e) => Err(StepError::Rig(e)),
            Ok(mut replies) => {
                let reply = replies.pop().unwrap_or(mv_proto::Reply::Done);
                let mv_proto::Reply::Status(raw) = reply else {
                    return Err(unexpected(&head, reply));
                };
                self.line(&format!("{head} -> {}", status_name(raw)));
                Err(StepError::Failed(format!(
                    "{} returned {}; expected it to restart the app",
                    c.slot.name(),
                    status_name(raw)
                )))
            }
        }
    }

    /// The app loads from the allocation; the hardware must refuse with the
    /// expected fault, caught by the secure world, which reports the crash
    /// and restarts the app. The fault's registers go to the case's logs;
    /// the transcript shows only the rig-independent cause.
    pub(super) fn app_read(&mut self, r: &AppRead) -> StepResult {
        let a = self.allocs.get(&r.name);
        let (addr, placement) = (a.addr, a.placement.name());
        let head = format!("app reads {} bytes of {} ({placement})", r.len, r.name);
        match self
            .session
            .exec(vec![Primitive::Read { addr, len: r.len }])
        {
            Err(RigError::AppRestarted(AppRestart {
                wake_reason,
                crash: Some(report),
            })) => {
                self.crashed(&head, wake_reason, &report);
                self.app_restarted();
                if report.kind == r.expect_fault {
                    Ok(())
                } else {
                    Err(StepError::Failed(format!(
                        "the read raised a {}, expected a {}",
                        report.kind.name(),
                        r.expect_fault.name()
                    )))
                }
            }
            Err(e) => Err(StepError::Rig(e)),
            Ok(replies) => {
                self.line(&format!("{head} -> no fault"));
                Err(StepError::Failed(format!(
                    "the app read {} without a fault ({:?}); expected a {}",
                    r.name,
                    replies.first(),
                    r.expect_fault.name()
                )))
            }
        }
    }

    /// The app crashed under `head`: the transcript says how (the fault's
    /// rig-independent cause and the wake reason), the registers go to the
    /// case's logs, and the case goes on with a fresh agent.
    pub(super) fn crashed(&mut self, head: &str, wake_reason: u8, report: &mv_proto::FaultReport) {
        let causes = report.causes();
        let causes = if causes.is_empty() {
            String::new()
        } else {
            format!(" ({})", causes.join(", "))
        };
        self.line(&format!(
            "{head} -> {}{causes}; the app restarted ({})",
            report.kind.name(),
            wake_reason_name(wake_reason)
        ));
        let registers: Vec<String> = report
            .registers
            .iter()
            .map(|(n, v)| format!("{n}={v:#010x}"))
            .collect();
        self.logs.push(hil_report::LogLine {
            source: "fault".into(),
            text: format!("{}: {}", report.kind.name(), registers.join(" ")),
            location: None,
        });
    }

    /// The cloud deploys a version of the rig's own app.
    pub(super) fn deploy(&mut self, d: &Deploy) -> StepResult {
        let CloudOutcome::Deployed { end, restarted } =
            self.session.cloud(&hil_cases::CloudAction::Deploy(*d))?
        else {
            return Err(StepError::Rig(RigError::Link(
                "the rig did not deploy".into(),
            )));
        };
        let tamper = d
            .tamper
            .map(|t| format!(" ({t} bundle)", t = t.name()))
            .unwrap_or_default();
        let politeness = if d.politeness_s > 0 {
            format!(", politeness {} s", d.politeness_s)
        } else {
            String::new()
        };
        let head = format!("cloud: deploy app v{}{politeness}{tamper}", d.app_version);
        let (got, detail) = match end {
            DeliveryEnd::Installing => (DeployExpect::Installed, String::new()),
            DeliveryEnd::Staged => (DeployExpect::Staged, String::new()),
            DeliveryEnd::UpToDate => (DeployExpect::UpToDate, String::new()),
            DeliveryEnd::Rejected(code) => (
                DeployExpect::Rejected,
                format!(
                    " ({})",
                    RejectCode::from_u16(code)
                        .map_or_else(|| format!("code {code}"), |c| format!("{c:?}"))
                ),
            ),
            other => {
                return Err(StepError::Rig(RigError::Link(format!(
                    "the deployment ended with {other:?}"
                ))))
            }
        };
        let restart = match &restarted {
            Some(r) => format!("; the app restarted ({})", wake_reason_name(r.wake_reason)),
            None => String::new(),
        };
        self.line(&format!("{head} -> {}{detail}{restart}", got.name()));
        if restarted.is_some() {
            self.app_restarted();
        } else if got != DeployExpect::Installed {
            // A polite app was told: show what the kernel wrote.
            self.with_readback(Primitive::DelayUs(0))?;
        }
        if got != d.expect {
            return Err(StepError::Failed(format!(
                "the deployment ended {}, expected {}",
                got.name(),
                d.expect.name()
            )));
        }
        if got == DeployExpect::Installed && restarted.is_none() {
            return Err(StepError::Failed(
                "the device said it installs the update, but the app did not restart".into(),
            ));
        }
        if let (Some(class), DeliveryEnd::Rejected(code)) = (d.tamper, end) {
            let want = expected_rejection(class);
            if code != want as u16 {
                return Err(StepError::Failed(format!(
                    "the {} bundle was refused for code {code}, expected {want:?}",
                    class.name()
                )));
            }
        }
        Ok(())
    }
}
