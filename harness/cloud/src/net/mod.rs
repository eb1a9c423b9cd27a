//! The network services of the emulated cloud: channels, HTTP and config, against real servers.
//!
//! [`NetCloud`] answers the device's channel messages (`DeviceToCloud`)
//! with the messages the device must get back (`CloudToDevice`), the same
//! for every rig. Behind it are real servers on loopback
//! ([`services`]): an HTTP server a case fills with routes, and a TCP
//! server behind the `relay` endpoint; the `echo` endpoint sends every byte
//! back. Flow control is by windows both ways: the cloud sends a channel no
//! more than the receive-buffer room the device announced, and the device
//! sends no more than the window the cloud granted — so an app that never
//! reads fills its receive buffer, then the echo's own buffer, then its
//! send buffer, and only then is a write refused.
//!
//! Everything here is synchronous for the caller: an HTTP request is made
//! and waited for (its own timeout bounds the wait); relay bytes the lab
//! server sent are waited for by count. What happened is kept as
//! [`CloudEvent`]s for the case's transcript.

mod broker;
mod config;
mod embedded_broker;
mod floor;
mod http;
mod mqtt;
mod mqtt_link;
mod observer;
mod relay;
mod services;
mod tap;

use std::collections::VecDeque;

use mv_abi::{MvClosureReason, MvConfigFetchResult, MvHttpResult};
use mv_proto::{CloudToDevice, ConfigKey, DeviceToCloud, HttpRequest};

pub use broker::{broker_kind, mosquitto_path, mosquitto_required, BrokerKind, BROKER_VAR};
pub use config::{ConfigEntry, ConfigValue};
pub use floor::host_round_trips;
pub use http::{METHODS, TIMEOUT_MS};
pub use observer::BrokerMessage;
pub use services::{ReceivedRequest, Route};

use config::ConfigStore;
use relay::RelayConn;
use services::Services;

/// The echo endpoint holds at most this many bytes not yet sent back.
pub const ECHO_CAPACITY: u32 = 256;
/// The relay takes this many bytes at a time from the device.
pub const RELAY_WINDOW: u32 = 1024;
/// Most bytes in one message to the device (the QEMU rig's secure UART
/// receiver holds ~8 KiB per frame; small frames keep a slow link fair).
pub const CHUNK: usize = 1024;

/// The cloud's network services could not run.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("cannot start {what}: {source}")]
    Start {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make the cloud's HTTP client: {0}")]
    Client(String),
    #[error("the relay's TCP server has no open connection to {0}")]
    NoRelayConnection(&'static str),
    #[error("the lab's MQTT broker: {0}")]
    Broker(String),
}

/// What a case's `broker:` step does to the lab's MQTT broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrokerAction {
    /// The harness's own client publishes this (the device's matching
    /// subscriptions have it once the step is done).
    Publish(BrokerMessage),
    /// The harness's own client publishes these back to back, without
    /// waiting for each (a flood; the loss campaign's, `hil mqtt-loss`).
    /// The step ends once the broker routed them all and the matching
    /// sessions have what the broker sends them now. No case step makes one.
    Flood(Vec<BrokerMessage>),
    /// The broker process is killed; every bridge connection closes.
    Stop,
    /// A stopped broker starts again on the same port.
    Start,
    /// Every bridge connection is cut (both ends see it close).
    DropLinks,
    /// Every open bridge connection goes silent: nothing it carries arrives.
    SilenceLinks,
    /// Wait, at most this long, until every bridge connection broke.
    AwaitDrops(std::time::Duration),
}

