//! The agent's heap: requests, replies and frames are `alloc` types.

use core::mem::MaybeUninit;

use embedded_alloc::LlffHeap;

/// Enough for a request and its reply at the largest frame size, several times over.
const HEAP_BYTES: usize = 128 * 1024;

#[global_allocator]
static HEAP: LlffHeap = LlffHeap::empty();

/// Give the allocator its memory (once, before the first allocation).
///
/// The memory is in `.uninit`, which the start-up code leaves alone: the
/// allocator hands out uninitialised memory anyway (and zeroes it itself
/// for `alloc_zeroed`), so zeroing it at every boot, as `.bss` is, only
/// cost each reset 128 KiB of stores. The allocator's own state is
/// `HEAP`, in `.bss`, and starts empty at every boot.
pub fn init() {
    #[link_section = ".uninit.agent_heap"]
    static mut MEMORY: [MaybeUninit<u8>; HEAP_BYTES] = [MaybeUninit::uninit(); HEAP_BYTES];
    // SAFETY: called once from `main` before anything allocates; MEMORY is
    // used by nothing else.
    unsafe { HEAP.init(core::ptr::addr_of_mut!(MEMORY) as usize, HEAP_BYTES) }
}
