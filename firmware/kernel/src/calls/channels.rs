//! `mvOpenChannel`, `mvCloseChannel`, `mvGetChannelClosureReason` and the byte-stream calls.

use mv_abi::{MvChannelType, MvClosureReason, MvEventType, MvOpenChannelParams, MvStatus};

use crate::board::{Access, Board};
use crate::channels::config::ConfigState;
use crate::channels::http::HttpState;
use crate::channels::mqtt::MqttState;
use crate::channels::ring::ByteRing;
use crate::channels::{
    Channel, Endpoint, Kind, MAX_CHANNELS, MAX_ENDPOINT_LEN, RECEIVE_BUFFER_GRANULE,
    SEND_BUFFER_ALIGN, SEND_BUFFER_GRANULE,
};
use crate::usermem::{copy_within_ns, read_struct, read_u32, write_at, NsRange};
use crate::Kernel;

/// The only `MvOpenChannelParams.version`.
pub const PARAMS_VERSION: u32 = 1;

/// Which calls a channel of each kind answers (the others: `INVALIDHANDLE`,
/// "not a valid ... channel handle" [H]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    Any,
    Opaque,
    Http,
    Config,
    Mqtt,
}

impl<B: Board> Kernel<B> {
    /// The live channel `handle` if it is of the kind the call needs.
    pub(crate) fn channel(&self, handle: u32, want: Want) -> Result<&Channel, MvStatus> {
        let c = self.channels.get(handle).ok_or(MvStatus::InvalidHandle)?;
        let fits = matches!(
            (want, &c.kind),
            (Want::Any, _)
                | (Want::Opaque, Kind::Opaque(_))
                | (Want::Http, Kind::Http(_))
                | (Want::Config, Kind::Config(_))
                | (Want::Mqtt, Kind::Mqtt(_))
        );
        if fits {
            Ok(c)
        } else {
            Err(MvStatus::InvalidHandle)
        }
    }

