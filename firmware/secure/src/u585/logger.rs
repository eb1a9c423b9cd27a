//! The secure defmt log on the STM32U585: frames from `mv-defmt-uart` go to RTT up channel 0 ([`crate::rtt`]).
//!
//! The host reads the channel through the probe and decodes it with the
//! ELF's defmt table. Timestamps are the kernel's µs clock.

pub use mv_defmt_uart::force_unlock;

defmt::timestamp!("{=u64:us}", crate::clock::now_us());

/// Where `mv-defmt-uart` writes the secure image's frames.
#[no_mangle]
fn mv_defmt_emit(bytes: &[u8]) {
    crate::rtt::write_log(bytes);
}

/// A log call from inside a log call ends the run.
#[no_mangle]
fn mv_defmt_nested() -> ! {
    crate::exit::exit(crate::exit::ExitCode::Panic)
}
