//! The MQTT requests: `mvMqttRequestConnect`, `…Subscribe`, `…Unsubscribe`, `…Publish`, `mvMqttAcknowledgeMessage`, `mvMqttRequestDisconnect`.
//!
//! Each request is checked whole (the struct, then every nested struct and
//! byte range, on copies) before anything is written; it is then laid out
//! in the channel's send buffer (`channels::wire`) and the cloud is owed it.
//! A refused nested range is `LATEFAULT` and, as the header says, leaves
//! the channel unusable ("Channel cannot be used further" [H]). What the
//! cloud answers arrives as readable items (`calls/mqtt_read.rs`).

use mv_abi::{
    AbiStruct, MvMqttAuthenticationMethod, MvMqttConnectRequest, MvMqttPublishRequest,
    MvMqttSubscribeRequest, MvMqttSubscription, MvMqttUnsubscribeRequest, MvMqttWill,
    MvSizedString, MvStatus, MvTlsCredentials,
};

use crate::board::{Access, Board};
use crate::channels::mqtt::{Connect, MqttState, MAX_ACKS, MAX_CERTS, MAX_PUBLISHES, MAX_TOPICS};
use crate::channels::{wire, Channel, Kind};
use crate::usermem::{read_struct, NsRange};
use crate::Kernel;

use super::channels::Want;
use super::http::{claim_string, SendWriter};

/// One certificate chain's byte ranges.
type Chain = ([NsRange; MAX_CERTS as usize], usize);

/// A connect's nested parts, claimed.
struct ConnectParts {
    host: NsRange,
    client_id: NsRange,
    username: NsRange,
    password: NsRange,
    ca: Chain,
    client: Chain,
    key: NsRange,
    /// `(topic, payload, qos, retain)`.
    will: Option<(NsRange, NsRange, u32, bool)>,
}

/// What a request may still be refused for once its parts are claimed.
enum Refusal {
    /// Before the channel's state changed: nothing happened.
    Now(MvStatus),
    /// A nested range: `LATEFAULT`, and the channel is unusable.
    Late,
}

fn late<T>(r: Result<T, MvStatus>) -> Result<T, Refusal> {
    r.map_err(|_| Refusal::Late)
}

impl<B: Board> Kernel<B> {
    /// The live MQTT channel `handle` and its state.
    pub(crate) fn mqtt_channel(&self, handle: u32) -> Result<(Channel, MqttState), MvStatus> {
        let c = *self.channel(handle, Want::Mqtt)?;
        match c.kind {
            Kind::Mqtt(m) => Ok((c, m)),
            _ => Err(MvStatus::InvalidHandle),
        }
    }

    pub(crate) fn mqtt_state_mut(&mut self, handle: u32) -> Option<&mut MqttState> {
        match &mut self.channels.get_mut(handle)?.kind {
            Kind::Mqtt(m) => Some(m),
            _ => None,
        }
    }

    /// The channel takes requests: connected, usable.
    fn mqtt_usable(c: &Channel, m: &MqttState) -> Result<(), MvStatus> {
        if !c.is_open() || m.unusable {
            return Err(MvStatus::ChannelClosed);
        }
        Ok(())
    }

    /// A refused nested range: the channel is unusable from now on.
    fn mqtt_refuse(&mut self, handle: u32, refusal: Refusal) -> MvStatus {
        match refusal {
            Refusal::Now(status) => status,
            Refusal::Late => {
                if let Some(m) = self.mqtt_state_mut(handle) {
                    m.unusable = true;
                }
                MvStatus::LateFault
            }
        }
    }

    /// Writes a request of `size` bytes with `write` and owes it to the
    /// cloud; `INVALIDBUFFERSIZE` if it does not fit the send buffer.
    fn mqtt_send(
        &mut self,
        c: &Channel,
        size: u64,
        write: impl FnOnce(&mut B, &mut SendWriter) -> Result<(), MvStatus>,
    ) -> Result<(), MvStatus> {
        if size > u64::from(c.tx.len()) {
            return Err(MvStatus::InvalidBufferSize);
        }
        let mut w = SendWriter {
            base: c.tx.addr(),
            at: 0,
        };
        // The send buffer was claimed at open: a fault here is after the
        // call's action began.
        let written = write(&mut self.board, &mut w);
        match written {
            Ok(()) => {
                if let Some(ch) = self.channels.get_mut(c.handle) {
                    ch.request = Some(size as u32);
                }
            }
            Err(_) => {
                if let Some(m) = self.mqtt_state_mut(c.handle) {
                    m.unusable = true;
                }
            }
        }
        written
    }

