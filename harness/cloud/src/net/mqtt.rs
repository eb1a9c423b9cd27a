//! The cloud's MQTT bridge: each MQTT channel's requests made against the lab broker with a real client (rumqttc).
//!
//! One client session per channel, opened by the app's connect. The cloud
//! answers every request once the broker did (CONNACK, SUBACK, UNSUBACK,
//! PUBACK/PUBCOMP or the publish written for QoS 0) and passes the broker's
//! messages on one at a time per channel, in order, each with a delivery id
//! the app acknowledges it with. The device says what became of each
//! (`MqttOutcome`): a refused one is held and sent again after the device
//! reports room; a QoS > 0 one is acknowledged to the broker (manual acks)
//! only when the app acknowledges it, or when the device recorded it lost.
//!
//! Everything is synchronous for the caller; waits are bounded. When the
//! app publishes to a topic its own subscriptions match, the cloud waits
//! for the broker to route it back before it answers, so a transcript does
//! not depend on which packet the broker sent first.
//!
//! **Choices** (`firmware/ABI.md` §15): every host reaches the lab broker
//! (as every HTTPS URL reaches the lab's HTTP server), except names under
//! `.invalid` (RFC 6761), which are `NXDOMAIN`; TLS credentials are carried
//! but not used (the broker is loopback without TLS); protocol v5 is not
//! bridged yet and is answered `INVALIDPARAMETERS`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mv_abi::{MvClosureReason, MvMqttRequestState as State};
use mv_proto::{CloudToDevice, MqttConnect, MqttDown, MqttOutcome, MqttRequest};
use rumqttc::{
    Client, ConnectReturnCode, Connection, ConnectionError, Event, Incoming, LastWill, MqttOptions,
    Outgoing, Publish, QoS, SubscribeFilter, SubscribeReasonCode,
};

use super::broker::Broker;
use super::{CloudEvent, NetError};

/// The longest the cloud waits for the broker's answer to one request.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one poll for the broker's messages may wait for the next packet.
const POLL_WAIT: Duration = Duration::from_millis(1);

/// A message from the broker, until it is settled.
struct Held {
    delivery: u32,
    publish: Publish,
}

/// One channel's client session.
struct Session {
    channel: u32,
    client: Client,
    conn: Connection,
    /// Filters the broker granted.
    filters: Vec<String>,
    /// Messages not yet taken by the device, in order.
    inbox: VecDeque<Held>,
    /// The head of `inbox` is with the device (its outcome not yet heard).
    in_flight: bool,
    /// The device refused the head: wait for `MqttRoom`.
    waiting_for_room: bool,
    /// Stored QoS > 0 messages the app has not acknowledged.
    unacked: Vec<Held>,
}

/// The MQTT side of the emulated cloud.
#[derive(Default)]
pub(crate) struct MqttBridge {
    broker: Option<Broker>,
    sessions: Vec<Session>,
    next_delivery: u32,
}

fn qos(value: u32) -> Option<QoS> {
    match value {
        0 => Some(QoS::AtMostOnce),
        1 => Some(QoS::AtLeastOnce),
        2 => Some(QoS::ExactlyOnce),
        _ => None,
    }
}

fn text(bytes: &[u8]) -> Option<String> {
    String::from_utf8(bytes.to_vec()).ok()
}

fn down(channel: u32, down: MqttDown) -> CloudToDevice {
    CloudToDevice::Mqtt { channel, down }
}

fn state_name(state: State) -> &'static str {
    State::DESC.name_of(state as u32).unwrap_or("?")
}

impl MqttBridge {
    /// A new device: its sessions end. The broker keeps running.
    pub(crate) fn reset(&mut self) {
        self.sessions.clear();
        self.next_delivery = 0;
    }

    /// The channel is gone: its session ends (the broker sees the socket close).
    pub(crate) fn gone(&mut self, channel: u32) {
        self.sessions.retain(|s| s.channel != channel);
    }

    fn session(&mut self, channel: u32) -> Option<&mut Session> {
        self.sessions.iter_mut().find(|s| s.channel == channel)
    }

    fn broker(&mut self) -> Result<&Broker, NetError> {
        if self.broker.is_none() {
            self.broker = Some(Broker::start()?);
        }
        Ok(self.broker.as_ref().expect("just started"))
    }

