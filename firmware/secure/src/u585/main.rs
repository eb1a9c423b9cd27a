//! The secure image for the STM32U585 (B-U585I-IOT02A, TZEN=1): the same kernel and device core as on AN505, on the part.
//!
//! Boot runs once, in this order: RTT for the defmt log and the cloud link
//! ([`rtt`]), the clock tree to 160 MHz ([`rcc`]), the heap, the security
//! controllers — SAU, GTZC, NVIC targeting ([`security`]) — the µs clock
//! (TIM2, [`clock`]), the cloud link ([`cloud`] over [`cloud_io`]), the
//! device — kernel and device core on [`board::U585Board`] over the real
//! flash controller ([`nvm`], [`flash`]) — and finally `BXNS` into the app
//! at `0x0800_0000` ([`boot`]). From then on the secure world runs only
//! when the app calls a veneer at `0x0C1F_E000 + 8·n` ([`veneers`] →
//! [`device`]), on the SysTick that polls the cloud link, or when something
//! faults ([`faults`]).
//!
//! The board-independent modules are the AN505 image's own files
//! (`src/*.rs`, see `src/main.rs`), compiled into this image too; the
//! modules declared without a path are this board's.
#![no_std]
#![no_main]

extern crate alloc;

mod board;
#[path = "../boot.rs"]
mod boot;
mod clock;
#[path = "../cloud.rs"]
mod cloud;
mod cloud_io;
#[path = "../counter64.rs"]
mod counter64;
#[path = "../cpu.rs"]
mod cpu;
#[path = "../device.rs"]
mod device;
#[path = "../exit.rs"]
mod exit;
#[path = "../faults.rs"]
mod faults;
mod flash;
#[path = "../heap.rs"]
mod heap;
#[path = "../interrupts.rs"]
mod interrupts;
mod logger;
mod map;
#[path = "../nscopy.rs"]
mod nscopy;
#[path = "../nsmem.rs"]
mod nsmem;
#[path = "../nvic.rs"]
mod nvic;
mod nvm;
mod rcc;
#[path = "../restart.rs"]
mod restart;
mod rtt;
mod security;
#[path = "../trustzone.rs"]
mod trustzone;
#[path = "../tt.rs"]
mod tt;
#[path = "../veneers.rs"]
mod veneers;

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    rtt::init();
    defmt::info!("mv-secure: boot on stm32u585");
    rcc::clock_tree();
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
