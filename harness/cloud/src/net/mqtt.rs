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
//! but not used (the broker is loopback without TLS). Both protocol
//! versions are bridged ([`super::mqtt_link`]).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use mv_abi::{MvClosureReason, MvMqttRequestState as State};
use mv_proto::{CloudToDevice, MqttConnect, MqttDown, MqttOutcome, MqttRequest};

use super::broker::{embedded_cannot, Broker};
use super::mqtt_link::{Link, Message, Options, Seen};
use super::observer::{BrokerMessage, Observer};
use super::tap::Tap;
use super::{CloudEvent, NetError};

/// The longest the cloud waits for the broker's answer to one request.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one poll for the broker's messages may wait for the next packet.
const POLL_WAIT: Duration = Duration::from_millis(1);
/// After a flood was routed, how long a session may receive nothing before
/// the broker is taken to hold the rest back (its in-flight window of
/// unacknowledged QoS > 0 messages is full).
const FLOOD_QUIET: Duration = Duration::from_millis(100);

/// A message from the broker, until it is settled.
struct Held {
    delivery: u32,
    message: Message,
}

/// One channel's client session.
struct Session {
    channel: u32,
    link: Link,
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
    /// The broker connection broke (rumqttc would reconnect on the next
    /// poll; the session must not: the channel closes instead).
    broken: bool,
    /// Messages the broker sent this session, ever.
    arrived: u64,
}

/// The broker and what the harness puts around it: the bridge's tap, the
/// observer (mosquitto only: it needs MQTT 5, see [`super::embedded_broker`]).
struct Lab {
    broker: Broker,
    tap: Tap,
    observer: Option<Observer>,
}

impl Lab {
    /// The observer, or why the embedded broker has none.
    fn observer(&mut self) -> Result<&mut Observer, NetError> {
        self.observer
            .as_mut()
            .ok_or_else(|| embedded_cannot("publish from outside or say what it received"))
    }
}

/// The MQTT side of the emulated cloud.
#[derive(Default)]
pub(crate) struct MqttBridge {
    lab: Option<Lab>,
    sessions: Vec<Session>,
    next_delivery: u32,
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

/// A delivery id not yet given.
const UNNUMBERED: u32 = 0;

impl MqttBridge {
    /// A new device: its sessions end. The broker keeps running.
    pub(crate) fn reset(&mut self) {
        self.sessions.clear();
        self.next_delivery = 0;
    }

    /// A new case: a new device, the broker up, nothing observed. A broker
    /// that cannot start again is dropped, so the next use starts a fresh
    /// one and reports why it cannot.
    pub(crate) fn new_case(&mut self) {
        // The case is over: its sessions say goodbye, so the broker
        // publishes no Will of theirs into the next case's observations.
        for s in &mut self.sessions {
            s.close();
        }
        self.reset();
        if let Some(lab) = &mut self.lab {
            // A broker that cannot start again, or an observer that lost
            // track, is dropped: the next use starts afresh and says why not.
            let fenced = lab
                .observer
                .as_mut()
                .is_none_or(|o| o.fence(ANSWER_TIMEOUT));
            if lab.broker.restart().is_err() || !fenced {
                self.lab = None;
            }
        }
    }

    /// The channel is gone: its session ends (the broker sees the socket close).
    pub(crate) fn gone(&mut self, channel: u32) {
        self.sessions.retain(|s| s.channel != channel);
    }

    fn session(&mut self, channel: u32) -> Option<&mut Session> {
        self.sessions.iter_mut().find(|s| s.channel == channel)
    }

