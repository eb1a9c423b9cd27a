//! The end of TrustZone bring-up, the same on every board: the SAU from the board's map, secure exceptions above the app's, NVIC targeting.
//!
//! Each board's `security` module first programs its own controllers (the
//! AN505's MPCs and PPCs, the STM32U585's GTZC) and then calls [`finish`].
//! What it sets, from `crate::map`:
//! - SAU: app code and app RAM non-secure, the veneer table non-secure
//!   callable, the peripherals' NS aliases non-secure, the window of the
//!   app's own link if the board has one (AN505: the agent's ring in the
//!   PSRAM) non-secure; everything else
//!   (secure code, the secure rest of RAM, the secure aliases) stays secure;
//! - `AIRCR.PRIS`: every non-secure priority below every secure one, so the
//!   kernel's clock and fault handlers pre-empt the app;
//! - `SHCSR`: MemManage, BusFault, UsageFault and SecureFault go to their
//!   own secure handlers instead of escalating to HardFault;
//! - the NVIC: every IRQ non-secure except the kernel's ([`crate::nvic`]).

use cortex_m::peripheral::sau::{SauRegion, SauRegionAttribute};

use crate::cpu::{read32, write32};
use crate::map::{
    NS_CODE_BASE, NS_CODE_SIZE, NS_LINK_WINDOW, NS_PERIPHERALS_BASE, NS_PERIPHERALS_LAST,
    NS_RAM_BASE, NS_RAM_SIZE,
};
use crate::nvic;

/// System control (secure bank).
const AIRCR: u32 = 0xE000_ED0C;
const AIRCR_VECTKEY: u32 = 0x05FA << 16;
const AIRCR_PRIS: u32 = 1 << 14;
const SHCSR: u32 = 0xE000_ED24;
const SHCSR_FAULTS_ENABLE: u32 = (1 << 16) | (1 << 17) | (1 << 18) | (1 << 19);

extern "C" {
    /// Bounds of the veneer table (the image's linker script).
    static __sg_start: u32;
    static __sg_end: u32;
}

/// The SAU refused this region number.
#[derive(Clone, Copy, Debug)]
pub struct SauRefused(pub u8);

/// Program the SAU, exception priorities and fault routing, and the NVIC's
/// targeting; the app is not running yet. Returns how many IRQ lines read
/// back as non-secure.
pub fn finish() -> Result<u32, SauRefused> {
    configure_sau()?;
    // SAFETY: PRIS and the fault enables only change how the secure world's
    // own exceptions are taken; nothing non-secure runs yet.
    unsafe {
        let aircr = read32(AIRCR) & 0x0000_FFFF;
        write32(AIRCR, AIRCR_VECTKEY | aircr | AIRCR_PRIS);
        write32(SHCSR, read32(SHCSR) | SHCSR_FAULTS_ENABLE);
    }
    let ns_lines = nvic::target_non_secure();
    nvic::ordinary_priorities();
    Ok(ns_lines)
}

fn configure_sau() -> Result<(), SauRefused> {
    // Only the addresses of the linker symbols are taken, nothing is read.
    let sg_start = core::ptr::addr_of!(__sg_start) as usize as u32;
    let sg_end = core::ptr::addr_of!(__sg_end) as usize as u32;
    let regions = [
        (
            NS_CODE_BASE,
            NS_CODE_BASE + NS_CODE_SIZE - 1,
            SauRegionAttribute::NonSecure,
        ),
        // App RAM only: the rest of that SRAM stays secure.
        (
            NS_RAM_BASE,
            NS_RAM_BASE + NS_RAM_SIZE - 1,
            SauRegionAttribute::NonSecure,
        ),
        (sg_start, sg_end - 1, SauRegionAttribute::NonSecureCallable),
        (
            NS_PERIPHERALS_BASE,
            NS_PERIPHERALS_LAST,
            SauRegionAttribute::NonSecure,
        ),
    ];
    let link =
        NS_LINK_WINDOW.map(|(base, size)| (base, base + size - 1, SauRegionAttribute::NonSecure));
    // SAFETY: the SAU belongs to this image; boot is single-threaded.
    let mut sau = unsafe { cortex_m::Peripherals::steal() }.SAU;
    for (number, (base, last, attribute)) in (0u8..).zip(regions.into_iter().chain(link)) {
        let region = SauRegion {
            base_address: base,
            limit_address: last | 0x1F,
            attribute,
        };
        sau.set_region(number, region)
            .map_err(|_| SauRefused(number))?;
    }
    sau.enable();
    Ok(())
}