/// What the cloud did, for the case's transcript (rig-independent: no
/// ports, no times, channels by handle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloudEvent {
    /// A channel to an endpoint opened; `connected` is false if the
    /// endpoint's server could not be reached.
    Opened {
        channel: u32,
        endpoint: String,
        connected: bool,
    },
    /// Bytes came from the device on a channel.
    FromDevice { channel: u32, bytes: usize },
    /// Bytes went to the device on a channel.
    ToDevice { channel: u32, bytes: usize },
    /// The cloud's end of a channel closed (`MvClosureReason`).
    Closed { channel: u32, reason: u32 },
    /// An HTTP request and what came of it.
    Http {
        channel: u32,
        method: String,
        url: String,
        outcome: HttpOutcome,
    },
    /// A config fetch: `(key, MvConfigKeyFetchResult)` per key.
    Config {
        channel: u32,
        keys: Vec<(String, u32)>,
    },
    /// The link to the device dropped (a route said so).
    LinkDropped { after_body_bytes: u32 },
    /// An MQTT request the cloud made against the broker, or a message it
    /// passed on, and what came of it (rig-independent text).
    Mqtt { channel: u32, text: String },
}

/// How an HTTP request ended on the cloud's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpOutcome {
    /// The cloud refused it (`MvHttpResult`).
    Refused(MvHttpResult),
    /// It was made and failed (connection refused, timeout).
    Failed,
    /// The server answered.
    Answered {
        status: u16,
        headers: usize,
        body: usize,
    },
}

/// Bytes on their way to the device, within its window.
#[derive(Debug, Default)]
struct Flow {
    /// Receive-buffer room the device announced.
    window: u32,
    pending: VecDeque<u8>,
}

enum Endpoint {
    Echo,
    Relay {
        conn: RelayConn,
        /// The relay server's connection index.
        index: usize,
    },
}

struct Channel {
    handle: u32,
    endpoint: Endpoint,
    flow: Flow,
}

/// The emulated cloud's network side for one device.
#[derive(Default)]
pub struct NetCloud {
    services: Option<Services>,
    routes: Vec<Route>,
    server_down: bool,
    relay_down: bool,
    config: ConfigStore,
    /// In the order they opened (handles differ between rigs; order does not).
    channels: Vec<Channel>,
    events: Vec<CloudEvent>,
    mqtt: mqtt::MqttBridge,
}

impl NetCloud {
    pub fn new() -> Self {
        Self::default()
    }

    fn services(&mut self) -> Result<&Services, NetError> {
        if self.services.is_none() {
            self.services = Some(Services::start()?);
        }
        Ok(self.services.as_ref().expect("just started"))
    }

    /// A new device: no channels, no routes, no config, the servers up.
    /// The servers themselves keep running.
    pub fn reset(&mut self) {
        self.channels.clear();
        self.routes.clear();
        self.server_down = false;
        self.relay_down = false;
        self.config.clear();
        self.events.clear();
        self.mqtt.new_case();
        if let Some(s) = &self.services {
            *s.shared.lock().expect("HTTP server state") = services::HttpShared::default();
            s.relay.reset();
        }
    }

    /// What the HTTP server answers from now on (replacing earlier routes).
    pub fn set_routes(&mut self, routes: Vec<Route>) -> Result<(), NetError> {
        self.routes.clone_from(&routes);
        self.services()?
            .shared
            .lock()
            .expect("HTTP server state")
            .routes = routes;
        Ok(())
    }

    /// Take the HTTP server down (connections refused) or bring it back.
    pub fn set_server_down(&mut self, down: bool) {
        self.server_down = down;
    }

    /// Take the relay's TCP server down (connections refused) or back up.
    pub fn set_relay_down(&mut self, down: bool) {
        self.relay_down = down;
    }

    /// Set a config or secret value.
    pub fn set_config(&mut self, entry: ConfigEntry) {
        self.config.set(entry);
    }

    /// Requests the HTTP server received since the last call, in order.
    pub fn take_received(&mut self) -> Vec<ReceivedRequest> {
        match &self.services {
            Some(s) => std::mem::take(&mut s.shared.lock().expect("HTTP server state").received),
            None => Vec::new(),
        }
    }