    /// One request of the app; the answers, and what happened for the transcript.
    pub(crate) fn request(
        &mut self,
        channel: u32,
        request: MqttRequest,
        events: &mut Vec<CloudEvent>,
    ) -> Result<Vec<CloudToDevice>, NetError> {
        let mut note = |text: String| events.push(CloudEvent::Mqtt { channel, text });
        Ok(match request {
            MqttRequest::Connect(c) => {
                let (state, reason) = self.connect(channel, &c)?;
                note(format!("connect -> {} ({reason})", state_name(state)));
                vec![down(
                    channel,
                    MqttDown::ConnectResponse {
                        state: state as u32,
                        reason,
                    },
                )]
            }
            MqttRequest::Subscribe {
                correlation_id,
                topics,
            } => {
                let (state, reason_codes) = match self.session(channel) {
                    None => (State::NotConnected, Vec::new()),
                    Some(s) => s.subscribe(&topics),
                };
                let shown: Vec<String> = topics
                    .iter()
                    .map(|t| format!("{:?} qos {}", String::from_utf8_lossy(&t.topic), t.qos))
                    .collect();
                note(format!(
                    "subscribe [{}] -> {} {reason_codes:?}",
                    shown.join(", "),
                    state_name(state)
                ));
                vec![down(
                    channel,
                    MqttDown::SubscribeResponse {
                        state: state as u32,
                        correlation_id,
                        reason_codes,
                    },
                )]
            }
            MqttRequest::Unsubscribe {
                correlation_id,
                topics,
            } => {
                let state = match self.session(channel) {
                    None => State::NotConnected,
                    Some(s) => s.unsubscribe(&topics),
                };
                note(format!(
                    "unsubscribe {} topics -> {}",
                    topics.len(),
                    state_name(state)
                ));
                vec![down(
                    channel,
                    MqttDown::UnsubscribeResponse {
                        state: state as u32,
                        correlation_id,
                        reason_codes: Vec::new(),
                    },
                )]
            }
            MqttRequest::Publish {
                correlation_id,
                topic,
                payload,
                qos,
                retain,
            } => {
                let next = &mut self.next_delivery;
                let state = match self.sessions.iter_mut().find(|s| s.channel == channel) {
                    None => State::NotConnected,
                    Some(s) => s.publish(&topic, payload.clone(), qos, retain, next),
                };
                note(format!(
                    "publish {:?} qos {qos} retain {retain} {} bytes -> {}",
                    String::from_utf8_lossy(&topic),
                    payload.len(),
                    state_name(state)
                ));
                vec![down(
                    channel,
                    MqttDown::PublishResponse {
                        state: state as u32,
                        correlation_id,
                        reason: 0,
                    },
                )]
            }
            MqttRequest::Acknowledge { correlation_id } => {
                if let Some(s) = self.session(channel) {
                    if let Some(i) = s.unacked.iter().position(|h| h.delivery == correlation_id) {
                        let held = s.unacked.remove(i);
                        let _ = s.client.ack(&held.publish);
                        s.pump_for(Duration::ZERO);
                    }
                }
                vec![down(channel, MqttDown::Acked)]
            }
            MqttRequest::Disconnect => {
                let state = match self.sessions.iter().position(|s| s.channel == channel) {
                    None => State::NotConnected,
                    Some(i) => {
                        let mut s = self.sessions.remove(i);
                        s.disconnect()
                    }
                };
                note(format!("disconnect -> {}", state_name(state)));
                vec![down(
                    channel,
                    MqttDown::DisconnectResponse {
                        state: state as u32,
                        code: 0,
                    },
                )]
            }
        })
    }

