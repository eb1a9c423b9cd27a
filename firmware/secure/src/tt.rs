//! The TT instruction: how the SAU, the IDAU and the app's MPU attribute an address.
//!
//! `TTA`/`TTAT` answer for a non-secure access (privileged / unprivileged),
//! including the region numbers, so the kernel can require both ends of a
//! buffer to be non-secure *and* in the same SAU, IDAU and MPU region (a
//! range inside one region is uniformly attributed).

/// A decoded TT response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attribution(u32);

impl Attribution {
    /// Ask how a non-secure access to `addr` would be attributed.
    pub fn of_ns_access(addr: u32, unprivileged: bool) -> Attribution {
        let ptr = addr as usize as *mut u32;
        Attribution(if unprivileged {
            cortex_m::asm::ttat(ptr)
        } else {
            cortex_m::asm::tta(ptr)
        })
    }

    fn bit(self, n: u32) -> bool {
        self.0 & (1 << n) != 0
    }

    /// S: the address is secure (or non-secure callable).
    pub fn secure(self) -> bool {
        self.bit(22)
    }

    /// NSR: a non-secure read is allowed (non-secure and the app's MPU agrees).
    pub fn ns_readable(self) -> bool {
        self.bit(20)
    }

    /// NSRW: a non-secure read and write is allowed.
    pub fn ns_read_writable(self) -> bool {
        self.bit(21)
    }

    /// SAU region number, if SRVALID.
    fn sau_region(self) -> Option<u32> {
        self.bit(17).then_some((self.0 >> 8) & 0xFF)
    }

    /// IDAU region number, if IRVALID.
    fn idau_region(self) -> Option<u32> {
        self.bit(23).then_some(self.0 >> 24)
    }

    /// The app's MPU region number, if MRVALID.
    fn mpu_region(self) -> Option<u32> {
        self.bit(16).then_some(self.0 & 0xFF)
    }

    /// Same SAU, IDAU and MPU region (each valid in both or in neither)?
    pub fn same_region_as(self, other: Attribution) -> bool {
        self.sau_region() == other.sau_region()
            && self.idau_region() == other.idau_region()
            && self.mpu_region() == other.mpu_region()
    }
}
