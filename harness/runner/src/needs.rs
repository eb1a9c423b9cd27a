//! What a case needs from the host beyond the rig: today, the MQTT broker.
//!
//! A case tagged `broker` talks to the lab's MQTT broker (mosquitto, which
//! the cloud starts itself). Without mosquitto the case is reported skipped
//! with that reason on every rig, never failed and never silently dropped;
//! `HIL_REQUIRE_MOSQUITTO=1` (CI) runs it anyway, so a missing broker is an
//! error there.

use hil_cases::Case;

/// The tag of cases that need the MQTT broker.
pub const BROKER_TAG: &str = "broker";

/// Why `case` cannot run on this host, if it cannot.
pub fn host_skip(case: &Case) -> Option<String> {
    let needs_broker = case.tags.iter().any(|t| t == BROKER_TAG);
    let broker_missing =
        hil_cloud::net::mosquitto_path().is_none() && !hil_cloud::net::mosquitto_required();
    (needs_broker && broker_missing).then(|| {
        "needs the MQTT broker: mosquitto is not installed (Debian package `mosquitto`; \
         HIL_REQUIRE_MOSQUITTO=1 makes this an error)"
            .to_owned()
    })
}
