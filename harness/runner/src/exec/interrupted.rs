//! A call an interrupt comes into (`interrupted:`): what the handler did, what it pre-empted, and both statuses.
//!
//! The agent arms the handler of the interrupt that is to come (the
//! app's timer, started just before the call's `SG`, or an IRQ the kernel
//! pends during the call); the handler does the case's action (a store into a struct the kernel is
//! reading, or a call of its own) and reports whether it pre-empted the
//! kernel. The transcript shows the call's status, what the handler
//! pre-empted and its call's status; the delay in ticks is the case's
//! data, and the measured latency is not shown (it is `hil bench`'s).

use hil_cases::{Call, Interruption, IsrHandler};
use mv_proto::{InterruptSource, IsrAction, Reply, TimerInterrupt};

use super::steps::{status_name, unexpected};
use super::{render, Executor, StepError, StepResult};

fn preempted(kernel: bool) -> &'static str {
    if kernel {
        "the secure world"
    } else {
        "the app"
    }
}

impl Executor<'_> {
    /// The timer as the agent arms it, and how the transcript names it.
    pub(super) fn timer_interrupt(&self, i: &Interruption) -> (String, TimerInterrupt) {
        let (text, action) = match &i.handler {
            IsrHandler::Nothing => ("does nothing".to_owned(), IsrAction::Nothing),
            IsrHandler::Write(w) => {
                let (text, addr, old, image) = self.planned_write(w);
                let first = (0..image.len()).find(|&k| old.get(k) != Some(&image[k]));
                let last = (0..image.len())
                    .rev()
                    .find(|&k| old.get(k) != Some(&image[k]));
                let (at, data) = match (first, last) {
                    (Some(first), Some(last)) => {
                        (addr + first as u32, image[first..=last].to_vec())
                    }
                    _ => (addr, Vec::new()),
                };
                (text, IsrAction::Write { addr: at, data })
            }
            IsrHandler::Call(c) => {
                let mut args = [0u32; 4];
                for (slot, v) in args.iter_mut().zip(&c.args) {
                    *slot = self.allocs.resolve(v) as u32;
                }
                let shown: Vec<String> = c.args.iter().map(|v| render::value(v, None)).collect();
                (
                    format!("calls {}({})", c.slot.name(), shown.join(", ")),
                    IsrAction::Call {
                        slot: c.slot.number(),
                        args,
                    },
                )
            }
        };
        let by = match i.source {
            InterruptSource::Timer { after_ticks } => {
                format!("the app's timer after {after_ticks} ticks")
            }
            InterruptSource::KernelPends { irq } => format!("IRQ {irq}, which the kernel pends"),
        };
        (
            format!(" interrupted by {by}, whose handler {text}"),
            TimerInterrupt {
                source: i.source,
                action,
            },
        )
    }

    pub(super) fn interrupted_call(&mut self, c: &Call, i: &Interruption) -> StepResult {
        let (primitive, head) = self.call_primitive(c);
        let mark = self.transcript.len();
        let reply = self.with_readback(primitive)?;
        let (raw, isr) = match reply {
            Reply::Interrupted { status, isr } => (status, isr),
            Reply::NotModelled => {
                self.transcript
                    .insert_str(mark, &format!("{head} -> not modelled on this rig\n"));
                return Err(StepError::Failed(format!(
                    "the rig `{}` cannot interrupt a call in progress (it runs a call as one step); skip the case on it with a reason",
                    self.session.name()
                )));
            }
            other => return Err(unexpected(&head, other)),
        };
        let Some(isr) = isr else {
            self.transcript.insert_str(
                mark,
                &format!("{head} -> {}; the handler did not run\n", status_name(raw)),
            );
            return Err(StepError::Failed(
                "the armed handler did not run: the IRQ never came, or the NVIC does not give it to the app"
                    .into(),
            ));
        };
        let mut line = format!(
            "{head} -> {}; the handler pre-empted {}",
            status_name(raw),
            preempted(isr.preempted_kernel)
        );
        if let Some(status) = isr.call_status {
            line.push_str(&format!(", its call -> {}", status_name(status)));
        }
        line.push('\n');
        self.transcript.insert_str(mark, &line);
        if !c.expect.admits(raw) {
            return Err(StepError::Failed(format!(
                "{} returned {}, expected {}",
                c.slot.name(),
                status_name(raw),
                c.expect.describe()
            )));
        }
        if let Some(want) = i
            .preempts_kernel
            .filter(|&want| want != isr.preempted_kernel)
        {
            return Err(StepError::Failed(format!(
                "the armed handler pre-empted {}; the case expects {} (check where the interrupt comes, and the IRQ's priority)",
                preempted(isr.preempted_kernel),
                preempted(want)
            )));
        }
        if let (IsrHandler::Call(hc), Some(status)) = (&i.handler, isr.call_status) {
            if !hc.expect.admits(status) {
                return Err(StepError::Failed(format!(
                    "the handler's {} returned {}, expected {}",
                    hc.slot.name(),
                    status_name(status),
                    hc.expect.describe()
                )));
            }
        }
        self.serve_network()
    }
}
