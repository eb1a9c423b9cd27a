//! The MQTT loss sweep: flood a subscribed channel from outside the device, drain it as an app does, account for every message.
//!
//! For every point (receive-buffer size × payload size × flood size × QoS)
//! a fresh device opens an MQTT channel whose receive buffer has guard
//! bytes on both sides, connects through the emulated cloud to the lab
//! broker (mosquitto) and subscribes to `hil/loss/#` at the point's QoS.
//! The harness's own client publishes the flood back to back
//! (`BrokerAction::Flood`): message `k` on topic `hil/loss/kkkk` with a
//! payload that starts with `k`. Only then does the app start reading, in
//! rounds: the cloud serves the channel (messages go to the device one at a
//! time: stored, recorded lost, or refused and delivered again after the
//! app read something), the app takes every readable item with
//! `mvMqttReceiveMessage` / `mvMqttReceiveLostMessageInfo` and acknowledges
//! each QoS 1 message, until every message is accounted for or nothing
//! moves for [`STALL`]. The checks:
//!
//! - every message is accounted for exactly once, in the order the broker
//!   sent them: received whole (topic, payload, QoS) or recorded lost
//!   (`DEVICERECEIVEBUFFERTOOSMALL`, the payload's length, its topic or an
//!   empty one); nothing unaccounted, duplicated, corrupted or reordered;
//! - the lost records the app read are the losses the device reported to
//!   the cloud (what the broker sent, less what was stored);
//! - a QoS 1 message that fits the buffer is never lost (refused and
//!   redelivered until acknowledged); one that can never fit is lost once;
//! - the guard bytes are untouched (nothing written outside the buffer).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use hil_cases::NetAction;
use hil_rig::{BrokerAction, BrokerMessage, CloudEvent, RigError, RigSession};
use mv_abi::MvMqttLostMessageReason;
use mv_proto::Primitive;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::mqtt_app::{Item, MqttChannel};

/// The sentence of the spec every point checks.
pub const SPEC_QUOTE: &str = "Acknowledge (needed for QoS>0 to avoid redelivery). Lost messages carry reason DEVICERECEIVEBUFFERTOOSMALL.";
/// Where [`SPEC_QUOTE`] comes from.
pub const SPEC_SOURCE: &str = "microvisor-abi.md §5.9 (mvMqttAcknowledgeMessage, mvMqttReceiveLostMessageInfo); firmware/ABI.md §15 (Messages and loss: Choices)";

/// Bytes of guard band on each side of the receive buffer.
const GUARD: u32 = 32;
const GUARD_BYTE: u8 = 0xA5;
/// Bytes of every topic (`hil/loss/0001`).
pub const TOPIC_BYTES: u32 = 13;
/// No item for this long, the flood not yet accounted for: give up.
const STALL: Duration = Duration::from_secs(3);

/// One configuration of the sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Point {
    /// The channel's receive buffer, in bytes.
    pub buffer: u32,
    /// Payload bytes of every message.
    pub payload: u32,
    /// Messages published.
    pub flood: u32,
    /// QoS of the publishes and of the subscription.
    pub qos: u32,
}

impl Point {
    /// What the point does, in a sentence (its title in reports).
    pub fn title(&self) -> String {
        format!(
            "{} QoS {} messages of {} payload bytes into a {}-byte receive buffer",
            self.flood, self.qos, self.payload, self.buffer
        )
    }

    /// The id this point has in reports.
    pub fn id(&self) -> String {
        format!(
            "mqtt-loss.b{}-p{}-n{}-q{}",
            self.buffer, self.payload, self.flood, self.qos
        )
    }

    /// Can a message ever fit the receive buffer (topic and payload)?
    pub fn fits(&self) -> bool {
        TOPIC_BYTES + self.payload <= self.buffer
    }
}

/// The default sweep: five receive buffers (64 B–1 KiB) × three payloads
/// (8 B: the 16-item queue fills before the bytes do; 100 B: never fits
/// 64 B, one at a time in 128 B; 700 B: fits only 1 KiB) × a small flood
/// and one that overruns every buffer × QoS 0 and 1.
pub fn default_sweep() -> Vec<Point> {
    let mut points = Vec::new();
    for buffer in [64, 128, 256, 512, 1024] {
        for payload in [8, 100, 700] {
            for flood in [5, 40] {
                for qos in [0, 1] {
                    points.push(Point {
                        buffer,
                        payload,
                        flood,
                        qos,
                    });
                }
            }
        }
    }
    points
}

