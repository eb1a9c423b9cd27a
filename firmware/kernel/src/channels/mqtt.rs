//! An MQTT channel's state as the kernel keeps it: what is in flight, and the queue of readable items.
//!
//! The app's requests (connect, subscribe, unsubscribe, publish, acknowledge,
//! disconnect) go to the cloud one by one through the send buffer
//! (`wire::mqtt_*`); the cloud's answers and the broker's messages come back
//! as *readable items*, which the app takes in arrival order: it asks
//! `mvMqttGetNextReadableDataType` what the next one is and reads it with the
//! matching call. A message's topic and payload lie in the app's receive
//! buffer, used as a byte ring ([`super::ring::ByteRing`]): items are taken
//! in the order they were stored, so the ring frees exactly what it holds.
//! Everything else (types, lengths, offsets, states) is here, in secure
//! memory, so an app that scribbles on its buffer garbles only its own text.
//!
//! Bounds (**Choices**, `firmware/ABI.md` §15): at most [`MAX_MESSAGES`]
//! messages and lost-message records held; at most [`MAX_PUBLISHES`]
//! publishes and [`MAX_ACKS`] acknowledgements in flight, one
//! subscribe-or-unsubscribe and one disconnect. Responses always find a
//! slot: the queue has room for every request that may be in flight.

use mv_abi::MvMqttReadableDataType;

/// "Too many (>8) topics to subscribe to were included in the request" [H].
pub const MAX_TOPICS: usize = 8;
/// "Too many (>8) certificates were included in either the CA or device
/// certificate chains" [H].
pub const MAX_CERTS: u32 = 8;
/// Publishes in flight (sent, no response read into the queue yet).
pub const MAX_PUBLISHES: u8 = 4;
/// Acknowledgements in flight (sent, the cloud has not confirmed them).
pub const MAX_ACKS: u8 = 4;
/// Messages and lost-message records held at once.
pub const MAX_MESSAGES: usize = 16;
/// Queue slots: every message, plus one per request that may be in flight
/// (connect, subscribe or unsubscribe, the publishes, disconnect).
pub const QUEUE: usize = MAX_MESSAGES + 3 + MAX_PUBLISHES as usize;

/// One thing the app can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readable {
    Connect {
        state: u32,
        reason: u32,
    },
    /// A subscribe (`unsubscribe: false`) or unsubscribe response; one reason
    /// code per topic.
    Subscription {
        unsubscribe: bool,
        state: u32,
        correlation_id: u32,
        codes: [u8; MAX_TOPICS],
        num_codes: u8,
    },
    Publish {
        state: u32,
        correlation_id: u32,
        reason: u32,
    },
    /// A message: topic then payload, from ring offset `at`.
    Message {
        correlation_id: u32,
        qos: u8,
        retain: bool,
        at: u32,
        topic_len: u32,
        payload_len: u32,
    },
    /// A message that could not be kept (`DEVICERECEIVEBUFFERTOOSMALL`): its
    /// topic (if there was room for it) from ring offset `at`, and its length.
    Lost {
        at: u32,
        topic_len: u32,
        message_len: u32,
    },
    Disconnect {
        state: u32,
        code: u32,
    },
}

impl Readable {
    pub fn data_type(&self) -> MvMqttReadableDataType {
        match self {
            Readable::Connect { .. } => MvMqttReadableDataType::ConnectResponse,
            Readable::Subscription {
                unsubscribe: false, ..
            } => MvMqttReadableDataType::SubscribeResponse,
            Readable::Subscription { .. } => MvMqttReadableDataType::UnsubscribeResponse,
            Readable::Publish { .. } => MvMqttReadableDataType::PublishResponse,
            Readable::Message { .. } => MvMqttReadableDataType::MessageReceived,
            Readable::Lost { .. } => MvMqttReadableDataType::MessageLost,
            Readable::Disconnect { .. } => MvMqttReadableDataType::DisconnectResponse,
        }
    }

    /// Receive-buffer bytes the item holds.
    pub fn held(&self) -> u32 {
        match *self {
            Readable::Message {
                topic_len,
                payload_len,
                ..
            } => topic_len + payload_len,
            Readable::Lost { topic_len, .. } => topic_len,
            _ => 0,
        }
    }

