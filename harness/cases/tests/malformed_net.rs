//! Malformed network steps (`server`, `expect_server_request`, `config`, `relay`, `expect_relay`):
//! each is rejected with its field path, line, and a message that says what is wrong.

use std::path::Path;

use hil_cases::{parse_case, CaseError, NetAction, Step};

const FILE: &str = "conformance/http/bad.yaml";

/// `steps:` is line 6, the first step line 7.
const HEADER: &str = "\
id: http.bad
title: A malformed case
spec:
  quote: \"only https:// is supported\"
  source: \"mv_syscalls.h (SDK 0.7.0)\"
";

fn with_steps(steps: &str) -> String {
    format!("{HEADER}steps:\n{steps}")
}

#[track_caller]
fn assert_error(steps: &str, field: &str, line: usize, needles: &[&str]) -> CaseError {
    let error = match parse_case(Path::new(FILE), "http", &with_steps(steps)) {
        Ok(case) => panic!("expected an error, got {} steps", case.steps.len()),
        Err(error) => error,
    };
    assert_eq!(error.field, field, "field of: {error}");
    assert_eq!(error.line, Some(line), "line of: {error}");
    for needle in needles {
        assert!(error.message.contains(needle), "`{needle}` not in: {error}");
    }
    error
}

#[test]
fn a_route_for_a_method_the_cloud_refuses() {
    assert_error(
        "  - server:\n      routes:\n        - { method: PUTT, path: /x }\n",
        "steps[0].server.routes[0].method",
        9,
        &[
            "`PUTT` is not a method the cloud passes on",
            "did you mean `PUT`?",
        ],
    );
}

#[test]
fn a_route_path_without_a_slash() {
    assert_error(
        "  - server:\n      routes:\n        - { path: todos/1 }\n",
        "steps[0].server.routes[0].path",
        9,
        &["must start with `/`"],
    );
}

#[test]
fn a_route_header_that_is_not_name_value() {
    assert_error(
        "  - server:\n      routes:\n        - { path: /x, headers: [\"content type: text\"] }\n",
        "steps[0].server.routes[0].headers[0]",
        9,
        &["is not a header", "name: value"],
    );
}

#[test]
fn a_route_with_two_bodies() {
    assert_error(
        "  - server:\n      routes:\n        - { path: /x, body: hi, body_bytes: 4 }\n",
        "steps[0].server.routes[0].body_bytes",
        9,
        &["not both"],
    );
}

#[test]
fn a_status_that_is_not_http() {
    assert_error(
        "  - server:\n      routes:\n        - { path: /x, status: 99 }\n",
        "steps[0].server.routes[0].status",
        9,
        &["not an HTTP status code"],
    );
}

#[test]
fn a_link_drop_past_the_body() {
    assert_error(
        "  - server:\n      routes:\n        - { path: /x, body: abc, drop_link_after: 4 }\n",
        "steps[0].server.routes[0].drop_link_after",
        9,
        &["the body has 3 bytes"],
    );
}

#[test]
fn a_server_step_with_routes_and_down() {
    assert_error(
        "  - server: { routes: [], down: true }\n",
        "steps[0].server.down",
        7,
        &["give only one of"],
    );
}

#[test]
fn an_unknown_route_key_is_named() {
    assert_error(
        "  - server:\n      routes:\n        - { path: /x, delay: 5 }\n",
        "steps[0].server.routes[0].delay",
        9,
        &["unknown key `delay`"],
    );
}

#[test]
fn expecting_no_request_takes_no_details() {
    assert_error(
        "  - expect_server_request: { count: 0, method: GET }\n",
        "steps[0].expect_server_request.count",
        7,
        &["takes no `method`"],
    );
}

#[test]
fn an_empty_request_expectation() {
    assert_error(
        "  - expect_server_request: {}\n",
        "steps[0].expect_server_request",
        7,
        &["give what the request must have"],
    );
}

