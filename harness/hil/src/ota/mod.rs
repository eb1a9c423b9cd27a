//! OTA: the cloud emulator, the sim's power-cuttable device, and the power-cut campaigns.
//!
//! ```text
//!  Deployment (bundle) ──▶ cloud::deliver ──OtaLink──▶ device (sim: SimOtaDevice; qemu: UART3)
//!                                                         │
//!  campaign: calibrate (golden run, traced) ─▶ cut plans ─▶ run each plan ─▶ checks ─▶ report
//! ```

pub mod campaign;
pub mod command;
pub mod qemu;
pub mod report;
pub mod sim_device;

pub use hil_cloud as cloud;