    pub(crate) fn open_channel(&mut self, params: u32, handle_out: u32) -> Result<(), MvStatus> {
        let params =
            NsRange::claim_struct::<MvOpenChannelParams, _>(&self.board, params, Access::Read)?;
        let p: MvOpenChannelParams =
            read_struct(&mut self.board, &params).map_err(|_| MvStatus::ParameterFault)?;
        if p.version != PARAMS_VERSION {
            return Err(MvStatus::UnsupportedStructureVersion);
        }
        let v = p.v1;
        if !self.notifications.contains(v.notification_handle)
            || !self.network.contains(v.network_handle)
        {
            return Err(MvStatus::InvalidHandle);
        }
        let rx_len = v.receive_buffer_len;
        if rx_len == 0 || !rx_len.is_multiple_of(RECEIVE_BUFFER_GRANULE) {
            return Err(MvStatus::InvalidBufferSize);
        }
        let rx = NsRange::claim(&self.board, v.receive_buffer, rx_len, 1, Access::ReadWrite)?;
        let tx_len = v.send_buffer_len;
        if tx_len == 0 || !tx_len.is_multiple_of(SEND_BUFFER_GRANULE) {
            return Err(MvStatus::InvalidBufferSize);
        }
        if !v.send_buffer.is_multiple_of(SEND_BUFFER_ALIGN) {
            return Err(MvStatus::InvalidBufferAlignment);
        }
        let tx = NsRange::claim(&self.board, v.send_buffer, tx_len, 1, Access::ReadWrite)?;
        if rx.overlaps(tx.addr(), tx.len()) || self.buffer_in_use(rx) || self.buffer_in_use(tx) {
            return Err(MvStatus::BufferAlreadyInUse);
        }
        let channel_type =
            MvChannelType::try_from(v.channel_type).map_err(|_| MvStatus::UnknownChannelType)?;
        let endpoint = NsRange::claim(
            &self.board,
            v.endpoint.data,
            v.endpoint.length,
            1,
            Access::Read,
        )?;
        let mut name = [0u8; MAX_ENDPOINT_LEN as usize];
        let name = if endpoint.is_empty() {
            Some(&[][..])
        } else if endpoint.len() <= MAX_ENDPOINT_LEN {
            let name = &mut name[..endpoint.len() as usize];
            self.board
                .read_ns(endpoint.addr(), name)
                .map_err(|_| MvStatus::ParameterFault)?;
            Some(&*name)
        } else {
            None
        };
        let kind = match (channel_type, name) {
            (MvChannelType::OpaqueBytes, Some(name)) => {
                Kind::Opaque(Endpoint::from_name(name).ok_or(MvStatus::UnknownChannelEndpoint)?)
            }
            (MvChannelType::Http, Some([])) => Kind::Http(HttpState::new()),
            (MvChannelType::ConfigFetch, Some([])) => Kind::Config(ConfigState::default()),
            (MvChannelType::Mqtt, Some([])) => Kind::Mqtt(MqttState::new()),
            _ => return Err(MvStatus::UnknownChannelEndpoint),
        };
        let out = NsRange::claim(&self.board, handle_out, 4, 4, Access::ReadWrite)?;
        if !self.link.online {
            return Err(MvStatus::NetworkNotConnected);
        }
        if self.channels.is_full() {
            return Err(MvStatus::TooManyChannels);
        }
        let now = self.board.now_us();
        if self.channels.rate_limited(now) {
            return Err(MvStatus::RateLimited);
        }
        let handle = self.mint_handle()?;
        write_at(&mut self.board, &out, 0, &handle.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        self.channels.insert(
            Channel {
                handle,
                centre: v.notification_handle,
                tag: v.notification_tag,
                rx,
                tx,
                kind,
                closed: None,
                rx_ring: ByteRing::new(rx.len()),
                tx_ring: ByteRing::new(tx.len()),
                tx_credit: 0,
                write_blocked: false,
                rx_grant: 0,
                announce: matches!(kind, Kind::Opaque(_)),
                request: None,
                cloud_knows: false,
            },
            now,
        );
        Ok(())
    }

    /// Is `range` (part of) a notification ring, the log buffer or another
    /// channel's buffer?
    fn buffer_in_use(&self, range: NsRange) -> bool {
        let (addr, len) = (range.addr(), range.len());
        self.notifications.overlaps_any_ring(addr, len)
            || self.logging.overlaps(addr, len)
            || self.test_logging.overlaps(addr, len)
            || self.channels.overlaps(addr, len)
    }

    pub(crate) fn close_channel(&mut self, handle_in_out: u32) -> Result<(), MvStatus> {
        let slot = NsRange::claim(&self.board, handle_in_out, 4, 4, Access::ReadWrite)?;
        let handle = read_u32(&mut self.board, &slot).map_err(|_| MvStatus::ParameterFault)?;
        self.channel(handle, Want::Any)?;
        write_at(&mut self.board, &slot, 0, &0u32.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        self.channels.remove(handle);
        Ok(())
    }

    pub(crate) fn get_channel_closure_reason(
        &mut self,
        handle: u32,
        out: u32,
    ) -> Result<(), MvStatus> {
        let reason = self
            .channel(handle, Want::Any)?
            .closed
            .unwrap_or(MvClosureReason::None) as u32;
        let out = NsRange::claim(&self.board, out, 4, 4, Access::ReadWrite)?;
        write_at(&mut self.board, &out, 0, &reason.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)
    }

    /// `mvWriteChannel` (`all_or_nothing`, reports the room left through
    /// `report`) and `mvWriteChannelStream` (writes what fits, reports how
    /// much it wrote).
    pub(crate) fn write_channel(
        &mut self,
        handle: u32,
        data: u32,
        len: u32,
        report: u32,
        all_or_nothing: bool,
    ) -> Result<(), MvStatus> {
        let c = *self.channel(handle, Want::Opaque)?;
        let source = NsRange::claim(&self.board, data, len, 1, Access::Read)?;
        let report = NsRange::claim(&self.board, report, 4, 4, Access::ReadWrite)?;
        if !c.is_open() {
            return Err(MvStatus::ChannelClosed);
        }
        let free = c.tx_ring.free();
        if all_or_nothing && len > free {
            // "No data was consumed because it does not all fit" [H]; room
            // freed later is announced with CHANNELDATAWRITESPACE.
            if let Some(c) = self.channels.get_mut(handle) {
                c.write_blocked = true;
            }
            return Err(MvStatus::InvalidBufferSize);
        }
        let n = len.min(free);
        let mut done = 0;
        for (offset, span) in c.tx_ring.write_spans(n) {
            copy_within_ns(
                &mut self.board,
                source.addr() + done,
                c.tx.addr() + offset,
                span,
            )
            .map_err(|f| {
                if done + f.written == 0 {
                    MvStatus::ParameterFault
                } else {
                    MvStatus::LateFault
                }
            })?;
            done += span;
        }
        let c = self
            .channels
            .get_mut(handle)
            .expect("the channel was found above");
        c.tx_ring.commit_write(n);
        if n < len {
            c.write_blocked = true;
        }
        let value = if all_or_nothing { c.tx_ring.free() } else { n };
        let fault = if n == 0 {
            MvStatus::ParameterFault
        } else {
            MvStatus::LateFault
        };
        write_at(&mut self.board, &report, 0, &value.to_le_bytes()).map_err(|_| fault)
    }

    pub(crate) fn read_channel(
        &mut self,
        handle: u32,
        pointer_out: u32,
        length_out: u32,
    ) -> Result<(), MvStatus> {
        let c = *self.channel(handle, Want::Opaque)?;
        let pointer_out = NsRange::claim(&self.board, pointer_out, 4, 4, Access::ReadWrite)?;
        let length_out = NsRange::claim(&self.board, length_out, 4, 4, Access::ReadWrite)?;
        if !c.is_open() && c.rx_ring.is_empty() {
            return Err(MvStatus::ChannelClosed);
        }
        let (offset, len) = c.rx_ring.contiguous();
        write_at(
            &mut self.board,
            &pointer_out,
            0,
            &(c.rx.addr() + offset).to_le_bytes(),
        )
        .map_err(|_| MvStatus::ParameterFault)?;
        write_at(&mut self.board, &length_out, 0, &len.to_le_bytes())
            .map_err(|_| MvStatus::LateFault)
    }

    pub(crate) fn read_channel_complete(
        &mut self,
        handle: u32,
        consumed: u32,
    ) -> Result<(), MvStatus> {
        let c = *self.channel(handle, Want::Opaque)?;
        if !c.is_open() && c.rx_ring.is_empty() {
            return Err(MvStatus::ChannelClosed);
        }
        let c = self
            .channels
            .get_mut(handle)
            .expect("the channel was found above");
        let freed = c.rx_ring.consume(consumed);
        if c.is_open() {
            c.rx_grant += freed;
        }
        Ok(())
    }

    /// Every connected channel stops being connected for `reason`; each
    /// one's centre hears `CHANNELNOTCONNECTED` with its tag.
    pub(crate) fn close_all_channels(&mut self, reason: MvClosureReason) {
        let mut targets = [(0u32, 0u32); MAX_CHANNELS];
        let mut n = 0;
        for c in self.channels.iter_mut().filter(|c| c.is_open()) {
            c.closed = Some(reason);
            targets[n] = (c.centre, c.tag);
            n += 1;
        }
        for &(centre, tag) in &targets[..n] {
            self.post_channel_event(centre, MvEventType::ChannelNotConnected, tag);
        }
    }

    /// One channel stops being connected for `reason` (the cloud's end closed).
    pub(crate) fn close_one_channel(&mut self, handle: u32, reason: MvClosureReason) {
        let Some(c) = self.channels.get_mut(handle).filter(|c| c.is_open()) else {
            return;
        };
        c.closed = Some(reason);
        let (centre, tag) = (c.centre, c.tag);
        self.post_channel_event(centre, MvEventType::ChannelNotConnected, tag);
    }

    /// Posts a channel notification; a centre closed since the channel
    /// opened simply gets nothing (as for system notifications, "not an
    /// error, but the notifications will no longer be delivered" [H]).
    pub(crate) fn post_channel_event(&mut self, centre: u32, event: MvEventType, tag: u32) {
        let _ = self
            .notifications
            .post(&mut self.board, centre, event as u32, tag);
    }
}
