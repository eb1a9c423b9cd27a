//! `hil ota powercut`: cut power at every flash operation of an update and check what survives.
//!
//! ```text
//!  calibrate (golden run on the sim, traced) ─▶ cut plans ─▶ run each plan ─▶ checks ─▶ points
//!     sim:  CampaignDevice (hil-sim's device: kernel + device core over the one flash model), every plan, in parallel,
//!           each from the golden run's flash at its first cut, joining a verified reference where provably equal (golden.rs)
//!     qemu: QemuOta (the secure image over file-backed NVM), chosen plans + SIGKILLs + scenarios
//!     board: BoardOta (a board rig: cuts by its power backend, or a probe; checks over its links)
//!  plan (sizes and groups, before the first reported point) ─▶ PowercutRun ─▶ every point as it finishes:
//!     Event::Point ─▶ PowercutSink (powercut.jsonl at once; powercut.md/.svg/.json at the end)
//!     a group's last point ─▶ its case result (results.json/junit.xml/summary.md)
//! ```

mod agent;
mod board;
mod command;
mod golden;
mod plan;
mod qemu;
mod replay;
mod report;
mod scenario;
mod sim_device;
mod sink;
mod stream;
mod sweep;

pub use agent::Agent;
pub use board::{replay_board, run_board, BoardOta, BoardPlans, Timeline};
pub use command::{replay_qemu, replay_sim, run_qemu, QemuPlans, Replayed};
pub use golden::{Golden, CHECKPOINT_EVERY};
pub use hil_sim::DeviceError;
pub use plan::{
    chosen_plans, nested_plans, parse_plan, plan_id, random_plans, single_plans, Calibration,
    CampaignPlan, Convergence, Cut, Outcome, Phase, PlanError, PointResult, Reference, Verified,
};
pub use qemu::{schedule, with_references, QemuOta, NS_CODE_BASE};
pub use replay::{check_first_cut, Replay};
pub use report::{json, markdown, point_json, svg, Section};
pub use scenario::{
    development_key, expected_rejection, padded, synthetic_rom, tamper_verdict, Copied, Images,
    Regions, Scenario,
};
pub use sim_device::CampaignDevice;
pub use sink::{Closing, PowercutSink, CAMPAIGN};
pub use stream::{PowercutRun, PowercutSummary};
pub use sweep::{par_map, run_sim, CampaignConfig};
