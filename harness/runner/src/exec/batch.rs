//! The `batch` step: calls made on the device one after the other, with no host round trip between them.
//!
//! Timing-sensitive cases need it: on QEMU the device's clock is the host's,
//! and a case that must make nine opens within one second cannot afford a
//! host round trip per call on a busy machine. The transcript shows every
//! call with its status, then what the batch changed, as for one call.

use hil_cases::Call;
use mv_proto::{Primitive, Reply};

use super::steps::{status_name, unexpected};
use super::{Executor, StepError, StepResult};

impl Executor<'_> {
    pub(super) fn batch(&mut self, calls: &[Call]) -> StepResult {
        let mut heads = Vec::with_capacity(calls.len());
        let mut primitives = Vec::with_capacity(calls.len());
        for c in calls {
            let (primitive, head) = self.call_primitive(c);
            heads.push(head);
            primitives.push(primitive);
        }
        let mark = self.transcript.len();
        let reply = self.with_readback(Primitive::Batch(primitives))?;
        let Reply::Batch(replies) = reply else {
            return Err(unexpected("batch", reply));
        };
        if replies.len() != calls.len() {
            return Err(unexpected("batch", Reply::Batch(replies)));
        }
        let mut lines = format!("batch of {} calls on the device:\n", calls.len());
        let mut failure = None;
        for ((c, head), reply) in calls.iter().zip(&heads).zip(replies) {
            let Reply::Status(raw) = reply else {
                return Err(unexpected(head, reply));
            };
            lines.push_str(&format!("  {head} -> {}\n", status_name(raw)));
            if !c.expect.admits(raw) && failure.is_none() {
                failure = Some(format!(
                    "{} returned {}, expected {}",
                    c.slot.name(),
                    status_name(raw),
                    c.expect.describe()
                ));
            }
        }
        self.transcript.insert_str(mark, &lines);
        match failure {
            Some(message) => Err(StepError::Failed(message)),
            None => self.serve_network(),
        }
    }
}