    pub(crate) fn mqtt_request_connect(
        &mut self,
        handle: u32,
        request: u32,
    ) -> Result<(), MvStatus> {
        let (c, m) = self.mqtt_channel(handle)?;
        let range =
            NsRange::claim_struct::<MvMqttConnectRequest, _>(&self.board, request, Access::Read)?;
        let req: MvMqttConnectRequest =
            read_struct(&mut self.board, &range).map_err(|_| MvStatus::ParameterFault)?;
        Self::mqtt_usable(&c, &m)?;
        if m.connect != Connect::None || c.request.is_some() {
            return Err(MvStatus::RequestAlreadySent);
        }
        let parts = match self.connect_parts(&req) {
            Ok(parts) => parts,
            Err(refusal) => return Err(self.mqtt_refuse(handle, refusal)),
        };
        let chain_len =
            |chain: &Chain| 4 + wire::strings_len(chain.0[..chain.1].iter().map(NsRange::len));
        let will_len = parts.will.map_or(0, |(t, p, _, _)| {
            8 + wire::strings_len([t.len(), p.len()].into_iter())
        });
        let size = 4 * 6
            + wire::strings_len([parts.username.len(), parts.password.len()].into_iter())
            + chain_len(&parts.ca)
            + chain_len(&parts.client)
            + wire::strings_len(core::iter::once(parts.key.len()))
            + 4
            + will_len
            + wire::strings_len([parts.host.len(), parts.client_id.len()].into_iter());
        let auth = u32::from(req.authentication.method);
        self.mqtt_send(&c, size, |board, w| {
            w.u32(board, wire::MQTT_CONNECT)?;
            w.u32(board, req.protocol_version)?;
            w.u32(board, u32::from(req.port))?;
            w.u32(board, req.keepalive)?;
            w.u32(board, u32::from(req.clean_start != 0))?;
            w.u32(board, auth)?;
            w.bytes(board, parts.username)?;
            w.bytes(board, parts.password)?;
            for chain in [&parts.ca, &parts.client] {
                w.u32(board, chain.1 as u32)?;
                for &cert in &chain.0[..chain.1] {
                    w.bytes(board, cert)?;
                }
            }
            w.bytes(board, parts.key)?;
            match parts.will {
                Some((topic, payload, qos, retain)) => {
                    w.u32(board, 1)?;
                    w.bytes(board, topic)?;
                    w.bytes(board, payload)?;
                    w.u32(board, qos)?;
                    w.u32(board, u32::from(retain))?;
                }
                None => w.u32(board, 0)?,
            }
            w.bytes(board, parts.host)?;
            w.bytes(board, parts.client_id)
        })?;
        if let Some(m) = self.mqtt_state_mut(handle) {
            m.connect = Connect::Requested;
        }
        Ok(())
    }

    /// The connect's checks after the struct (`firmware/ABI.md` §15, checks 5–11).
    fn connect_parts(&mut self, req: &MvMqttConnectRequest) -> Result<ConnectParts, Refusal> {
        let now = Refusal::Now;
        if req.host.length == 0 || req.clientid.length == 0 {
            return Err(now(MvStatus::RequiredElementMissing));
        }
        let tls = if req.tls_credentials == 0 {
            None
        } else {
            let r = late(NsRange::claim_struct::<MvTlsCredentials, _>(
                &self.board,
                req.tls_credentials,
                Access::Read,
            ))?;
            Some(
                read_struct::<MvTlsCredentials, _>(&mut self.board, &r)
                    .map_err(|_| Refusal::Late)?,
            )
        };
        let will = if req.will == 0 {
            None
        } else {
            let r = late(NsRange::claim_struct::<MvMqttWill, _>(
                &self.board,
                req.will,
                Access::Read,
            ))?;
            Some(read_struct::<MvMqttWill, _>(&mut self.board, &r).map_err(|_| Refusal::Late)?)
        };
        let (ca_n, client_n, key_len) = tls.map_or((0, 0, 0), |t| {
            (
                t.cacert.num_certs,
                t.clientcert.chain.num_certs,
                t.clientcert.key.length,
            )
        });
        let method = req.authentication.method;
        let user_password = method == MvMqttAuthenticationMethod::UsernamePassword as u8;
        if (user_password && client_n > 0)
            || MvMqttAuthenticationMethod::try_from(u32::from(method)).is_err()
        {
            return Err(now(MvStatus::InvalidAuthentication));
        }
        if ca_n > MAX_CERTS || client_n > MAX_CERTS {
            return Err(now(MvStatus::TooManyElements));
        }
        if client_n > 0 && key_len == 0 {
            return Err(now(MvStatus::RequiredElementMissing));
        }
        if let Some(w) = &will {
            if w.topic.length == 0 || w.payload.length == 0 {
                return Err(now(MvStatus::RequiredElementMissing));
            }
        }
        let (username, password) = if user_password {
            let up = &req.authentication.username_password;
            (
                late(claim_string(&self.board, &up.username))?,
                late(claim_string(&self.board, &up.password))?,
            )
        } else {
            (NsRange::EMPTY, NsRange::EMPTY)
        };
        let (ca, client, key) = match &tls {
            Some(t) => (
                self.claim_chain(t.cacert.certs, ca_n)?,
                self.claim_chain(t.clientcert.chain.certs, client_n)?,
                late(claim_string(&self.board, &t.clientcert.key))?,
            ),
            None => (
                ([NsRange::EMPTY; 8], 0),
                ([NsRange::EMPTY; 8], 0),
                NsRange::EMPTY,
            ),
        };
        let will = match will {
            Some(w) => Some((
                late(claim_string(&self.board, &w.topic))?,
                late(claim_string(&self.board, &w.payload))?,
                w.qos,
                w.retain != 0,
            )),
            None => None,
        };
        Ok(ConnectParts {
            host: late(claim_string(&self.board, &req.host))?,
            client_id: late(claim_string(&self.board, &req.clientid))?,
            username,
            password,
            ca,
            client,
            key,
            will,
        })
    }