/// A few points that cover every outcome (stored, lost for space, lost
/// for good, refused and redelivered, a full queue): what `cargo test`
/// runs on every rig.
pub fn quick_sweep() -> Vec<Point> {
    [
        (64, 100, 3, 1),
        (128, 40, 12, 0),
        (128, 40, 12, 1),
        (512, 8, 24, 0),
    ]
    .into_iter()
    .map(|(buffer, payload, flood, qos)| Point {
        buffer,
        payload,
        flood,
        qos,
    })
    .collect()
}

/// Message `seq`'s topic.
pub fn topic(seq: u32) -> String {
    format!("hil/loss/{seq:04}")
}

/// Message `seq`'s payload: `seq` (4 bytes, little-endian), then a pattern
/// that differs per message.
pub fn payload(seq: u32, len: u32) -> Vec<u8> {
    let mut p = seq.to_le_bytes().to_vec();
    p.extend((4..len).map(|i| (seq as u8).wrapping_mul(31).wrapping_add(i as u8)));
    p.truncate(len as usize);
    p
}

/// What became of one message, as the app read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fate {
    Stored,
    /// Recorded lost; `named`: the record carries its topic.
    Lost {
        named: bool,
    },
}

/// What one point showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub point: Point,
    /// Per message (index `seq - 1`), what the app read; `None`: nothing.
    pub fates: Vec<Option<Fate>>,
    /// Items naming a message already accounted for.
    pub duplicates: u32,
    /// Items whose content is wrong (payload, QoS, lost reason or length),
    /// or that name no message of the flood.
    pub corrupted: u32,
    /// Items that came before an older message was accounted for.
    pub out_of_order: u32,
    /// Losses the device reported to the cloud (`MqttOutcome::Lost`).
    pub device_lost: u32,
    pub guards_intact: bool,
    /// Rounds of serve-and-read the point took.
    pub rounds: u32,
}

impl Observation {
    pub fn stored(&self) -> u32 {
        self.count(|f| f == Fate::Stored)
    }

    pub fn lost(&self) -> u32 {
        self.count(|f| matches!(f, Fate::Lost { .. }))
    }

    /// Lost records that carried the message's topic.
    pub fn lost_named(&self) -> u32 {
        self.count(|f| f == Fate::Lost { named: true })
    }

    /// Messages neither received nor recorded lost.
    pub fn unaccounted(&self) -> u32 {
        self.fates.iter().filter(|f| f.is_none()).count() as u32
    }

    fn count(&self, pick: impl Fn(Fate) -> bool) -> u32 {
        self.fates.iter().flatten().filter(|&&f| pick(f)).count() as u32
    }

    /// Every way the observation disagrees with the rules; empty = pass.
    pub fn problems(&self) -> Vec<String> {
        let p = self.point;
        let mut out = Vec::new();
        if self.unaccounted() > 0 {
            out.push(format!(
                "{} message(s) unaccounted for: neither received nor recorded lost",
                self.unaccounted()
            ));
        }
        for (n, what) in [
            (
                self.duplicates,
                "item(s) repeat a message already accounted for",
            ),
            (
                self.corrupted,
                "item(s) with wrong content or naming no message sent",
            ),
            (
                self.out_of_order,
                "item(s) out of the order the broker sent",
            ),
        ] {
            if n > 0 {
                out.push(format!("{n} {what}"));
            }
        }
        if self.device_lost != self.lost() {
            out.push(format!(
                "the device reported {} message(s) lost to the cloud, the app read {} lost record(s)",
                self.device_lost,
                self.lost()
            ));
        }
        if p.qos > 0 && p.fits() && self.lost() > 0 {
            out.push(format!(
                "{} QoS {} message(s) lost that fit the buffer (they must be redelivered)",
                self.lost(),
                p.qos
            ));
        }
        if !p.fits() && self.stored() > 0 {
            out.push(format!(
                "{} message(s) larger than the buffer were stored",
                self.stored()
            ));
        }
        if !self.guards_intact {
            out.push("the kernel wrote outside the receive buffer (guard bytes changed)".into());
        }
        out
    }

