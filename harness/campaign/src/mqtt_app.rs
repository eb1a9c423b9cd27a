//! The app's side of one MQTT channel through agent primitives: open, connect, subscribe, publish, read items, acknowledge.
//!
//! Shared by the loss campaign (`hil mqtt-loss`) and the bench's MQTT
//! round trips, so both drive the kernel's 14 calls the same way on every
//! rig. A read takes one agent request: `mvMqttReceiveMessage` and then
//! `mvMqttReceiveLostMessageInfo`, and one read of every output. Items are
//! taken in arrival order whatever their type: the first call takes a
//! message at the head (the second then finds the next item or refuses it),
//! or refuses a lost record with `WRONGDATAREQUESTED`, which the second
//! then takes.

use hil_rig::RigError;
use mv_abi::{
    MvChannelType, MvMqttConnectRequest, MvMqttLostMessageInfo, MvMqttMessage,
    MvMqttProtocolVersion, MvMqttPublishRequest, MvMqttSubscribeRequest, MvMqttSubscribeResponse,
    MvMqttSubscription, MvSizedString, MvSizedStringBuffer, MvStatus, Slot,
};
use mv_proto::{Primitive, Reply};

use crate::app::{protocol, App};

/// The longest topic an item is read with.
pub(crate) const TOPIC_MAX: u32 = 64;
/// Acknowledgements the kernel lets be in flight (`firmware/ABI.md` §15).
const ACKS_IN_FLIGHT: u32 = 4;

// The read block: every output of both reads, read back in one piece.
const CORRELATION: u32 = 0;
const TOPIC_LEN: u32 = 4;
const PAYLOAD_LEN: u32 = 8;
const QOS: u32 = 12;
const RETAIN: u32 = 16;
const LOST_REASON: u32 = 20;
const LOST_TOPIC_LEN: u32 = 24;
const LOST_MESSAGE_LEN: u32 = 28;
const TOPIC: u32 = 32;
const LOST_TOPIC: u32 = TOPIC + TOPIC_MAX;
const PAYLOAD: u32 = LOST_TOPIC + TOPIC_MAX;

/// One readable item the app took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    Message {
        correlation_id: u32,
        topic: Vec<u8>,
        payload: Vec<u8>,
        qos: u32,
        retain: bool,
    },
    Lost {
        reason: u32,
        topic: Vec<u8>,
        message_len: u32,
    },
}

/// A connected MQTT channel of the app's.
pub(crate) struct MqttChannel {
    pub(crate) handle: u32,
    /// Where the channel handle lives (for `mvCloseChannel`).
    handle_at: u32,
    block: u32,
    payload_max: u32,
    message: u32,
    lost: u32,
    acks: u32,
}

