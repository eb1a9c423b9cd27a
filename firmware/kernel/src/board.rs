//! The traits through which the kernel reaches its board, and nothing else.
//!
//! The kernel core is the same code on the host simulator and on the secure
//! image. Everything that differs between them — how memory is attributed, how
//! a non-secure byte is copied, the clock, the NVIC, entropy, the peripherals an
//! app may poke, the cloud link — sits behind these small traits. If the sim
//! ever needs a branch inside the kernel, the boundary is in the wrong place.

pub use crate::authority::AppRegion;

/// How the kernel intends to touch an app-supplied range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    ReadWrite,
}

/// A bus error while copying to or from non-secure memory after the range was
/// checked (on target: an MPC/PPC error; on the sim: an injected fault).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusFault {
    pub addr: u32,
}

/// Memory as the non-secure app sees it.
pub trait NsMemory {
    /// The app memory of this board: the table the authority check
    /// ([`crate::authority::app_may_access`]) runs over.
    fn app_regions(&self) -> &[AppRegion];

    /// The hardware's own word on a range the table accepted (on target the
    /// TT instruction: SAU, IDAU, MPC and the app's MPU); a board without
    /// attribution hardware has nothing to add. Called only with `len > 0`.
    #[must_use]
    fn attribution_allows(&self, addr: u32, len: u32, access: Access) -> bool {
        let _ = (addr, len, access);
        true
    }

    /// Copy bytes out of non-secure memory. The range was checked first.
    fn read_ns(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), BusFault>;

    /// Copy bytes into non-secure memory. The range was checked first.
    /// All or nothing: on `BusFault` no byte of the range was written (a
    /// board whose bus can refuse part of a range tries the whole range
    /// before it writes), so a refused first write changes nothing.
    fn write_ns(&mut self, addr: u32, data: &[u8]) -> Result<(), BusFault>;
}

/// The free-running microsecond counter behind `mvGetMicroseconds`.
pub trait Clock {
    /// Microseconds since the kernel started; never goes backwards.
    fn now_us(&self) -> u64;
}

/// The NVIC as far as the kernel may touch the app's interrupts.
pub trait Interrupts {
    /// Is `irq` an external interrupt targeted to the non-secure world (ITNS)
    /// that the app may use?
    #[must_use]
    fn is_ns_irq(&self, irq: u32) -> bool;

    /// Set the IRQ's pending bit. The kernel never enables an app IRQ.
    fn pend_irq(&mut self, irq: u32);

    /// Was the syscall made from an app interrupt handler?
    fn caller_in_interrupt(&self) -> bool {
        false
    }

    /// Make `irq` a fast interrupt (the highest priority the app's NVIC
    /// has, above everything the secure world does for the app, so it
    /// pre-empts a system call in progress) or give it back its ordinary
    /// priority. Only called for an IRQ [`Self::is_ns_irq`] accepted.
    fn set_irq_fast(&mut self, irq: u32, fast: bool);

    /// Enable or disable `irq` in the NVIC (fast interrupts only: the
    /// kernel never enables a notification IRQ).
    fn set_irq_enabled(&mut self, irq: u32, enabled: bool);

    /// Is `irq` busy: active (its handler running, or pre-empted by
    /// another), or pending and enabled (about to run)? The flood watch
    /// ([`crate::flood_watch`]) samples it for the fast IRQs on every tick
    /// of the secure clock.
    fn irq_busy(&self, irq: u32) -> bool;

    /// The app's vector table base (`VTOR_NS`).
    fn ns_vector_table(&self) -> u32;
}

/// Source of handle values.
pub trait Entropy {
    fn random_u32(&mut self) -> u32;
}

/// One app-visible register of a peripheral the kernel owns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedRegister {
    /// Non-secure address of the register.
    pub addr: u32,
    /// Bits the app may change; writes to other bits are silently ignored.
    pub writable: u32,
}

/// Peripheral registers reachable through `mvPeriphPeek32`/`mvPeriphPoke32`.
pub trait Peripherals {
    /// The allow-list. Any other address is `PERIPHERALACCESSFAULT`.
    fn shared_registers(&self) -> &[SharedRegister];
    fn read_register(&mut self, addr: u32) -> u32;
    fn write_register(&mut self, addr: u32, value: u32);
}

/// Clock frequencies the app can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockTree {
    pub sysclk_hz: u32,
    pub hclk_hz: u32,
    pub pclk1_hz: u32,
    pub pclk2_hz: u32,
}

/// Fixed facts about this device.
pub trait DeviceInfo {
    /// The device SID, exactly 34 ASCII bytes (`UV` + 32 hex digits).
    fn device_id(&self) -> [u8; 34];
    fn clock_tree(&self) -> ClockTree;
}

/// The kernel's link to the Microvisor cloud (or the harness's emulator).
/// Whether it is up is the device core's to say ([`crate::Kernel::set_link`]).
pub trait CloudLink {
    /// Deliver one application log message to the server.
    fn send_log(&mut self, message: &[u8]);

    /// Deliver one `mvTestLog` message to the provisioning console (the
    /// factory's, in application-test mode).
    fn send_test_log(&mut self, message: &[u8]);
}

/// The external flash the app reaches through `mvExternalFlash*`: the
/// app's window of the chip, addressed from 0. The kernel checked every
/// range against [`ExternalFlashInfo::size`] (and erases against the
/// sector size) before it calls these.
pub trait ExternalFlash {
    fn external_flash_info(&self) -> ExternalFlashInfo;
    fn external_flash_read(&mut self, offset: u32, buf: &mut [u8]);
    /// NOR programming: each byte becomes `old & new`.
    fn external_flash_program(&mut self, offset: u32, data: &[u8]);
    /// Whole 4096-byte sectors to `0xFF`.
    fn external_flash_erase(&mut self, offset: u32, len: u32);
}

/// What `mvExternalFlashGetInfo` reports of the chip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExternalFlashInfo {
    /// The JEDEC ID.
    pub chip_id: u32,
    /// Bytes the app may use.
    pub size: u32,
}

/// Indicators and power the app can ask for.
pub trait Power {
    /// `mvSystemLedEnable`: the system LED shows Microvisor's state, or is off.
    fn set_system_led(&mut self, on: bool);
}

/// Everything the kernel needs from a board.
pub trait Board:
    NsMemory
    + Clock
    + Interrupts
    + Entropy
    + Peripherals
    + DeviceInfo
    + CloudLink
    + ExternalFlash
    + Power
{
}

impl<T> Board for T where
    T: NsMemory
        + Clock
        + Interrupts
        + Entropy
        + Peripherals
        + DeviceInfo
        + CloudLink
        + ExternalFlash
        + Power
{
}
