//! The agent's heap: requests, replies and frames are `alloc` types.

use core::mem::MaybeUninit;

use embedded_alloc::LlffHeap;

/// Enough for a request and its reply at the largest frame size, several times over.
const HEAP_BYTES: usize = 128 * 1024;

#[global_allocator]
static HEAP: LlffHeap = LlffHeap::empty();

/// Give the allocator its memory (once, before the first allocation).
pub fn init() {
    static mut MEMORY: [MaybeUninit<u8>; HEAP_BYTES] = [MaybeUninit::uninit(); HEAP_BYTES];
    // SAFETY: called once from `main` before anything allocates; MEMORY is
    // used by nothing else.
    unsafe { HEAP.init(core::ptr::addr_of_mut!(MEMORY) as usize, HEAP_BYTES) }
}