    /// Claims an array of `n` (≤ 8) `MvSizedString`s and each one's bytes.
    fn claim_chain(&mut self, array: u32, n: u32) -> Result<Chain, Refusal> {
        let mut chain = [NsRange::EMPTY; MAX_CERTS as usize];
        let strings = self.claim_strings(array, n, &mut chain)?;
        Ok((chain, strings))
    }

    /// Claims `n` `MvSizedString`s at `array` and their bytes into `out`.
    fn claim_strings(&mut self, array: u32, n: u32, out: &mut [NsRange]) -> Result<usize, Refusal> {
        let size = MvSizedString::SIZE as u32;
        let list = late(NsRange::claim(
            &self.board,
            array,
            n * size,
            MvSizedString::LAYOUT.align as u32,
            Access::Read,
        ))?;
        for (i, slot) in out.iter_mut().enumerate().take(n as usize) {
            let mut bytes = [0u8; MvSizedString::SIZE];
            self.board
                .read_ns(list.addr() + i as u32 * size, &mut bytes)
                .map_err(|_| Refusal::Late)?;
            *slot = late(claim_string(&self.board, &MvSizedString::decode(&bytes)))?;
        }
        Ok(n as usize)
    }

    /// The checks every subscribe-like request makes first.
    fn mqtt_subscription_ready(&self, handle: u32, count: u32) -> Result<Channel, MvStatus> {
        let (c, m) = self.mqtt_channel(handle)?;
        Self::mqtt_usable(&c, &m)?;
        if count as usize > MAX_TOPICS {
            return Err(MvStatus::TooManyElements);
        }
        if m.subscription_in_flight || c.request.is_some() {
            return Err(MvStatus::RateLimited);
        }
        Ok(c)
    }

    pub(crate) fn mqtt_request_subscribe(
        &mut self,
        handle: u32,
        request: u32,
    ) -> Result<(), MvStatus> {
        self.mqtt_channel(handle)?;
        let range =
            NsRange::claim_struct::<MvMqttSubscribeRequest, _>(&self.board, request, Access::Read)?;
        let req: MvMqttSubscribeRequest =
            read_struct(&mut self.board, &range).map_err(|_| MvStatus::ParameterFault)?;
        let c = self.mqtt_subscription_ready(handle, req.num_subscriptions)?;
        let n = req.num_subscriptions as usize;
        let mut subs = [(NsRange::EMPTY, [0u32; 4]); MAX_TOPICS];
        let claimed = (|| {
            let size = MvMqttSubscription::SIZE as u32;
            let list = late(NsRange::claim(
                &self.board,
                req.subscriptions,
                n as u32 * size,
                MvMqttSubscription::LAYOUT.align as u32,
                Access::Read,
            ))?;
            for (i, slot) in subs.iter_mut().enumerate().take(n) {
                let mut bytes = [0u8; MvMqttSubscription::SIZE];
                self.board
                    .read_ns(list.addr() + i as u32 * size, &mut bytes)
                    .map_err(|_| Refusal::Late)?;
                let s = MvMqttSubscription::decode(&bytes);
                *slot = (
                    late(claim_string(&self.board, &s.topic))?,
                    [s.desired_qos, s.nl, s.rap, s.rh],
                );
            }
            Ok(())
        })();
        if let Err(refusal) = claimed {
            return Err(self.mqtt_refuse(handle, refusal));
        }
        let subs = &subs[..n];
        let size = 12
            + subs
                .iter()
                .map(|(t, _)| 4 + u64::from(t.len()) + 16)
                .sum::<u64>();
        self.mqtt_send(&c, size, |board, w| {
            w.u32(board, wire::MQTT_SUBSCRIBE)?;
            w.u32(board, req.correlation_id)?;
            w.u32(board, n as u32)?;
            for &(topic, options) in subs {
                w.bytes(board, topic)?;
                for o in options {
                    w.u32(board, o)?;
                }
            }
            Ok(())
        })?;
        if let Some(m) = self.mqtt_state_mut(handle) {
            m.subscription_in_flight = true;
        }
        Ok(())
    }

