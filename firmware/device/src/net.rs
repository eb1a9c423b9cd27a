//! Channels on the cloud link, device side: what the kernel owes the cloud goes out, what the cloud sends goes in.
//!
//! The kernel keeps the channels and the app's buffers; this module only
//! moves messages. After every system call and every cloud message the
//! device drains the kernel's [`NetEvent`]s into `DeviceToCloud` messages
//! ([`Device::drain_net`]); the channel messages of `CloudToDevice` are
//! handed to the kernel's `cloud_*` methods ([`Device::on_cloud_net`]).
//! The same code runs on the sim and on every board.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use mv_flash::Flash;
use mv_kernel::board::Board;
use mv_kernel::channels::{wire, NetEvent, MAX_DATA_CHUNK};
use mv_kernel::net_mqtt::MqttDelivery;
use mv_proto::{
    CloudToDevice, ConfigKey, DeviceToCloud, HttpRequest, MqttConnect, MqttDown, MqttOutcome,
    MqttRequest, MqttSubscription, MqttWill,
};

use crate::{Device, Uplink};

/// At most this many messages go out per drain: the kernel owes a bounded
/// amount (four channels, each at most its send buffer), so a drain that
/// hits the bound is a kernel bug, not an app's doing.
const MAX_EVENTS_PER_DRAIN: usize = 256;

impl<B: Board + Uplink, F: Flash> Device<B, F> {
    /// Sends the cloud everything the kernel owes it about channels.
    ///
    /// Every system call ends here: inline, nothing owed (the common case)
    /// costs one load, without the kilobyte chunk buffer's frame.
    #[inline]
    pub(crate) fn drain_net(&mut self) {
        if self.kernel.net_events_pending() {
            self.send_net_events();
        }
    }

    #[inline(never)]
    fn send_net_events(&mut self) {
        let mut data = [0u8; MAX_DATA_CHUNK as usize];
        for _ in 0..MAX_EVENTS_PER_DRAIN {
            let Some(event) = self.kernel.next_net_event(&mut data) else {
                return;
            };
            if let Some(message) = self.net_message(event, &data) {
                self.kernel.board_mut().send(message);
            }
        }
    }

    fn net_message(&mut self, event: NetEvent, data: &[u8]) -> Option<DeviceToCloud> {
        Some(match event {
            NetEvent::ChannelOpened {
                channel,
                endpoint,
                rx_window,
            } => DeviceToCloud::ChannelOpened {
                channel,
                endpoint: String::from(endpoint.name()),
                rx_window,
            },
            NetEvent::ChannelData { channel, len } => DeviceToCloud::ChannelData {
                channel,
                data: data[..len as usize].to_vec(),
            },
            NetEvent::ChannelRead { channel, bytes } => {
                DeviceToCloud::ChannelRead { channel, bytes }
            }
            NetEvent::HttpRequest { channel, len } => {
                let bytes = self.request_bytes(channel, len)?;
                let request = match wire::parse_http(&bytes) {
                    Some(v) => HttpRequest {
                        method: v.method.to_vec(),
                        url: v.url.to_vec(),
                        headers: v.headers.map(<[u8]>::to_vec).collect(),
                        body: v.body.to_vec(),
                        timeout_ms: v.timeout_ms,
                    },
                    // The kernel wrote it and nothing ran since: unreachable
                    // unless the kernel is wrong; the cloud then answers
                    // the empty request with a failure.
                    None => HttpRequest {
                        method: Vec::new(),
                        url: Vec::new(),
                        headers: Vec::new(),
                        body: Vec::new(),
                        timeout_ms: 0,
                    },
                };
                DeviceToCloud::HttpRequest { channel, request }
            }
            NetEvent::ConfigFetch { channel, len } => {
                let bytes = self.request_bytes(channel, len)?;
                let keys = wire::parse_config(&bytes)
                    .map(|keys| {
                        keys.map(|k| ConfigKey {
                            scope: k.scope,
                            store: k.store,
                            key: k.key.to_vec(),
                        })
                        .collect()
                    })
                    .unwrap_or_default();
                DeviceToCloud::ConfigFetch { channel, keys }
            }
            NetEvent::ChannelGone { channel } => DeviceToCloud::ChannelGone { channel },
            NetEvent::MqttRequest { channel, len } => {
                let bytes = self.request_bytes(channel, len)?;
                // The kernel wrote it and nothing ran since: a request that
                // does not parse is a kernel bug, and is not sent.
                let request = mqtt_request(&bytes)?;
                DeviceToCloud::MqttRequest { channel, request }
            }
            NetEvent::MqttRoom { channel } => DeviceToCloud::MqttRoom { channel },
        })
    }

    fn request_bytes(&mut self, channel: u32, len: u32) -> Option<Vec<u8>> {
        let mut bytes = vec![0u8; len as usize];
        self.kernel
            .copy_request(channel, &mut bytes)
            .then_some(bytes)
    }

