//! [`FlashModel`]: the STM32U585 flash rules enforced over byte-addressable persistent cells.
//!
//! The cells hold the flash bytes, one state byte per 16-byte unit and a
//! little metadata ([`crate::map`]). A program marks its unit torn, writes
//! the bytes, then marks it programmed; an erase marks the page's units torn,
//! fills the page with 0xFF, then marks them erased. So an interruption at
//! *any* store (a SIGKILL of QEMU) leaves at worst torn units, which read back
//! as ECC errors until their page is erased — what the chip does. Exact cuts
//! ([`FlashModel::arm`]) stop at an operation, before it or inside it (a
//! prefix of the unit written, a prefix of the page erased); the amount that
//! makes it comes from the operation number, so a cut replays exactly.

use alloc::vec::Vec;

use crate::map::{state, NvmMap, CUT_MAGIC, FORMAT_MAGIC};
use crate::{CutPoint, Flash, FlashError, PAGE_SIZE, UNIT};

/// Byte-addressable persistent cells: memory on the sim, QEMU's PSRAM on AN505.
pub trait Cells {
    fn load(&self, at: u32, buf: &mut [u8]);
    fn store(&mut self, at: u32, bytes: &[u8]);
    /// All the cells as one slice, where they are ordinary memory (a faster
    /// path for scans; memory-mapped cells say `None`).
    fn as_slice(&self) -> Option<&[u8]> {
        None
    }
}

/// Cells in memory (the sim's device, and the harness's view of an NVM file).
impl Cells for Vec<u8> {
    fn load(&self, at: u32, buf: &mut [u8]) {
        let at = at as usize;
        buf.copy_from_slice(&self[at..at + buf.len()]);
    }

    fn store(&mut self, at: u32, bytes: &[u8]) {
        let at = at as usize;
        self[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn as_slice(&self) -> Option<&[u8]> {
        Some(self)
    }
}

/// One operation as recorded by [`FlashModel::enable_trace`] (calibration runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlashOp {
    /// An erase (else a program).
    pub erase: bool,
    /// Byte offset of the unit or page.
    pub offset: u32,
    /// First byte programmed (a journal record's kind); 0xFF for an erase.
    pub first: u8,
    /// The unit programmed (all 0xFF for an erase): with it a trace replays
    /// the operation exactly ([`FlashOp::apply`]).
    pub data: [u8; UNIT],
}

impl FlashOp {
    /// Performs the operation on `flash` (the power-cut campaign rebuilds
    /// the golden run's flash at any operation from its trace).
    pub fn apply<F: Flash + ?Sized>(&self, flash: &mut F) -> Result<(), FlashError> {
        if self.erase {
            flash.erase_page(self.offset / PAGE_SIZE)
        } else {
            flash.program(self.offset, &self.data)
        }
    }
}

/// Whether `cells` hold a formatted flash of the map's size (without formatting them).
pub fn is_formatted<C: Cells + ?Sized>(cells: &C, map: &NvmMap) -> bool {
    let mut magic = [0u8; 16];
    cells.load(map.format(), &mut magic);
    &magic == FORMAT_MAGIC
}

/// The flash over cells.
#[derive(Clone, Debug)]
pub struct FlashModel<C: Cells> {
    cells: C,
    map: NvmMap,
    /// Program and erase operations since the model was opened.
    ops: u64,
    /// `(absolute op, inside)` of the armed cut.
    cut: Option<(u64, bool)>,
    /// The cut came from the cells' request: keep its countdown there.
    persistent: bool,
    powered: bool,
    trace: Option<Vec<FlashOp>>,
}

/// Are all these unit states erased? Compared a word at a time.
fn all_erased(states: &[u8]) -> bool {
    let erased = u32::from_ne_bytes([state::ERASED; 4]);
    let mut words = states.chunks_exact(4);
    words.all(|w| u32::from_ne_bytes([w[0], w[1], w[2], w[3]]) == erased)
        && words.remainder().iter().all(|&s| s == state::ERASED)
}

impl<C: Cells> FlashModel<C> {
    /// A flash of `size` bytes over `cells`, formatting them (all erased) if
    /// they hold none. The cells must hold [`NvmMap::cells_len`] bytes.
    pub fn open(cells: C, size: u32) -> Self {
        let map = NvmMap::new(size);
        let mut flash = FlashModel {
            cells,
            map,
            ops: 0,
            cut: None,
            persistent: false,
            powered: true,
            trace: None,
        };
        if !is_formatted(&flash.cells, &map) {
            flash.format();
        }
        flash
    }

