//! One module per subcommand, and what they share: [`repo`] (the repository root, its cases and rigs), [`runs`] (report folders and the gate's inputs), [`html`] (report.html with every section).

pub mod baseline;
pub mod bench;
pub mod bundle;
pub mod coverage;
pub mod emulate_board;
pub mod fuzz;
pub mod gate;
pub mod history;
mod html;
pub mod keys;
pub mod list;
pub mod merge;
pub mod mqtt_loss;
pub mod nightly;
pub mod ota;
pub mod overrun;
pub mod probe;
pub mod repo;
pub mod rig_check;
pub mod run;
pub mod runs;
pub mod schema;
