//! STM32U585 flash rules enforced in software over byte-addressable NVM (QEMU's file-backed PSRAM).
//!
//! The NVM holds the flash bytes, one state byte per 16-byte unit and a
//! format marker. A program marks its unit torn, writes the bytes, then marks
//! it programmed; an erase marks the page's units torn, fills the page with
//! 0xFF, then marks them erased. So an interruption at *any* store (a SIGKILL
//! of QEMU) leaves at worst torn units, which read back as ECC errors until
//! their page is erased — what the chip does. Exact cuts ([`NvmFlash::arm`])
//! stop at an operation, before it or inside it (half a unit written, a
//! prefix of a page erased), and count operations the way the sim's model does.

use mv_kernel::flash::{Flash, FlashError, PAGE_SIZE, UNIT};

/// Byte-addressable persistent cells.
pub trait NvmCells {
    fn load(&self, at: u32, buf: &mut [u8]);
    fn store(&mut self, at: u32, bytes: &[u8]);
}

/// Where things are in the NVM.
pub mod map {
    /// Flash bytes start here.
    pub const DATA: u32 = 0;
    /// One state byte per unit.
    pub const STATES: u32 = 0x0040_0000;
    /// [`MAGIC`] when the NVM holds a formatted flash.
    pub const FORMAT: u32 = 0x0060_0000;
    /// A one-shot cut request: `CUT_MAGIC, ops_left: u32, inside: u32` (the
    /// lab's power switch, written by the harness while the device is off).
    /// The count goes down with every flash operation and is kept in NVM, so
    /// it runs on across the device's own restarts; power goes at the
    /// operation it reaches 0 on, and the request is cleared first.
    pub const CUT_REQUEST: u32 = 0x0060_0010;
    /// Provisioned signer keys (the device's OTP): `count: u32`, then
    /// `count` uncompressed P-256 keys of 65 bytes.
    pub const SIGNERS: u32 = 0x0060_0100;
    /// At most this many provisioned keys.
    pub const MAX_SIGNERS: u32 = 4;
    pub const MAGIC: &[u8; 16] = b"hil-nvm-flash-v1";
    pub const CUT_MAGIC: u32 = 0x2154_5543; // "CUT!"
}

/// Unit states.
pub mod state {
    pub const ERASED: u8 = 0xFF;
    pub const PROGRAMMED: u8 = 0x00;
    pub const TORN: u8 = 0x5A;
}

/// The flash over NVM cells.
pub struct NvmFlash<C: NvmCells> {
    cells: C,
    size: u32,
    ops: u64,
    cut: Option<(u64, bool)>,
    /// The cut came from the NVM request: keep its countdown there.
    persistent: bool,
    powered: bool,
}

impl<C: NvmCells> NvmFlash<C> {
    /// A flash of `size` bytes over `cells`, formatting them if they hold none.
    pub fn open(cells: C, size: u32) -> Self {
        let mut flash = NvmFlash {
            cells,
            size,
            ops: 0,
            cut: None,
            persistent: false,
            powered: true,
        };
        let mut magic = [0u8; 16];
        flash.cells.load(map::FORMAT, &mut magic);
        if &magic != map::MAGIC {
            flash.format();
        }
        flash
    }

    /// Every byte 0xFF, every unit erased.
    pub fn format(&mut self) {
        let ff = [0xFFu8; 256];
        let mut at = 0;
        while at < self.size {
            let n = (self.size - at).min(256);
            self.cells.store(map::DATA + at, &ff[..n as usize]);
            at += n;
        }
        let units = self.size / UNIT as u32;
        let mut at = 0;
        while at < units {
            let n = (units - at).min(256);
            self.cells.store(map::STATES + at, &ff[..n as usize]);
            at += n;
        }
        self.cells.store(map::FORMAT, map::MAGIC);
    }

    /// Arms the cut the harness requested in NVM, if any: `(ops_left, inside)`.
    pub fn arm_requested_cut(&mut self) -> Option<(u64, bool)> {
        let mut raw = [0u8; 12];
        self.cells.load(map::CUT_REQUEST, &mut raw);
        let word = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
        if word(0) != map::CUT_MAGIC {
            return None;
        }
        let request = (u64::from(word(4)), word(8) != 0);
        self.arm(request.0, request.1);
        self.persistent = true;
        Some(request)
    }

    /// The request the harness writes: power goes at operation `op` from
    /// the next boot, before it or inside it.
    pub fn cut_request(op: u32, inside: bool) -> [u8; 12] {
        let mut raw = [0u8; 12];
        raw[..4].copy_from_slice(&map::CUT_MAGIC.to_le_bytes());
        raw[4..8].copy_from_slice(&op.to_le_bytes());
        raw[8..12].copy_from_slice(&u32::from(inside).to_le_bytes());
        raw
    }