    /// Every byte 0xFF, every unit erased, no cut request, OTP kept.
    pub fn format(&mut self) {
        let ff = [0xFFu8; 256];
        let size = self.map.size();
        let mut at = 0;
        while at < size {
            let n = (size - at).min(256);
            self.cells.store(self.map.data() + at, &ff[..n as usize]);
            at += n;
        }
        let units = size / UNIT as u32;
        let mut at = 0;
        while at < units {
            let n = (units - at).min(256);
            self.cells.store(self.map.states() + at, &ff[..n as usize]);
            at += n;
        }
        self.cells.store(self.map.cut_request(), &[0u8; 12]);
        self.cells.store(self.map.format(), FORMAT_MAGIC);
    }

    pub fn map(&self) -> &NvmMap {
        &self.map
    }

    /// Record every operation from now on (see [`Self::take_trace`]).
    pub fn enable_trace(&mut self) {
        self.trace = Some(Vec::new());
    }

    /// The operations recorded since [`Self::enable_trace`].
    pub fn take_trace(&mut self) -> Vec<FlashOp> {
        self.trace.take().unwrap_or_default()
    }

    /// Arms the cut the harness requested in the cells, if any; it counts
    /// down in the cells from then on. Returns it.
    pub fn arm_requested_cut(&mut self) -> Option<CutPoint> {
        let mut raw = [0u8; 12];
        self.cells.load(self.map.cut_request(), &mut raw);
        let word = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
        if word(0) != CUT_MAGIC {
            return None;
        }
        let point = CutPoint {
            op: u64::from(word(4)),
            inside: word(8) != 0,
        };
        self.arm(point);
        self.persistent = true;
        Some(point)
    }

    /// Cut power at `point.op` operations from now, before or inside it
    /// (once; power stays off until [`Self::power_on`]).
    pub fn arm(&mut self, point: CutPoint) {
        self.cut = Some((self.ops + point.op, point.inside));
    }

    /// Power comes back: the flash keeps what it holds, torn units included.
    pub fn power_on(&mut self) {
        self.powered = true;
    }

    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// Program and erase operations so far.
    pub fn operations(&self) -> u64 {
        self.ops
    }

    pub fn cells(&self) -> &C {
        &self.cells
    }

    pub fn cells_mut(&mut self) -> &mut C {
        &mut self.cells
    }

    pub fn into_cells(self) -> C {
        self.cells
    }

    /// Bytes from `offset` to the end of the last unit in `[offset, offset + len)`
    /// that is not erased (0 if all are): how much of a region holds data.
    pub fn programmed_extent(&self, offset: u32, len: u32) -> u32 {
        let first = offset / UNIT as u32;
        let mut end = (offset + len) / UNIT as u32;
        if let Some(cells) = self.cells.as_slice() {
            let states =
                &cells[(self.map.states() + first) as usize..(self.map.states() + end) as usize];
            return states
                .iter()
                .rposition(|&s| s != state::ERASED)
                .map_or(0, |i| (first + i as u32 + 1) * UNIT as u32 - offset);
        }
        let mut states = [0u8; 256];
        while end > first {
            let n = (end - first).min(256);
            let chunk = &mut states[..n as usize];
            self.cells.load(self.map.states() + end - n, chunk);
            // A word at a time where all is erased (most of a region, which
            // the secure image scans at every boot), a byte at a time in the
            // chunk that is not.
            if !all_erased(chunk) {
                if let Some(i) = chunk.iter().rposition(|&s| s != state::ERASED) {
                    return (end - n + i as u32 + 1) * UNIT as u32 - offset;
                }
            }
            end -= n;
        }
        0
    }

    fn record(&mut self, op: FlashOp) {
        if let Some(t) = self.trace.as_mut() {
            t.push(op);
        }
    }

    fn unit_state(&self, unit: u32) -> u8 {
        let mut s = [0u8; 1];
        self.cells.load(self.map.states() + unit, &mut s);
        s[0]
    }

