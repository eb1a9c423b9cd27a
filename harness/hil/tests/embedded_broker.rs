//! The MQTT suite on the embedded broker (rumqttd), as a host without mosquitto runs it.
//!
//! `HIL_MQTT_BROKER=embedded` makes `hil` use the embedded broker even
//! where mosquitto is installed (as in CI), so this runs everywhere: every
//! MQTT case either passes on it or is skipped with the reason the runner
//! derives from the case ([`hil_runner::needs_mosquitto`]) — and the
//! 3.1.1 round trip really runs through it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn mqtt_cases_pass_on_the_embedded_broker_or_skip_saying_they_need_mosquitto() {
    let reports = tempfile::Builder::new()
        .prefix("hil-embedded-broker-")
        .tempdir()
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hil"))
        .args([
            "--root",
            repo().to_str().unwrap(),
            "run",
            "--filter",
            "mqtt.*",
        ])
        .arg("--reports")
        .arg(reports.path())
        .env("HIL_MQTT_BROKER", "embedded")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr: {stderr}");
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(reports.path().join("latest/results.json")).unwrap())
            .unwrap();
    let outcomes: BTreeMap<String, (String, String)> = results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let o = &c["outcome"];
            (
                c["case_id"].as_str().unwrap().to_owned(),
                (
                    o["status"].as_str().unwrap().to_owned(),
                    o["reason"].as_str().unwrap_or("").to_owned(),
                ),
            )
        })
        .collect();

    // What the runner says each case needs, from the case files themselves.
    let suite = hil_cases::load_suite(&repo().join("conformance")).unwrap();
    let mqtt: Vec<_> = suite.cases.iter().filter(|c| c.area == "mqtt").collect();
    assert_eq!(
        outcomes.len(),
        mqtt.len(),
        "every MQTT case ran: {outcomes:?}"
    );
    for case in mqtt {
        let (status, reason) = &outcomes[&case.id];
        let needs = case
            .tags
            .iter()
            .any(|t| t == hil_runner::BROKER_TAG)
            .then(|| hil_runner::needs_mosquitto(case))
            .flatten();
        match needs {
            Some(what) => {
                assert_eq!(status, "skipped", "{}: {reason}", case.id);
                assert!(
                    reason.contains(what) && reason.contains("HIL_MQTT_BROKER=embedded"),
                    "{}: the reason says what the case needs and why the broker is the embedded one: {reason}",
                    case.id
                );
            }
            None => assert_eq!(status, "passed", "{}: {reason}", case.id),
        }
    }
    // The 3.1.1 subset is not empty, and the round trip is in it; MQTT 5 is not.
    assert_eq!(outcomes["mqtt.round-trip-v3"].0, "passed");
    assert!(
        outcomes
            .values()
            .any(|(_, r)| r.contains("connects with MQTT 5")),
        "{outcomes:?}"
    );
}
