//! One client connection to the broker, in MQTT 3.1.1 or 5 (rumqttc's two clients behind one face).
//!
//! The bridge (`mqtt.rs`) speaks to a [`Link`] in neutral terms: commands
//! (subscribe, publish, acknowledge ...) and what the broker answered
//! ([`Seen`]), with reason codes as the numbers MQTT puts on the wire.

use std::time::Duration;

use rumqttc::v5::mqttbytes::v5 as p5;
use rumqttc::v5::mqttbytes::QoS as QoS5;
use rumqttc::{QoS, SubscribeReasonCode};

/// What to connect with.
pub(crate) struct Options {
    pub(crate) v5: bool,
    pub(crate) client_id: String,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) keepalive_s: u64,
    pub(crate) clean_start: bool,
    pub(crate) credentials: Option<(String, String)>,
    /// `(topic, payload, qos, retain)`.
    pub(crate) will: Option<(String, Vec<u8>, u8, bool)>,
}

/// A message from the broker and what acknowledges it.
pub(crate) struct Message {
    pub(crate) topic: Vec<u8>,
    pub(crate) payload: Vec<u8>,
    pub(crate) qos: u8,
    pub(crate) retain: bool,
    token: Token,
}

enum Token {
    V4(rumqttc::Publish),
    V5(p5::Publish),
}

/// Something the connection saw.
pub(crate) enum Seen {
    /// CONNACK (its reason code; 0 accepted).
    ConnAck(u32),
    SubAck(Vec<u8>),
    UnsubAck(Vec<u8>),
    PubAck(u32),
    PubComp(u32),
    /// A QoS 0 publish went out.
    PublishSent,
    DisconnectSent,
    Message(Box<Message>),
    Other,
}

/// The connection broke (or the broker refused it: the CONNACK code).
pub(crate) struct Broken(pub(crate) Option<u32>);

/// A connection in either protocol version.
pub(crate) enum Link {
    V4(rumqttc::Client, Box<rumqttc::Connection>),
    V5(rumqttc::v5::Client, Box<rumqttc::v5::Connection>),
}