    /// The rig-independent transcript of this point.
    pub fn transcript(&self) -> String {
        let p = self.point;
        let mut t = String::new();
        let _ = writeln!(
            t,
            "{} QoS {} messages of {} + {} bytes (topic + payload) into a {}-byte receive buffer ({})",
            p.flood,
            p.qos,
            TOPIC_BYTES,
            p.payload,
            p.buffer,
            if p.fits() { "fits" } else { "never fits" }
        );
        // How many lost records had room for their topic is left out: at
        // QoS 1 the broker releases a flood beyond its in-flight window as
        // earlier messages are acknowledged, so how many records pile up
        // before the app reads depends on timing (the JSON and table keep it).
        let _ = writeln!(
            t,
            "received {}, recorded lost {}, unaccounted {}",
            self.stored(),
            self.lost(),
            self.unaccounted()
        );
        let _ = writeln!(
            t,
            "duplicates {}, corrupted {}, out of order {}; the device reported {} lost",
            self.duplicates, self.corrupted, self.out_of_order, self.device_lost
        );
        let _ = writeln!(t, "guard bytes intact: {}", self.guards_intact);
        for problem in self.problems() {
            let _ = writeln!(t, "FAILED: {problem}");
        }
        t
    }
}

/// Checks items against the flood as they are read.
struct Ledger {
    point: Point,
    fates: Vec<Option<Fate>>,
    duplicates: u32,
    corrupted: u32,
    out_of_order: u32,
}

impl Ledger {
    fn new(point: Point) -> Self {
        Ledger {
            point,
            fates: vec![None; point.flood as usize],
            duplicates: 0,
            corrupted: 0,
            out_of_order: 0,
        }
    }

    /// The oldest message not yet accounted for (1-based).
    fn next(&self) -> Option<u32> {
        self.fates
            .iter()
            .position(Option::is_none)
            .map(|i| i as u32 + 1)
    }

    fn done(&self) -> bool {
        self.next().is_none()
    }

    fn seq_of(topic: &[u8]) -> Option<u32> {
        std::str::from_utf8(topic)
            .ok()?
            .strip_prefix("hil/loss/")?
            .parse()
            .ok()
    }

    fn note(&mut self, item: &Item) {
        let p = self.point;
        let (seq, fate, intact) = match item {
            Item::Message {
                topic,
                payload: got,
                qos,
                retain,
                ..
            } => {
                let seq = Self::seq_of(topic);
                let intact =
                    seq.is_some_and(|s| *got == payload(s, p.payload)) && *qos == p.qos && !retain;
                (seq, Fate::Stored, intact)
            }
            Item::Lost {
                reason,
                topic,
                message_len,
            } => {
                let named = !topic.is_empty();
                // An empty topic (no room for it) is the oldest message
                // not yet accounted for: items come in the broker's order.
                let seq = if named {
                    Self::seq_of(topic)
                } else {
                    self.next()
                };
                let intact = *reason == MvMqttLostMessageReason::DeviceReceiveBufferTooSmall as u32
                    && *message_len == p.payload;
                (seq, Fate::Lost { named }, intact)
            }
        };
        let Some(seq) = seq.filter(|&s| (1..=p.flood).contains(&s)) else {
            self.corrupted += 1;
            return;
        };
        let slot = &mut self.fates[seq as usize - 1];
        if slot.is_some() {
            self.duplicates += 1;
            return;
        }
        *slot = Some(fate);
        if !intact {
            self.corrupted += 1;
        }
        if self.fates[..seq as usize - 1].iter().any(Option::is_none) {
            self.out_of_order += 1;
        }
    }
}

/// Losses the device reported to the cloud, from what the cloud did.
fn device_losses(events: &[CloudEvent]) -> u32 {
    events
        .iter()
        .filter(|e| matches!(e, CloudEvent::Mqtt { text, .. } if text.starts_with("message ") && text.ends_with(" lost")))
        .count() as u32
}

