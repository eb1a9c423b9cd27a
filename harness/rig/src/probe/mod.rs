//! The probe layer: a board reached through a debug probe with the probe-rs library (no subprocess).
//!
//! ```text
//! rig file probe: { selector, chip } ─▶ select (list, find, open) ─▶ ProbeTarget (attach)
//!     ─▶ flash (plan: secure image first, verified) ─▶ reset / halt / run / read
//!     ─▶ RttLog (defmt over RTT, decoded with source locations) ─▶ caught faults (vector catch)
//! ```
//!
//! [`link`] pumps the cloud link and the log over RTT for a board session.
//!
//! [`flash_ops`] holds the core at the start of flash operation N and cuts
//! the power there (the power-cut campaign's exact cuts, on a board).
//!
//! [`plan`] is also what CI checks without a board: probe-rs's `FakeProbe`
//! attaches to the chip and the real images are planned and committed
//! with `dry_run`.

mod error;
pub mod fault;
pub mod flash_ops;
pub mod link;
pub mod plan;
mod quiet;
pub mod rtt;
pub mod select;
mod target;

pub use error::ProbeError;
pub use link::RttLink;
pub use plan::{dry_run, dry_run_quietly, FlashPlan, ImageRole, PlannedBlock, STM32U585};
/// What finds probes: `Lister::new()` sees every probe on this host.
pub use probe_rs::probe::list::Lister;
pub use rtt::RttLog;
pub use select::{find_probe, list_probes, parse_selector, ListedProbe, ProbeSpec};
pub use target::{Caught, ProbeTarget};
