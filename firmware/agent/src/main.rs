//! The agent: an instrumented non-secure app that executes the host's primitives.
//!
//! It does nothing on its own. At boot it reads the handoff block, points
//! `mv-ns` at the veneer table, prepares its memory pools, and greets the
//! host on UART1 with a `Hello`; then it executes each `Request` it receives
//! and answers with one frame ([`link`], [`exec`]). Its defmt log goes to
//! UART2. All test intelligence is on the host.
#![no_std]
#![no_main]

extern crate alloc;

mod exec;
mod exit;
mod heap;
mod irq;
mod link;
mod logger;
mod memory_map;
mod placement;
mod uart;

use cortex_m_rt::entry;
use mv_ns::handoff::Handoff;

use crate::exit::{exit, ExitCode};
use crate::uart::Uart;

#[entry]
fn main() -> ! {
    Uart::agent_log().init(false);
    // SAFETY: the secure image reserves and writes the first 64 bytes of app
    // RAM before it starts the agent; this image never links anything there.
    let handoff = unsafe { Handoff::read_from(memory_map::HANDOFF_ADDR as usize) };
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
    defmt::info!(
        "mv-agent: NSC table {=u32:#010x}, pool {=u32:#010x}..{=u32:#010x}",
        handoff.nsc_table_base,
        memory_map::pool_base(),
        memory_map::NS_RAM_END
    );
    let mut link = link::Link::new(Uart::agent_link(), &handoff);
    link.serve()
}
