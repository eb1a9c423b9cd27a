//! Reading an MQTT channel: `mvMqttGetNextReadableDataType` and the seven `Read*`/`Receive*` calls.
//!
//! Items come out in arrival order; each read call takes the next item if it
//! is of its type. Every check — the struct, the channel, the item's type,
//! every nested output pointer, every buffer's size — runs before anything
//! is written, and a refused read leaves the item where it was.

use mv_abi::{
    AbiStruct, MvMqttConnectResponse, MvMqttDisconnectResponse, MvMqttLostMessageInfo,
    MvMqttLostMessageReason, MvMqttMessage, MvMqttPublishResponse, MvMqttReadableDataType,
    MvMqttSubscribeResponse, MvSizedStringBuffer, MvStatus,
};

use crate::board::{Access, Board};
use crate::channels::mqtt::Readable;
use crate::channels::ring::ByteRing;
use crate::channels::Channel;
use crate::usermem::{copy_within_ns, read_struct, write_at, NsRange};
use crate::Kernel;

/// A claimed `MvSizedStringBuffer`: where the bytes go, and where their count does.
struct OutString {
    data: NsRange,
    length: NsRange,
}

/// Claims an output string buffer's two ranges (`LATEFAULT`: nested).
fn claim_out_string<B: Board>(board: &B, s: &MvSizedStringBuffer) -> Result<OutString, MvStatus> {
    let late = |_| MvStatus::LateFault;
    Ok(OutString {
        data: NsRange::claim(board, s.data, s.size, 1, Access::ReadWrite).map_err(late)?,
        length: NsRange::claim(board, s.length, 4, 4, Access::ReadWrite).map_err(late)?,
    })
}

/// Claims a nested `u32 *` output (`LATEFAULT`).
fn claim_out_word<B: Board>(board: &B, addr: u32) -> Result<NsRange, MvStatus> {
    NsRange::claim(board, addr, 4, 4, Access::ReadWrite).map_err(|_| MvStatus::LateFault)
}

impl<B: Board> Kernel<B> {
    /// The next item, if the channel is connected and the item is of `want`'s type.
    fn mqtt_next(
        &self,
        handle: u32,
        want: MvMqttReadableDataType,
    ) -> Result<(Channel, Readable), MvStatus> {
        let (c, m) = self.mqtt_channel(handle)?;
        if !c.is_open() {
            return Err(MvStatus::ChannelClosed);
        }
        match m.next() {
            None => Err(MvStatus::ResponseNotPresent),
            Some(item) if item.data_type() == want => Ok((c, item)),
            Some(_) => Err(MvStatus::WrongDataRequested),
        }
    }

    /// The item was read: drop it, and the receive-buffer bytes it held.
    fn mqtt_taken(&mut self, handle: u32) {
        let Some(c) = self.channels.get_mut(handle) else {
            return;
        };
        if let crate::channels::Kind::Mqtt(m) = &mut c.kind {
            if let Some(item) = m.pop() {
                c.rx_ring.consume(item.held());
            }
        }
    }

    /// Copies `len` ring bytes from ring offset `at` to the front of `out`.
    fn copy_from_ring(
        &mut self,
        c: &Channel,
        at: u32,
        len: u32,
        out: NsRange,
    ) -> Result<(), MvStatus> {
        let ring = ByteRing::new(c.rx.len());
        let mut done = 0;
        for (offset, n) in ring.spans_at(at, len) {
            copy_within_ns(&mut self.board, c.rx.addr() + offset, out.addr() + done, n)
                .map_err(|_| MvStatus::LateFault)?;
            done += n;
        }
        Ok(())
    }

    fn write_word(&mut self, to: &NsRange, value: u32) -> Result<(), MvStatus> {
        write_at(&mut self.board, to, 0, &value.to_le_bytes()).map_err(|_| MvStatus::LateFault)
    }

    pub(crate) fn mqtt_get_next_readable_data_type(
        &mut self,
        handle: u32,
        out: u32,
    ) -> Result<(), MvStatus> {
        self.mqtt_channel(handle)?;
        let out = NsRange::claim(&self.board, out, 4, 4, Access::ReadWrite)?;
        let (c, m) = self.mqtt_channel(handle)?;
        if !c.is_open() {
            return Err(MvStatus::ChannelClosed);
        }
        let t = m
            .next()
            .map_or(MvMqttReadableDataType::None, |i| i.data_type());
        write_at(&mut self.board, &out, 0, &(t as u32).to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)
    }

