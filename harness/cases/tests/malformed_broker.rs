//! Malformed broker steps (`broker`, `expect_broker`): each is rejected with its field path, line, and a message that says what is wrong; well-formed ones become the actions the cloud runs.

use std::path::Path;
use std::time::Duration;

use hil_cases::{parse_case, CaseError, ExpectBroker, NetAction, Step};
use hil_cloud::net::{BrokerAction, BrokerMessage};

const FILE: &str = "conformance/mqtt/bad.yaml";

/// `steps:` is line 7, the first step line 8.
const HEADER: &str = "\
id: mqtt.bad
title: A malformed case
spec:
  quote: \"Acknowledge (needed for QoS>0 to avoid redelivery)\"
  source: \"mv_syscalls.h (SDK 0.7.0)\"
tags: [broker]
";

fn with_steps(steps: &str) -> String {
    format!("{HEADER}steps:\n{steps}")
}

#[track_caller]
fn assert_error(steps: &str, field: &str, line: usize, needle: &str) -> CaseError {
    let error = match parse_case(Path::new(FILE), "mqtt", &with_steps(steps)) {
        Ok(case) => panic!("expected an error, got {} steps", case.steps.len()),
        Err(error) => error,
    };
    assert_eq!(error.field, field, "field of: {error}");
    assert_eq!(error.line, Some(line), "line of: {error}");
    assert!(error.message.contains(needle), "`{needle}` not in: {error}");
    error
}

#[track_caller]
fn steps_of(steps: &str) -> Vec<Step> {
    parse_case(Path::new(FILE), "mqtt", &with_steps(steps))
        .unwrap_or_else(|e| panic!("{e}"))
        .steps
        .into_iter()
        .map(|s| s.step)
        .collect()
}

#[test]
fn a_publish_to_a_wildcard_topic() {
    assert_error(
        "  - broker:\n      publish: { topic: \"hil/#\", payload: x }\n",
        "steps[0].broker.publish.topic",
        9,
        "not a topic a client may publish to",
    );
}

#[test]
fn a_publish_with_qos_3() {
    assert_error(
        "  - broker: { publish: { topic: hil/x, qos: 3 } }\n",
        "steps[0].broker.publish.qos",
        8,
        "3 is not an MQTT QoS",
    );
}

#[test]
fn a_publish_with_both_payloads() {
    assert_error(
        "  - broker: { publish: { topic: hil/x, payload: x, payload_bytes: 4 } }\n",
        "steps[0].broker.publish.payload_bytes",
        8,
        "not both",
    );
}

#[test]
fn two_broker_actions_in_one_step() {
    assert_error(
        "  - broker: { stop: true, start: true }\n",
        "steps[0].broker.start",
        8,
        "this has `stop` and `start`",
    );
}

#[test]
fn stop_false_means_nothing() {
    assert_error(
        "  - broker: { stop: false }\n",
        "steps[0].broker.stop",
        8,
        "can only be `true`",
    );
}

#[test]
fn a_wait_past_the_limit() {
    assert_error(
        "  - broker: { await_drops_ms: 60000 }\n",
        "steps[0].broker.await_drops_ms",
        8,
        "1 to 30000",
    );
}

#[test]
fn an_expectation_without_a_topic() {
    assert_error(
        "  - expect_broker: { payload: x }\n",
        "steps[0].expect_broker",
        8,
        "give the message's `topic`",
    );
}

#[test]
fn count_zero_with_details() {
    assert_error(
        "  - expect_broker: { count: 0, topic: hil/x }\n",
        "steps[0].expect_broker.count",
        8,
        "takes no `topic`",
    );
}

#[test]
fn a_broker_step_in_a_case_not_tagged_broker() {
    let steps = "  - broker: { stop: true }\n";
    let text = format!("{}steps:\n{steps}", HEADER.replace("tags: [broker]\n", ""));
    let error = parse_case(Path::new(FILE), "mqtt", &text).expect_err("untagged");
    assert_eq!(error.field, "steps[0]", "field of: {error}");
    assert_eq!(error.line, Some(7), "line of: {error}");
    assert!(error.message.contains("tag the case `broker`"), "{error}");
}

#[test]
fn well_formed_steps_become_actions() {
    let steps = steps_of(
        "  - broker: { publish: { topic: hil/x, payload_bytes: 3, qos: 1, retain: true } }\n\
         \x20 - broker: { silence_links: true }\n\
         \x20 - broker: { await_drops_ms: 2500 }\n\
         \x20 - expect_broker: { topic: hil/y, qos: 2 }\n\
         \x20 - expect_broker: { count: 0 }\n",
    );
    assert_eq!(
        steps,
        vec![
            Step::Net(NetAction::Broker(BrokerAction::Publish(BrokerMessage {
                topic: "hil/x".into(),
                payload: b"abc".to_vec(),
                qos: 1,
                retain: true,
            }))),
            Step::Net(NetAction::Broker(BrokerAction::SilenceLinks)),
            Step::Net(NetAction::Broker(BrokerAction::AwaitDrops(
                Duration::from_millis(2500)
            ))),
            Step::ExpectBroker(ExpectBroker::Message {
                topic: "hil/y".into(),
                payload: None,
                payload_bytes: None,
                qos: Some(2),
                retain: None,
            }),
            Step::ExpectBroker(ExpectBroker::None),
        ]
    );
}
