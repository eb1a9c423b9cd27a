//! `hil mqtt-loss`: flood MQTT channels through the lab broker on every rig and account for every message.
//!
//! Every point of the sweep ([`default_sweep`], or [`quick_sweep`]) runs
//! on a fresh device of each rig; each is one case result (passed when
//! every message is accounted for and no rule is broken) and one point
//! event for [`MqttLossSink`], which writes the table, the plot and the
//! JSON. With several rigs, their transcripts are compared. The lab broker
//! is mosquitto, which the cloud starts: without it the campaign does not
//! start, and says so.

mod report;
mod sink;
mod sweep;

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use hil_report::parity::{compare, Difference};
use hil_report::{CaseResult, ExitCode};
use hil_rig::{connect, RigConfig};

pub use report::{json, markdown, svg, Totals};
pub use sink::MqttLossSink;
pub use sweep::{
    default_sweep, payload, quick_sweep, run_point, topic, Fate, Observation, Point, SPEC_QUOTE,
    SPEC_SOURCE, TOPIC_BYTES,
};

use crate::sweep_point::{PointName, SweepCase};
use crate::{CampaignError, CampaignRun, Setup};

/// The campaign's name in point events.
pub const CAMPAIGN: &str = "mqtt-loss";

/// How every point reports as a case.
const SWEEP_CASE: SweepCase = SweepCase {
    campaign: CAMPAIGN,
    area: "mqtt-loss",
    // Where the sweep and its checks live.
    file: "harness/campaign/src/mqtt_loss/sweep.rs",
    tags: &["mqtt", "loss"],
    quote: SPEC_QUOTE,
    source: SPEC_SOURCE,
};

/// How `hil mqtt-loss` went.
pub struct MqttLossSummary {
    /// The run's report folder.
    pub dir: PathBuf,
    pub rigs: Vec<String>,
    /// One result per point and rig, in the order they ran.
    pub results: Vec<CaseResult>,
    /// Per rig, what its points showed.
    pub observations: Vec<(String, Vec<Observation>)>,
    pub interrupted: bool,
    pub exit_code: ExitCode,
}

impl MqttLossSummary {
    /// Points whose transcripts differ between rigs.
    pub fn parity(&self) -> Vec<Difference> {
        compare(&self.results)
    }

    /// The table and plot.
    pub fn table(&self) -> PathBuf {
        self.dir.join("mqtt-loss.md")
    }
}

/// `points` on every rig, through the report sinks; stops taking points
/// when `setup.stop` is set.
pub fn run(
    rigs: &[RigConfig],
    points: &[Point],
    setup: Setup,
) -> Result<MqttLossSummary, CampaignError> {
    // The harness publishes the floods from outside the device, which the
    // embedded broker cannot serve (harness/cloud/src/net/embedded_broker.rs).
    match hil_rig::broker_kind() {
        Ok(hil_rig::BrokerKind::Mosquitto(_)) => {}
        Ok(hil_rig::BrokerKind::Embedded { .. }) => {
            return Err(CampaignError::Failed(
                "the MQTT loss campaign needs mosquitto (Debian package `mosquitto`): the harness \
                 publishes the floods from outside the device, which the embedded broker \
                 (rumqttd, used where mosquitto is missing or HIL_MQTT_BROKER=embedded) cannot"
                    .into(),
            ))
        }
        Err(why) => {
            return Err(CampaignError::Failed(format!(
                "the MQTT loss campaign needs the lab's MQTT broker: {why}"
            )))
        }
    }
    let names: Vec<String> = rigs.iter().map(|r| r.name.clone()).collect();
    let mut run = CampaignRun::start(
        &setup.reports,
        &setup.command,
        names.clone(),
        rigs.len() * points.len(),
        setup.sinks,
        |dir| vec![Box::new(MqttLossSink::new(dir))],
    )?;
    let stopped = || setup.stop.load(Ordering::SeqCst);
    let mut results = Vec::new();
    let mut observations: Vec<(String, Vec<Observation>)> = Vec::new();
    let mut interrupted = false;
    'rigs: for rig in rigs {
        let mut session = connect(rig)?;
        observations.push((rig.name.clone(), Vec::new()));
        for &point in points {
            if stopped() {
                interrupted = true;
                break 'rigs;
            }
            let name = PointName {
                id: point.id(),
                title: point.title(),
                group: format!("b{}-q{}", point.buffer, point.qos),
            };
            let (result, observed) =
                SWEEP_CASE.run_point(&mut run, &rig.name, name, session.as_mut(), |s| {
                    run_point(s, point)
                })?;
            if let (Some(obs), Some((_, list))) = (observed, observations.last_mut()) {
                list.push(obs);
            }
            results.push(result);
        }
    }
    for (rig, list) in &observations {
        let t = Totals::of(list);
        for (name, value) in [
            ("points", t.points),
            ("failures", t.failures),
            ("sent", t.sent),
            ("lost", t.lost),
            ("unaccounted", t.unaccounted),
            ("qos1_lost_fitting", t.qos1_lost_fitting),
        ] {
            run.figure(CAMPAIGN, rig, name, f64::from(value));
        }
    }
    let dir = run.path().to_owned();
    let exit_code = run.finish(&results, interrupted)?;
    Ok(MqttLossSummary {
        dir,
        rigs: names,
        results,
        observations,
        interrupted,
        exit_code,
    })
}
