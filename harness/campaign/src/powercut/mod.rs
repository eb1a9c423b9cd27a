//! `hil ota powercut`: cut power at every flash operation of an update and check what survives.
//!
//! ```text
//!  calibrate (golden run on the sim, traced) ─▶ cut plans ─▶ run each plan ─▶ checks ─▶ points
//!     sim:  CampaignDevice (hil-sim's device: kernel + device core over the one flash model), every plan, in parallel
//!     qemu: QemuOta (the secure image over file-backed NVM), chosen plans + SIGKILLs + scenarios
//!  points ─▶ Event::Point ─▶ PowercutSink (powercut.md/.svg/.json); groups ─▶ case results
//! ```

mod command;
mod plan;
mod qemu;
mod report;
mod scenario;
mod sim_device;
mod sink;
mod sweep;

pub use command::{replay_qemu, replay_sim, run_qemu, run_sim, QemuPlans};
pub use hil_sim::DeviceError;
pub use plan::{
    chosen_plans, nested_plans, parse_plan, plan_id, random_plans, single_plans, Calibration, Cut,
    Outcome, Phase, PlanError, PointResult,
};
pub use qemu::{QemuOta, NS_CODE_BASE};
pub use report::{json, markdown, svg, Section};
pub use scenario::{development_key, expected_rejection, padded, synthetic_rom, Images, Scenario};
pub use sim_device::CampaignDevice;
pub use sink::{write_report, PowercutSink, PowercutSummary, ReportInfo, CAMPAIGN};
pub use sweep::{par_map, run, CampaignConfig, CampaignResult};