    fn is_message(&self) -> bool {
        matches!(self, Readable::Message { .. } | Readable::Lost { .. })
    }
}

/// How far the channel's one connect got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connect {
    /// No connect was requested.
    None,
    /// Requested; no response yet.
    Requested,
    /// The response arrived (whatever it said).
    Answered,
}

/// An MQTT channel's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MqttState {
    pub connect: Connect,
    /// A subscribe or unsubscribe waits for its response.
    pub subscription_in_flight: bool,
    pub publishes_in_flight: u8,
    pub acks_in_flight: u8,
    pub disconnect_in_flight: bool,
    /// A request's nested pointer was refused (`LATEFAULT`): "Channel
    /// cannot be used further" [H]; requests are `CHANNELCLOSED`.
    pub unusable: bool,
    /// A delivery was refused for want of room: the cloud must hear when
    /// the app frees some.
    pub refused: bool,
    /// The cloud is owed news of freed room.
    pub room_owed: bool,
    queue: [Option<Readable>; QUEUE],
    head: usize,
    len: usize,
    messages: usize,
}

impl MqttState {
    pub const fn new() -> Self {
        MqttState {
            connect: Connect::None,
            subscription_in_flight: false,
            publishes_in_flight: 0,
            acks_in_flight: 0,
            disconnect_in_flight: false,
            unusable: false,
            refused: false,
            room_owed: false,
            queue: [None; QUEUE],
            head: 0,
            len: 0,
            messages: 0,
        }
    }

    /// The next item to read.
    pub fn next(&self) -> Option<Readable> {
        if self.len == 0 {
            None
        } else {
            self.queue[self.head]
        }
    }

    /// Takes the next item (the caller read it); returns it.
    pub fn pop(&mut self) -> Option<Readable> {
        let item = self.next()?;
        self.queue[self.head] = None;
        self.head = (self.head + 1) % QUEUE;
        self.len -= 1;
        if item.is_message() {
            self.messages -= 1;
        }
        if self.refused {
            self.refused = false;
            self.room_owed = true;
        }
        Some(item)
    }

    /// Is there a slot for one more message or lost-message record?
    pub fn message_slot_free(&self) -> bool {
        self.messages < MAX_MESSAGES && self.len < QUEUE
    }

    /// Queues an item; `false` (and nothing queued) when it has no slot.
    pub fn push(&mut self, item: Readable) -> bool {
        if self.len == QUEUE || (item.is_message() && !self.message_slot_free()) {
            return false;
        }
        self.queue[(self.head + self.len) % QUEUE] = Some(item);
        self.len += 1;
        if item.is_message() {
            self.messages += 1;
        }
        true
    }
}

impl Default for MqttState {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(at: u32) -> Readable {
        Readable::Message {
            correlation_id: at,
            qos: 0,
            retain: false,
            at,
            topic_len: 1,
            payload_len: 1,
        }
    }

    #[test]
    fn items_come_out_in_order_and_responses_always_find_a_slot() {
        let mut s = MqttState::new();
        for i in 0..MAX_MESSAGES as u32 {
            assert!(s.push(message(i)));
        }
        assert!(!s.push(message(99)), "a seventeenth message has no slot");
        for _ in 0..3 + MAX_PUBLISHES {
            assert!(s.push(Readable::Disconnect { state: 0, code: 0 }));
        }
        assert_eq!(s.next(), Some(message(0)));
        assert_eq!(s.pop(), Some(message(0)));
        assert!(s.push(message(16)), "reading one frees a slot");
        let mut n = 1;
        while s.pop().is_some() {
            n += 1;
        }
        assert_eq!(n, QUEUE + 1);
        assert_eq!(s.next(), None);
    }

    #[test]
    fn a_refusal_owes_the_cloud_news_of_room_once_the_app_reads() {
        let mut s = MqttState::new();
        s.push(message(0));
        s.refused = true;
        assert!(!s.room_owed);
        s.pop();
        assert!(s.room_owed && !s.refused);
    }
}
