//! The secure heap: cloud-link frames and the OTA engine.
//!
//! The cloud link speaks `mv_proto::{CloudToDevice, DeviceToCloud}` with
//! `mv_proto::{encode_frame, decode_frame}`, the very types and framing the
//! harness decodes, rather than a hand-written mirror that could drift.
//! `mv-proto` is `no_std + alloc` (`DeviceToCloud::Log` holds a `Vec<u8>`,
//! `encode_frame` returns one), so the image needs a global allocator.
//!
//! Who allocates: [`crate::cloud::send`] (the `Ack` frame, and for `Log` the
//! message copy plus its frame: at most ~1 KiB + ~2 KiB while the frame `Vec`
//! grows) — from an NSC call or from the SysTick handler, always inside a
//! critical section and freed before it ends. Decoding an `OtaOffer` or
//! `OtaChunk` allocates its bytes (up to one 8 KiB page); the OTA engine
//! allocates the verified manifest (kept while a download is under way),
//! one page buffer while it hashes or copies, and the signature check's
//! temporaries. 96 KiB covers all of it at once with room to spare. `LlffHeap` locks with `critical_section`, so using it
//! from an exception handler is sound on this single core. Exhaustion would
//! be a secure panic (exit 75), not silent corruption.

use core::mem::MaybeUninit;

use embedded_alloc::LlffHeap;

/// The OTA engine's working set (see above) plus the cloud frames, with room.
const HEAP_BYTES: usize = 96 * 1024;

#[global_allocator]
static HEAP: LlffHeap = LlffHeap::empty();

/// Give the allocator its memory (once, at boot, before the first allocation).
pub fn init() {
    // In `.uninit`: not zeroed at every reset (96 KiB of stores under QEMU).
    #[link_section = ".uninit.mv_heap"]
    static mut MEMORY: [MaybeUninit<u8>; HEAP_BYTES] = [MaybeUninit::uninit(); HEAP_BYTES];
    // SAFETY: called once from `main` before anything allocates; MEMORY is
    // used by nothing else.
    unsafe { HEAP.init(core::ptr::addr_of_mut!(MEMORY) as usize, HEAP_BYTES) }
}