    fn connect(&mut self, channel: u32, c: &MqttConnect) -> Result<(State, u32), NetError> {
        let Some(host) = text(&c.host) else {
            return Ok((State::InvalidParameters, 0));
        };
        if host == "invalid" || host.ends_with(".invalid") {
            return Ok((State::NxDomain, 0));
        }
        let (Some(client_id), true) = (text(&c.client_id), c.version == 0) else {
            return Ok((State::InvalidParameters, 0));
        };
        let will_qos = c.will.as_ref().map(|w| qos(w.qos));
        if will_qos == Some(None) {
            return Ok((State::InvalidParameters, 0));
        }
        if super::broker::mosquitto_path().is_none() && !super::broker::mosquitto_required() {
            return Ok((State::SocketError, 0));
        }
        let addr = self.broker()?.addr;
        let mut options = MqttOptions::new(client_id, addr.ip().to_string(), addr.port());
        options
            .set_keep_alive(Duration::from_secs(u64::from(c.keepalive)))
            .set_clean_session(c.clean_start)
            .set_manual_acks(true)
            .set_max_packet_size(256 * 1024, 256 * 1024);
        if let Some((user, password)) = &c.credentials {
            options.set_credentials(
                String::from_utf8_lossy(user),
                String::from_utf8_lossy(password),
            );
        }
        if let (Some(w), Some(Some(q))) = (&c.will, will_qos) {
            options.set_last_will(LastWill::new(
                String::from_utf8_lossy(&w.topic),
                w.payload.clone(),
                q,
                w.retain,
            ));
        }
        let (client, mut conn) = Client::new(options, 16);
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        let answer = loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match conn.recv_timeout(wait) {
                Ok(Ok(Event::Incoming(Incoming::ConnAck(ack)))) => {
                    break Some((State::RequestCompleted, refusal(ack.code)))
                }
                Ok(Ok(_)) => {}
                Ok(Err(ConnectionError::ConnectionRefused(code))) => {
                    break Some((State::RequestCompleted, refusal(code)))
                }
                Ok(Err(_)) | Err(_) => break None,
            }
        };
        let Some((state, reason)) = answer else {
            return Ok((State::SocketError, 0));
        };
        if reason == 0 {
            self.sessions.push(Session {
                channel,
                client,
                conn,
                filters: Vec::new(),
                inbox: VecDeque::new(),
                in_flight: false,
                waiting_for_room: false,
                unacked: Vec::new(),
            });
        }
        Ok((state, reason))
    }

    /// What the device did with message `delivery`.
    pub(crate) fn delivered(
        &mut self,
        channel: u32,
        delivery: u32,
        outcome: MqttOutcome,
        events: &mut Vec<CloudEvent>,
    ) {
        let Some(s) = self.session(channel) else {
            return;
        };
        if !s.in_flight || s.inbox.front().map(|h| h.delivery) != Some(delivery) {
            return;
        }
        s.in_flight = false;
        let word = match outcome {
            MqttOutcome::Stored => "stored",
            MqttOutcome::Lost => "lost",
            MqttOutcome::Refused => "refused",
            MqttOutcome::NoChannel => "no channel",
        };
        if outcome == MqttOutcome::Refused {
            s.waiting_for_room = true;
        } else if let Some(held) = s.inbox.pop_front() {
            if held.publish.qos != QoS::AtMostOnce {
                if outcome == MqttOutcome::Stored {
                    s.unacked.push(held);
                } else {
                    // Lost for good: the broker need not keep it.
                    let _ = s.client.ack(&held.publish);
                }
            }
        }
        events.push(CloudEvent::Mqtt {
            channel,
            text: format!("message {delivery} {word}"),
        });
    }

    /// The device has room again on `channel`.
    pub(crate) fn room(&mut self, channel: u32) {
        if let Some(s) = self.session(channel) {
            s.waiting_for_room = false;
        }
    }

    /// Collects what the broker sent; sends each channel its next message.
    /// A session whose broker connection broke closes its channel.
    pub(crate) fn poll(&mut self, events: &mut Vec<CloudEvent>) -> Vec<CloudToDevice> {
        let mut out = Vec::new();
        let mut broken = Vec::new();
        for s in &mut self.sessions {
            if !s.pump_for(POLL_WAIT) {
                broken.push(s.channel);
                continue;
            }
            s.number(&mut self.next_delivery);
            if s.in_flight || s.waiting_for_room {
                continue;
            }
            if let Some(h) = s.inbox.front() {
                s.in_flight = true;
                let p = &h.publish;
                events.push(CloudEvent::Mqtt {
                    channel: s.channel,
                    text: format!(
                        "message {} {:?} qos {} {} bytes to the device",
                        h.delivery,
                        p.topic,
                        p.qos as u8,
                        p.payload.len()
                    ),
                });
                out.push(down(
                    s.channel,
                    MqttDown::Message {
                        delivery: h.delivery,
                        topic: p.topic.clone().into_bytes(),
                        payload: p.payload.to_vec(),
                        qos: p.qos as u8,
                        retain: p.retain,
                    },
                ));
            }
        }
        for channel in broken {
            self.gone(channel);
            let reason = MvClosureReason::ConnectionTerminated as u32;
            events.push(CloudEvent::Closed { channel, reason });
            out.push(CloudToDevice::ChannelClosed { channel, reason });
        }
        out
    }
}

/// A v3.1.1 CONNACK refusal code.
fn refusal(code: ConnectReturnCode) -> u32 {
    match code {
        ConnectReturnCode::Success => 0,
        ConnectReturnCode::RefusedProtocolVersion => 1,
        ConnectReturnCode::BadClientId => 2,
        ConnectReturnCode::ServiceUnavailable => 3,
        ConnectReturnCode::BadUserNamePassword => 4,
        ConnectReturnCode::NotAuthorized => 5,
    }
}

/// A placeholder delivery id for messages not yet numbered.
const UNNUMBERED: u32 = 0;

