//! From reset to serving the host, the same on every board: handoff block, NSC table, heap, MPU, hello.

use mv_agent_core::Agent;

use crate::exit::{exit, ExitCode};
use crate::link_io::LinkIo;
use crate::{heap, link, map, memory_map, mpu};

/// Check the handoff block, point `mv-ns` at the veneer table, then answer
/// the host on the agent link forever. The log is up already.
pub fn run() -> ! {
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
        map::NS_RAM_END
    );
    let agent = Agent::new(&map::BOARD, memory_map::pool_base(), handoff.nsc_table_base);
    let mut link = link::Link::new(LinkIo::open(), agent);
    link.serve()
}
