//! The agent for the STM32U585: the same agent as on AN505, its link on USART1 (the ST-LINK virtual COM port).
//!
//! The board-independent modules are the AN505 image's own files
//! (`src/*.rs`, see `src/main.rs`), compiled into this image too; the
//! modules declared without a path are this board's: the map, USART1, and
//! the defmt log on its own RTT control block in app RAM.
#![no_std]
#![no_main]

extern crate alloc;

#[path = "../app.rs"]
mod app;
#[path = "../attack.rs"]
mod attack;
#[path = "../exit.rs"]
mod exit;
#[path = "../heap.rs"]
mod heap;
#[path = "../irq.rs"]
mod irq;
#[path = "../link.rs"]
mod link;
mod link_io;
mod logger;
mod map;
#[path = "../memory_map.rs"]
mod memory_map;
#[path = "../mpu.rs"]
mod mpu;
#[path = "../privilege.rs"]
mod privilege;
#[path = "../run.rs"]
mod run;
#[path = "../timer.rs"]
mod timer;
mod uart;

use cortex_m_rt::entry;

#[entry]
fn main() -> ! {
    logger::init();
    run::run()
}
