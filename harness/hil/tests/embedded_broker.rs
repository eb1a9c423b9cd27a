//! The MQTT suite on the embedded broker (rumqttd), as a host without mosquitto runs it.
//!
//! `HIL_MQTT_BROKER=embedded` makes `hil` use the embedded broker even
//! where mosquitto is installed (as in CI), so this runs everywhere: every
//! MQTT case either passes on it or is skipped with the reason the runner
//! derives from the case ([`hil_runner::needs_mosquitto`]) — and the
//! 3.1.1 round trip really runs through it, on the sim and (where
//! qemu-system-arm is installed; `HIL_REQUIRE_QEMU=1` demands it) on QEMU.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

mod support;

use support::repo;

/// (rig, case id) → (status, reason).
type Outcomes = BTreeMap<(String, String), (String, String)>;

fn outcomes(results: &serde_json::Value) -> Outcomes {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_owned();
    results["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let o = &c["outcome"];
            (
                (text(&c["rig"]), text(&c["case_id"])),
                (text(&o["status"]), text(&o["reason"])),
            )
        })
        .collect()
}

#[test]
fn mqtt_cases_pass_on_the_embedded_broker_or_skip_saying_they_need_mosquitto() {
    let qemu = hil_rig::qemu::installed(Path::new("qemu-system-arm"));
    assert!(
        qemu || std::env::var_os("HIL_REQUIRE_QEMU").is_none(),
        "HIL_REQUIRE_QEMU is set but qemu-system-arm is not installed"
    );
    let mut rigs = vec!["sim"];
    if qemu {
        rigs.push("qemu-an505");
    } else {
        eprintln!("qemu-system-arm is not installed: the MQTT cases run on the embedded broker on the sim only");
    }
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
        .args(rigs.iter().flat_map(|r| ["--rig", r]))
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
    let outcomes = outcomes(&results);

    // What the runner says each case needs, from the case files themselves.
    let suite = hil_cases::load_suite(&repo().join("conformance")).unwrap();
    let mqtt: Vec<_> = suite.cases.iter().filter(|c| c.area == "mqtt").collect();
    assert_eq!(
        outcomes.len(),
        mqtt.len() * rigs.len(),
        "every MQTT case ran on every rig: {outcomes:?}"
    );
    for rig in &rigs {
        for case in &mqtt {
            let (status, reason) = &outcomes[&(rig.to_string(), case.id.clone())];
            let needs = case
                .tags
                .iter()
                .any(|t| t == hil_runner::BROKER_TAG)
                .then(|| hil_runner::needs_mosquitto(case))
                .flatten();
            match needs {
                Some(what) => {
                    assert_eq!(status, "skipped", "{rig}: {}: {reason}", case.id);
                    assert!(
                        reason.contains(what) && reason.contains("HIL_MQTT_BROKER=embedded"),
                        "{rig}: {}: the reason says what the case needs and why the broker is the embedded one: {reason}",
                        case.id
                    );
                }
                None => assert_eq!(status, "passed", "{rig}: {}: {reason}", case.id),
            }
        }
        // The 3.1.1 subset is not empty, and the round trip is in it.
        let round_trip = &outcomes[&(rig.to_string(), "mqtt.round-trip-v3".to_owned())];
        assert_eq!(round_trip.0, "passed", "{rig}");
    }
    assert!(
        outcomes
            .values()
            .any(|(_, r)| r.contains("connects with MQTT 5")),
        "MQTT 5 cases are among the skipped: {outcomes:?}"
    );
}