    pub(crate) fn mqtt_request_unsubscribe(
        &mut self,
        handle: u32,
        request: u32,
    ) -> Result<(), MvStatus> {
        self.mqtt_channel(handle)?;
        let range = NsRange::claim_struct::<MvMqttUnsubscribeRequest, _>(
            &self.board,
            request,
            Access::Read,
        )?;
        let req: MvMqttUnsubscribeRequest =
            read_struct(&mut self.board, &range).map_err(|_| MvStatus::ParameterFault)?;
        let c = self.mqtt_subscription_ready(handle, req.num_topics)?;
        let mut topics = [NsRange::EMPTY; MAX_TOPICS];
        let n = match self.claim_strings(req.topics, req.num_topics, &mut topics) {
            Ok(n) => n,
            Err(refusal) => return Err(self.mqtt_refuse(handle, refusal)),
        };
        let topics = &topics[..n];
        let size = 12 + wire::strings_len(topics.iter().map(NsRange::len));
        self.mqtt_send(&c, size, |board, w| {
            w.u32(board, wire::MQTT_UNSUBSCRIBE)?;
            w.u32(board, req.correlation_id)?;
            w.u32(board, n as u32)?;
            for &t in topics {
                w.bytes(board, t)?;
            }
            Ok(())
        })?;
        if let Some(m) = self.mqtt_state_mut(handle) {
            m.subscription_in_flight = true;
        }
        Ok(())
    }

    pub(crate) fn mqtt_request_publish(
        &mut self,
        handle: u32,
        request: u32,
    ) -> Result<(), MvStatus> {
        let (c, m) = self.mqtt_channel(handle)?;
        let range =
            NsRange::claim_struct::<MvMqttPublishRequest, _>(&self.board, request, Access::Read)?;
        let req: MvMqttPublishRequest =
            read_struct(&mut self.board, &range).map_err(|_| MvStatus::ParameterFault)?;
        Self::mqtt_usable(&c, &m)?;
        if m.publishes_in_flight >= MAX_PUBLISHES || c.request.is_some() {
            return Err(MvStatus::RateLimited);
        }
        let parts = (|| {
            Ok((
                late(claim_string(&self.board, &req.topic))?,
                late(claim_string(&self.board, &req.payload))?,
            ))
        })();
        let (topic, payload) = match parts {
            Ok(p) => p,
            Err(refusal) => return Err(self.mqtt_refuse(handle, refusal)),
        };
        let size = 16 + wire::strings_len([topic.len(), payload.len()].into_iter());
        self.mqtt_send(&c, size, |board, w| {
            w.u32(board, wire::MQTT_PUBLISH)?;
            w.u32(board, req.correlation_id)?;
            w.u32(board, req.desired_qos)?;
            w.u32(board, req.retain)?;
            w.bytes(board, topic)?;
            w.bytes(board, payload)
        })?;
        if let Some(m) = self.mqtt_state_mut(handle) {
            m.publishes_in_flight += 1;
        }
        Ok(())
    }

    pub(crate) fn mqtt_acknowledge_message(
        &mut self,
        handle: u32,
        correlation_id: u32,
    ) -> Result<(), MvStatus> {
        let (c, m) = self.mqtt_channel(handle)?;
        Self::mqtt_usable(&c, &m)?;
        if m.acks_in_flight >= MAX_ACKS || c.request.is_some() {
            return Err(MvStatus::RateLimited);
        }
        self.mqtt_send(&c, 8, |board, w| {
            w.u32(board, wire::MQTT_ACKNOWLEDGE)?;
            w.u32(board, correlation_id)
        })?;
        if let Some(m) = self.mqtt_state_mut(handle) {
            m.acks_in_flight += 1;
        }
        Ok(())
    }

    pub(crate) fn mqtt_request_disconnect(&mut self, handle: u32) -> Result<(), MvStatus> {
        let (c, m) = self.mqtt_channel(handle)?;
        Self::mqtt_usable(&c, &m)?;
        if m.disconnect_in_flight || c.request.is_some() {
            return Err(MvStatus::RateLimited);
        }
        self.mqtt_send(&c, 4, |board, w| w.u32(board, wire::MQTT_DISCONNECT))?;
        if let Some(m) = self.mqtt_state_mut(handle) {
            m.disconnect_in_flight = true;
        }
        Ok(())
    }
}
