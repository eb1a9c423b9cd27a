//! What the cloud delivers to an MQTT channel: responses to the app's requests, and the broker's messages.
//!
//! The device core hands each `CloudToDevice` MQTT message to one of these
//! methods. A response is queued only if its request is in flight (a
//! confused cloud changes nothing); a message is stored in the receive
//! buffer, recorded as lost, or refused (the cloud delivers it again once
//! the app has read something: `NetEvent::MqttRoom`). Every write lies in
//! the channel's receive buffer, and every queued item posts
//! `CHANNELDATAREADABLE` to the channel's centre.

use mv_abi::MvEventType;

use crate::board::Board;
use crate::channels::mqtt::{Connect, MqttState, Readable, MAX_TOPICS};
use crate::channels::{Channel, Kind};
use crate::Kernel;

/// What became of a message the cloud delivered (**Choice**, `firmware/ABI.md` §15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MqttDelivery {
    /// In the receive buffer, readable.
    Stored,
    /// Recorded as lost (`DEVICERECEIVEBUFFERTOOSMALL`): it can never fit
    /// the receive buffer, or it is QoS 0 and does not fit the room left.
    Lost,
    /// Not taken (no slot, or QoS > 0 without room now): deliver it again
    /// after the device reports room.
    Refused,
    /// No connected MQTT channel has this handle: drop it.
    NoChannel,
}

impl<B: Board> Kernel<B> {
    /// The connected MQTT channel `channel`, for a delivery.
    fn mqtt_for_cloud(&mut self, channel: u32) -> Option<(Channel, &mut MqttState)> {
        let c = self.channels.get_mut(channel).filter(|c| c.is_open())?;
        let copy = *c;
        match &mut c.kind {
            Kind::Mqtt(m) => Some((copy, m)),
            _ => None,
        }
    }

    /// Queues a response if `accept` says its request is in flight.
    fn mqtt_respond(
        &mut self,
        channel: u32,
        accept: impl FnOnce(&mut MqttState) -> bool,
        item: Readable,
    ) {
        let Some((c, m)) = self.mqtt_for_cloud(channel) else {
            return;
        };
        if accept(m) && m.push(item) {
            self.post_channel_event(c.centre, MvEventType::ChannelDataReadable, c.tag);
        }
    }

    /// The answer to the channel's connect (`state`: `MvMqttRequestState`;
    /// `reason`: the broker's CONNACK code).
    pub fn cloud_mqtt_connect_response(&mut self, channel: u32, state: u32, reason: u32) {
        let accept = |m: &mut MqttState| {
            let ok = m.connect == Connect::Requested;
            if ok {
                m.connect = Connect::Answered;
            }
            ok
        };
        self.mqtt_respond(channel, accept, Readable::Connect { state, reason });
    }

    /// The answer to a subscribe or unsubscribe: one reason code per topic.
    pub fn cloud_mqtt_subscription_response(
        &mut self,
        channel: u32,
        unsubscribe: bool,
        state: u32,
        correlation_id: u32,
        reason_codes: &[u8],
    ) {
        let mut codes = [0u8; MAX_TOPICS];
        let n = reason_codes.len().min(MAX_TOPICS);
        codes[..n].copy_from_slice(&reason_codes[..n]);
        let accept = |m: &mut MqttState| core::mem::take(&mut m.subscription_in_flight);
        let item = Readable::Subscription {
            unsubscribe,
            state,
            correlation_id,
            codes,
            num_codes: n as u8,
        };
        self.mqtt_respond(channel, accept, item);
    }

    /// The answer to a publish.
    pub fn cloud_mqtt_publish_response(
        &mut self,
        channel: u32,
        state: u32,
        correlation_id: u32,
        reason: u32,
    ) {
        let accept = |m: &mut MqttState| {
            let ok = m.publishes_in_flight > 0;
            m.publishes_in_flight = m.publishes_in_flight.saturating_sub(1);
            ok
        };
        let item = Readable::Publish {
            state,
            correlation_id,
            reason,
        };
        self.mqtt_respond(channel, accept, item);
    }

    /// The answer to the disconnect.
    pub fn cloud_mqtt_disconnect_response(&mut self, channel: u32, state: u32, code: u32) {
        let accept = |m: &mut MqttState| core::mem::take(&mut m.disconnect_in_flight);
        self.mqtt_respond(channel, accept, Readable::Disconnect { state, code });
    }

    /// The cloud passed an acknowledgement on: one fewer in flight.
    pub fn cloud_mqtt_acked(&mut self, channel: u32) {
        if let Some((_, m)) = self.mqtt_for_cloud(channel) {
            m.acks_in_flight = m.acks_in_flight.saturating_sub(1);
        }
    }

    /// A message the broker sent to the channel's subscriptions.
    pub fn cloud_mqtt_message(
        &mut self,
        channel: u32,
        correlation_id: u32,
        qos: u8,
        retain: bool,
        topic: &[u8],
        payload: &[u8],
    ) -> MqttDelivery {
        let Some((c, m)) = self.mqtt_for_cloud(channel) else {
            return MqttDelivery::NoChannel;
        };
        let total = topic.len() as u64 + payload.len() as u64;
        let free = u64::from(c.rx_ring.free());
        let never_fits = total > u64::from(c.rx.len());
        if !m.message_slot_free() || (!never_fits && total > free && qos > 0) {
            m.refused = true;
            return MqttDelivery::Refused;
        }
        let at = c.rx_ring.write_offset();
        let (item, bytes): (Readable, [&[u8]; 2]) = if total <= free {
            let item = Readable::Message {
                correlation_id,
                qos,
                retain,
                at,
                topic_len: topic.len() as u32,
                payload_len: payload.len() as u32,
            };
            (item, [topic, payload])
        } else {
            let topic: &[u8] = if topic.len() as u64 <= free {
                topic
            } else {
                &[]
            };
            let item = Readable::Lost {
                at,
                topic_len: topic.len() as u32,
                message_len: payload.len() as u32,
            };
            (item, [topic, &[]])
        };
        m.push(item);
        let mut ring = c.rx_ring;
        for part in bytes {
            let mut done = 0usize;
            for (offset, len) in ring.write_spans(part.len() as u32) {
                let _ = self
                    .board
                    .write_ns(c.rx.addr() + offset, &part[done..done + len as usize]);
                done += len as usize;
            }
            ring.commit_write(part.len() as u32);
        }
        if let Some(ch) = self.channels.get_mut(channel) {
            ch.rx_ring = ring;
        }
        self.post_channel_event(c.centre, MvEventType::ChannelDataReadable, c.tag);
        if matches!(item, Readable::Message { .. }) {
            MqttDelivery::Stored
        } else {
            MqttDelivery::Lost
        }
    }
}
