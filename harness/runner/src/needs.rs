//! What a case needs from the host beyond the rig: today, the MQTT broker.
//!
//! A case tagged `broker` talks to the lab's MQTT broker, which the cloud
//! starts itself ([`hil_cloud::net::broker_kind`]): mosquitto where it is
//! installed, else the embedded broker (rumqttd, MQTT 3.1.1 only, never
//! stopped). On the embedded broker a case that needs more — an MQTT 5
//! connect, stopping or starting the broker, publishing from outside the
//! device, checking what the broker received — is reported skipped with
//! that reason on every rig, never failed and never silently dropped. Where
//! there is no broker at all (`HIL_REQUIRE_MOSQUITTO=1` without mosquitto,
//! as CI would be) nothing is skipped: the case fails, saying why.

use hil_cases::{Case, Init, MemType, NetAction, Step, Value, WriteWhat};
use hil_cloud::net::{BrokerAction, BrokerKind, BROKER_VAR};

/// The tag of cases that need the MQTT broker.
pub const BROKER_TAG: &str = "broker";

/// Why `case` is not run on a rig running `images` (the rig's
/// `RigKind::images`) on this host, if it is not: the case's own `skip:`
/// for those images, else [`host_skip`].
pub fn skip_reason(case: &Case, images: &str) -> Option<String> {
    case.skip.get(images).cloned().or_else(|| host_skip(case))
}

/// Why `case` cannot run on this host, if it cannot.
pub fn host_skip(case: &Case) -> Option<String> {
    if !case.tags.iter().any(|t| t == BROKER_TAG) {
        return None;
    }
    let Ok(BrokerKind::Embedded { forced }) = hil_cloud::net::broker_kind() else {
        return None;
    };
    let needs = needs_mosquitto(case)?;
    let why_embedded = if forced {
        format!("{BROKER_VAR}=embedded")
    } else {
        "mosquitto is not installed: Debian package `mosquitto`".to_owned()
    };
    Some(format!(
        "needs mosquitto: it {needs}; this host's broker is the embedded one \
         (rumqttd, MQTT 3.1.1 only; {why_embedded})"
    ))
}

/// What `case` does that only mosquitto serves, if anything.
pub fn needs_mosquitto(case: &Case) -> Option<&'static str> {
    case.steps.iter().find_map(|at| match &at.step {
        Step::Alloc(a) if is_connect_request(a.ty) => a.init.as_ref().and_then(|init| match init {
            Init::Struct(fields) => fields.iter().find_map(|f| asks_v5(&f.field.path, &f.value)),
            _ => None,
        }),
        Step::Write(w) => match &w.what {
            WriteWhat::Field(f) => asks_v5(&f.field.path, &f.value),
            _ => None,
        },
        Step::Net(NetAction::Broker(action)) => match action {
            BrokerAction::Stop | BrokerAction::Start => Some("stops and starts the broker"),
            BrokerAction::Publish(_) | BrokerAction::Flood(_) => {
                Some("publishes from outside the device")
            }
            // The tap between the bridge and the broker serves either broker.
            BrokerAction::DropLinks | BrokerAction::SilenceLinks | BrokerAction::AwaitDrops(_) => {
                None
            }
        },
        Step::ExpectBroker(_) => Some("checks what the broker received"),
        _ => None,
    })
}

fn is_connect_request(ty: MemType) -> bool {
    matches!(ty, MemType::Struct(layout) if layout.name == "MvMqttConnectRequest")
}

/// A connect request's `protocol_version` set to anything but 3.1.1 (a
/// value known only when the step runs counts as MQTT 5).
fn asks_v5(path: &[&str], value: &Value) -> Option<&'static str> {
    let v311 = mv_abi::MvMqttProtocolVersion::V3_1_1 as u64;
    (path == ["protocol_version"] && *value != Value::Number(v311))
        .then_some("connects with MQTT 5")
}