impl Session {
    /// Reads what the broker sent for up to `wait`; `false` if the
    /// connection broke.
    fn pump_for(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = if left.is_zero() {
                match self.conn.try_recv() {
                    Ok(e) => e,
                    Err(_) => return true,
                }
            } else {
                match self.conn.recv_timeout(left) {
                    Ok(e) => e,
                    Err(_) => return true,
                }
            };
            match event {
                Ok(e) => self.note(e),
                Err(_) => return false,
            }
        }
    }

    fn note(&mut self, e: Event) {
        if let Event::Incoming(Incoming::Publish(publish)) = e {
            self.inbox.push_back(Held {
                delivery: UNNUMBERED,
                publish,
            });
        }
    }

    /// Gives every new message its delivery id (in arrival order).
    fn number(&mut self, next: &mut u32) {
        for h in self.inbox.iter_mut().filter(|h| h.delivery == UNNUMBERED) {
            *next += 1;
            h.delivery = *next;
        }
    }

    /// Waits until `done` says the awaited packet came; `false` on a broken
    /// connection or the timeout.
    fn await_packet(&mut self, mut done: impl FnMut(&Event) -> bool) -> bool {
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.conn.recv_timeout(left) {
                Ok(Ok(e)) => {
                    let hit = done(&e);
                    self.note(e);
                    if hit {
                        return true;
                    }
                }
                Ok(Err(_)) | Err(_) => return false,
            }
        }
    }

    fn subscribe(&mut self, topics: &[mv_proto::MqttSubscription]) -> (State, Vec<u8>) {
        let mut filters = Vec::new();
        for t in topics {
            match (text(&t.topic), qos(t.qos)) {
                (Some(path), Some(q)) if rumqttc::valid_filter(&path) => {
                    filters.push(SubscribeFilter::new(path, q));
                }
                _ => return (State::InvalidParameters, Vec::new()),
            }
        }
        if filters.is_empty() || self.client.subscribe_many(filters.clone()).is_err() {
            return (State::InvalidParameters, Vec::new());
        }
        let mut codes = Vec::new();
        let acked = self.await_packet(|e| match e {
            Event::Incoming(Incoming::SubAck(ack)) => {
                codes = ack
                    .return_codes
                    .iter()
                    .map(|c| match c {
                        SubscribeReasonCode::Success(q) => *q as u8,
                        SubscribeReasonCode::Failure => 0x80,
                    })
                    .collect();
                true
            }
            _ => false,
        });
        if !acked {
            return (State::SocketError, Vec::new());
        }
        for (f, code) in filters.iter().zip(&codes) {
            if *code < 0x80 {
                self.filters.push(f.path.clone());
            }
        }
        (State::RequestCompleted, codes)
    }

    fn unsubscribe(&mut self, topics: &[Vec<u8>]) -> State {
        let Some(paths) = topics.iter().map(|t| text(t)).collect::<Option<Vec<_>>>() else {
            return State::InvalidParameters;
        };
        if paths.is_empty() {
            return State::InvalidParameters;
        }
        for path in &paths {
            if self.client.unsubscribe(path.clone()).is_err() {
                return State::InvalidParameters;
            }
            if !self.await_packet(|e| matches!(e, Event::Incoming(Incoming::UnsubAck(_)))) {
                return State::SocketError;
            }
            self.filters.retain(|f| f != path);
        }
        State::RequestCompleted
    }

    fn publish(
        &mut self,
        topic: &[u8],
        payload: Vec<u8>,
        q: u32,
        retain: bool,
        next: &mut u32,
    ) -> State {
        let (Some(topic), Some(q)) = (text(topic), qos(q)) else {
            return State::InvalidParameters;
        };
        if !rumqttc::valid_topic(&topic) {
            return State::InvalidParameters;
        }
        let routed_back = self.filters.iter().any(|f| rumqttc::matches(&topic, f));
        let before = self.inbox.len();
        if self.client.publish(topic, q, retain, payload).is_err() {
            return State::InvalidParameters;
        }
        let done = self.await_packet(|e| match (q, e) {
            (QoS::AtMostOnce, Event::Outgoing(Outgoing::Publish(_)))
            | (QoS::AtLeastOnce, Event::Incoming(Incoming::PubAck(_)))
            | (QoS::ExactlyOnce, Event::Incoming(Incoming::PubComp(_))) => true,
            _ => false,
        });
        if !done {
            return State::SocketError;
        }
        // A message to the app's own subscriptions comes back through the
        // broker: wait for it, so what the device sees next is settled.
        if routed_back && self.inbox.len() == before {
            let _ = self.await_packet(|e| matches!(e, Event::Incoming(Incoming::Publish(_))));
        }
        self.number(next);
        State::RequestCompleted
    }

    fn disconnect(&mut self) -> State {
        if self.client.disconnect().is_err() {
            return State::SocketError;
        }
        let sent = self.await_packet(|e| matches!(e, Event::Outgoing(Outgoing::Disconnect)));
        if sent {
            State::RequestCompleted
        } else {
            State::SocketError
        }
    }
}
