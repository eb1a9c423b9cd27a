//! MQTT figures: publish→receive round trips through the lab broker on a rig, beside the host-only floor.
//!
//! The app subscribes to a topic and publishes to it (QoS 0, a
//! [`PAYLOAD`]-byte payload); a round trip is timed from
//! `mvMqttRequestPublish` to the message read back with
//! `mvMqttReceiveMessage`: the request over the cloud link, the cloud's
//! real client publishing to mosquitto, the broker routing it back, the
//! publish response and the message over the cloud link, and the reads.
//! The floor ([`host_round_trips`]) is the same client and broker with no
//! device: `hil bench` prints every rig's figure as a ratio of it.

use std::time::Instant;

use hil_rig::{RigError, RigSession};

use super::Figure;
use crate::app::App;
use crate::mqtt_app::{Item, MqttChannel};
use crate::CampaignError;

/// Payload bytes of every round trip.
pub const PAYLOAD: usize = 64;
const TOPIC: &str = "hil/bench/rt";

/// Round trips per second over `n` publishes to the app's own subscription.
pub fn mqtt_round_trips(s: &mut dyn RigSession, n: u32) -> Result<Figure, RigError> {
    s.reset()?;
    let mut app = App { s };
    let net = app.network()?;
    let rx = app.alloc(1024, 16)?;
    let mut ch = MqttChannel::connect(&mut app, net, rx, 1024, "hil-bench")?;
    ch.subscribe(&mut app, TOPIC, 0)?;
    let request = MqttChannel::publish_request(&mut app, TOPIC, &[0x5A; PAYLOAD], 0)?;
    let started = Instant::now();
    for _ in 0..n {
        let item = ch.publish_and_receive(&mut app, request)?;
        if !matches!(&item, Item::Message { topic, payload, .. } if topic == TOPIC.as_bytes() && payload.len() == PAYLOAD)
        {
            return Err(RigError::Link(format!(
                "the bench's message came back as {item:?}"
            )));
        }
    }
    let elapsed = started.elapsed();
    ch.close(&mut app)?;
    Ok(Figure {
        name: format!("MQTT publish→receive round trips/s ({PAYLOAD} B, QoS 0, {n} trips)"),
        value: f64::from(n) / elapsed.as_secs_f64(),
        unit: "trips/s",
        target: None,
    })
}

/// [`mqtt_round_trips`] on a fresh sim device.
pub fn sim_mqtt_round_trips(n: u32) -> Result<Figure, RigError> {
    let mut sim = hil_rig::SimSession::new("sim", hil_sim::SimConfig::default());
    let mut figure = mqtt_round_trips(&mut sim, n)?;
    figure.name = format!("sim: {}", figure.name);
    Ok(figure)
}

/// The floor: the cloud's own MQTT client publishing to its own
/// subscription on a lab broker of the run's kind, `n` round trips, no device.
pub fn host_round_trips(n: u32) -> Result<Figure, CampaignError> {
    let took = hil_cloud::net::host_round_trips(n, TOPIC, PAYLOAD)
        .map_err(|e| CampaignError::Failed(format!("the MQTT bench's floor: {e}")))?;
    Ok(Figure {
        name: format!("host floor: rumqttc↔broker round trips/s ({PAYLOAD} B, QoS 0, {n} trips)"),
        value: f64::from(n) / took.as_secs_f64(),
        unit: "trips/s",
        target: None,
    })
}
