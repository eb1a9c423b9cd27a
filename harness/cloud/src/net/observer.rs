//! The harness's own client on the lab broker: it sees what the broker received, and publishes from outside the device.
//!
//! A case checks what reached the broker the way any subscriber would see
//! it: this client subscribes to `#` (MQTT 5, QoS 2) with *no local*, so
//! its own publishes are not echoed back, and *retain as published*, so a
//! retained message keeps its flag. It connects to the broker directly,
//! not through the bridge's [`super::tap::Tap`], so cutting the bridge's
//! links leaves it in place. A thread reads its connection; after the
//! broker restarts, the client reconnects and subscribes again.
//!
//! Between cases, a message still on its way (a QoS 0 publish the broker
//! had not routed yet) must not count for the next case: [`Observer::fence`]
//! publishes a numbered message to [`FENCE_TOPIC`], which the observer
//! subscribes to without *no local*; the broker routes to one client in
//! order, so everything that arrives before the fence is old and dropped.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rumqttc::v5::mqttbytes::v5 as p5;
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::{Client, Event, MqttOptions};

/// A message the broker routed to the observer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerMessage {
    pub topic: String,
    pub payload: Vec<u8>,
    pub qos: u8,
    pub retain: bool,
}

/// The observer's own topic for fences (a device case has no business there).
const FENCE_TOPIC: &str = "hil-observer/fence";

#[derive(Default)]
struct Seen {
    messages: Mutex<Vec<BrokerMessage>>,
    /// The newest fence that came back.
    fenced: AtomicU64,
    /// Counts SUBACKs: each (re)connection's subscription in place.
    subscribed: AtomicU64,
    arrived: Condvar,
    stop: AtomicBool,
}

/// The observer; dropping it disconnects it.
pub(crate) struct Observer {
    client: Client,
    seen: Arc<Seen>,
    thread: Option<JoinHandle<()>>,
    /// The newest fence sent.
    fences: u64,
}

fn qos(q: u8) -> QoS {
    match q {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

impl Observer {
    /// Connects to the broker at `port` on loopback and subscribes; waits
    /// (at most `wait`) until the subscription is in place.
    pub(crate) fn start(port: u16, wait: Duration) -> Option<Observer> {
        let mut options = MqttOptions::new("hil-observer", "127.0.0.1", port);
        let mut network = rumqttc::NetworkOptions::new();
        network.set_tcp_nodelay(true);
        options
            .set_keep_alive(Duration::from_secs(60))
            .set_network_options(network);
        let (client, mut connection) = Client::new(options, 16);
        let seen = Arc::new(Seen::default());
        let thread = {
            let seen = Arc::clone(&seen);
            let client = client.clone();
            std::thread::Builder::new()
                .name("mqtt-observer".into())
                .spawn(move || {
                    while !seen.stop.load(Ordering::SeqCst) {
                        match connection.recv_timeout(Duration::from_millis(50)) {
                            Ok(Ok(Event::Incoming(p5::Packet::ConnAck(_)))) => {
                                let mut all = p5::Filter::new("#", QoS::ExactlyOnce);
                                all.nolocal = true;
                                all.preserve_retain = true;
                                let fence = p5::Filter::new(FENCE_TOPIC, QoS::AtMostOnce);
                                let _ = client.try_subscribe_many([all, fence]);
                            }
                            Ok(Ok(Event::Incoming(p5::Packet::SubAck(_)))) => {
                                seen.subscribed.fetch_add(1, Ordering::SeqCst);
                            }
                            Ok(Ok(Event::Incoming(p5::Packet::Publish(p))))
                                if p.topic == FENCE_TOPIC.as_bytes() =>
                            {
                                let n = std::str::from_utf8(&p.payload)
                                    .ok()
                                    .and_then(|t| t.parse().ok())
                                    .unwrap_or(0);
                                seen.messages.lock().expect("observed messages").clear();
                                seen.fenced.fetch_max(n, Ordering::SeqCst);
                            }
                            Ok(Ok(Event::Incoming(p5::Packet::Publish(p)))) => {
                                seen.messages.lock().expect("observed messages").push(
                                    BrokerMessage {
                                        topic: String::from_utf8_lossy(&p.topic).into_owned(),
                                        payload: p.payload.to_vec(),
                                        qos: p.qos as u8,
                                        retain: p.retain,
                                    },
                                );
                                seen.arrived.notify_all();
                            }
                            Ok(Ok(_)) | Err(_) => {}
                            // The broker is down or restarting: try again shortly.
                            Ok(Err(_)) => std::thread::sleep(Duration::from_millis(20)),
                        }
                    }
                })
                .ok()?
        };
        let observer = Observer {
            client,
            seen,
            thread: Some(thread),
            fences: 0,
        };
        observer.await_subscribed(0, wait).then_some(observer)
    }

    /// How many times the subscription has been put in place.
    pub(crate) fn subscriptions(&self) -> u64 {
        self.seen.subscribed.load(Ordering::SeqCst)
    }

    /// Waits until more than `before` subscriptions were put in place.
    pub(crate) fn await_subscribed(&self, before: u64, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        while self.subscriptions() <= before {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// Drops everything the broker routed here before now (waiting up to
    /// `wait` for the fence to come back); whether it came back.
    pub(crate) fn fence(&mut self, wait: Duration) -> bool {
        self.fences += 1;
        let n = self.fences;
        if self
            .client
            .publish(FENCE_TOPIC, QoS::AtMostOnce, false, n.to_string())
            .is_err()
        {
            return false;
        }
        let deadline = Instant::now() + wait;
        while self.seen.fenced.load(Ordering::SeqCst) < n {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }

    /// Publishes from outside the device; `false` if the client refused.
    pub(crate) fn publish(&self, m: &BrokerMessage) -> bool {
        self.client
            .publish(m.topic.clone(), qos(m.qos), m.retain, m.payload.clone())
            .is_ok()
    }

    /// Takes what arrived; waits up to `wait` for the first if none has.
    pub(crate) fn take(&self, wait: Duration) -> Vec<BrokerMessage> {
        let deadline = Instant::now() + wait;
        let mut messages = self.seen.messages.lock().expect("observed messages");
        while messages.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            messages = self
                .seen
                .arrived
                .wait_timeout(messages, left)
                .expect("observed messages")
                .0;
        }
        std::mem::take(&mut *messages)
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.seen.stop.store(true, Ordering::SeqCst);
        let _ = self.client.try_disconnect();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
