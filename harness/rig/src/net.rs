//! The one relay between a device's channels and the emulated cloud's network services, for every rig.
//!
//! A session gives the relay a [`CloudPort`]: a way to send one cloud
//! message (and wait for the device's `Ack`) and to collect what the device
//! said about its channels. [`NetRelay::serve`] then moves messages both
//! ways until nothing moves: the device's opens, data and requests go to
//! [`NetCloud`], its answers go back. The relay only works once the case
//! used a networking call (`active`), so cases without networking cost the
//! QEMU link nothing.

use hil_cases::NetAction;
use hil_cloud::net::{BrokerMessage, CloudEvent, NetCloud, ReceivedRequest};
use mv_abi::Slot;
use mv_proto::{CloudToDevice, DeviceToCloud, Primitive};

use crate::RigError;

/// A session's side of the cloud link, as the relay needs it.
pub(crate) trait CloudPort {
    /// Sends one message and waits until the device applied it.
    fn send(&mut self, message: CloudToDevice) -> Result<(), RigError>;
    /// Everything the device said about its channels since the last call
    /// (a real link first makes sure all of it has arrived).
    fn collect(&mut self) -> Result<Vec<DeviceToCloud>, RigError>;
}

/// A correct device and cloud settle in a few rounds; this bounds a
/// confused one.
const MAX_ROUNDS: usize = 10_000;

/// The networking calls: a case that makes one has channel traffic to serve.
const NETWORK_SLOTS: [Slot; 32] = [
    Slot::RequestNetwork,
    Slot::ReleaseNetwork,
    Slot::GetNetworkStatus,
    Slot::GetNetworkReasons,
    Slot::OpenChannel,
    Slot::CloseChannel,
    Slot::GetChannelClosureReason,
    Slot::WriteChannel,
    Slot::WriteChannelStream,
    Slot::ReadChannel,
    Slot::ReadChannelComplete,
    Slot::SendHttpRequest,
    Slot::ReadHttpResponseData,
    Slot::ReadHttpResponseHeader,
    Slot::ReadHttpResponseBody,
    Slot::SendConfigFetchRequest,
    Slot::ReadConfigFetchResponseData,
    Slot::ReadConfigResponseItem,
    Slot::MqttRequestConnect,
    Slot::MqttReadConnectResponse,
    Slot::MqttRequestSubscribe,
    Slot::MqttReadSubscribeResponse,
    Slot::MqttRequestUnsubscribe,
    Slot::MqttReadUnsubscribeResponse,
    Slot::MqttRequestPublish,
    Slot::MqttReadPublishResponse,
    Slot::MqttGetNextReadableDataType,
    Slot::MqttReceiveMessage,
    Slot::MqttAcknowledgeMessage,
    Slot::MqttReceiveLostMessageInfo,
    Slot::MqttRequestDisconnect,
    Slot::MqttReadDisconnectResponse,
];

/// The cloud's network services for one session's device.
#[derive(Default)]
pub(crate) struct NetRelay {
    cloud: NetCloud,
    /// A networking call was made since the last reset.
    active: bool,
}

fn net_error(e: hil_cloud::net::NetError) -> RigError {
    RigError::Link(format!("the cloud's network services: {e}"))
}

impl NetRelay {
    /// A new device.
    pub(crate) fn reset(&mut self) {
        self.cloud.reset();
        self.active = false;
    }

    /// Notes the primitives a session is about to run: a networking call
    /// makes the relay start serving.
    pub(crate) fn note(&mut self, primitives: &[Primitive]) {
        fn calls_network(p: &Primitive) -> bool {
            match p {
                Primitive::Call { slot, .. } | Primitive::CallSeries { slot, .. } => {
                    NETWORK_SLOTS.iter().any(|s| s.number() == *slot)
                }
                Primitive::Batch(inner) => inner.iter().any(calls_network),
                _ => false,
            }
        }
        self.active |= primitives.iter().any(calls_network);
    }

    /// The link went up or down (a case's `cloud: { link }`).
    pub(crate) fn link(&mut self, online: bool) {
        self.cloud.link(online);
    }

    /// A `server`, `config` or `relay` step.
    pub(crate) fn act(&mut self, action: &NetAction) -> Result<(), RigError> {
        match action {
            NetAction::Routes(routes) => self.cloud.set_routes(routes.clone()).map_err(net_error),
            NetAction::ServerDown(down) => {
                self.cloud.set_server_down(*down);
                Ok(())
            }
            NetAction::Config(entries) => {
                for e in entries {
                    self.cloud.set_config(e.clone());
                }
                Ok(())
            }
            NetAction::RelaySend(bytes) => self.cloud.relay_send(bytes).map_err(net_error),
            NetAction::RelayClose => self.cloud.relay_close().map_err(net_error),
            NetAction::RelayDown(down) => {
                self.cloud.set_relay_down(*down);
                Ok(())
            }
            NetAction::Broker(action) => self.cloud.broker(action).map_err(net_error),
        }
    }

    /// What the lab's MQTT broker routed to the harness's observer.
    pub(crate) fn broker_received(
        &mut self,
        wait: std::time::Duration,
    ) -> Result<Vec<BrokerMessage>, RigError> {
        self.cloud.broker_received(wait).map_err(net_error)
    }

    pub(crate) fn server_requests(&mut self) -> Vec<ReceivedRequest> {
        self.cloud.take_received()
    }

    pub(crate) fn relay_received(
        &mut self,
        expected: usize,
        until_closed: bool,
    ) -> Result<(Vec<u8>, bool), RigError> {
        self.cloud
            .relay_received(expected, until_closed)
            .map_err(net_error)
    }

    /// Moves channel traffic both ways until nothing moves; what the cloud did.
    pub(crate) fn serve(&mut self, port: &mut dyn CloudPort) -> Result<Vec<CloudEvent>, RigError> {
        if !self.active {
            return Ok(Vec::new());
        }
        for _ in 0..MAX_ROUNDS {
            let mut out = Vec::new();
            for message in port.collect()? {
                out.extend(self.cloud.handle(message).map_err(net_error)?);
            }
            out.extend(self.cloud.poll());
            if out.is_empty() {
                return Ok(self.cloud.take_events());
            }
            for message in out {
                port.send(message)?;
            }
        }
        Err(RigError::Link(format!(
            "the device and the cloud were still exchanging channel messages after {MAX_ROUNDS} rounds"
        )))
    }
}
