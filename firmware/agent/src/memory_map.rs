//! Where the agent is on its board: its handoff block and where its own RAM ends.

use crate::map::{NS_CODE_BASE, NS_CODE_SIZE, NS_RAM_BASE, NS_RAM_END};
use mv_abi::handoff::{Handoff, HANDOFF_WORDS};

/// The handoff block: the first 64 bytes of app RAM.
pub const HANDOFF_ADDR: u32 = NS_RAM_BASE;

extern "C" {
    /// End of the agent's own RAM (cortex-m-rt: the initial stack pointer).
    static _stack_start: u32;
}

/// First byte of the `ns_ram` pool: everything below is the agent's own.
pub fn pool_base() -> u32 {
    // Only the symbol's address is taken.
    core::ptr::addr_of!(_stack_start) as usize as u32
}

/// Reads the handoff block the secure image wrote.
pub fn read_handoff() -> Handoff {
    let mut words = [0u32; HANDOFF_WORDS];
    for (i, w) in words.iter_mut().enumerate() {
        // SAFETY: the secure image reserves and writes the first 64 bytes of
        // app RAM before it starts the agent; this image never links
        // anything there, so these are plain loads of app RAM.
        *w = unsafe { core::ptr::read_volatile((HANDOFF_ADDR as usize + 4 * i) as *const u32) };
    }
    Handoff::from_words(words)
}

/// Does the secure image's map agree with the one this agent was linked for?
pub fn matches(handoff: &Handoff) -> bool {
    handoff.ns_ram_base == HANDOFF_ADDR
        && handoff.ns_ram_base + handoff.ns_ram_size == NS_RAM_END
        && handoff.ns_code_base == NS_CODE_BASE
        && handoff.ns_code_size == NS_CODE_SIZE
}