    /// The relay's TCP server sends `bytes` on its newest connection.
    pub fn relay_send(&mut self, bytes: &[u8]) -> Result<(), NetError> {
        self.services()?
            .relay
            .send(bytes)
            .map(drop)
            .ok_or(NetError::NoRelayConnection("send on"))
    }

    /// The relay's TCP server closes its newest connection.
    pub fn relay_close(&mut self) -> Result<(), NetError> {
        self.services()?
            .relay
            .close()
            .then_some(())
            .ok_or(NetError::NoRelayConnection("close"))
    }

    /// What the relay's TCP server received since the last call (waiting
    /// for `expected` bytes, and with `until_closed` for the cloud to close
    /// the connection), and whether the cloud closed it.
    pub fn relay_received(
        &mut self,
        expected: usize,
        until_closed: bool,
    ) -> Result<(Vec<u8>, bool), NetError> {
        Ok(self.services()?.relay.take_received(expected, until_closed))
    }

    /// A `broker:` step. A wait that ran out is an error naming what did not happen.
    pub fn broker(&mut self, action: &BrokerAction) -> Result<(), NetError> {
        const DROPS: &str = "a bridge connection was still up at the end of the wait";
        let (done, otherwise) = match action {
            BrokerAction::Publish(m) => (
                self.mqtt.publish(m)?,
                "the publish was refused, or did not reach a matching subscription in time",
            ),
            BrokerAction::Flood(messages) => (
                self.mqtt.flood(messages)?,
                "a publish of the flood was refused, or the broker did not route the flood in time",
            ),
            BrokerAction::Stop => (self.mqtt.stop_broker()?, DROPS),
            BrokerAction::Start => (
                self.mqtt.start_broker()?,
                "the observer did not subscribe again in time",
            ),
            BrokerAction::DropLinks => (self.mqtt.drop_links()?, DROPS),
            BrokerAction::SilenceLinks => (self.mqtt.silence_links().map(|()| true)?, ""),
            BrokerAction::AwaitDrops(wait) => (self.mqtt.await_drops(*wait), DROPS),
        };
        if done {
            Ok(())
        } else {
            Err(NetError::Broker(otherwise.into()))
        }
    }

    /// What the broker routed to the harness's observer (every device
    /// publish and Will) since the last call; waits up to `wait` for the
    /// first if nothing has arrived.
    pub fn broker_received(
        &mut self,
        wait: std::time::Duration,
    ) -> Result<Vec<BrokerMessage>, NetError> {
        self.mqtt.received(wait)
    }

    /// What happened since the last call.
    pub fn take_events(&mut self) -> Vec<CloudEvent> {
        std::mem::take(&mut self.events)
    }

    /// The link to the device went up or down: when down, the cloud drops
    /// its end of every channel (the device closes them on its side).
    pub fn link(&mut self, online: bool) {
        if !online {
            self.channels.clear();
            self.mqtt.reset();
        }
    }

    /// Answers one message from the device; the answers go back in order.
    /// Messages that are not about channels are ignored.
    pub fn handle(&mut self, message: DeviceToCloud) -> Result<Vec<CloudToDevice>, NetError> {
        Ok(match message {
            DeviceToCloud::ChannelOpened {
                channel,
                endpoint,
                rx_window,
            } => self.open(channel, &endpoint, rx_window)?,
            DeviceToCloud::ChannelData { channel, data } => self.data_from_device(channel, &data),
            DeviceToCloud::ChannelRead { channel, bytes } => {
                if let Some(c) = self.channel(channel) {
                    c.flow.window += bytes;
                }
                Vec::new()
            }
            DeviceToCloud::ChannelGone { channel } => {
                self.channels.retain(|c| c.handle != channel);
                self.mqtt.gone(channel);
                Vec::new()
            }
            DeviceToCloud::MqttRequest { channel, request } => {
                self.mqtt.request(channel, request, &mut self.events)?
            }
            DeviceToCloud::MqttDelivered {
                channel,
                delivery,
                outcome,
            } => {
                self.mqtt
                    .delivered(channel, delivery, outcome, &mut self.events);
                Vec::new()
            }
            DeviceToCloud::MqttRoom { channel } => {
                self.mqtt.room(channel);
                Vec::new()
            }
            DeviceToCloud::HttpRequest { channel, request } => self.http(channel, &request)?,
            DeviceToCloud::ConfigFetch { channel, keys } => self.config_fetch(channel, &keys),
            _ => Vec::new(),
        })
    }

