//! The committed JSON Schema matches the raw types, and describes the case format.

use std::path::Path;

const COMMITTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/schema/case.schema.json"
);

#[test]
fn committed_schema_is_current() {
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    let current = hil_cases::json_schema();
    // Compare as JSON values: key order depends on serde_json's
    // `preserve_order`, which cargo's feature unification may switch on.
    let parse = |s: &str| serde_json::from_str::<serde_json::Value>(s).ok();
    assert!(
        parse(&committed).is_some() && parse(&committed) == parse(&current),
        "{} is stale or missing; regenerate it with `cargo hil schema > conformance/schema/case.schema.json`",
        Path::new(COMMITTED).display()
    );
}

#[test]
fn schema_describes_steps_and_denies_unknown_keys() {
    let schema: serde_json::Value = serde_json::from_str(&hil_cases::json_schema()).expect("JSON");
    assert_eq!(schema["title"], "Conformance case");
    assert_eq!(schema["additionalProperties"], false);
    let required = schema["required"].as_array().expect("required");
    for key in ["id", "title", "spec", "steps"] {
        assert!(required.iter().any(|k| k == key), "`{key}` not required");
    }
    let step = &schema["$defs"]["Step"];
    assert_eq!(step["additionalProperties"], false);
    assert!(step["properties"]["alloc"].is_object());
    assert_eq!(step["oneOf"].as_array().map(Vec::len), Some(24));
    for verb in [
        "expect_test_log",
        "server",
        "expect_server_request",
        "config",
        "relay",
        "expect_relay",
        "attack",
        "broker",
        "expect_broker",
    ] {
        assert!(step["properties"][verb].is_object(), "`{verb}` is a step");
    }
    let placements = &schema["$defs"]["Placement"];
    assert!(
        placements.to_string().contains("straddle_ns_secure"),
        "{placements}"
    );
    let text = schema.to_string();
    assert!(
        !text.contains("\"null\"") && !text.contains(":null"),
        "optional keys must not allow null"
    );
}
