//! The secure defmt log: frames from `mv-defmt-uart` go to UART0.
//!
//! The host captures UART0 (`-serial file:...`) and decodes it with the ELF's
//! defmt table. Timestamps are the kernel's µs clock.

pub use mv_defmt_uart::force_unlock;

use crate::uart::Uart;

defmt::timestamp!("{=u64:us}", crate::clock::now_us());

/// Where `mv-defmt-uart` writes the secure image's frames.
#[no_mangle]
fn mv_defmt_emit(bytes: &[u8]) {
    Uart::secure_uart0().write(bytes);
}

/// A log call from inside a log call ends the run.
#[no_mangle]
fn mv_defmt_nested() -> ! {
    crate::exit::exit(crate::exit::ExitCode::Panic)
}
