//! The agent: an instrumented non-secure app that executes the host's primitives.
//!
//! It does nothing on its own. At boot it reads the handoff block, points
//! `mv-ns` at the veneer table, and tells the host on UART1 it is ready
//! (`Response::Ready`: its version and its hello's digest; the hello on request);
//! then the agent core (`mv_agent_core`, the same executor the sim runs)
//! answers each request ([`link`]) through this image's [`app::TargetApp`].
//! Its defmt log goes to UART2. All test intelligence is on the host.
//!
//! The package builds one image per board. The board-independent modules
//! (`app`, `attack`, `exit`, `heap`, `irq`, `link`, `memory_map`, `mpu`,
//! `privilege`, `run`) are compiled into each and name their board's modules by
//! path: `crate::map` (the map, from `mv_boards`), `crate::link_io` (the
//! agent link's bytes), `crate::uart` (its UART) and `crate::logger` (where the defmt log goes). This root
//! is AN505's; `src/u585/main.rs` is the STM32U585's.
#![no_std]
#![no_main]

extern crate alloc;

mod app;
mod attack;
mod exit;
mod heap;
mod irq;
mod link;
mod link_io;
mod logger;
mod map;
mod memory_map;
mod mpu;
mod privilege;
mod run;
mod sleep;
mod timer;
mod uart;

use cortex_m_rt::entry;

use crate::uart::Uart;

#[entry]
fn main() -> ! {
    Uart::agent_log().init(false);
    run::run()
}
