//! The secure image for QEMU `mps2-an505`: TrustZone bring-up, then the kernel behind the NSC table.
//!
//! Boot runs once, in this order: UART0 for the defmt log, the heap
//! ([`heap`]), the security controllers ([`security`]), the µs clock
//! (TIMER0), the kernel on [`board::An505Board`], the cloud link on UART3
//! ([`cloud`]), the handoff block, and finally `BXNS` into the agent
//! ([`boot`]). From then on the secure world runs only when the app calls a
//! veneer ([`veneers`] → [`kernel`]), when TIMER0 wraps, on the SysTick that
//! polls the cloud link, or when something faults ([`faults`]), which always
//! ends the run with a report and a semihosting exit code.
#![no_std]
#![no_main]

extern crate alloc;

mod board;
mod boot;
mod clock;
mod cloud;
mod cpu;
mod crash;
mod exit;
mod faults;
mod heap;
mod kernel;
mod logger;
mod memory_map;
mod nvic;
mod nvm;
mod ota;
mod rcc;
mod security;
mod tt;
mod uart;
mod veneers;

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    uart::Uart::secure_uart0().init_tx();
    defmt::info!("mv-secure: boot on mps2-an505");
    heap::init();
    if let Err(error) = security::configure() {
        defmt::error!("security bring-up failed: {}", error);
        exit::exit(exit::ExitCode::SecurityConfig);
    }
    clock::start();
    let ota = ota::boot();
    kernel::install(board::An505Board::new());
    kernel::with(|k| {
        if let Some(reason) = ota.wake {
            k.set_wake_reason(reason);
        }
        k.set_update_in_progress(ota.downloading);
    });
    cloud::start();
    boot::start_non_secure()
}