/// Run one point on a freshly reset device.
pub fn run_point(s: &mut dyn RigSession, p: Point) -> Result<Observation, RigError> {
    s.reset()?;
    let mut app = App { s };
    let net = app.network()?;
    let area = app.alloc(GUARD + p.buffer + GUARD, 16)?;
    let rx = area + GUARD;
    app.exec(vec![
        Primitive::Fill {
            addr: area,
            len: GUARD,
            byte: GUARD_BYTE,
        },
        Primitive::Fill {
            addr: rx + p.buffer,
            len: GUARD,
            byte: GUARD_BYTE,
        },
    ])?;
    let mut ch = MqttChannel::connect(&mut app, net, rx, p.buffer, "hil-loss")?;
    ch.subscribe(&mut app, "hil/loss/#", p.qos)?;
    let flood = (1..=p.flood)
        .map(|seq| BrokerMessage {
            topic: topic(seq),
            payload: payload(seq, p.payload),
            qos: p.qos as u8,
            retain: false,
        })
        .collect();
    app.s
        .network(&NetAction::Broker(BrokerAction::Flood(flood)))?;

    let mut ledger = Ledger::new(p);
    let mut device_lost = 0;
    let mut rounds = 0;
    let mut moved = Instant::now();
    while !ledger.done() && moved.elapsed() < STALL {
        rounds += 1;
        device_lost += device_losses(&app.s.serve_network()?);
        ch.served();
        let mut read_any = false;
        loop {
            let items = ch.take(&mut app)?;
            if items.is_empty() {
                break;
            }
            read_any = true;
            for item in &items {
                ledger.note(item);
                if let Item::Message {
                    correlation_id,
                    qos: 1..,
                    ..
                } = item
                {
                    ch.ack(&mut app, *correlation_id)?;
                }
            }
        }
        if read_any {
            moved = Instant::now();
        } else {
            // The broker holds QoS 1 messages back until earlier ones are
            // acknowledged: give them time to come.
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    // Anything more is a message delivered twice.
    device_lost += device_losses(&app.s.serve_network()?);
    for item in ch.take(&mut app)? {
        ledger.note(&item);
    }
    let guards = [app.read(area, GUARD)?, app.read(rx + p.buffer, GUARD)?];
    let guards_intact = guards.iter().flatten().all(|&b| b == GUARD_BYTE);
    ch.close(&mut app)?;
    Ok(Observation {
        point: p,
        fates: ledger.fates,
        duplicates: ledger.duplicates,
        corrupted: ledger.corrupted,
        out_of_order: ledger.out_of_order,
        device_lost,
        guards_intact,
        rounds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(buffer: u32, payload: u32, flood: u32, qos: u32) -> Point {
        Point {
            buffer,
            payload,
            flood,
            qos,
        }
    }

    #[test]
    fn the_sweep_has_floods_that_fit_and_that_never_fit_at_both_qos() {
        let sweep = default_sweep();
        assert_eq!(sweep.len(), 60);
        for qos in [0, 1] {
            assert!(sweep.iter().any(|p| p.qos == qos && p.fits()));
            assert!(sweep.iter().any(|p| p.qos == qos && !p.fits()));
        }
        // More messages than the kernel holds (16 items).
        assert!(sweep.iter().any(|p| p.flood > 16));
        assert_eq!(topic(7).len() as u32, TOPIC_BYTES);
    }

    #[test]
    fn the_ledger_accounts_in_order_and_catches_what_goes_wrong() {
        let p = point(128, 40, 3, 0);
        let message = |seq: u32| Item::Message {
            correlation_id: seq,
            topic: topic(seq).into_bytes(),
            payload: payload(seq, 40),
            qos: 0,
            retain: false,
        };
        let anonymous = Item::Lost {
            reason: 0,
            topic: Vec::new(),
            message_len: 40,
        };
        let mut l = Ledger::new(p);
        l.note(&message(1));
        l.note(&anonymous);
        l.note(&message(3));
        assert!(l.done());
        assert_eq!(
            (l.duplicates, l.corrupted, l.out_of_order),
            (0, 0, 0),
            "an exact account"
        );
        assert_eq!(l.fates[1], Some(Fate::Lost { named: false }));

        let mut l = Ledger::new(p);
        l.note(&message(2));
        l.note(&message(2));
        l.note(&Item::Lost {
            reason: 0,
            topic: topic(1).into_bytes(),
            message_len: 39,
        });
        assert_eq!((l.duplicates, l.corrupted, l.out_of_order), (1, 1, 1));
        assert_eq!(l.next(), Some(3));
    }

    #[test]
    fn an_observation_that_loses_qos1_or_hides_a_loss_fails() {
        let p = point(128, 40, 2, 1);
        let mut o = Observation {
            point: p,
            fates: vec![Some(Fate::Stored), Some(Fate::Stored)],
            duplicates: 0,
            corrupted: 0,
            out_of_order: 0,
            device_lost: 0,
            guards_intact: true,
            rounds: 1,
        };
        assert!(o.problems().is_empty(), "{:?}", o.problems());
        o.fates[1] = Some(Fate::Lost { named: true });
        o.device_lost = 1;
        assert!(o.problems().iter().any(|m| m.contains("redelivered")));
        o.point.qos = 0;
        assert!(o.problems().is_empty());
        o.fates[1] = None;
        assert!(o.problems().iter().any(|m| m.contains("unaccounted")));
        assert!(o.problems().iter().any(|m| m.contains("reported 1")));
    }
}