    fn channel(&mut self, handle: u32) -> Option<&mut Channel> {
        self.channels.iter_mut().find(|c| c.handle == handle)
    }

    fn open(
        &mut self,
        channel: u32,
        endpoint: &str,
        window: u32,
    ) -> Result<Vec<CloudToDevice>, NetError> {
        let (opened, grant) = match endpoint {
            "echo" => (Some(Endpoint::Echo), ECHO_CAPACITY),
            "relay" => {
                let relay_down = self.relay_down;
                let s = self.services()?;
                let target = if relay_down { s.refusing } else { s.relay.addr };
                let before = s.relay.accepted();
                let opened = RelayConn::connect(target).ok().and_then(|conn| {
                    let index = s.relay.wait_accepted(before)?;
                    Some(Endpoint::Relay { conn, index })
                });
                (opened, RELAY_WINDOW)
            }
            _ => (None, 0),
        };
        self.events.push(CloudEvent::Opened {
            channel,
            endpoint: endpoint.to_owned(),
            connected: opened.is_some(),
        });
        let Some(endpoint) = opened else {
            let reason = MvClosureReason::ConnectionTerminated as u32;
            self.events.push(CloudEvent::Closed { channel, reason });
            return Ok(vec![CloudToDevice::ChannelClosed { channel, reason }]);
        };
        self.channels.push(Channel {
            handle: channel,
            endpoint,
            flow: Flow {
                window,
                pending: VecDeque::new(),
            },
        });
        Ok(vec![CloudToDevice::ChannelWindow {
            channel,
            bytes: grant,
        }])
    }

    fn data_from_device(&mut self, channel: u32, data: &[u8]) -> Vec<CloudToDevice> {
        self.events.push(CloudEvent::FromDevice {
            channel,
            bytes: data.len(),
        });
        let Some(c) = self.channel(channel) else {
            return Vec::new();
        };
        match &mut c.endpoint {
            Endpoint::Echo => {
                c.flow.pending.extend(data);
                Vec::new()
            }
            Endpoint::Relay { conn, .. } => {
                if conn.write(data).is_err() {
                    return Vec::new();
                }
                vec![CloudToDevice::ChannelWindow {
                    channel,
                    bytes: data.len() as u32,
                }]
            }
        }
    }

    /// Moves what can move: bytes the relay servers sent (waited for by
    /// count), then every channel's pending bytes within its window; an
    /// echo grants back what it sent on; a relay whose server closed and
    /// whose bytes are all delivered is closed.
    pub fn poll(&mut self) -> Vec<CloudToDevice> {
        let mut out = Vec::new();
        let relay = self.services.as_ref().map(|s| &s.relay);
        let mut closed = Vec::new();
        for c in &mut self.channels {
            if let (Endpoint::Relay { conn, index }, Some(relay)) = (&mut c.endpoint, relay) {
                let (sent, server_closed) = relay.sent(*index);
                let mut fresh = Vec::new();
                conn.read_until(sent, server_closed, &mut fresh);
                c.flow.pending.extend(fresh);
            }
            let mut moved = 0;
            while c.flow.window > 0 && !c.flow.pending.is_empty() {
                let n = c.flow.pending.len().min(c.flow.window as usize).min(CHUNK);
                let data: Vec<u8> = c.flow.pending.drain(..n).collect();
                c.flow.window -= n as u32;
                moved += n;
                out.push(CloudToDevice::ChannelData {
                    channel: c.handle,
                    data,
                });
                if matches!(c.endpoint, Endpoint::Echo) {
                    out.push(CloudToDevice::ChannelWindow {
                        channel: c.handle,
                        bytes: n as u32,
                    });
                }
            }
            if moved > 0 {
                self.events.push(CloudEvent::ToDevice {
                    channel: c.handle,
                    bytes: moved,
                });
            }
            if let Endpoint::Relay { conn, .. } = &c.endpoint {
                if conn.eof && c.flow.pending.is_empty() {
                    let reason = MvClosureReason::ChannelClosedByServer as u32;
                    out.push(CloudToDevice::ChannelClosed {
                        channel: c.handle,
                        reason,
                    });
                    self.events.push(CloudEvent::Closed {
                        channel: c.handle,
                        reason,
                    });
                    closed.push(c.handle);
                }
            }
        }
        self.channels.retain(|c| !closed.contains(&c.handle));
        out.extend(self.mqtt.poll(&mut self.events));
        out
    }

