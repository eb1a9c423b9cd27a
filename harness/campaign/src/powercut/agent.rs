//! The agent as the OTA campaigns drive it over its link: one request and its replies, app memory, a call, a read, the wake reason, a digest.
//!
//! The QEMU campaign (which also reads the NVM file) and the board campaign
//! (which can only ask the device) talk to the agent through this one client.

use std::time::Duration;

use hil_rig::qemu::{DownRing, FrameLink};
use mv_abi::Slot;
use mv_proto::{Placement, Primitive, Reply, Request, Response};

use crate::error::fail;
use crate::CampaignError;

/// The agent behind `link`; each request waits `timeout` for its replies.
pub struct Agent<'a> {
    pub link: &'a mut FrameLink,
    /// On QEMU, the agent's shared-memory ring: a request goes in whole,
    /// followed by a doorbell on `link`, and the agent answers up its ring
    /// (`link` reads it at the agent's doorbell). `None`: on `link`.
    pub ring: Option<&'a mut DownRing>,
    pub timeout: Duration,
}

impl Agent<'_> {
    /// Sends one request without waiting for its replies (the app restarts
    /// or crashes on it): into the ring once the agent has laid it out,
    /// else on the link.
    pub fn send(&mut self, prims: Vec<Primitive>) -> Result<(), CampaignError> {
        let request = Request::exec(prims);
        if let Some(ring) = self.ring.as_deref_mut() {
            if ring.laid_out()? {
                ring.send(&request, self.timeout)?;
                return Ok(self.link.doorbell()?);
            }
        }
        Ok(self.link.send(&request)?)
    }

    /// One request; its replies (a hello on the way is skipped).
    pub fn exec(&mut self, prims: Vec<Primitive>) -> Result<Vec<Reply>, CampaignError> {
        self.send(prims)?;
        loop {
            match self.link.receive::<Response>(self.timeout)? {
                Response::Replies(r) => return Ok(r),
                Response::Ready { .. } | Response::Hello(_) => continue,
                Response::BadRequest => fail!("the agent refused the request"),
                Response::VersionMismatch { agent, host } => {
                    fail!("the agent speaks protocol version {agent}, this harness {host}")
                }
            }
        }
    }

    /// App memory for the agent to use.
    pub fn alloc(&mut self, size: u32) -> Result<u32, CampaignError> {
        let replies = self.exec(vec![Primitive::Alloc {
            size,
            align: 16,
            placement: Placement::NsRam,
            misalign: 0,
        }])?;
        match replies.as_slice() {
            [Reply::Allocated { addr }] => Ok(*addr),
            other => fail!("alloc: {other:?}"),
        }
    }

    /// A system call from the app; its status.
    pub fn call(&mut self, slot: Slot, args: [u32; 4]) -> Result<u32, CampaignError> {
        match self
            .exec(vec![Primitive::Call {
                slot: slot as u32,
                args,
            }])?
            .as_slice()
        {
            [Reply::Status(s)] => Ok(*s),
            other => fail!("{slot:?}: {other:?}"),
        }
    }

    pub fn write(&mut self, addr: u32, data: Vec<u8>) -> Result<(), CampaignError> {
        self.exec(vec![Primitive::Write { addr, data }]).map(|_| ())
    }

    pub fn read(&mut self, addr: u32, len: u32) -> Result<Vec<u8>, CampaignError> {
        match self.exec(vec![Primitive::Read { addr, len }])?.as_slice() {
            [Reply::Bytes(b)] => Ok(b.clone()),
            other => fail!("read: {other:?}"),
        }
    }

    /// `mvGetWakeReason` through the agent: the kernel answers the app.
    /// Two round trips: app memory for the answer, then the call and the
    /// read of what it wrote in one request.
    pub fn wake_reason(&mut self) -> Result<u8, CampaignError> {
        let addr = self.alloc(4)?;
        let replies = self.exec(vec![
            Primitive::Call {
                slot: Slot::GetWakeReason as u32,
                args: [addr, 0, 0, 0],
            },
            Primitive::Read { addr, len: 1 },
        ])?;
        match replies.as_slice() {
            [Reply::Status(0), Reply::Bytes(b)] if b.len() == 1 => Ok(b[0]),
            [Reply::Status(status), ..] => fail!("mvGetWakeReason: status {status:#x}"),
            other => fail!("mvGetWakeReason and a read: {other:?}"),
        }
    }

    /// The SHA-256 of `len` bytes from `addr`, computed by the agent (the
    /// app region on a device whose flash the harness cannot read).
    pub fn digest(&mut self, addr: u32, len: u32) -> Result<[u8; 32], CampaignError> {
        match self.exec(vec![Primitive::Digest { addr, len }])?.as_slice() {
            [Reply::Digest(d)] => Ok(*d),
            other => fail!("digest of {len} bytes at {addr:#x}: {other:?}"),
        }
    }
}
