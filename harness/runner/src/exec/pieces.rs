//! App memory in pieces the agent link carries: reads of at most `MAX_READ`, requests within one frame, writes that wait for the next request.
//!
//! The agent answers a `Read` of at most [`MAX_READ`] bytes, the same on
//! every rig, and one request's replies travel in one frame. So the
//! executor reads (and writes) an allocation of any size in pieces, and
//! sends the pieces in as many requests as keep each request and its reply
//! well inside a frame ([`REQUEST_BUDGET`]). A case can use allocations
//! larger than one read on every rig, and its transcript does not depend on
//! how the bytes travelled.
//!
//! Writes whose only answer is `Done` ([`Executor::send_writes`]) wait
//! ([`Deferred`]) and go at the front of the next request, in order: the
//! agent runs a request's primitives one after the other, so the device
//! sees the same writes before the same primitives, one round trip fewer
//! per write step. Their replies are checked there, and one that is not
//! `Done` is reported at the step that wrote it.

use mv_proto::{Primitive, Reply, MAX_READ};

use super::steps::unexpected;
use super::{Executor, StepError, StepResult, Writes};
use hil_rig::RigError;

/// Payload bytes (read or written) per request: half a frame, so postcard
/// and COBS overhead and the other replies of the batch always fit.
const REQUEST_BUDGET: u32 = (mv_proto::MAX_FRAME / 2) as u32;

/// The `Read`s of `[addr, addr + len)`, in order.
fn read_pieces(addr: u32, len: u32) -> impl Iterator<Item = Primitive> {
    (0..len.div_ceil(MAX_READ)).map(move |i| {
        let at = i * MAX_READ;
        Primitive::Read {
            addr: addr + at,
            len: (len - at).min(MAX_READ),
        }
    })
}

/// The `Write`s of `data` at `addr`, in order.
pub(super) fn write_pieces(addr: u32, data: &[u8]) -> Vec<Primitive> {
    data.chunks(MAX_READ as usize)
        .zip((addr..).step_by(MAX_READ as usize))
        .map(|(chunk, at)| Primitive::Write {
            addr: at,
            data: chunk.to_vec(),
        })
        .collect()
}

/// Bytes a primitive carries in its request or its reply.
fn payload(p: &Primitive) -> u32 {
    match p {
        Primitive::Read { len, .. } => *len,
        Primitive::Write { data, .. } => data.len() as u32,
        _ => 0,
    }
}

/// `primitives` in requests of at most [`REQUEST_BUDGET`] payload bytes each.
fn requests(primitives: Vec<Primitive>) -> Vec<Vec<Primitive>> {
    let mut out: Vec<Vec<Primitive>> = Vec::new();
    let mut used = 0;
    for p in primitives {
        let size = payload(&p);
        match out.last_mut() {
            Some(request) if used + size <= REQUEST_BUDGET => request.push(p),
            _ => {
                out.push(vec![p]);
                used = 0;
            }
        }
        used += size;
    }
    out
}

/// Writes of one step that wait for the next request.
pub(super) struct Deferred {
    writes: Vec<Primitive>,
    /// What they do, for an error.
    what: String,
    /// The step that wrote them (its index in the case).
    step: usize,
}