    fn http(
        &mut self,
        channel: u32,
        request: &HttpRequest,
    ) -> Result<Vec<CloudToDevice>, NetError> {
        let method = String::from_utf8_lossy(&request.method).into_owned();
        let url = String::from_utf8_lossy(&request.url).into_owned();
        let event = |outcome| CloudEvent::Http {
            channel,
            method: method.clone(),
            url: url.clone(),
            outcome,
        };
        let bare = |result: MvHttpResult| {
            vec![CloudToDevice::HttpResponse {
                channel,
                result: result as u32,
                status_code: 0,
                headers: Vec::new(),
                body_len: 0,
            }]
        };
        let outgoing = match http::accept(request) {
            Ok(o) => o,
            Err(result) => {
                self.events.push(event(HttpOutcome::Refused(result)));
                return Ok(bare(result));
            }
        };
        let server_down = self.server_down;
        let s = self.services()?;
        let server = if server_down { s.refusing } else { s.http };
        let fetched = http::fetch(&s.runtime, &s.client, server, &outgoing);
        let Ok(fetched) = fetched else {
            self.events.push(event(HttpOutcome::Failed));
            return Ok(bare(MvHttpResult::RequestFailed));
        };
        self.events.push(event(HttpOutcome::Answered {
            status: fetched.status,
            headers: fetched.headers.len(),
            body: fetched.body.len(),
        }));
        let drop_after = self
            .routes
            .iter()
            .find(|r| r.matches(&outgoing.method, &outgoing.path))
            .and_then(|r| r.drop_link_after);
        let mut out = vec![CloudToDevice::HttpResponse {
            channel,
            result: MvHttpResult::Ok as u32,
            status_code: u32::from(fetched.status),
            headers: fetched.headers,
            body_len: fetched.body.len() as u32,
        }];
        let delivered =
            drop_after.map_or(fetched.body.len(), |n| (n as usize).min(fetched.body.len()));
        out.extend(
            fetched.body[..delivered]
                .chunks(CHUNK)
                .map(|data| CloudToDevice::HttpBody {
                    channel,
                    data: data.to_vec(),
                }),
        );
        if drop_after.is_some() {
            self.events.push(CloudEvent::LinkDropped {
                after_body_bytes: delivered as u32,
            });
            out.push(CloudToDevice::Link { online: false });
            self.link(false);
        }
        Ok(out)
    }

    fn config_fetch(&mut self, channel: u32, keys: &[ConfigKey]) -> Vec<CloudToDevice> {
        let items = self.config.fetch(keys);
        self.events.push(CloudEvent::Config {
            channel,
            keys: keys
                .iter()
                .zip(&items)
                .map(|(k, i)| (String::from_utf8_lossy(&k.key).into_owned(), i.result))
                .collect(),
        });
        vec![CloudToDevice::ConfigResponse {
            channel,
            result: MvConfigFetchResult::Ok as u32,
            items,
        }]
    }
}