fn u32_at(b: &[u8], at: u32) -> u32 {
    let at = at as usize;
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn status(reply: &Reply) -> Option<u32> {
    match reply {
        Reply::Status(s) => Some(*s),
        _ => None,
    }
}

fn refused(what: &str, detail: String) -> RigError {
    RigError::Link(format!("{what}: {detail}"))
}

impl MqttChannel {
    /// Opens an MQTT channel on `net` with its receive buffer at `rx`
    /// (`rx_len` bytes; messages up to that size are read whole), connects
    /// (MQTT 3.1.1, clean start) as `client_id`.
    pub(crate) fn connect(
        app: &mut App,
        net: (u32, u32),
        rx: u32,
        rx_len: u32,
        client_id: &str,
    ) -> Result<MqttChannel, RigError> {
        let open = app.open_params_at(net, MvChannelType::Mqtt as u32, b"", rx, rx_len, 512)?;
        let handle_at = app.alloc(4, 4)?;
        app.calls(&[(Slot::OpenChannel, [open, handle_at, 0, 0])])?;
        let handle = app.read_u32(handle_at)?;
        app.s.serve_network()?;
        let text = app.bytes(format!("lab.test{client_id}").as_bytes())?;
        let request = app.put(&MvMqttConnectRequest {
            protocol_version: MvMqttProtocolVersion::V3_1_1 as u32,
            host: MvSizedString {
                data: text,
                length: 8,
            },
            port: 1883,
            clientid: MvSizedString {
                data: text + 8,
                length: client_id.len() as u32,
            },
            keepalive: 60,
            clean_start: 1,
            ..Default::default()
        })?;
        app.calls(&[(Slot::MqttRequestConnect, [handle, request, 0, 0])])?;
        app.s.serve_network()?;
        let response = app.alloc(8, 4)?;
        app.calls(&[(Slot::MqttReadConnectResponse, [handle, response, 0, 0])])?;
        let connack = app.read(response, 8)?;
        if (u32_at(&connack, 0), u32_at(&connack, 4)) != (0, 0) {
            return Err(refused(
                "the MQTT connect",
                format!(
                    "request state {}, reason code {}",
                    u32_at(&connack, 0),
                    u32_at(&connack, 4)
                ),
            ));
        }
        let payload_max = rx_len;
        let block = app.alloc(PAYLOAD + payload_max, 4)?;
        let message = app.put(&MvMqttMessage {
            correlation_id: block + CORRELATION,
            topic: MvSizedStringBuffer {
                data: block + TOPIC,
                size: TOPIC_MAX,
                length: block + TOPIC_LEN,
            },
            payload: MvSizedStringBuffer {
                data: block + PAYLOAD,
                size: payload_max,
                length: block + PAYLOAD_LEN,
            },
            qos: block + QOS,
            retain: block + RETAIN,
        })?;
        let lost = app.put(&MvMqttLostMessageInfo {
            reason: block + LOST_REASON,
            topic: MvSizedStringBuffer {
                data: block + LOST_TOPIC,
                size: TOPIC_MAX,
                length: block + LOST_TOPIC_LEN,
            },
            message_len: block + LOST_MESSAGE_LEN,
        })?;
        Ok(MqttChannel {
            handle,
            handle_at,
            block,
            payload_max,
            message,
            lost,
            acks: 0,
        })
    }

    /// Subscribes to `filter` at `qos`; the broker must grant that QoS.
    pub(crate) fn subscribe(
        &mut self,
        app: &mut App,
        filter: &str,
        qos: u32,
    ) -> Result<(), RigError> {
        let text = app.bytes(filter.as_bytes())?;
        let sub = app.put(&MvMqttSubscription {
            topic: MvSizedString {
                data: text,
                length: filter.len() as u32,
            },
            desired_qos: qos,
            ..Default::default()
        })?;
        let request = app.put(&MvMqttSubscribeRequest {
            correlation_id: 1,
            subscriptions: sub,
            num_subscriptions: 1,
        })?;
        app.calls(&[(Slot::MqttRequestSubscribe, [self.handle, request, 0, 0])])?;
        app.s.serve_network()?;
        let out = app.alloc(32, 4)?;
        let response = app.put(&MvMqttSubscribeResponse {
            request_state: out,
            correlation_id: out + 4,
            reason_codes: out + 8,
            reason_codes_size: 16,
            reason_codes_len: out + 24,
        })?;
        app.calls(&[(
            Slot::MqttReadSubscribeResponse,
            [self.handle, response, 0, 0],
        )])?;
        let b = app.read(out, 28)?;
        let (state, code, n) = (u32_at(&b, 0), u32_at(&b, 8), u32_at(&b, 24));
        if (state, n, code) != (0, 1, qos) {
            return Err(refused(
                "the MQTT subscribe",
                format!("request state {state}, {n} reason code(s), the first {code}"),
            ));
        }
        Ok(())
    }

    /// A publish request for `topic` and `payload` at `qos`, written once
    /// into app memory; [`MqttChannel::publish`] sends it.
    pub(crate) fn publish_request(
        app: &mut App,
        topic: &str,
        payload: &[u8],
        qos: u32,
    ) -> Result<(u32, u32), RigError> {
        let mut text = topic.as_bytes().to_vec();
        text.extend_from_slice(payload);
        let data = app.bytes(&text)?;
        let request = app.put(&MvMqttPublishRequest {
            correlation_id: 7,
            topic: MvSizedString {
                data,
                length: topic.len() as u32,
            },
            payload: MvSizedString {
                data: data + topic.len() as u32,
                length: payload.len() as u32,
            },
            desired_qos: qos,
            retain: 0,
        })?;
        let response = app.alloc(12, 4)?;
        Ok((request, response))
    }

    /// Sends a publish request made by [`MqttChannel::publish_request`]
    /// to a topic the channel subscribes to, and takes the message when
    /// the broker routed it back: one request for the publish, the cloud's
    /// serving (it answers once the message is back), one request for the
    /// publish response and the message.
    pub(crate) fn publish_and_receive(
        &mut self,
        app: &mut App,
        (request, response): (u32, u32),
    ) -> Result<Item, RigError> {
        app.calls(&[(Slot::MqttRequestPublish, [self.handle, request, 0, 0])])?;
        app.s.serve_network()?;
        let replies = app.exec(vec![
            Primitive::Call {
                slot: Slot::MqttReadPublishResponse.number(),
                args: [self.handle, response, 0, 0],
            },
            Primitive::Call {
                slot: Slot::MqttReceiveMessage.number(),
                args: [self.handle, self.message, 0, 0],
            },
            Primitive::Read {
                addr: response,
                len: 4,
            },
            Primitive::Read {
                addr: self.block,
                len: PAYLOAD + self.payload_max,
            },
        ])?;
        let [Reply::Status(0), Reply::Status(0), Reply::Bytes(state), Reply::Bytes(b)] =
            replies.as_slice()
        else {
            return Err(protocol("a publish and its message back", &replies[0]));
        };
        if u32_at(state, 0) != 0 || b.len() != (PAYLOAD + self.payload_max) as usize {
            return Err(refused(
                "an MQTT publish",
                format!("request state {}", u32_at(state, 0)),
            ));
        }
        let piece = |at: u32, len: u32| b[at as usize..(at + len) as usize].to_vec();
        Ok(Item::Message {
            correlation_id: u32_at(b, CORRELATION),
            topic: piece(TOPIC, u32_at(b, TOPIC_LEN).min(TOPIC_MAX)),
            payload: piece(PAYLOAD, u32_at(b, PAYLOAD_LEN).min(self.payload_max)),
            qos: u32_at(b, QOS),
            retain: b[RETAIN as usize] != 0,
        })
    }

    /// Takes the next item or two in arrival order (none: nothing readable).
    pub(crate) fn take(&mut self, app: &mut App) -> Result<Vec<Item>, RigError> {
        let replies = app.exec(vec![
            Primitive::Call {
                slot: Slot::MqttReceiveMessage.number(),
                args: [self.handle, self.message, 0, 0],
            },
            Primitive::Call {
                slot: Slot::MqttReceiveLostMessageInfo.number(),
                args: [self.handle, self.lost, 0, 0],
            },
            Primitive::Read {
                addr: self.block,
                len: PAYLOAD + self.payload_max,
            },
        ])?;
        let [m, l, Reply::Bytes(b)] = replies.as_slice() else {
            return Err(protocol("reading an MQTT item", &replies[0]));
        };
        if b.len() != (PAYLOAD + self.payload_max) as usize {
            return Err(protocol("reading an MQTT item", &replies[2]));
        }
        let ok = MvStatus::Okay as u32;
        let quiet = [
            MvStatus::ResponseNotPresent as u32,
            MvStatus::WrongDataRequested as u32,
        ];
        let mut items = Vec::new();
        for (reply, what) in [
            (m, "mvMqttReceiveMessage"),
            (l, "mvMqttReceiveLostMessageInfo"),
        ] {
            match status(reply) {
                Some(s) if s == ok => {}
                Some(s) if quiet.contains(&s) => continue,
                _ => return Err(protocol(what, reply)),
            }
            let piece = |at: u32, len: u32| {
                let at = at as usize;
                b[at..at + len as usize].to_vec()
            };
            items.push(if what == "mvMqttReceiveMessage" {
                Item::Message {
                    correlation_id: u32_at(b, CORRELATION),
                    topic: piece(TOPIC, u32_at(b, TOPIC_LEN).min(TOPIC_MAX)),
                    payload: piece(PAYLOAD, u32_at(b, PAYLOAD_LEN).min(self.payload_max)),
                    qos: u32_at(b, QOS),
                    retain: b[RETAIN as usize] != 0,
                }
            } else {
                Item::Lost {
                    reason: u32_at(b, LOST_REASON),
                    topic: piece(LOST_TOPIC, u32_at(b, LOST_TOPIC_LEN).min(TOPIC_MAX)),
                    message_len: u32_at(b, LOST_MESSAGE_LEN),
                }
            });
        }
        Ok(items)
    }

    /// Acknowledges a message; first lets the cloud pass earlier
    /// acknowledgements on when as many as the kernel allows are in flight.
    pub(crate) fn ack(&mut self, app: &mut App, correlation_id: u32) -> Result<(), RigError> {
        if self.acks >= ACKS_IN_FLIGHT {
            app.s.serve_network()?;
            self.acks = 0;
        }
        app.calls(&[(
            Slot::MqttAcknowledgeMessage,
            [self.handle, correlation_id, 0, 0],
        )])?;
        self.acks += 1;
        Ok(())
    }

    /// The cloud served the channel (acknowledgements passed on).
    pub(crate) fn served(&mut self) {
        self.acks = 0;
    }

    /// Closes the channel.
    pub(crate) fn close(self, app: &mut App) -> Result<(), RigError> {
        app.calls(&[(Slot::CloseChannel, [self.handle_at, 0, 0, 0])])?;
        app.s.serve_network()?;
        Ok(())
    }
}
