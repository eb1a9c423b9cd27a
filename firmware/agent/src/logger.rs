//! The agent's defmt log: frames from `mv-defmt-uart` go to UART2.
//!
//! The host captures UART2 (the third `-serial`) and decodes it with the ELF's
//! defmt table (no timestamps: the secure log has them).

pub use mv_defmt_uart::force_unlock;

use crate::uart::Uart;

/// Where `mv-defmt-uart` writes the agent's frames.
#[no_mangle]
fn mv_defmt_emit(bytes: &[u8]) {
    Uart::agent_log().write(bytes);
}

/// A log call from inside a log call ends the run.
#[no_mangle]
fn mv_defmt_nested() -> ! {
    crate::exit::exit(crate::exit::ExitCode::AgentPanic)
}
