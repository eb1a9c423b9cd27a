//! `overrun.md` and `overrun.svg`: what the overrun campaign draws from its points ([`PointSink`]).

use crate::point_sink::{ByRig, CampaignFiles, PointSink};

use super::report::{markdown, svg};
use super::sweep::Observation;
use super::CAMPAIGN;

/// Writes `<dir>/overrun.md` and `<dir>/overrun.svg` at the end of the run.
pub type OverrunSink = PointSink<OverrunFiles>;

/// The overrun campaign's table and plot.
pub struct OverrunFiles;

impl CampaignFiles for OverrunFiles {
    type Observation = Observation;
    const CAMPAIGN: &'static str = CAMPAIGN;
    const WHAT: &'static str = "an overrun point";
    const TABLE: &'static str = "overrun.md";

    fn table(by_rig: &ByRig<Observation>) -> String {
        markdown(by_rig)
    }

    fn others(by_rig: &ByRig<Observation>) -> Vec<(&'static str, String)> {
        vec![("overrun.svg", svg(by_rig))]
    }
}