#[test]
fn a_config_value_with_an_unknown_scope() {
    assert_error(
        "  - config:\n      - { scope: PLANET, store: SECRET, key: k, value: v }\n",
        "steps[0].config[0].scope",
        8,
        &["PLANET"],
    );
}

#[test]
fn a_config_entry_with_value_and_error() {
    assert_error(
        "  - config:\n      - { scope: ACCOUNT, store: SECRET, key: k, value: v, error: true }\n",
        "steps[0].config[0].error",
        8,
        &["give only one of"],
    );
}

#[test]
fn a_relay_close_that_is_false() {
    assert_error(
        "  - relay: { close: false }\n",
        "steps[0].relay.close",
        7,
        &["can only be `true`"],
    );
}

#[test]
fn well_formed_network_steps_load_into_their_model() {
    let text = with_steps(
        "  - server:\n      routes:\n        - { method: POST, path: \"/a?b=1\", status: 201, headers: [\"x-a: 1\"], body_bytes: 3, delay_ms: 5 }\n  - config:\n      - { scope: DEVICE, store: CONFIG, key: units, value: metric }\n  - relay: { send: hi }\n  - expect_relay: { received: hi, closed: false }\n",
    );
    let case = parse_case(Path::new(FILE), "http", &text).unwrap_or_else(|e| panic!("{e}"));
    let Step::Net(NetAction::Routes(routes)) = &case.steps[0].step else {
        panic!("{:?}", case.steps[0].step);
    };
    assert_eq!(routes[0].body, b"abc");
    assert_eq!(routes[0].headers, [("x-a".to_owned(), "1".to_owned())]);
    assert!(routes[0].matches("POST", "/a?b=1") && !routes[0].matches("POST", "/a?b=2"));
    let Step::Net(NetAction::Config(entries)) = &case.steps[1].step else {
        panic!("{:?}", case.steps[1].step);
    };
    assert_eq!((entries[0].scope, entries[0].store), (1, 1));
    assert!(matches!(&case.steps[2].step, Step::Net(NetAction::RelaySend(b)) if b == b"hi"));
}

#[test]
fn an_array_init_that_does_not_fit() {
    assert_error(
        "  - alloc: { name: h, type: MvHttpHeader, init: [ { length: 1 }, { length: 2 } ] }\n",
        "steps[0].alloc.init",
        7,
        &["16 bytes do not fit in the allocation's 8 bytes"],
    );
}

#[test]
fn an_array_element_that_is_not_a_map() {
    assert_error(
        "  - alloc: { name: h, type: MvHttpHeader, size: 16, init: [ { length: 1 }, 7 ] }\n",
        "steps[0].alloc.init[1]",
        7,
        &["element 1 of a MvHttpHeader array is a map"],
    );
}

#[test]
fn a_ptr_allocation_holds_an_address() {
    let text = with_steps("  - alloc: { name: rx, type: bytes, size: 16 }\n  - alloc: { name: p, type: ptr, init: \"@rx+4\" }\n");
    let case = parse_case(Path::new(FILE), "http", &text).unwrap_or_else(|e| panic!("{e}"));
    let Step::Alloc(a) = &case.steps[1].step else {
        panic!("{:?}", case.steps[1].step);
    };
    assert_eq!((a.ty.name(), a.size, a.align), ("ptr", 4, 4));
}

#[test]
fn a_batch_holds_calls_only() {
    assert_error(
        "  - batch:\n      - { call: mvNoOp, expect: OKAY }\n      - { delay_us: 5 }\n",
        "steps[0].batch[1].delay_us",
        9,
        &["unknown key `delay_us`"],
    );
}

#[test]
fn a_successful_restart_cannot_be_batched() {
    assert_error(
        "  - batch:\n      - { call: mvRestart, args: [0], expect: OKAY }\n",
        "steps[0].batch[0].call",
        8,
        &["make it a `call` step of its own"],
    );
}

#[test]
fn a_batch_call_needs_its_expectation() {
    assert_error(
        "  - batch:\n      - { call: mvNoOp }\n",
        "steps[0].batch[0].expect",
        8,
        &["a call needs `expect:`"],
    );
}