fn qos4(q: u8) -> QoS {
    match q {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn qos5(q: u8) -> QoS5 {
    match q {
        0 => QoS5::AtMostOnce,
        1 => QoS5::AtLeastOnce,
        _ => QoS5::ExactlyOnce,
    }
}

impl Link {
    pub(crate) fn open(o: Options) -> Link {
        let keepalive = Duration::from_secs(o.keepalive_s);
        // MQTT packets are small and each waits for its answer: Nagle's
        // algorithm would hold them back (rumqttc leaves it on by default).
        let mut network = rumqttc::NetworkOptions::new();
        network.set_tcp_nodelay(true);
        if o.v5 {
            let mut m = rumqttc::v5::MqttOptions::new(o.client_id, o.host, o.port);
            m.set_keep_alive(v5_keepalive(keepalive))
                .set_clean_start(o.clean_start)
                .set_manual_acks(true)
                .set_network_options(network);
            if let Some((u, p)) = o.credentials {
                m.set_credentials(u, p);
            }
            if let Some((t, payload, q, r)) = o.will {
                m.set_last_will(p5::LastWill::new(t, payload, qos5(q), r, None));
            }
            let (c, conn) = rumqttc::v5::Client::new(m, 16);
            Link::V5(c, Box::new(conn))
        } else {
            let mut m = rumqttc::MqttOptions::new(o.client_id, o.host, o.port);
            m.set_keep_alive(keepalive)
                .set_clean_session(o.clean_start)
                .set_manual_acks(true)
                .set_max_packet_size(256 * 1024, 256 * 1024);
            if let Some((u, p)) = o.credentials {
                m.set_credentials(u, p);
            }
            if let Some((t, payload, q, r)) = o.will {
                m.set_last_will(rumqttc::LastWill::new(t, payload, qos4(q), r));
            }
            let (c, mut conn) = rumqttc::Client::new(m, 16);
            conn.eventloop.set_network_options(network);
            Link::V4(c, Box::new(conn))
        }
    }

    /// The next thing seen within `wait` (`Ok(None)`: nothing came).
    pub(crate) fn recv(&mut self, wait: Duration) -> Result<Option<Seen>, Broken> {
        match self {
            Link::V4(_, conn) => {
                let event = if wait.is_zero() {
                    match conn.try_recv() {
                        Ok(e) => e,
                        Err(_) => return Ok(None),
                    }
                } else {
                    match conn.recv_timeout(wait) {
                        Ok(e) => e,
                        Err(_) => return Ok(None),
                    }
                };
                match event {
                    Ok(e) => Ok(Some(seen4(e))),
                    Err(rumqttc::ConnectionError::ConnectionRefused(code)) => {
                        Err(Broken(Some(refusal4(code))))
                    }
                    Err(_) => Err(Broken(None)),
                }
            }
            Link::V5(_, conn) => {
                let event = if wait.is_zero() {
                    match conn.try_recv() {
                        Ok(e) => e,
                        Err(_) => return Ok(None),
                    }
                } else {
                    match conn.recv_timeout(wait) {
                        Ok(e) => e,
                        Err(_) => return Ok(None),
                    }
                };
                match event {
                    Ok(e) => Ok(Some(seen5(e))),
                    Err(rumqttc::v5::ConnectionError::ConnectionRefused(code)) => {
                        Err(Broken(Some(connack5(code))))
                    }
                    Err(_) => Err(Broken(None)),
                }
            }
        }
    }

    /// `(filter, qos, nl, rap, rh)` each; `false` if the client refused.
    pub(crate) fn subscribe(&self, filters: &[(String, u8, bool, bool, u32)]) -> bool {
        match self {
            Link::V4(c, _) => c
                .subscribe_many(
                    filters
                        .iter()
                        .map(|f| rumqttc::SubscribeFilter::new(f.0.clone(), qos4(f.1))),
                )
                .is_ok(),
            Link::V5(c, _) => c
                .subscribe_many(filters.iter().map(|f| {
                    let mut filter = p5::Filter::new(f.0.clone(), qos5(f.1));
                    filter.nolocal = f.2;
                    filter.preserve_retain = f.3;
                    filter.retain_forward_rule = match f.4 {
                        0 => p5::RetainForwardRule::OnEverySubscribe,
                        1 => p5::RetainForwardRule::OnNewSubscribe,
                        _ => p5::RetainForwardRule::Never,
                    };
                    filter
                }))
                .is_ok(),
        }
    }

    pub(crate) fn unsubscribe(&self, topic: &str) -> bool {
        match self {
            Link::V4(c, _) => c.unsubscribe(topic).is_ok(),
            Link::V5(c, _) => c.unsubscribe(topic).is_ok(),
        }
    }

    pub(crate) fn publish(&self, topic: &str, qos: u8, retain: bool, payload: Vec<u8>) -> bool {
        match self {
            Link::V4(c, _) => c.publish(topic, qos4(qos), retain, payload).is_ok(),
            Link::V5(c, _) => c.publish(topic, qos5(qos), retain, payload).is_ok(),
        }
    }

    pub(crate) fn ack(&self, m: &Message) {
        let _ = match (self, &m.token) {
            (Link::V4(c, _), Token::V4(p)) => c.ack(p).map_err(drop),
            (Link::V5(c, _), Token::V5(p)) => c.ack(p).map_err(drop),
            _ => Ok(()),
        };
    }

    pub(crate) fn disconnect(&self) -> bool {
        match self {
            Link::V4(c, _) => c.disconnect().is_ok(),
            Link::V5(c, _) => c.disconnect().is_ok(),
        }
    }
}

/// rumqttc's MQTT 5 client takes no keepalive under 5 s, and none of 0
/// (which MQTT reads as "no keepalive"): **Choice** (`firmware/ABI.md`
/// §15): below 5 s the cloud keeps alive every 5 s, and 0 becomes the
/// longest keepalive MQTT can say, 65535 s.
fn v5_keepalive(asked: Duration) -> Duration {
    const FLOOR: Duration = Duration::from_secs(5);
    if asked.is_zero() {
        Duration::from_secs(u64::from(u16::MAX))
    } else {
        asked.max(FLOOR)
    }
}

fn seen4(e: rumqttc::Event) -> Seen {
    use rumqttc::{Event, Incoming, Outgoing};
    match e {
        Event::Incoming(Incoming::ConnAck(a)) => Seen::ConnAck(refusal4(a.code)),
        Event::Incoming(Incoming::SubAck(a)) => Seen::SubAck(
            a.return_codes
                .iter()
                .map(|c| match c {
                    SubscribeReasonCode::Success(q) => *q as u8,
                    SubscribeReasonCode::Failure => 0x80,
                })
                .collect(),
        ),
        // 3.1.1 UNSUBACKs carry no reason codes.
        Event::Incoming(Incoming::UnsubAck(_)) => Seen::UnsubAck(Vec::new()),
        Event::Incoming(Incoming::PubAck(_)) => Seen::PubAck(0),
        Event::Incoming(Incoming::PubComp(_)) => Seen::PubComp(0),
        Event::Incoming(Incoming::Publish(p)) => Seen::Message(Box::new(Message {
            topic: p.topic.clone().into_bytes(),
            payload: p.payload.to_vec(),
            qos: p.qos as u8,
            retain: p.retain,
            token: Token::V4(p),
        })),
        Event::Outgoing(Outgoing::Publish(_)) => Seen::PublishSent,
        Event::Outgoing(Outgoing::Disconnect) => Seen::DisconnectSent,
        _ => Seen::Other,
    }
}

fn seen5(e: rumqttc::v5::Event) -> Seen {
    use rumqttc::v5::Event;
    use rumqttc::Outgoing;
    match e {
        Event::Incoming(p5::Packet::ConnAck(a)) => Seen::ConnAck(connack5(a.code)),
        Event::Incoming(p5::Packet::SubAck(a)) => Seen::SubAck(
            a.return_codes
                .iter()
                .map(|c| match c {
                    p5::SubscribeReasonCode::Success(q) => *q as u8,
                    p5::SubscribeReasonCode::Failure | p5::SubscribeReasonCode::Unspecified => 0x80,
                    p5::SubscribeReasonCode::ImplementationSpecific => 0x83,
                    p5::SubscribeReasonCode::NotAuthorized => 0x87,
                    p5::SubscribeReasonCode::TopicFilterInvalid => 0x8F,
                    p5::SubscribeReasonCode::PkidInUse => 0x91,
                    p5::SubscribeReasonCode::QuotaExceeded => 0x97,
                    p5::SubscribeReasonCode::SharedSubscriptionsNotSupported => 0x9E,
                    p5::SubscribeReasonCode::SubscriptionIdNotSupported => 0xA1,
                    p5::SubscribeReasonCode::WildcardSubscriptionsNotSupported => 0xA2,
                })
                .collect(),
        ),
        Event::Incoming(p5::Packet::UnsubAck(a)) => {
            Seen::UnsubAck(a.reasons.iter().map(|r| unsuback5(*r)).collect())
        }
        Event::Incoming(p5::Packet::PubAck(a)) => Seen::PubAck(puback5(a.reason)),
        Event::Incoming(p5::Packet::PubComp(a)) => Seen::PubComp(pubcomp5(a.reason)),
        Event::Incoming(p5::Packet::Publish(p)) => Seen::Message(Box::new(Message {
            topic: p.topic.to_vec(),
            payload: p.payload.to_vec(),
            qos: p.qos as u8,
            retain: p.retain,
            token: Token::V5(p),
        })),
        Event::Outgoing(Outgoing::Publish(_)) => Seen::PublishSent,
        Event::Outgoing(Outgoing::Disconnect) => Seen::DisconnectSent,
        _ => Seen::Other,
    }
}

/// A 3.1.1 CONNACK return code.
fn refusal4(code: rumqttc::ConnectReturnCode) -> u32 {
    use rumqttc::ConnectReturnCode as C;
    match code {
        C::Success => 0,
        C::RefusedProtocolVersion => 1,
        C::BadClientId => 2,
        C::ServiceUnavailable => 3,
        C::BadUserNamePassword => 4,
        C::NotAuthorized => 5,
    }
}

/// A v5 PUBACK reason code (MQTT 5.0 §3.4.2.1).
fn puback5(reason: p5::PubAckReason) -> u32 {
    use p5::PubAckReason as R;
    match reason {
        R::Success => 0,
        R::NoMatchingSubscribers => 0x10,
        R::UnspecifiedError => 0x80,
        R::ImplementationSpecificError => 0x83,
        R::NotAuthorized => 0x87,
        R::TopicNameInvalid => 0x90,
        R::PacketIdentifierInUse => 0x91,
        R::QuotaExceeded => 0x97,
        R::PayloadFormatInvalid => 0x99,
    }
}

/// A v5 UNSUBACK reason code (MQTT 5.0 §3.11.2.2; rumqttc's enum
/// positions are not the wire values).
fn unsuback5(reason: p5::UnsubAckReason) -> u8 {
    use p5::UnsubAckReason as R;
    match reason {
        R::Success => 0,
        R::NoSubscriptionExisted => 0x11,
        R::UnspecifiedError => 0x80,
        R::ImplementationSpecificError => 0x83,
        R::NotAuthorized => 0x87,
        R::TopicFilterInvalid => 0x8F,
        R::PacketIdentifierInUse => 0x91,
    }
}

/// A v5 PUBCOMP reason code (MQTT 5.0 §3.7.2.1).
fn pubcomp5(reason: p5::PubCompReason) -> u32 {
    match reason {
        p5::PubCompReason::Success => 0,
        p5::PubCompReason::PacketIdentifierNotFound => 0x92,
    }
}

/// A v5 CONNACK reason code (MQTT 5.0 §3.2.2.2).
fn connack5(code: p5::ConnectReturnCode) -> u32 {
    use p5::ConnectReturnCode as C;
    match code {
        C::Success => 0,
        C::RefusedProtocolVersion => 1,
        C::BadClientId => 2,
        C::ServiceUnavailable => 3,
        C::UnspecifiedError => 0x80,
        C::MalformedPacket => 0x81,
        C::ProtocolError => 0x82,
        C::ImplementationSpecificError => 0x83,
        C::UnsupportedProtocolVersion => 0x84,
        C::ClientIdentifierNotValid => 0x85,
        C::BadUserNamePassword => 0x86,
        C::NotAuthorized => 0x87,
        C::ServerUnavailable => 0x88,
        C::ServerBusy => 0x89,
        C::Banned => 0x8A,
        C::BadAuthenticationMethod => 0x8C,
        C::TopicNameInvalid => 0x90,
        C::PacketTooLarge => 0x95,
        C::QuotaExceeded => 0x97,
        C::PayloadFormatInvalid => 0x99,
        C::RetainNotSupported => 0x9A,
        C::QoSNotSupported => 0x9B,
        C::UseAnotherServer => 0x9C,
        C::ServerMoved => 0x9D,
        C::ConnectionRateExceeded => 0x9F,
    }
}