    /// The broker, its tap and its observer, started on first use.
    fn lab(&mut self) -> Result<&mut Lab, NetError> {
        if self.lab.is_none() {
            let broker = Broker::start()?;
            let tap = Tap::start(broker.addr()).map_err(|source| NetError::Start {
                what: "the MQTT bridge's tap",
                source,
            })?;
            let observer = match &broker {
                Broker::Embedded(_) => None,
                Broker::Mosquitto(_) => Some(
                    Observer::start(broker.addr().port(), ANSWER_TIMEOUT).ok_or_else(|| {
                        NetError::Start {
                            what: "the harness's MQTT observer client",
                            source: std::io::Error::new(
                                std::io::ErrorKind::TimedOut,
                                format!("no SUBACK from the broker within {ANSWER_TIMEOUT:?}"),
                            ),
                        }
                    })?,
                ),
            };
            self.lab = Some(Lab {
                broker,
                tap,
                observer,
            });
        }
        Ok(self.lab.as_mut().expect("just started"))
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
                note(format!(
                    "connect v{} -> {} ({reason})",
                    if c.version == 1 { "5" } else { "3.1.1" },
                    state_name(state)
                ));
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
                let (state, reason_codes) = match self.session(channel) {
                    None => (State::NotConnected, Vec::new()),
                    Some(s) => s.unsubscribe(&topics),
                };
                note(format!(
                    "unsubscribe {} topics -> {} {reason_codes:?}",
                    topics.len(),
                    state_name(state)
                ));
                vec![down(
                    channel,
                    MqttDown::UnsubscribeResponse {
                        state: state as u32,
                        correlation_id,
                        reason_codes,
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
                let bytes = payload.len();
                let (state, reason) = match self.sessions.iter_mut().find(|s| s.channel == channel)
                {
                    None => (State::NotConnected, 0),
                    Some(s) => s.publish(&topic, payload, qos, retain, next),
                };
                note(format!(
                    "publish {:?} qos {qos} retain {retain} {bytes} bytes -> {} ({reason})",
                    String::from_utf8_lossy(&topic),
                    state_name(state)
                ));
                vec![down(
                    channel,
                    MqttDown::PublishResponse {
                        state: state as u32,
                        correlation_id,
                        reason,
                    },
                )]
            }
            MqttRequest::Acknowledge { correlation_id } => {
                if let Some(s) = self.session(channel) {
                    if let Some(i) = s.unacked.iter().position(|h| h.delivery == correlation_id) {
                        let held = s.unacked.remove(i);
                        s.link.ack(&held.message);
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
        let (Some(client_id), true) = (text(&c.client_id), c.version <= 1) else {
            return Ok((State::InvalidParameters, 0));
        };
        let will = match &c.will {
            Some(w) if w.qos > 2 => return Ok((State::InvalidParameters, 0)),
            Some(w) => Some((
                String::from_utf8_lossy(&w.topic).into_owned(),
                w.payload.clone(),
                w.qos as u8,
                w.retain,
            )),
            None => None,
        };
        let addr = self.lab()?.tap.addr;
        let mut link = Link::open(Options {
            v5: c.version == 1,
            client_id,
            host: addr.ip().to_string(),
            port: addr.port(),
            keepalive_s: u64::from(c.keepalive),
            clean_start: c.clean_start,
            credentials: c.credentials.as_ref().map(|(u, p)| {
                (
                    String::from_utf8_lossy(u).into_owned(),
                    String::from_utf8_lossy(p).into_owned(),
                )
            }),
            will,
        });
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        let answer = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break None;
            }
            match link.recv(left) {
                Ok(Some(Seen::ConnAck(code))) => break Some(code),
                Ok(_) => {}
                Err(broken) => break broken.0,
            }
        };
        let Some(reason) = answer else {
            return Ok((State::SocketError, 0));
        };
        if reason == 0 {
            self.sessions.push(Session {
                channel,
                link,
                filters: Vec::new(),
                inbox: VecDeque::new(),
                in_flight: false,
                waiting_for_room: false,
                unacked: Vec::new(),
                broken: false,
                arrived: 0,
            });
        }
        Ok((State::RequestCompleted, reason))
    }

    /// Kills the broker (`broker: { stop }`); waits until every bridge
    /// session saw its connection close. `Ok(false)`: one did not within
    /// the answer timeout.
    pub(crate) fn stop_broker(&mut self) -> Result<bool, NetError> {
        self.lab()?.broker.stop()?;
        Ok(self.await_drops(ANSWER_TIMEOUT))
    }

    /// Starts the stopped broker again on its port (`broker: { start }`);
    /// waits until the observer subscribed again.
    pub(crate) fn start_broker(&mut self) -> Result<bool, NetError> {
        let lab = self.lab()?;
        if matches!(lab.broker, Broker::Embedded(_)) {
            return Err(embedded_cannot("be stopped or started"));
        }
        let before = lab.observer()?.subscriptions();
        let was_running = lab.broker.is_running();
        lab.broker.restart()?;
        Ok(was_running || lab.observer()?.await_subscribed(before, ANSWER_TIMEOUT))
    }

    /// Cuts every bridge connection at the tap (`broker: { drop_links }`);
    /// waits until every session saw it.
    pub(crate) fn drop_links(&mut self) -> Result<bool, NetError> {
        self.lab()?.tap.cut();
        Ok(self.await_drops(ANSWER_TIMEOUT))
    }

    /// Every open bridge connection goes silent (`broker: { silence_links }`).
    pub(crate) fn silence_links(&mut self) -> Result<(), NetError> {
        self.lab()?.tap.silence();
        Ok(())
    }

    /// Waits up to `wait` until every session's connection broke; whether
    /// they all did. The channels close on the next [`MqttBridge::poll`].
    pub(crate) fn await_drops(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        for s in &mut self.sessions {
            while s.pump_for(POLL_WAIT.max(Duration::from_millis(10))) {
                if Instant::now() > deadline {
                    return false;
                }
            }
        }
        true
    }

    /// Publishes from outside the device (`broker: { publish }`); waits
    /// until the broker routed it to every session whose filters match.
    /// `Ok(false)`: the client refused, or a match did not arrive in time.
    pub(crate) fn publish(&mut self, m: &BrokerMessage) -> Result<bool, NetError> {
        if !self.lab()?.observer()?.publish(m) {
            return Ok(false);
        }
        let mut all = true;
        for s in &mut self.sessions {
            if s.broken || !s.filters.iter().any(|f| rumqttc::matches(&m.topic, f)) {
                continue;
            }
            let before = s.inbox.len();
            s.pump_for(Duration::ZERO);
            if s.inbox.len() == before {
                all &= s
                    .await_packet(|seen| matches!(seen, Seen::Message(_)).then_some(()))
                    .is_some();
            }
            s.number(&mut self.next_delivery);
        }
        Ok(all)
    }

    /// Publishes `messages` from outside the device back to back, not
    /// waiting for each (`BrokerAction::Flood`); then waits until the
    /// broker routed all of them (a fence through the observer: the broker
    /// routes one client's publishes in order), and until every session
    /// whose filters match has every one the broker sends it now: all at
    /// QoS 0, at QoS > 0 as many as the broker's in-flight window lets
    /// through (it holds the rest until the device acknowledges). The fence
    /// drops what the observer saw before. `Ok(false)`: the client refused
    /// a publish, or the fence did not come back in time.
    pub(crate) fn flood(&mut self, messages: &[BrokerMessage]) -> Result<bool, NetError> {
        let before: Vec<u64> = self.sessions.iter().map(|s| s.arrived).collect();
        let observer = self.lab()?.observer()?;
        if !messages.iter().all(|m| observer.publish(m)) || !observer.fence(ANSWER_TIMEOUT) {
            return Ok(false);
        }
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        for (s, before) in self.sessions.iter_mut().zip(before) {
            let matching = messages
                .iter()
                .filter(|m| s.filters.iter().any(|f| rumqttc::matches(&m.topic, f)))
                .count() as u64;
            let mut quiet_since = Instant::now();
            while s.arrived < before + matching && !s.broken {
                let had = s.arrived;
                s.pump_for(POLL_WAIT);
                let now = Instant::now();
                if s.arrived > had {
                    quiet_since = now;
                } else if now > deadline || now.duration_since(quiet_since) > FLOOD_QUIET {
                    break;
                }
            }
            s.number(&mut self.next_delivery);
        }
        Ok(true)
    }

    /// What the broker routed to the harness's observer since the last
    /// call (waiting up to `wait` for the first).
    pub(crate) fn received(&mut self, wait: Duration) -> Result<Vec<BrokerMessage>, NetError> {
        Ok(self.lab()?.observer()?.take(wait))
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
            if held.message.qos > 0 {
                if outcome == MqttOutcome::Stored {
                    s.unacked.push(held);
                } else {
                    // Lost for good: the broker need not keep it.
                    s.link.ack(&held.message);
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
            if s.broken || !s.pump_for(POLL_WAIT) {
                broken.push(s.channel);
                continue;
            }
            s.number(&mut self.next_delivery);
            if s.in_flight || s.waiting_for_room {
                continue;
            }
            if let Some(h) = s.inbox.front() {
                s.in_flight = true;
                let m = &h.message;
                events.push(CloudEvent::Mqtt {
                    channel: s.channel,
                    text: format!(
                        "message {} {:?} qos {} {} bytes to the device",
                        h.delivery,
                        String::from_utf8_lossy(&m.topic),
                        m.qos,
                        m.payload.len()
                    ),
                });
                out.push(down(
                    s.channel,
                    MqttDown::Message {
                        delivery: h.delivery,
                        topic: m.topic.clone(),
                        payload: m.payload.clone(),
                        qos: m.qos,
                        retain: m.retain,
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

impl Session {
    /// Reads what the broker sent for up to `wait`; `false` if the
    /// connection broke.
    fn pump_for(&mut self, wait: Duration) -> bool {
        if self.broken {
            return false;
        }
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.link.recv(left) {
                Ok(Some(seen)) => self.note(seen),
                Ok(None) => return true,
                Err(_) => {
                    self.broken = true;
                    return false;
                }
            }
        }
    }

    fn note(&mut self, seen: Seen) {
        if let Seen::Message(message) = seen {
            self.arrived += 1;
            self.inbox.push_back(Held {
                delivery: UNNUMBERED,
                message: *message,
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

    /// Waits until `pick` finds the awaited packet in what comes; `None`
    /// on a broken connection or the timeout.
    fn await_packet<T>(&mut self, mut pick: impl FnMut(&Seen) -> Option<T>) -> Option<T> {
        if self.broken {
            return None;
        }
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            match self.link.recv(left) {
                Ok(Some(seen)) => {
                    let hit = pick(&seen);
                    self.note(seen);
                    if hit.is_some() {
                        return hit;
                    }
                }
                Ok(None) => {}
                Err(_) => {
                    self.broken = true;
                    return None;
                }
            }
        }
    }

    fn subscribe(&mut self, topics: &[mv_proto::MqttSubscription]) -> (State, Vec<u8>) {
        let mut filters = Vec::new();
        for t in topics {
            match text(&t.topic) {
                Some(path) if t.qos <= 2 && rumqttc::valid_filter(&path) => {
                    filters.push((path, t.qos as u8, t.nl != 0, t.rap != 0, t.rh));
                }
                _ => return (State::InvalidParameters, Vec::new()),
            }
        }
        if filters.is_empty() || !self.link.subscribe(&filters) {
            return (State::InvalidParameters, Vec::new());
        }
        let Some(codes) = self.await_packet(|s| match s {
            Seen::SubAck(codes) => Some(codes.clone()),
            _ => None,
        }) else {
            return (State::SocketError, Vec::new());
        };
        for (f, code) in filters.iter().zip(&codes) {
            if *code < 0x80 {
                self.filters.push(f.0.clone());
            }
        }
        (State::RequestCompleted, codes)
    }

    fn unsubscribe(&mut self, topics: &[Vec<u8>]) -> (State, Vec<u8>) {
        let Some(paths) = topics.iter().map(|t| text(t)).collect::<Option<Vec<_>>>() else {
            return (State::InvalidParameters, Vec::new());
        };
        if paths.is_empty() {
            return (State::InvalidParameters, Vec::new());
        }
        let mut codes = Vec::new();
        for path in &paths {
            if !self.link.unsubscribe(path) {
                return (State::InvalidParameters, Vec::new());
            }
            let Some(c) = self.await_packet(|s| match s {
                Seen::UnsubAck(c) => Some(c.clone()),
                _ => None,
            }) else {
                return (State::SocketError, Vec::new());
            };
            codes.extend(c);
            self.filters.retain(|f| f != path);
        }
        (State::RequestCompleted, codes)
    }

    fn publish(
        &mut self,
        topic: &[u8],
        payload: Vec<u8>,
        qos: u32,
        retain: bool,
        next: &mut u32,
    ) -> (State, u32) {
        let Some(topic) = text(topic) else {
            return (State::InvalidParameters, 0);
        };
        if qos > 2 || !rumqttc::valid_topic(&topic) {
            return (State::InvalidParameters, 0);
        }
        let routed_back = self.filters.iter().any(|f| rumqttc::matches(&topic, f));
        let before = self.inbox.len();
        if !self.link.publish(&topic, qos as u8, retain, payload) {
            return (State::InvalidParameters, 0);
        }
        let reason = self.await_packet(|s| match (qos, s) {
            (0, Seen::PublishSent) => Some(0),
            (1, Seen::PubAck(r)) | (2, Seen::PubComp(r)) => Some(*r),
            _ => None,
        });
        let Some(reason) = reason else {
            return (State::SocketError, 0);
        };
        // A message to the app's own subscriptions comes back through the
        // broker: wait for it, so what the device sees next is settled.
        if routed_back && self.inbox.len() == before {
            let _ = self.await_packet(|s| matches!(s, Seen::Message(_)).then_some(()));
        }
        self.number(next);
        (State::RequestCompleted, reason)
    }

    fn disconnect(&mut self) -> State {
        if !self.link.disconnect() {
            return State::SocketError;
        }
        match self.await_packet(|s| matches!(s, Seen::DisconnectSent).then_some(())) {
            Some(()) => State::RequestCompleted,
            None => State::SocketError,
        }
    }

    /// Says goodbye and waits (bounded) until the broker closed the
    /// connection: by then it has routed everything the session published.
    fn close(&mut self) {
        if self.disconnect() == State::RequestCompleted {
            let deadline = Instant::now() + ANSWER_TIMEOUT;
            while self.pump_for(Duration::from_millis(5)) && Instant::now() < deadline {}
        }
    }
}