    /// Cut power at operation `op` (counted from now), before it or inside it.
    pub fn arm(&mut self, op: u64, inside: bool) {
        self.cut = Some((self.ops + op, inside));
    }

    /// Operations so far.
    pub fn operations(&self) -> u64 {
        self.ops
    }

    pub fn cells(&self) -> &C {
        &self.cells
    }

    pub fn into_cells(self) -> C {
        self.cells
    }

    fn states(&self, first_unit: u32, out: &mut [u8]) {
        self.cells.load(map::STATES + first_unit, out);
    }

    fn begin(&mut self) -> Result<Option<bool>, FlashError> {
        if !self.powered {
            return Err(FlashError::PowerLost);
        }
        let op = self.ops;
        self.ops += 1;
        match self.cut {
            Some((at, inside)) if at == op => {
                self.cut = None;
                self.powered = false;
                if self.persistent {
                    self.cells.store(map::CUT_REQUEST, &[0u8; 12]);
                }
                Ok(Some(inside))
            }
            Some((at, _)) if self.persistent => {
                let left = (at - self.ops) as u32;
                self.cells.store(map::CUT_REQUEST + 4, &left.to_le_bytes());
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// Deterministic amount of a torn operation that makes it, from its number.
    fn portion(&self, of: u32) -> u32 {
        let x = self.ops.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
        (x as u32) % of
    }
}

impl<C: NvmCells> Flash for NvmFlash<C> {
    fn size(&self) -> u32 {
        self.size
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        if !self.powered {
            return Err(FlashError::PowerLost);
        }
        let end = offset
            .checked_add(buf.len() as u32)
            .filter(|&e| e <= self.size)
            .ok_or(FlashError::OutOfRange)?;
        if end > offset {
            let (first, last) = (offset / UNIT as u32, (end - 1) / UNIT as u32);
            let mut states = [0u8; 64];
            let mut unit = first;
            while unit <= last {
                let n = (last - unit + 1).min(64);
                self.states(unit, &mut states[..n as usize]);
                if let Some(i) = states[..n as usize].iter().position(|&s| s == state::TORN) {
                    return Err(FlashError::Ecc {
                        offset: (unit + i as u32) * UNIT as u32,
                    });
                }
                unit += n;
            }
        }
        self.cells.load(map::DATA + offset, buf);
        Ok(())
    }

    fn program(&mut self, offset: u32, data: &[u8; UNIT]) -> Result<(), FlashError> {
        if !offset.is_multiple_of(UNIT as u32) {
            return Err(FlashError::Misaligned);
        }
        if offset >= self.size {
            return Err(FlashError::OutOfRange);
        }
        let index = offset / UNIT as u32;
        let mut s = [0u8; 1];
        self.states(index, &mut s);
        if self.powered && s[0] != state::ERASED {
            return Err(FlashError::AlreadyProgrammed);
        }
        let cut = self.begin()?;
        if cut == Some(false) {
            return Err(FlashError::PowerLost);
        }
        self.cells.store(map::STATES + index, &[state::TORN]);
        if cut == Some(true) {
            let written = 1 + self.portion(UNIT as u32 - 1);
            self.cells
                .store(map::DATA + offset, &data[..written as usize]);
            return Err(FlashError::PowerLost);
        }
        self.cells.store(map::DATA + offset, data);
        self.cells.store(map::STATES + index, &[state::PROGRAMMED]);
        Ok(())
    }

    fn erase_page(&mut self, page: u32) -> Result<(), FlashError> {
        let start = page * PAGE_SIZE;
        if start + PAGE_SIZE > self.size {
            return Err(FlashError::OutOfRange);
        }
        let cut = self.begin()?;
        if cut == Some(false) {
            return Err(FlashError::PowerLost);
        }
        let units = PAGE_SIZE / UNIT as u32;
        let first = start / UNIT as u32;
        let torn = [state::TORN; 64];
        let erased = [state::ERASED; 64];
        let ff = [0xFFu8; 256];
        for i in (0..units).step_by(64) {
            self.cells.store(map::STATES + first + i, &torn);
        }
        let clean = if cut == Some(true) {
            self.portion(units)
        } else {
            units
        };
        for i in (0..clean * UNIT as u32).step_by(256) {
            let n = (clean * UNIT as u32 - i).min(256);
            self.cells.store(map::DATA + start + i, &ff[..n as usize]);
        }
        for i in (0..clean).step_by(64) {
            let n = (clean - i).min(64);
            self.cells
                .store(map::STATES + first + i, &erased[..n as usize]);
        }
        if cut == Some(true) {
            return Err(FlashError::PowerLost);
        }
        Ok(())
    }
}

/// Reads the provisioned signer keys (skipping any that are not valid keys).
pub fn read_signers<C: NvmCells>(cells: &C) -> alloc::vec::Vec<mv_ota::TrustedSigner> {
    let mut count = [0u8; 4];
    cells.load(map::SIGNERS, &mut count);
    let count = u32::from_le_bytes(count).min(map::MAX_SIGNERS);
    (0..count)
        .filter_map(|i| {
            let mut key = [0u8; mv_ota::PUBLIC_KEY_LEN];
            cells.load(
                map::SIGNERS + 4 + i * mv_ota::PUBLIC_KEY_LEN as u32,
                &mut key,
            );
            mv_ota::TrustedSigner::from_uncompressed(&key).ok()
        })
        .collect()
}

/// Provisions signer keys (factory step).
pub fn write_signers<C: NvmCells>(cells: &mut C, keys: &[[u8; mv_ota::PUBLIC_KEY_LEN]]) {
    let count = (keys.len() as u32).min(map::MAX_SIGNERS);
    cells.store(map::SIGNERS, &count.to_le_bytes());
    for (i, key) in keys.iter().take(count as usize).enumerate() {
        cells.store(
            map::SIGNERS + 4 + i as u32 * mv_ota::PUBLIC_KEY_LEN as u32,
            key,
        );
    }
}

/// Whether `cells` hold a formatted flash (without formatting them).
pub fn is_formatted<C: NvmCells>(cells: &C) -> bool {
    let mut magic = [0u8; 16];
    cells.load(map::FORMAT, &mut magic);
    &magic == map::MAGIC
}

/// NVM in a byte vector (the harness's view of the NVM file).
impl NvmCells for alloc::vec::Vec<u8> {
    fn load(&self, at: u32, buf: &mut [u8]) {
        let at = at as usize;
        buf.copy_from_slice(&self[at..at + buf.len()]);
    }

    fn store(&mut self, at: u32, bytes: &[u8]) {
        let at = at as usize;
        self[at..at + bytes.len()].copy_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn nvm() -> NvmFlash<alloc::vec::Vec<u8>> {
        NvmFlash::open(vec![0u8; 0x0070_0000], 4 * PAGE_SIZE)
    }

    #[test]
    fn the_rules_hold_over_nvm() {
        let mut f = nvm();
        let q = [0x11u8; UNIT];
        f.program(32, &q).unwrap();
        assert_eq!(f.program(32, &q), Err(FlashError::AlreadyProgrammed));
        assert_eq!(f.program(33, &q), Err(FlashError::Misaligned));
        let mut b = [0u8; UNIT];
        f.read(32, &mut b).unwrap();
        assert_eq!(b, q);
        f.erase_page(0).unwrap();
        f.read(32, &mut b).unwrap();
        assert_eq!(b, [0xFF; UNIT]);
        assert_eq!(f.operations(), 2);
    }

    #[test]
    fn torn_units_persist_in_the_cells_and_read_as_ecc_errors() {
        let mut f = nvm();
        f.arm(0, true);
        assert_eq!(f.program(64, &[7; UNIT]), Err(FlashError::PowerLost));
        // Power comes back: a new flash over the same cells.
        let mut f = NvmFlash::open(f.into_cells(), 4 * PAGE_SIZE);
        assert_eq!(
            f.read(60, &mut [0u8; 8]),
            Err(FlashError::Ecc { offset: 64 })
        );
        assert_eq!(
            f.program(64, &[7; UNIT]),
            Err(FlashError::AlreadyProgrammed)
        );
        f.erase_page(0).unwrap();
        f.program(64, &[7; UNIT]).unwrap();
        // A torn erase leaves broken units behind too.
        f.arm(0, true);
        assert_eq!(f.erase_page(0), Err(FlashError::PowerLost));
        let mut f = NvmFlash::open(f.into_cells(), 4 * PAGE_SIZE);
        assert!(matches!(
            f.read(0, &mut [0u8; PAGE_SIZE as usize]),
            Err(FlashError::Ecc { .. })
        ));
    }

    #[test]
    fn a_cut_request_counts_down_across_restarts_and_fires_once() {
        let mut cells = vec![0u8; 0x0070_0000];
        cells.store(
            map::CUT_REQUEST,
            &NvmFlash::<alloc::vec::Vec<u8>>::cut_request(3, false),
        );
        let mut f = NvmFlash::open(cells, PAGE_SIZE);
        assert_eq!(f.arm_requested_cut(), Some((3, false)));
        f.program(0, &[1; UNIT]).unwrap();
        f.program(16, &[1; UNIT]).unwrap();
        // A restart: the countdown continues from the NVM.
        let mut f = NvmFlash::open(f.into_cells(), PAGE_SIZE);
        assert_eq!(f.arm_requested_cut(), Some((1, false)));
        f.program(32, &[1; UNIT]).unwrap();
        assert_eq!(f.program(48, &[1; UNIT]), Err(FlashError::PowerLost));
        let mut f = NvmFlash::open(f.into_cells(), PAGE_SIZE);
        assert_eq!(f.arm_requested_cut(), None, "fired once, then cleared");
        f.program(48, &[1; UNIT]).unwrap();
    }
}
