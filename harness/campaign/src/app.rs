//! The app's side of a campaign or bench on any rig: memory and calls through agent primitives.
//!
//! The sim and QEMU are driven the same way, so what is measured or
//! checked on one is what runs on the other. Every helper is one agent
//! request; callers batch what they can into [`App::exec`].

use hil_rig::{RigError, RigSession};
use mv_abi::{
    AbiStruct, MvNotificationSetup, MvOpenChannelParams, MvOpenChannelParamsV1,
    MvRequestNetworkParams, MvRequestNetworkParamsV1, MvSizedString, Slot,
};
use mv_proto::{Placement, Primitive, Reply};

pub(crate) fn protocol(what: &str, got: &Reply) -> RigError {
    RigError::Protocol {
        what: what.to_owned(),
        got: Box::new(got.clone()),
    }
}

/// The app on one rig session.
pub(crate) struct App<'a> {
    pub(crate) s: &'a mut dyn RigSession,
}

impl App<'_> {
    /// Primitives in one request; one reply each.
    pub(crate) fn exec(&mut self, primitives: Vec<Primitive>) -> Result<Vec<Reply>, RigError> {
        self.s.exec(primitives)
    }

    pub(crate) fn alloc(&mut self, size: u32, align: u32) -> Result<u32, RigError> {
        let reply = self.s.exec(vec![Primitive::Alloc {
            size,
            align,
            placement: Placement::NsRam,
            misalign: 0,
        }])?;
        match &reply[0] {
            Reply::Allocated { addr } => Ok(*addr),
            other => Err(protocol("an allocation", other)),
        }
    }

    pub(crate) fn put<T: AbiStruct>(&mut self, value: &T) -> Result<u32, RigError> {
        let addr = self.alloc(T::SIZE as u32, 4)?;
        let mut data = vec![0u8; T::SIZE];
        value.encode(&mut data);
        self.s.exec(vec![Primitive::Write { addr, data }])?;
        Ok(addr)
    }

    pub(crate) fn bytes(&mut self, data: &[u8]) -> Result<u32, RigError> {
        let addr = self.alloc(data.len() as u32, 4)?;
        self.s.exec(vec![Primitive::Write {
            addr,
            data: data.to_vec(),
        }])?;
        Ok(addr)
    }

    pub(crate) fn read(&mut self, addr: u32, len: u32) -> Result<Vec<u8>, RigError> {
        match &self.s.exec(vec![Primitive::Read { addr, len }])?[0] {
            Reply::Bytes(b) if b.len() == len as usize => Ok(b.clone()),
            other => Err(protocol("a read", other)),
        }
    }

    pub(crate) fn read_u32(&mut self, addr: u32) -> Result<u32, RigError> {
        let b = self.read(addr, 4)?;
        Ok(u32::from_le_bytes(b[..4].try_into().expect("4 bytes")))
    }

    /// Calls in one request; every status must be OKAY.
    pub(crate) fn calls(&mut self, calls: &[(Slot, [u32; 4])]) -> Result<(), RigError> {
        let primitives = calls
            .iter()
            .map(|&(slot, args)| Primitive::Call {
                slot: slot.number(),
                args,
            })
            .collect();
        for (reply, (slot, _)) in self.s.exec(primitives)?.iter().zip(calls) {
            if *reply != Reply::Status(0) {
                return Err(protocol(slot.name(), reply));
            }
        }
        Ok(())
    }

    /// A centre and a network request; their handles.
    pub(crate) fn network(&mut self) -> Result<(u32, u32), RigError> {
        let ring = self.alloc(256, 8)?;
        let setup = self.put(&MvNotificationSetup {
            irq: 41,
            buffer: ring,
            buffer_size: 256,
        })?;
        let out = self.alloc(8, 4)?;
        self.calls(&[(Slot::SetupNotifications, [setup, out, 0, 0])])?;
        let centre = self.read_u32(out)?;
        let params = self.put(&MvRequestNetworkParams {
            version: 1,
            v1: MvRequestNetworkParamsV1 {
                notification_handle: centre,
                notification_tag: 1,
            },
        })?;
        self.calls(&[(Slot::RequestNetwork, [params, out, 0, 0])])?;
        Ok((centre, self.read_u32(out)?))
    }

    /// Open params for a channel of `channel_type` with fresh buffers.
    pub(crate) fn open_params(
        &mut self,
        net: (u32, u32),
        channel_type: u32,
        endpoint: &[u8],
        rx_len: u32,
        tx_len: u32,
    ) -> Result<u32, RigError> {
        let rx = self.alloc(rx_len, 16)?;
        self.open_params_at(net, channel_type, endpoint, rx, rx_len, tx_len)
    }

    /// Open params for a channel whose receive buffer the caller placed at `rx`.
    pub(crate) fn open_params_at(
        &mut self,
        (centre, network): (u32, u32),
        channel_type: u32,
        endpoint: &[u8],
        rx: u32,
        rx_len: u32,
        tx_len: u32,
    ) -> Result<u32, RigError> {
        let tx = self.alloc(tx_len, 512)?;
        let endpoint = if endpoint.is_empty() {
            MvSizedString { data: 0, length: 0 }
        } else {
            MvSizedString {
                data: self.bytes(endpoint)?,
                length: endpoint.len() as u32,
            }
        };
        self.put(&MvOpenChannelParams {
            version: 1,
            v1: MvOpenChannelParamsV1 {
                notification_handle: centre,
                notification_tag: 2,
                network_handle: network,
                receive_buffer: rx,
                receive_buffer_len: rx_len,
                send_buffer: tx,
                send_buffer_len: tx_len,
                channel_type,
                endpoint,
            },
        })
    }
}
