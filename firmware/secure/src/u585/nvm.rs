//! The device's flash on the STM32U585: the part's own, through its controller ([`crate::flash`]).
//!
//! The OTA engine's areas are `mv_boards::stm32u585::ota_pages`: the app
//! region is bank 1, which the app executes in place, so installing an
//! update is all it takes to run it ([`load_app`] has nothing to copy).
//! The signer keys are read from the part's OTP area in the format the
//! factory step writes on every rig (`mv_update::otp`).

use alloc::vec::Vec;

use mv_boards::stm32u585::ota_pages;
use mv_device::OtaFlash;
use mv_flash::stm32u5::Stm32u5Flash;
use mv_ota::PUBLIC_KEY_LEN;
use mv_update::otp::MAX_SIGNERS;
use mv_update::{Layout, Signers};

use crate::flash::Mmio;

/// The device's flash.
pub type Flash = Stm32u5Flash<Mmio>;

/// Where the OTA engine's areas are on the part.
pub const LAYOUT: Layout = Layout {
    app_first: ota_pages::APP_FIRST,
    app_pages: ota_pages::APP_PAGES,
    staging_first: ota_pages::STAGING_FIRST,
    staging_pages: ota_pages::STAGING_PAGES,
    manifest_page: ota_pages::MANIFEST,
    journal: ota_pages::JOURNAL,
};

/// The part's flash never loses power under the firmware's feet: a cut is
/// the lab's power switch. Should the driver report one, the run ends.
pub fn power_lost() -> ! {
    crate::exit::exit(crate::exit::ExitCode::PowerCut)
}

/// The OTP area (512 bytes, one-time programmable).
const OTP_BASE: u32 = 0x0BFA_0000;

/// The part's flash up to the last journal page (the NSC page after it is
/// never the engine's).
pub fn ota_flash() -> Option<OtaFlash<Flash>> {
    let flash = Stm32u5Flash::new(Mmio, LAYOUT.flash_size());
    let security = flash.security();
    defmt::info!(
        "flash: {=u32} KiB for the OTA engine; secure pages bank 1 {=u32}..={=u32}, bank 2 {=u32}..={=u32}",
        LAYOUT.flash_size() / 1024,
        security.bank1.0,
        security.bank1.1,
        security.bank2.0,
        security.bank2.1
    );
    Some(OtaFlash {
        flash,
        layout: LAYOUT,
        signers: read_signers(),
    })
}

/// The app runs from its region in place: nothing to copy.
pub fn load_app(_flash: &Flash, _layout: &Layout) {}

/// `count: u32`, then `count` keys; an erased OTP (all ones) holds none.
fn read_signers() -> Signers {
    let load = |at: u32| {
        // SAFETY: a word of the OTP area, readable by secure code.
        unsafe { crate::cpu::read32(OTP_BASE + at) }
    };
    let count = match load(0) {
        u32::MAX => 0,
        n => n.min(MAX_SIGNERS),
    };
    let mut keys = Vec::new();
    for i in 0..count {
        let mut key = [0u8; PUBLIC_KEY_LEN];
        for (j, byte) in key.iter_mut().enumerate() {
            let at = 4 + i * PUBLIC_KEY_LEN as u32 + j as u32;
            *byte = load(at & !3).to_le_bytes()[(at % 4) as usize];
        }
        keys.push(key);
    }
    Signers::new(keys)
}