    /// Applies a channel message from the cloud; `false` if `message` is
    /// not one (the caller handles it).
    pub(crate) fn on_cloud_net(&mut self, message: &CloudToDevice) -> bool {
        match message {
            CloudToDevice::ChannelWindow { channel, bytes } => {
                self.kernel.cloud_channel_window(*channel, *bytes);
            }
            CloudToDevice::ChannelData { channel, data } => {
                self.kernel.cloud_channel_data(*channel, data);
            }
            CloudToDevice::ChannelClosed { channel, reason } => {
                self.kernel.cloud_channel_closed(*channel, *reason);
            }
            CloudToDevice::HttpResponse {
                channel,
                result,
                status_code,
                headers,
                body_len,
            } => {
                self.kernel.cloud_http_response(
                    *channel,
                    *result,
                    *status_code,
                    headers,
                    *body_len,
                );
            }
            CloudToDevice::HttpBody { channel, data } => {
                self.kernel.cloud_http_body(*channel, data);
            }
            CloudToDevice::ConfigResponse {
                channel,
                result,
                items,
            } => {
                let items: Vec<(u32, &[u8])> = items
                    .iter()
                    .map(|i| (i.result, i.value.as_slice()))
                    .collect();
                self.kernel.cloud_config_response(*channel, *result, &items);
            }
            CloudToDevice::Mqtt { channel, down } => self.on_cloud_mqtt(*channel, down),
            _ => return false,
        }
        true
    }

    fn on_cloud_mqtt(&mut self, channel: u32, down: &MqttDown) {
        let k = &mut self.kernel;
        match down {
            MqttDown::ConnectResponse { state, reason } => {
                k.cloud_mqtt_connect_response(channel, *state, *reason);
            }
            MqttDown::SubscribeResponse {
                state,
                correlation_id,
                reason_codes,
            } => {
                k.cloud_mqtt_subscription_response(
                    channel,
                    false,
                    *state,
                    *correlation_id,
                    reason_codes,
                );
            }
            MqttDown::UnsubscribeResponse {
                state,
                correlation_id,
                reason_codes,
            } => {
                k.cloud_mqtt_subscription_response(
                    channel,
                    true,
                    *state,
                    *correlation_id,
                    reason_codes,
                );
            }
            MqttDown::PublishResponse {
                state,
                correlation_id,
                reason,
            } => k.cloud_mqtt_publish_response(channel, *state, *correlation_id, *reason),
            MqttDown::DisconnectResponse { state, code } => {
                k.cloud_mqtt_disconnect_response(channel, *state, *code);
            }
            MqttDown::Acked => k.cloud_mqtt_acked(channel),
            MqttDown::Message {
                delivery,
                topic,
                payload,
                qos,
                retain,
            } => {
                let outcome =
                    match k.cloud_mqtt_message(channel, *delivery, *qos, *retain, topic, payload) {
                        MqttDelivery::Stored => MqttOutcome::Stored,
                        MqttDelivery::Lost => MqttOutcome::Lost,
                        MqttDelivery::Refused => MqttOutcome::Refused,
                        MqttDelivery::NoChannel => MqttOutcome::NoChannel,
                    };
                k.board_mut().send(DeviceToCloud::MqttDelivered {
                    channel,
                    delivery: *delivery,
                    outcome,
                });
            }
        }
    }
}

/// An MQTT request as the kernel laid it out in the send buffer.
fn mqtt_request(bytes: &[u8]) -> Option<MqttRequest> {
    let strings = |items: wire::Items<'_>| items.map(<[u8]>::to_vec).collect::<Vec<_>>();
    Some(match wire::parse_mqtt(bytes)? {
        wire::MqttView::Connect(c) => MqttRequest::Connect(MqttConnect {
            version: c.version,
            host: c.host.to_vec(),
            port: c.port,
            client_id: c.client_id.to_vec(),
            keepalive: c.keepalive,
            clean_start: c.clean_start,
            credentials: (c.auth_method != 0).then(|| (c.username.to_vec(), c.password.to_vec())),
            ca_certs: strings(c.ca_certs),
            client_certs: strings(c.client_certs),
            client_key: c.key.to_vec(),
            will: c.will.map(|(topic, payload, qos, retain)| MqttWill {
                topic: topic.to_vec(),
                payload: payload.to_vec(),
                qos,
                retain,
            }),
        }),
        wire::MqttView::Subscribe {
            correlation_id,
            topics,
        } => MqttRequest::Subscribe {
            correlation_id,
            topics: topics
                .map(|t| MqttSubscription {
                    topic: t.topic.to_vec(),
                    qos: t.qos,
                    nl: t.nl,
                    rap: t.rap,
                    rh: t.rh,
                })
                .collect(),
        },
        wire::MqttView::Unsubscribe {
            correlation_id,
            topics,
        } => MqttRequest::Unsubscribe {
            correlation_id,
            topics: strings(topics),
        },
        wire::MqttView::Publish {
            correlation_id,
            qos,
            retain,
            topic,
            payload,
        } => MqttRequest::Publish {
            correlation_id,
            topic: topic.to_vec(),
            payload: payload.to_vec(),
            qos,
            retain,
        },
        wire::MqttView::Acknowledge { correlation_id } => {
            MqttRequest::Acknowledge { correlation_id }
        }
        wire::MqttView::Disconnect => MqttRequest::Disconnect,
    })
}
