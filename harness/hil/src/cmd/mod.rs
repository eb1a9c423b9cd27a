//! One module per subcommand, and [`repo`]: what they share (the repository root, its cases and rigs).

pub mod bench;
pub mod bundle;
pub mod fuzz;
pub mod keys;
pub mod list;
pub mod ota;
pub mod overrun;
mod repo;
pub mod run;
pub mod schema;
