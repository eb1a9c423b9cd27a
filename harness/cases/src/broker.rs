//! Steps about the lab's MQTT broker: `broker` (act on it) and `expect_broker` (what it received).

use std::time::Duration;

use hil_cloud::net::{BrokerAction, BrokerMessage};

use crate::error::{join, Issue};
use crate::model::{ExpectBroker, NetAction};
use crate::net::MAX_BODY_BYTES;
use crate::raw;
use crate::validate::exactly_one;

/// The longest a case may wait for bridge connections to break.
const MAX_AWAIT_MS: u32 = 30_000;

/// Validates `broker:` at `path`.
pub(crate) fn action(raw: &raw::Broker, path: &str) -> Result<NetAction, Issue> {
    let key = exactly_one(
        path,
        &[
            ("publish", raw.publish.is_some()),
            ("stop", raw.stop.is_some()),
            ("start", raw.start.is_some()),
            ("drop_links", raw.drop_links.is_some()),
            ("silence_links", raw.silence_links.is_some()),
            ("await_drops_ms", raw.await_drops_ms.is_some()),
        ],
    )?;
    let only_true = |set: Option<bool>, action: BrokerAction| match set {
        Some(true) => Ok(action),
        _ => Err(Issue::new(
            join(path, key),
            format!("`{key}` can only be `true`"),
        )),
    };
    let action = match key {
        "publish" => publish(
            raw.publish.as_ref().expect("`publish` is set"),
            &join(path, "publish"),
        )?,
        "stop" => only_true(raw.stop, BrokerAction::Stop)?,
        "start" => only_true(raw.start, BrokerAction::Start)?,
        "drop_links" => only_true(raw.drop_links, BrokerAction::DropLinks)?,
        "silence_links" => only_true(raw.silence_links, BrokerAction::SilenceLinks)?,
        _ => match raw.await_drops_ms {
            Some(ms @ 1..=MAX_AWAIT_MS) => {
                BrokerAction::AwaitDrops(Duration::from_millis(u64::from(ms)))
            }
            other => {
                return Err(Issue::new(
                    join(path, "await_drops_ms"),
                    format!(
                        "{} ms is not a wait a case may take: 1 to {MAX_AWAIT_MS}",
                        other.unwrap_or(0)
                    ),
                ))
            }
        },
    };
    Ok(NetAction::Broker(action))
}

fn publish(raw: &raw::BrokerPublish, path: &str) -> Result<BrokerAction, Issue> {
    topic(&raw.topic, &join(path, "topic"))?;
    let payload = payload(raw.payload.as_deref(), raw.payload_bytes, path)?.unwrap_or_default();
    Ok(BrokerAction::Publish(BrokerMessage {
        topic: raw.topic.clone(),
        payload,
        qos: qos(raw.qos, path)?.unwrap_or(0),
        retain: raw.retain.unwrap_or(false),
    }))
}

/// A topic a client may publish to (MQTT 5.0 §4.7: not empty, no wildcards, no NUL).
fn topic(topic: &str, path: &str) -> Result<(), Issue> {
    if topic.is_empty() || topic.contains(['+', '#', '\0']) {
        return Err(Issue::new(
            path,
            format!(
                "`{topic}` is not a topic a client may publish to: not empty, no `+`, `#` or NUL"
            ),
        ));
    }
    Ok(())
}

fn qos(qos: Option<u8>, path: &str) -> Result<Option<u8>, Issue> {
    match qos {
        Some(q) if q > 2 => Err(Issue::new(
            join(path, "qos"),
            format!("{q} is not an MQTT QoS: 0, 1 or 2"),
        )),
        q => Ok(q),
    }
}

/// `payload` or `payload_bytes` (at most one), as bytes.
fn payload(text: Option<&str>, bytes: Option<u32>, path: &str) -> Result<Option<Vec<u8>>, Issue> {
    match (text, bytes) {
        (Some(_), Some(_)) => Err(Issue::new(
            join(path, "payload_bytes"),
            "give `payload` or `payload_bytes`, not both",
        )),
        (Some(t), None) => Ok(Some(t.as_bytes().to_vec())),
        (None, Some(n)) if n > MAX_BODY_BYTES => Err(Issue::new(
            join(path, "payload_bytes"),
            format!("{n} bytes is more than the {MAX_BODY_BYTES} a case may publish"),
        )),
        (None, Some(n)) => Ok(Some((0..n).map(|i| b'a' + (i % 26) as u8).collect())),
        (None, None) => Ok(None),
    }
}

/// Validates `expect_broker:` at `path`.
pub(crate) fn expect(raw: &raw::ExpectBroker, path: &str) -> Result<ExpectBroker, Issue> {
    let details = raw.topic.is_some()
        || raw.payload.is_some()
        || raw.payload_bytes.is_some()
        || raw.qos.is_some()
        || raw.retain.is_some();
    match (raw.count, details) {
        (Some(0), false) => return Ok(ExpectBroker::None),
        (Some(0), true) => return Err(Issue::new(
            join(path, "count"),
            "`count: 0` says no message came; it takes no `topic`, `payload`, `qos` or `retain`",
        )),
        (Some(n), _) => {
            return Err(Issue::new(
                join(path, "count"),
                format!("`count` can only be 0 (got {n}); check messages one step each"),
            ))
        }
        (None, _) => {}
    }
    let Some(t) = &raw.topic else {
        return Err(Issue::new(
            path,
            "give the message's `topic` (and what else it must have), or `count: 0`",
        ));
    };
    topic(t, &join(path, "topic"))?;
    let payload = match (&raw.payload, raw.payload_bytes) {
        (Some(_), Some(_)) => {
            return Err(Issue::new(
                join(path, "payload_bytes"),
                "give `payload` or `payload_bytes`, not both",
            ))
        }
        (p, _) => p.as_ref().map(|p| p.as_bytes().to_vec()),
    };
    Ok(ExpectBroker::Message {
        topic: t.clone(),
        payload,
        payload_bytes: raw.payload_bytes,
        qos: qos(raw.qos, path)?,
        retain: raw.retain,
    })
}
