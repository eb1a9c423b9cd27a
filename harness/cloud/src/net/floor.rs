//! The MQTT bench's floor: the bridge's own client publishing to its own subscription on a lab broker, no device in the path.
//!
//! `hil bench` prints the device's publish→receive round trips beside this
//! one. It is the same client (`mqtt_link::Link`, rumqttc, MQTT 3.1.1 with
//! Nagle off) against a broker of the kind the cloud's bridge uses
//! (mosquitto with the same configuration, or the embedded one where
//! mosquitto is missing), started for the measurement and stopped after
//! it, so what the device's figures add on top of it is the kernel, the
//! agent link and the cloud link.

use std::time::{Duration, Instant};

use super::broker::Broker;
use super::mqtt_link::{Link, Options, Seen};
use super::NetError;

/// The longest one step of the floor may wait for the broker.
const WAIT: Duration = Duration::from_secs(5);

fn stalled(what: &str) -> NetError {
    NetError::Broker(format!("the bench's floor client: {what}"))
}

/// Waits until `pick` matches what the link sees.
fn await_seen(link: &mut Link, what: &str, pick: impl Fn(&Seen) -> bool) -> Result<(), NetError> {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(stalled(&format!("no {what} within {WAIT:?}")));
        }
        match link.recv(left) {
            Ok(Some(seen)) if pick(&seen) => return Ok(()),
            Ok(_) => {}
            Err(_) => return Err(stalled(&format!("the connection broke waiting for {what}"))),
        }
    }
}

/// Publishes `n` QoS 0 messages of `payload` bytes to `topic`, each after
/// the previous one came back through the broker to the same client's
/// subscription; the time the `n` round trips took (connecting and
/// subscribing not included).
pub fn host_round_trips(n: u32, topic: &str, payload: usize) -> Result<Duration, NetError> {
    let broker = Broker::start()?;
    let mut link = Link::open(Options {
        v5: false,
        client_id: "hil-bench-floor".into(),
        host: broker.addr().ip().to_string(),
        port: broker.addr().port(),
        keepalive_s: 60,
        clean_start: true,
        credentials: None,
        will: None,
    });
    await_seen(&mut link, "CONNACK", |s| matches!(s, Seen::ConnAck(0)))?;
    if !link.subscribe(&[(topic.to_owned(), 0, false, false, 0)]) {
        return Err(stalled("the subscribe was refused"));
    }
    await_seen(&mut link, "SUBACK", |s| matches!(s, Seen::SubAck(_)))?;
    let body = vec![0x5A; payload];
    let started = Instant::now();
    for _ in 0..n {
        if !link.publish(topic, 0, false, body.clone()) {
            return Err(stalled("a publish was refused"));
        }
        await_seen(&mut link, "message back", |s| matches!(s, Seen::Message(_)))?;
    }
    let took = started.elapsed();
    let _ = link.disconnect();
    Ok(took)
}
