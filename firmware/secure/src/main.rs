//! The secure image for QEMU `mps2-an505`: TrustZone bring-up, then the device core behind the NSC table.
//!
//! Boot runs once, in this order: UART0 for the defmt log, the heap
//! ([`heap`]), the security controllers ([`security`], ending in the
//! board-independent [`trustzone`]), the µs clock
//! (TIMER0), the cloud link on UART3 ([`cloud`]), the device — kernel and
//! device core on [`board::An505Board`] over the NVM flash ([`device`]),
//! which installs what is staged and loads the app — and finally `BXNS` into
//! the app ([`boot`]). From then on the secure world runs only when the app
//! calls a veneer ([`veneers`] → [`device`]), when TIMER0 wraps, on the
//! SysTick that polls the cloud link, or when something faults
//! ([`faults`]). The device decides every restart of the app; this image
//! only carries it out ([`restart`]). Before all of it, `Reset` calls
//! [`reload`]'s `__pre_init`, which restores secure code memory from the
//! copy the harness may leave in the PSRAM.
//!
//! The package builds one image per board. The board-independent modules
//! (`boot`, `cloud`, `counter64`, `cpu`, `device`, `exit`, `faults`, `heap`, `interrupts`,
//! `nscopy`, `nsmem`, `nvic`, `restart`, `trustzone`, `tt`, `veneers`) are compiled into each, and name their
//! board's modules by path: `crate::board` (the kernel's board traits),
//! `crate::clock`, `crate::cloud_io` (the cloud link's bytes), `crate::logger`, `crate::map` (the map
//! from `mv_boards`), `crate::nvm` (the device's flash). This root is
//! AN505's; `src/u585/main.rs` is the STM32U585's.
#![no_std]
#![no_main]

extern crate alloc;

mod board;
mod boot;
mod clock;
mod cloud;
mod cloud_io;
mod cloud_ring;
mod counter64;
mod cpu;
mod device;
mod exit;
mod faults;
mod heap;
mod interrupts;
mod logger;
mod map;
mod nscopy;
mod nsmem;
mod nvic;
mod nvm;
mod rcc;
mod reload;
mod restart;
mod security;
mod trustzone;
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
    cloud::start();
    device::boot();
    device::app_running(true);
    boot::start_non_secure()
}
