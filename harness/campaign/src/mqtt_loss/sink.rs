//! `mqtt-loss.md`, `mqtt-loss.svg` and `mqtt-loss.json`: what the MQTT loss campaign draws from its points ([`PointSink`]).

use crate::point_sink::{ByRig, CampaignFiles, PointSink};

use super::report::{json, markdown, svg};
use super::sweep::Observation;
use super::CAMPAIGN;

/// Writes `<dir>/mqtt-loss.{md,svg,json}` at the end of the run.
pub type MqttLossSink = PointSink<MqttLossFiles>;

/// The MQTT loss campaign's table, plot and data.
pub struct MqttLossFiles;

impl CampaignFiles for MqttLossFiles {
    type Observation = Observation;
    const CAMPAIGN: &'static str = CAMPAIGN;
    const WHAT: &'static str = "an MQTT loss point";
    const TABLE: &'static str = "mqtt-loss.md";

    fn table(by_rig: &ByRig<Observation>) -> String {
        markdown(by_rig)
    }

    fn others(by_rig: &ByRig<Observation>) -> Vec<(&'static str, String)> {
        vec![
            ("mqtt-loss.svg", svg(by_rig)),
            ("mqtt-loss.json", json(by_rig)),
        ]
    }
}
