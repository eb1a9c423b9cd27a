//! Steps on the lab's MQTT broker: what a `broker` step did, and `expect_broker` against what the harness's own subscriber saw.

use std::time::Duration;

use hil_cases::ExpectBroker;
use hil_rig::{BrokerAction, BrokerMessage};

use super::{Executor, StepError, StepResult};

/// How long `expect_broker` waits for a message the device published (the
/// broker routes it to the observer a moment after it answered the device).
const ARRIVAL_WAIT: Duration = Duration::from_secs(5);
/// How long `expect_broker: { count: 0 }` lets a late message arrive.
const QUIET_WAIT: Duration = Duration::from_millis(200);

/// The transcript line of a `broker` step (rig-independent: no ports, no times).
pub(super) fn action_text(action: &BrokerAction) -> String {
    match action {
        BrokerAction::Publish(m) => {
            format!("broker: the harness's client publishes {}", describe(m))
        }
        BrokerAction::Flood(messages) => format!(
            "broker: the harness's client publishes {} messages back to back",
            messages.len()
        ),
        BrokerAction::Stop => "broker: stopped (killed; its connections close)".to_owned(),
        BrokerAction::Start => "broker: started again on the same port".to_owned(),
        BrokerAction::DropLinks => "broker: the bridge's connections are cut".to_owned(),
        BrokerAction::SilenceLinks => {
            "broker: the bridge's connections go silent (nothing arrives either way)".to_owned()
        }
        BrokerAction::AwaitDrops(wait) => format!(
            "broker: wait (at most {} ms) until every bridge connection broke",
            wait.as_millis()
        ),
    }
}

fn describe(m: &BrokerMessage) -> String {
    format!(
        "{:?} qos {} retain {}, payload {:?} ({} bytes)",
        m.topic,
        m.qos,
        m.retain,
        shown(&m.payload),
        m.payload.len()
    )
}

/// A payload as text, cut after 32 bytes.
fn shown(payload: &[u8]) -> String {
    let text = String::from_utf8_lossy(&payload[..payload.len().min(32)]).into_owned();
    if payload.len() > 32 {
        format!("{text}…")
    } else {
        text
    }
}

impl Executor<'_> {
    pub(super) fn expect_broker(&mut self, e: &ExpectBroker) -> StepResult {
        let wait = match e {
            ExpectBroker::None => QUIET_WAIT,
            ExpectBroker::Message { .. } if self.pending_broker.is_empty() => ARRIVAL_WAIT,
            ExpectBroker::Message { .. } => Duration::ZERO,
        };
        let mut got = self.session.broker_received(wait)?;
        self.pending_broker.append(&mut got);
        match e {
            ExpectBroker::None => {
                self.line("expect the broker received no message");
                match self.pending_broker.first() {
                    None => Ok(()),
                    Some(m) => Err(StepError::Failed(format!(
                        "the broker received {}",
                        describe(m)
                    ))),
                }
            }
            ExpectBroker::Message {
                topic,
                payload,
                payload_bytes,
                qos,
                retain,
            } => {
                let mut wanted = vec![format!("topic {topic:?}")];
                if let Some(p) = payload {
                    wanted.push(format!("payload {:?}", shown(p)));
                }
                if let Some(n) = payload_bytes {
                    wanted.push(format!("{n} payload bytes"));
                }
                if let Some(q) = qos {
                    wanted.push(format!("qos {q}"));
                }
                if let Some(r) = retain {
                    wanted.push(format!("retain {r}"));
                }
                self.line(&format!(
                    "expect the broker received: {}",
                    wanted.join(", ")
                ));
                if self.pending_broker.is_empty() {
                    return Err(StepError::Failed(
                        "the broker received no (further) message".into(),
                    ));
                }
                let m = self.pending_broker.remove(0);
                let differs = m.topic != *topic
                    || payload.as_ref().is_some_and(|p| *p != m.payload)
                    || payload_bytes.is_some_and(|n| n as usize != m.payload.len())
                    || qos.is_some_and(|q| q != m.qos)
                    || retain.is_some_and(|r| r != m.retain);
                if differs {
                    return Err(StepError::Failed(format!(
                        "the oldest message differs: {}",
                        describe(&m)
                    )));
                }
                Ok(())
            }
        }
    }
}