impl Executor<'_> {
    /// Runs the waiting writes, then `primitives`, in as many requests as
    /// the link needs; one reply per primitive of `primitives`, in order.
    pub(super) fn exec_pieces(
        &mut self,
        primitives: Vec<Primitive>,
    ) -> Result<Vec<Reply>, StepError> {
        let deferred = std::mem::take(&mut self.deferred);
        let waiting: usize = deferred.iter().map(|d| d.writes.len()).sum();
        let mut all = Vec::with_capacity(waiting + primitives.len());
        for d in &deferred {
            all.extend(d.writes.iter().cloned());
        }
        all.extend(primitives);
        let mut replies = self.exec_all(all)?;
        let rest = replies.split_off(waiting);
        let mut replies = replies.into_iter();
        for d in deferred {
            for reply in replies.by_ref().take(d.writes.len()) {
                if reply != Reply::Done {
                    let e = unexpected(&d.what, reply);
                    return Err(StepError::At(d.step, Box::new(e)));
                }
            }
        }
        Ok(rest)
    }

    /// Sends the waiting writes now, in a request of their own.
    pub(super) fn send_deferred(&mut self) -> Result<(), StepError> {
        if self.deferred.is_empty() {
            return Ok(());
        }
        self.exec_pieces(Vec::new()).map(drop)
    }

    /// Runs `primitives` in as many requests as the link needs; one reply each, in order.
    fn exec_all(&mut self, primitives: Vec<Primitive>) -> Result<Vec<Reply>, StepError> {
        let mut replies = Vec::with_capacity(primitives.len());
        for request in requests(primitives) {
            let n = request.len();
            let got = self.session.exec(request)?;
            if got.len() != n {
                return Err(StepError::Rig(RigError::Link(format!(
                    "{n} primitives sent, {} replies received",
                    got.len()
                ))));
            }
            replies.extend(got);
        }
        Ok(replies)
    }

    /// Writes that must each answer `Done`; `what` names them in an error.
    /// They go with the next request ([`Deferred`]), or at once the
    /// previous way ([`Writes::OnTheirOwn`]).
    pub(super) fn send_writes(&mut self, writes: Vec<Primitive>, what: &str) -> StepResult {
        if writes.is_empty() {
            return Ok(());
        }
        self.deferred.push(Deferred {
            writes,
            what: what.to_owned(),
            step: self.step_index,
        });
        match self.writes {
            Writes::WithNextRequest => Ok(()),
            Writes::OnTheirOwn => self.send_deferred(),
        }
    }

    /// Runs `first` (if any), then reads back each `(name, addr, len)` in
    /// pieces: `first`'s reply and the bytes of each region, in order.
    pub(super) fn read_back(
        &mut self,
        first: Option<Primitive>,
        regions: &[(String, u32, u32)],
    ) -> Result<(Option<Reply>, Vec<Vec<u8>>), StepError> {
        let has_first = first.is_some();
        let mut batch: Vec<Primitive> = first.into_iter().collect();
        for &(_, addr, len) in regions {
            batch.extend(read_pieces(addr, len));
        }
        let mut replies = self.exec_pieces(batch)?.into_iter();
        let first = if has_first { replies.next() } else { None };
        let mut contents = Vec::with_capacity(regions.len());
        for (name, _, len) in regions {
            let mut bytes = Vec::with_capacity(*len as usize);
            for _ in 0..len.div_ceil(MAX_READ) {
                match replies.next() {
                    Some(Reply::Bytes(piece)) => bytes.extend(piece),
                    got => {
                        let got = got.unwrap_or(Reply::Done);
                        return Err(unexpected(&format!("reading back {name}"), got));
                    }
                }
            }
            contents.push(bytes);
        }
        Ok((first, contents))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_region_reads_in_pieces_of_at_most_max_read() {
        let pieces: Vec<Primitive> = read_pieces(0x1000, 2 * MAX_READ + 5).collect();
        assert_eq!(
            pieces,
            vec![
                Primitive::Read {
                    addr: 0x1000,
                    len: MAX_READ
                },
                Primitive::Read {
                    addr: 0x1000 + MAX_READ,
                    len: MAX_READ
                },
                Primitive::Read {
                    addr: 0x1000 + 2 * MAX_READ,
                    len: 5
                },
            ]
        );
        assert_eq!(read_pieces(0x1000, 0).count(), 0);
    }

    #[test]
    fn requests_stay_within_the_budget_and_keep_the_order() {
        let batch: Vec<Primitive> = std::iter::once(Primitive::DelayUs(0))
            .chain(read_pieces(0, 5 * MAX_READ))
            .collect();
        let split = requests(batch.clone());
        assert!(split.len() > 1);
        for request in &split {
            let used: u32 = request.iter().map(payload).sum();
            assert!(used <= REQUEST_BUDGET, "{used} bytes in one request");
        }
        assert_eq!(split.concat(), batch);
        assert_eq!(split[0][0], Primitive::DelayUs(0), "the call goes first");
    }

    #[test]
    fn writes_split_like_reads() {
        let data = vec![7u8; MAX_READ as usize + 1];
        let pieces = write_pieces(0x2000, &data);
        assert_eq!(pieces.len(), 2);
        assert_eq!(
            pieces[1],
            Primitive::Write {
                addr: 0x2000 + MAX_READ,
                data: vec![7]
            }
        );
    }
}
