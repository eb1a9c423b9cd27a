//! The lab's MQTT broker where mosquitto is missing: rumqttd in-process, serving MQTT 3.1.1 on a loopback port.
//!
//! rumqttd (bytebeam's broker, the companion of the rumqttc client the
//! bridge uses) runs its router and its listener on threads of its own and
//! has no way to stop them: an embedded broker lives until `hil` exits.
//! Those are threads of `hil`, so nothing outlives it; each cloud starts at
//! most one. What follows from that, and from serving only the 3.1.1
//! listener (rumqttd 0.20's MQTT 5 lacks what the harness's observer
//! relies on: *no local*, *retain as published*), is that a case cannot
//! stop or start this broker, publish from outside the device, or check
//! what the broker received, and cannot connect with MQTT 5: such cases
//! are skipped with that reason where this broker is the host's
//! (hil-runner's `needs`).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::mpsc;

use rumqttd::{Config, ConnectionSettings, RouterConfig, ServerSettings};

use super::broker::{await_listening, free_port, start_error};
use super::NetError;

/// The largest message the embedded broker takes (mosquitto's default
/// limit is far above anything a case sends; 1 MiB is too).
const MAX_PAYLOAD: usize = 1 << 20;

/// A running embedded broker.
pub(crate) struct Embedded {
    pub(crate) addr: SocketAddr,
}

impl Embedded {
    /// Starts rumqttd on a free loopback port; waits until it listens.
    pub(crate) fn start() -> Result<Embedded, NetError> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
        let mut broker = rumqttd::Broker::new(config(addr));
        // `start` returns only if every listener failed (e.g. the port was
        // taken in between); the thread says so.
        let (ended, why) = mpsc::channel();
        std::thread::Builder::new()
            .name("mqtt-embedded-broker".into())
            .spawn(move || {
                let outcome = match broker.start() {
                    Ok(()) => "its listener ended".to_owned(),
                    Err(e) => e.to_string(),
                };
                let _ = ended.send(outcome);
            })
            .map_err(start_error)?;
        await_listening(addr, "the embedded broker (rumqttd)", || {
            why.try_recv().ok()
        })?;
        Ok(Embedded { addr })
    }
}

/// One MQTT 3.1.1 listener on `addr`, anonymous clients, small in-memory logs.
fn config(addr: SocketAddr) -> Config {
    let listener = ServerSettings {
        name: "hil-lab-v4".into(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 5_000,
            max_payload_size: MAX_PAYLOAD,
            max_inflight_count: 100,
            auth: None,
            external_auth: None,
            dynamic_filters: true,
        },
    };
    Config {
        id: 0,
        router: RouterConfig {
            max_connections: 256,
            max_outgoing_packet_count: 200,
            max_segment_size: 4 * MAX_PAYLOAD,
            max_segment_count: 4,
            ..RouterConfig::default()
        },
        v4: Some(HashMap::from([("hil-lab-v4".to_owned(), listener)])),
        ..Config::default()
    }
}
