//! The `attack` step: the app tries a TrustZone attack; the architecture must stop it and nothing secure may change.
//!
//! Around the attempt the executor reads the rig's guarded memory (secure
//! memory outside the kernel's own state, app code, the NVM — read from
//! outside the device, through QEMU's monitor) and fails the case if one
//! byte of it differs afterwards. A rig with nothing to read there (the
//! sim models no secure memory) skips that comparison; the transcript is
//! the same either way, and the comparison's result is the case's evidence.

use hil_cases::{AttackExpect, AttackStep};
use hil_rig::{AppRestart, GuardedRegion, RigError};
use mv_proto::{Primitive, Reply};

use super::{Executor, StepError, StepResult};

fn describe(step: &AttackStep) -> String {
    match step.attack.target() {
        Some(target) => format!("app attacks: {} {}", step.attack.kind_name(), target.name()),
        None => format!("app attacks: {}", step.attack.kind_name()),
    }
}

impl Executor<'_> {
    pub(super) fn attack(&mut self, step: &AttackStep) -> StepResult {
        let before = self.session.guarded_memory()?;
        let head = describe(step);
        let verdict = self.attempt(step, &head);
        if let (Some(before), Ok(())) = (before, &verdict) {
            let after = self.session.guarded_memory()?.unwrap_or_default();
            self.compare_guarded(&before, &after)?;
        }
        verdict
    }

    fn attempt(&mut self, step: &AttackStep, head: &str) -> StepResult {
        let reply = match self.session.exec(vec![Primitive::Attack(step.attack)]) {
            Err(RigError::AppRestarted(AppRestart {
                wake_reason,
                crash: Some(report),
            })) => {
                self.crashed(head, wake_reason, &report);
                self.app_restarted();
                return match step.expect {
                    AttackExpect::Fault { kind, cause } => {
                        if report.kind != kind {
                            Err(StepError::Failed(format!(
                                "the attack raised a {}, expected a {}",
                                report.kind.name(),
                                kind.name()
                            )))
                        } else if let Some(c) = cause.filter(|c| !report.causes().contains(c)) {
                            Err(StepError::Failed(format!(
                                "the {} reported {:?}, expected the cause {c}",
                                kind.name(),
                                report.causes()
                            )))
                        } else {
                            Ok(())
                        }
                    }
                    AttackExpect::Completes { .. } => Err(StepError::Failed(format!(
                        "the attack raised a {}; the case expects it to complete",
                        report.kind.name()
                    ))),
                };
            }
            Err(e) => return Err(StepError::Rig(e)),
            Ok(mut replies) => replies.pop().unwrap_or(Reply::Done),
        };
        match reply {
            Reply::Attacked { value, .. } => {
                self.line(&format!("{head} -> no fault: read {value:#010x}"));
                match step.expect {
                    AttackExpect::Completes { read } if read == value => Ok(()),
                    AttackExpect::Completes { read } => Err(StepError::Failed(format!(
                        "the load read {value:#010x}, expected {read:#010x}"
                    ))),
                    AttackExpect::Fault { kind, .. } => Err(StepError::Failed(format!(
                        "the attack completed without a fault; expected a {}",
                        kind.name()
                    ))),
                }
            }
            Reply::NotModelled => {
                self.line(&format!("{head} -> not modelled on this rig"));
                Err(StepError::Failed(format!(
                    "the rig `{}` does not carry out this attack (it executes no instructions); skip the case on it with a reason",
                    self.session.name()
                )))
            }
            other => Err(super::steps::unexpected(head, other)),
        }
    }

    /// Fails the step if a guarded byte changed; the evidence goes to the logs.
    fn compare_guarded(&mut self, before: &[GuardedRegion], after: &[GuardedRegion]) -> StepResult {
        let bytes: usize = before.iter().map(|r| r.bytes.len()).sum();
        for (b, a) in before.iter().zip(after) {
            if let Some(at) = a.changed_since(b) {
                return Err(StepError::Failed(format!(
                    "the attack changed {} at {at:#010x}",
                    b.name
                )));
            }
        }
        if after.len() != before.len() {
            return Err(StepError::Rig(RigError::Link(format!(
                "the rig read {} guarded regions before the attack and {} after",
                before.len(),
                after.len()
            ))));
        }
        self.logs.push(hil_report::LogLine {
            source: "guard".into(),
            text: format!(
                "secure memory outside the kernel's state, app code and NVM: {} regions, {bytes} bytes, byte-identical before and after the attack",
                before.len()
            ),
            location: None,
        });
        Ok(())
    }
}
