//! The AN505 agent's map under the names the shared modules use (`memory_map`, `mpu`).
//!
//! The one definition is `mv_boards::an505`; this only picks from it.

pub use mv_boards::an505::{
    BOARD, NS_CODE_BASE, NS_CODE_SIZE, NS_RAM_BASE, NS_RAM_END, PRIVILEGED_ONLY_BASE,
    PRIVILEGED_ONLY_SIZE,
};
