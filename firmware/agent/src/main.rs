//! The agent: an instrumented non-secure app that executes the host's primitives.
//!
//! It does nothing on its own. At boot it reads the handoff block, points
//! `mv-ns` at the veneer table, and greets the host on UART1 with a `Hello`;
//! then the agent core (`mv_agent_core`, the same executor the sim runs)
//! answers each request ([`link`]) through this image's [`app::TargetApp`].
//! Its defmt log goes to UART2. All test intelligence is on the host.
#![no_std]
#![no_main]

extern crate alloc;

mod app;
mod attack;
mod exit;
mod heap;
mod irq;
mod link;
mod logger;
mod memory_map;
mod mpu;
mod privilege;
mod timer;
mod uart;

use cortex_m_rt::entry;
use mv_agent_core::Agent;

use crate::exit::{exit, ExitCode};
use crate::uart::Uart;

#[entry]
fn main() -> ! {
    Uart::agent_log().init(false);
    let handoff = memory_map::read_handoff();
    if !handoff.is_valid() || !memory_map::matches(&handoff) {
        defmt::error!(
            "no usable handoff block at {=u32:#010x}",
            memory_map::HANDOFF_ADDR
        );
        exit(ExitCode::NoHandoff);
    }
    // SAFETY: the handoff block is the secure image's word for where its
    // veneer table is.
    unsafe { mv_ns::init(handoff.nsc_table_base) };
    heap::init();
    mpu::init();
    defmt::info!(
        "mv-agent: NSC table {=u32:#010x}, pool {=u32:#010x}..{=u32:#010x}",
        handoff.nsc_table_base,
        memory_map::pool_base(),
        mv_boards::an505::NS_RAM_END
    );
    let agent = Agent::new(
        &mv_boards::an505::BOARD,
        memory_map::pool_base(),
        handoff.nsc_table_base,
    );
    let mut link = link::Link::new(Uart::agent_link(), agent);
    link.serve()
}