    /// A response of fixed-size words, written to `out` (a struct of `N` words).
    fn mqtt_read_words<const N: usize>(
        &mut self,
        handle: u32,
        out: u32,
        want: MvMqttReadableDataType,
        words: impl FnOnce(Readable) -> [u32; N],
    ) -> Result<(), MvStatus> {
        self.mqtt_channel(handle)?;
        let out = NsRange::claim(&self.board, out, 4 * N as u32, 4, Access::ReadWrite)?;
        let (_, item) = self.mqtt_next(handle, want)?;
        let mut bytes = [0u8; 16];
        for (chunk, w) in bytes.chunks_exact_mut(4).zip(words(item)) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        write_at(&mut self.board, &out, 0, &bytes[..4 * N])
            .map_err(|_| MvStatus::ParameterFault)?;
        self.mqtt_taken(handle);
        Ok(())
    }

    pub(crate) fn mqtt_read_connect_response(
        &mut self,
        handle: u32,
        out: u32,
    ) -> Result<(), MvStatus> {
        const N: usize = MvMqttConnectResponse::SIZE / 4;
        self.mqtt_read_words::<N>(
            handle,
            out,
            MvMqttReadableDataType::ConnectResponse,
            |i| match i {
                Readable::Connect { state, reason } => [state, reason],
                _ => [0; N],
            },
        )
    }

    pub(crate) fn mqtt_read_publish_response(
        &mut self,
        handle: u32,
        out: u32,
    ) -> Result<(), MvStatus> {
        const N: usize = MvMqttPublishResponse::SIZE / 4;
        self.mqtt_read_words::<N>(
            handle,
            out,
            MvMqttReadableDataType::PublishResponse,
            |i| match i {
                Readable::Publish {
                    state,
                    correlation_id,
                    reason,
                } => [state, correlation_id, reason],
                _ => [0; N],
            },
        )
    }

    pub(crate) fn mqtt_read_disconnect_response(
        &mut self,
        handle: u32,
        out: u32,
    ) -> Result<(), MvStatus> {
        const N: usize = MvMqttDisconnectResponse::SIZE / 4;
        self.mqtt_read_words::<N>(
            handle,
            out,
            MvMqttReadableDataType::DisconnectResponse,
            |i| match i {
                Readable::Disconnect { state, code } => [state, code],
                _ => [0; N],
            },
        )
    }

    /// `mvMqttReadSubscribeResponse` and `mvMqttReadUnsubscribeResponse`
    /// (the same struct layout).
    pub(crate) fn mqtt_read_subscription_response(
        &mut self,
        handle: u32,
        response: u32,
        unsubscribe: bool,
    ) -> Result<(), MvStatus> {
        self.mqtt_channel(handle)?;
        let range = NsRange::claim_struct::<MvMqttSubscribeResponse, _>(
            &self.board,
            response,
            Access::Read,
        )?;
        let r: MvMqttSubscribeResponse =
            read_struct(&mut self.board, &range).map_err(|_| MvStatus::ParameterFault)?;
        let want = if unsubscribe {
            MvMqttReadableDataType::UnsubscribeResponse
        } else {
            MvMqttReadableDataType::SubscribeResponse
        };
        let (_, item) = self.mqtt_next(handle, want)?;
        let Readable::Subscription {
            state,
            correlation_id,
            codes,
            num_codes,
            ..
        } = item
        else {
            return Err(MvStatus::WrongDataRequested);
        };
        let state_out = claim_out_word(&self.board, r.request_state)?;
        let id_out = claim_out_word(&self.board, r.correlation_id)?;
        let codes_out = NsRange::claim(
            &self.board,
            r.reason_codes,
            r.reason_codes_size,
            4,
            Access::ReadWrite,
        )
        .map_err(|_| MvStatus::LateFault)?;
        let len_out = claim_out_word(&self.board, r.reason_codes_len)?;
        let n = u32::from(num_codes);
        if r.reason_codes_size < 4 * n {
            return Err(MvStatus::InvalidBufferSize);
        }
        let mut bytes = [0u8; 4 * crate::channels::mqtt::MAX_TOPICS];
        for (chunk, &code) in bytes.chunks_exact_mut(4).zip(&codes[..n as usize]) {
            chunk.copy_from_slice(&u32::from(code).to_le_bytes());
        }
        write_at(&mut self.board, &codes_out, 0, &bytes[..4 * n as usize])
            .map_err(|_| MvStatus::ParameterFault)?;
        self.write_word(&len_out, n)?;
        self.write_word(&id_out, correlation_id)?;
        self.write_word(&state_out, state)?;
        self.mqtt_taken(handle);
        Ok(())
    }