    /// Counts the operation; `Some(inside)` if power goes now.
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
                    self.cells.store(self.map.cut_request(), &[0u8; 12]);
                }
                Ok(Some(inside))
            }
            Some((at, _)) if self.persistent => {
                let left = (at - self.ops) as u32;
                self.cells
                    .store(self.map.cut_request() + 4, &left.to_le_bytes());
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

/// The request the harness writes into a device's cells while it is off:
/// power goes at `point.op` operations from the next boot, before or inside it.
pub fn cut_request(point: CutPoint) -> [u8; 12] {
    let mut raw = [0u8; 12];
    raw[..4].copy_from_slice(&CUT_MAGIC.to_le_bytes());
    raw[4..8].copy_from_slice(&(point.op as u32).to_le_bytes());
    raw[8..12].copy_from_slice(&u32::from(point.inside).to_le_bytes());
    raw
}

impl<C: Cells> Flash for FlashModel<C> {
    fn size(&self) -> u32 {
        self.map.size()
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        if !self.powered {
            return Err(FlashError::PowerLost);
        }
        let end = offset
            .checked_add(buf.len() as u32)
            .filter(|&e| e <= self.map.size())
            .ok_or(FlashError::OutOfRange)?;
        if end > offset {
            let (first, last) = (offset / UNIT as u32, (end - 1) / UNIT as u32);
            let mut states = [0u8; 256];
            let mut unit = first;
            while unit <= last {
                let n = (last - unit + 1).min(256);
                self.cells
                    .load(self.map.states() + unit, &mut states[..n as usize]);
                if let Some(i) = states[..n as usize].iter().position(|&s| s == state::TORN) {
                    return Err(FlashError::Ecc {
                        offset: (unit + i as u32) * UNIT as u32,
                    });
                }
                unit += n;
            }
        }
        self.cells.load(self.map.data() + offset, buf);
        Ok(())
    }

    fn program(&mut self, offset: u32, data: &[u8; UNIT]) -> Result<(), FlashError> {
        if !offset.is_multiple_of(UNIT as u32) {
            return Err(FlashError::Misaligned);
        }
        if offset >= self.map.size() {
            return Err(FlashError::OutOfRange);
        }
        let index = offset / UNIT as u32;
        if self.powered && self.unit_state(index) != state::ERASED {
            return Err(FlashError::AlreadyProgrammed);
        }
        self.record(FlashOp {
            erase: false,
            offset,
            first: data[0],
            data: *data,
        });
        let cut = self.begin()?;
        if cut == Some(false) {
            return Err(FlashError::PowerLost);
        }
        self.cells.store(self.map.states() + index, &[state::TORN]);
        if cut == Some(true) {
            // Torn: a prefix of the bytes made it, the ECC did not.
            let written = 1 + self.portion(UNIT as u32 - 1);
            self.cells
                .store(self.map.data() + offset, &data[..written as usize]);
            return Err(FlashError::PowerLost);
        }
        self.cells.store(self.map.data() + offset, data);
        self.cells
            .store(self.map.states() + index, &[state::PROGRAMMED]);
        Ok(())
    }

    fn erase_page(&mut self, page: u32) -> Result<(), FlashError> {
        let start = page
            .checked_mul(PAGE_SIZE)
            .filter(|s| {
                s.checked_add(PAGE_SIZE)
                    .is_some_and(|e| e <= self.map.size())
            })
            .ok_or(FlashError::OutOfRange)?;
        self.record(FlashOp {
            erase: true,
            offset: start,
            first: 0xFF,
            data: [0xFF; UNIT],
        });
        let cut = self.begin()?;
        if cut == Some(false) {
            return Err(FlashError::PowerLost);
        }
        let units = PAGE_SIZE / UNIT as u32;
        let first = start / UNIT as u32;
        let torn = [state::TORN; 256];
        let erased = [state::ERASED; 256];
        let ff = [0xFFu8; 256];
        for i in (0..units).step_by(256) {
            let n = (units - i).min(256);
            self.cells
                .store(self.map.states() + first + i, &torn[..n as usize]);
        }
        // Half erased: a prefix of quad-words is clean, the rest keeps its
        // old bytes with broken ECC.
        let clean = if cut == Some(true) {
            self.portion(units)
        } else {
            units
        };
        for i in (0..clean * UNIT as u32).step_by(256) {
            let n = (clean * UNIT as u32 - i).min(256);
            self.cells
                .store(self.map.data() + start + i, &ff[..n as usize]);
        }
        for i in (0..clean).step_by(256) {
            let n = (clean - i).min(256);
            self.cells
                .store(self.map.states() + first + i, &erased[..n as usize]);
        }
        if cut == Some(true) {
            return Err(FlashError::PowerLost);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
