//! The NVM that plays the STM32U585's flash: QEMU's PSRAM, file-backed by the harness.
//!
//! PSRAM at `0x8000_0000` is not in any SAU region, so it is Secure and the
//! app cannot reach it. With `-M mps2-an505,memory-backend=…` over a shared
//! file, every store lands in the file and survives a SIGKILL of QEMU. The
//! flash rules are enforced by [`mv_flash::FlashModel`] over these cells;
//! stores are volatile and in program order, so a kill between any two of
//! them leaves at worst torn units.

use mv_boards::an505::{
    APP_REGION_SIZE, NS_CODE_BASE, POWER_RAIL_NVM_OFFSET, PSRAM_BASE, PSRAM_SIZE, RAIL_HALT_ON_CUT,
    RAIL_POWER_OFF,
};
use mv_device::OtaFlash;
use mv_flash::{is_formatted, Cells, FlashModel, NvmMap};
use mv_update::Layout;

/// The device's flash: the one flash model over the PSRAM.
pub type Flash = FlashModel<Psram>;

/// The OTA flash, when the harness provisioned the NVM (the app then comes
/// from its app region); `None` when it did not (the app is the image QEMU
/// loaded).
pub fn ota_flash() -> Option<OtaFlash<Flash>> {
    let Some(map) = Psram::provisioned() else {
        defmt::info!("no NVM flash provisioned; the app is the image QEMU loaded");
        return None;
    };
    let layout = Layout::DEFAULT;
    let signers = mv_update::otp::read_signers(&Psram, &map);
    let mut flash = FlashModel::open(Psram, layout.flash_size());
    if let Some(cut) = flash.arm_requested_cut() {
        defmt::info!(
            "power cut armed {=u64} flash operations from now (inside: {=bool})",
            cut.op,
            cut.inside
        );
    }
    Some(OtaFlash {
        flash,
        layout,
        signers,
    })
}

/// An armed cut fired: the power is off from here. When the harness asked
/// for it on the power rail (`mv_boards::an505::POWER_RAIL_NVM_OFFSET`), the
/// core says so there and halts, every interrupt masked, so QEMU stays up
/// and the harness powers on again with a reset; otherwise QEMU exits with
/// `PowerCut`. Either way nothing runs after the torn operation.
pub fn power_lost() -> ! {
    let rail = (PSRAM_BASE + POWER_RAIL_NVM_OFFSET) as *mut u32;
    // SAFETY: the rail's two words are in the PSRAM (asserted in
    // `mv_boards::an505`), which only this image and the harness use there;
    // volatile because the harness reads and writes them behind our back.
    if unsafe { core::ptr::read_volatile(rail) } != RAIL_HALT_ON_CUT {
        crate::exit::exit(crate::exit::ExitCode::PowerCut)
    }
    cortex_m::interrupt::disable();
    // SAFETY: as above, the rail's second word.
    unsafe { core::ptr::write_volatile(rail.add(1), RAIL_POWER_OFF) };
    loop {
        // With PRIMASK set no interrupt can be taken, so the core sleeps
        // here (QEMU idles the vCPU) until the harness resets the machine.
        cortex_m::asm::wfi();
    }
}

/// Copies the installed app from the NVM's app region into the app's code
/// memory (the STM32U585 executes it in place; QEMU's PSRAM cannot be
/// executed from the NS side). Only the programmed extent is copied (the
/// rest of the region is erased, and what lies past it in code memory is
/// never executed), and only the words that differ: code memory survives a
/// reset, and a store into code QEMU has translated costs it a retranslation.
pub fn load_app(flash: &Flash, layout: &Layout) {
    let offset = layout.app_offset();
    let len = flash
        .programmed_extent(offset, layout.app_size())
        .min(APP_REGION_SIZE);
    // SAFETY: the app is not running; its code memory (NS SSRAM1) is not
    // used by the secure image, and the length is at most the app region,
    // which fits it.
    unsafe { sync_out(offset, NS_CODE_BASE, len) };
}

/// Copies `len` bytes of NVM from `at` to `dest`.
///
/// # Safety
/// `dest..dest + len` must be writable memory that nothing else uses now.
pub unsafe fn copy_out(at: u32, dest: u32, len: u32) {
    assert!(at + len <= PSRAM_SIZE, "NVM read out of range");
    // SAFETY: the source is in the PSRAM (checked); the caller vouches for
    // the destination; the two never overlap (PSRAM is its own block).
    unsafe {
        core::ptr::copy_nonoverlapping(
            (PSRAM_BASE + at) as *const u8,
            dest as *mut u8,
            len as usize,
        );
    }
}

/// Makes `dest..dest + len` hold NVM bytes `at..at + len`, storing only the
/// words that differ (`at`, `dest` and `len` are multiples of 4).
///
/// # Safety
/// As for [`copy_out`].
pub unsafe fn sync_out(at: u32, dest: u32, len: u32) {
    assert!(at + len <= PSRAM_SIZE, "NVM read out of range");
    assert!((at | dest | len).is_multiple_of(4), "words only");
    let from = (PSRAM_BASE + at) as *const u32;
    let to = dest as *mut u32;
    let words = (len / 4) as usize;
    let mut i = 0;
    // Four words at a time while they are equal (at every boot but the
    // first, all of them): a quarter of the loop's turns.
    while i + 4 <= words {
        // SAFETY: words `i..i + 4` of both are in range (`i + 4 <= words`);
        // as below for the rest.
        let same = unsafe {
            (0..4).all(|k| {
                core::ptr::read_volatile(from.add(i + k)) == core::ptr::read_volatile(to.add(i + k))
            })
        };
        if !same {
            break;
        }
        i += 4;
    }
    while i < words {
        // SAFETY: the source word is in the PSRAM (checked); the caller
        // vouches for the destination; both are word-aligned (checked).
        unsafe {
            let word = core::ptr::read_volatile(from.add(i));
            if core::ptr::read_volatile(to.add(i)) != word {
                core::ptr::write_volatile(to.add(i), word);
            }
        }
        i += 1;
    }
}

/// The PSRAM as flash cells.
pub struct Psram;

impl Psram {
    /// The map of the flash the harness provisioned, if it did.
    pub fn provisioned() -> Option<NvmMap> {
        let map = NvmMap::new(mv_update::Layout::DEFAULT.flash_size());
        is_formatted(&Psram, &map).then_some(map)
    }
}

impl Cells for Psram {
    fn load(&self, at: u32, buf: &mut [u8]) {
        // SAFETY: `at..at + len` is inside the PSRAM (checked by `copy_out`),
        // and `buf` is ordinary memory that cannot overlap it. Loads need no
        // ordering, so a plain copy (word-wide) is enough.
        unsafe { copy_out(at, buf.as_mut_ptr() as u32, buf.len() as u32) };
    }

    fn store(&mut self, at: u32, bytes: &[u8]) {
        assert!(
            at as usize + bytes.len() <= PSRAM_SIZE as usize,
            "NVM write out of range"
        );
        for (i, &b) in bytes.iter().enumerate() {
            // SAFETY: as for `load`; volatile keeps the stores in program
            // order, which the torn-state protocol relies on.
            unsafe { core::ptr::write_volatile((PSRAM_BASE + at + i as u32) as *mut u8, b) };
        }
    }
}