    pub(crate) fn mqtt_receive_message(
        &mut self,
        handle: u32,
        message: u32,
    ) -> Result<(), MvStatus> {
        self.mqtt_channel(handle)?;
        let range = NsRange::claim_struct::<MvMqttMessage, _>(&self.board, message, Access::Read)?;
        let m: MvMqttMessage =
            read_struct(&mut self.board, &range).map_err(|_| MvStatus::ParameterFault)?;
        let (c, item) = self.mqtt_next(handle, MvMqttReadableDataType::MessageReceived)?;
        let Readable::Message {
            correlation_id,
            qos,
            retain,
            at,
            topic_len,
            payload_len,
        } = item
        else {
            return Err(MvStatus::WrongDataRequested);
        };
        let id_out = claim_out_word(&self.board, m.correlation_id)?;
        let topic = claim_out_string(&self.board, &m.topic)?;
        let payload = claim_out_string(&self.board, &m.payload)?;
        let qos_out = claim_out_word(&self.board, m.qos)?;
        let retain_out = NsRange::claim(&self.board, m.retain, 1, 1, Access::ReadWrite)
            .map_err(|_| MvStatus::LateFault)?;
        if topic.data.len() < topic_len || payload.data.len() < payload_len {
            return Err(MvStatus::InvalidBufferSize);
        }
        // The first write: a fault here changed nothing.
        write_at(&mut self.board, &id_out, 0, &correlation_id.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        self.copy_from_ring(&c, at, topic_len, topic.data)?;
        self.write_word(&topic.length, topic_len)?;
        let payload_at = (at + topic_len) % c.rx.len().max(1);
        self.copy_from_ring(&c, payload_at, payload_len, payload.data)?;
        self.write_word(&payload.length, payload_len)?;
        self.write_word(&qos_out, u32::from(qos))?;
        write_at(&mut self.board, &retain_out, 0, &[u8::from(retain)])
            .map_err(|_| MvStatus::LateFault)?;
        self.mqtt_taken(handle);
        Ok(())
    }

    pub(crate) fn mqtt_receive_lost_message_info(
        &mut self,
        handle: u32,
        info: u32,
    ) -> Result<(), MvStatus> {
        self.mqtt_channel(handle)?;
        let range =
            NsRange::claim_struct::<MvMqttLostMessageInfo, _>(&self.board, info, Access::Read)?;
        let l: MvMqttLostMessageInfo =
            read_struct(&mut self.board, &range).map_err(|_| MvStatus::ParameterFault)?;
        let (c, item) = self.mqtt_next(handle, MvMqttReadableDataType::MessageLost)?;
        let Readable::Lost {
            at,
            topic_len,
            message_len,
        } = item
        else {
            return Err(MvStatus::WrongDataRequested);
        };
        let reason_out = claim_out_word(&self.board, l.reason)?;
        let topic = claim_out_string(&self.board, &l.topic)?;
        let len_out = claim_out_word(&self.board, l.message_len)?;
        if topic.data.len() < topic_len {
            return Err(MvStatus::InvalidBufferSize);
        }
        let reason = MvMqttLostMessageReason::DeviceReceiveBufferTooSmall as u32;
        write_at(&mut self.board, &reason_out, 0, &reason.to_le_bytes())
            .map_err(|_| MvStatus::ParameterFault)?;
        self.copy_from_ring(&c, at, topic_len, topic.data)?;
        self.write_word(&topic.length, topic_len)?;
        self.write_word(&len_out, message_len)?;
        self.mqtt_taken(handle);
        Ok(())
    }
}
