//! MQTT on the cloud link: the app's requests as the device forwards them, and what the cloud sends back.
//!
//! The kernel checks and copies every request (`mv_kernel::channels::wire`);
//! the device core turns it into a [`MqttRequest`] for the cloud, which
//! bridges it to a real broker. The cloud's answers and the broker's
//! messages come back as [`MqttDown`]; the device says what became of each
//! message ([`MqttOutcome`]), and when a refused one may come again.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// An MQTT Will, as the app gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MqttWill {
    pub topic: Vec<u8>,
    pub payload: Vec<u8>,
    pub qos: u32,
    pub retain: bool,
}

/// `mvMqttRequestConnect`, as the app gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MqttConnect {
    /// `MvMqttProtocolVersion` (unchecked: the cloud judges it).
    pub version: u32,
    pub host: Vec<u8>,
    pub port: u32,
    pub client_id: Vec<u8>,
    pub keepalive: u32,
    pub clean_start: bool,
    /// `(username, password)` when the app chose `USERNAMEPASSWORD`.
    pub credentials: Option<(Vec<u8>, Vec<u8>)>,
    pub ca_certs: Vec<Vec<u8>>,
    pub client_certs: Vec<Vec<u8>>,
    pub client_key: Vec<u8>,
    pub will: Option<MqttWill>,
}

/// One topic of a subscribe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MqttSubscription {
    pub topic: Vec<u8>,
    pub qos: u32,
    /// No Local, Retain As Published, Retain Handling (v5 only).
    pub nl: u32,
    pub rap: u32,
    pub rh: u32,
}

/// An app's MQTT request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MqttRequest {
    Connect(MqttConnect),
    Subscribe {
        correlation_id: u32,
        topics: Vec<MqttSubscription>,
    },
    Unsubscribe {
        correlation_id: u32,
        topics: Vec<Vec<u8>>,
    },
    Publish {
        correlation_id: u32,
        topic: Vec<u8>,
        payload: Vec<u8>,
        qos: u32,
        retain: bool,
    },
    /// The app acknowledged message `correlation_id` (a delivery id).
    Acknowledge {
        correlation_id: u32,
    },
    Disconnect,
}

/// The cloud to an MQTT channel (`state`s are `MvMqttRequestState`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MqttDown {
    ConnectResponse {
        state: u32,
        reason: u32,
    },
    SubscribeResponse {
        state: u32,
        correlation_id: u32,
        reason_codes: Vec<u8>,
    },
    UnsubscribeResponse {
        state: u32,
        correlation_id: u32,
        reason_codes: Vec<u8>,
    },
    PublishResponse {
        state: u32,
        correlation_id: u32,
        reason: u32,
    },
    DisconnectResponse {
        state: u32,
        code: u32,
    },
    /// A message for the app's subscriptions; `delivery` is the
    /// correlation id the app acknowledges it with (the same on every
    /// redelivery).
    Message {
        delivery: u32,
        topic: Vec<u8>,
        payload: Vec<u8>,
        qos: u8,
        retain: bool,
    },
    /// An acknowledgement the app made reached the broker.
    Acked,
}

/// What became of a [`MqttDown::Message`] on the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MqttOutcome {
    /// Stored in the receive buffer for the app.
    Stored,
    /// Recorded as lost (`DEVICERECEIVEBUFFERTOOSMALL`); it will not be
    /// taken again.
    Lost,
    /// Not taken now: send it again after [`crate::DeviceToCloud::MqttRoom`].
    Refused,
    /// The channel is gone or not connected.
    NoChannel,
}
