//! A model of the STM32U585 internal flash that can lose power anywhere.
//!
//! It enforces the chip's rules (8 KiB erase pages, 16-byte program units,
//! each programmable once per erase, ECC per unit) and injects power cuts at
//! an exact operation, either *before* it (nothing changes) or *inside* it:
//! a torn program leaves a quad-word whose first bytes are written and whose
//! ECC no longer matches (reads of it fail with an ECC error until its page is
//! erased); a torn erase leaves a page of which only a prefix of quad-words is
//! erased and the rest is garbage with broken ECC. Every cut has an id
//! (`op1234` / `op1234i`) that replays it exactly, because the model is
//! deterministic: the torn bytes come from the operation number.

use mv_kernel::flash::{Flash, FlashError, PAGE_SIZE, UNIT};

/// Where a power cut lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CutPoint {
    /// The 0-based flash operation (program or erase) the cut hits.
    pub op: u64,
    /// Inside the operation (torn) rather than just before it.
    pub inside: bool,
}

impl CutPoint {
    /// The replay id: `op<N>` or `op<N>i`.
    pub fn id(&self) -> String {
        format!("op{}{}", self.op, if self.inside { "i" } else { "" })
    }

    /// Parse a replay id.
    pub fn parse(id: &str) -> Option<CutPoint> {
        let rest = id.strip_prefix("op")?;
        let (digits, inside) = match rest.strip_suffix('i') {
            Some(d) => (d, true),
            None => (rest, false),
        };
        Some(CutPoint {
            op: digits.parse().ok()?,
            inside,
        })
    }
}

/// One operation as recorded by [`SimFlash::enable_trace`] (calibration runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlashOp {
    /// An erase (else a program).
    pub erase: bool,
    /// Byte offset of the unit or page.
    pub offset: u32,
    /// First byte programmed (a journal record's kind); 0xFF for an erase.
    pub first: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UnitState {
    Erased,
    Programmed,
    /// Interrupted program or erase: the ECC does not match the data.
    Torn,
}

/// The flash model.
#[derive(Clone, Debug)]
pub struct SimFlash {
    bytes: Vec<u8>,
    units: Vec<UnitState>,
    /// Program and erase operations since the model was made.
    ops: u64,
    cut: Option<CutPoint>,
    powered: bool,
    trace: Option<Vec<FlashOp>>,
}

impl SimFlash {
    /// `size` bytes, erased. `size` is a whole number of pages.
    pub fn new(size: u32) -> SimFlash {
        assert!(size.is_multiple_of(PAGE_SIZE), "whole pages only");
        SimFlash {
            bytes: vec![0xFF; size as usize],
            units: vec![UnitState::Erased; size as usize / UNIT],
            ops: 0,
            cut: None,
            powered: true,
            trace: None,
        }
    }

    /// Record every operation from now on (see [`Self::take_trace`]).
    pub fn enable_trace(&mut self) {
        self.trace = Some(Vec::new());
    }

    /// The operations recorded since [`Self::enable_trace`].
    pub fn take_trace(&mut self) -> Vec<FlashOp> {
        self.trace.take().unwrap_or_default()
    }

    fn record(&mut self, op: FlashOp) {
        if let Some(t) = self.trace.as_mut() {
            t.push(op);
        }
    }

    /// Cut power at `point` (once; power stays off until [`Self::power_on`]).
    pub fn arm(&mut self, point: CutPoint) {
        self.cut = Some(point);
    }

    /// Power comes back: the flash keeps what it holds, torn units included.
    pub fn power_on(&mut self) {
        self.powered = true;
    }

    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// Program and erase operations so far (calibration counts these).
    pub fn operations(&self) -> u64 {
        self.ops
    }

    /// The raw bytes, for comparing images (torn units included).
    pub fn raw(&self) -> &[u8] {
        &self.bytes
    }

    /// Deterministic garbage for torn data, from the operation number.
    fn noise(&self, i: usize) -> u8 {
        let x = (self.ops.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i as u64)
            .wrapping_mul(0xBF58_476D_1CE4_E5B9);
        (x >> 56) as u8
    }

    /// Count the operation; `Some(inside)` if power goes now.
    fn begin(&mut self) -> Result<Option<bool>, FlashError> {
        if !self.powered {
            return Err(FlashError::PowerLost);
        }
        let op = self.ops;
        self.ops += 1;
        match self.cut {
            Some(cut) if cut.op == op => {
                self.cut = None;
                self.powered = false;
                Ok(Some(cut.inside))
            }
            _ => Ok(None),
        }
    }
}

impl Flash for SimFlash {
    fn size(&self) -> u32 {
        self.bytes.len() as u32
    }

    fn read(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        if !self.powered {
            return Err(FlashError::PowerLost);
        }
        let start = offset as usize;
        let end = start
            .checked_add(buf.len())
            .filter(|&e| e <= self.bytes.len())
            .ok_or(FlashError::OutOfRange)?;
        if end > start {
            for unit in start / UNIT..=(end - 1) / UNIT {
                if self.units[unit] == UnitState::Torn {
                    return Err(FlashError::Ecc {
                        offset: (unit * UNIT) as u32,
                    });
                }
            }
        }
        buf.copy_from_slice(&self.bytes[start..end]);
        Ok(())
    }

    fn program(&mut self, offset: u32, unit: &[u8; UNIT]) -> Result<(), FlashError> {
        if !(offset as usize).is_multiple_of(UNIT) {
            return Err(FlashError::Misaligned);
        }
        let index = offset as usize / UNIT;
        if index >= self.units.len() {
            return Err(FlashError::OutOfRange);
        }
        if self.powered && self.units[index] != UnitState::Erased {
            return Err(FlashError::AlreadyProgrammed);
        }
        self.record(FlashOp {
            erase: false,
            offset,
            first: unit[0],
        });
        match self.begin()? {
            None => {
                self.bytes[offset as usize..offset as usize + UNIT].copy_from_slice(unit);
                self.units[index] = UnitState::Programmed;
                Ok(())
            }
            Some(false) => Err(FlashError::PowerLost),
            Some(true) => {
                // Torn: a prefix of the bytes made it, the ECC did not.
                let written = 1 + (self.noise(0) as usize % (UNIT - 1));
                let at = offset as usize;
                self.bytes[at..at + written].copy_from_slice(&unit[..written]);
                self.units[index] = UnitState::Torn;
                Err(FlashError::PowerLost)
            }
        }
    }

    fn erase_page(&mut self, page: u32) -> Result<(), FlashError> {
        let start = page as usize * PAGE_SIZE as usize;
        if start + PAGE_SIZE as usize > self.bytes.len() {
            return Err(FlashError::OutOfRange);
        }
        let units = PAGE_SIZE as usize / UNIT;
        let first = start / UNIT;
        self.record(FlashOp {
            erase: true,
            offset: start as u32,
            first: 0xFF,
        });
        match self.begin()? {
            None => {
                self.bytes[start..start + PAGE_SIZE as usize].fill(0xFF);
                self.units[first..first + units].fill(UnitState::Erased);
                Ok(())
            }
            Some(false) => Err(FlashError::PowerLost),
            Some(true) => {
                // Half erased: a prefix of quad-words is clean, the rest is
                // garbage whose ECC does not match.
                let clean = self.noise(1) as usize % units;
                for u in 0..units {
                    let at = start + u * UNIT;
                    if u < clean {
                        self.bytes[at..at + UNIT].fill(0xFF);
                        self.units[first + u] = UnitState::Erased;
                    } else {
                        for k in 0..UNIT {
                            self.bytes[at + k] = self.noise(2 + u * UNIT + k);
                        }
                        self.units[first + u] = UnitState::Torn;
                    }
                }
                Err(FlashError::PowerLost)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q: [u8; UNIT] = [0x11; UNIT];

    #[test]
    fn units_are_write_once_until_their_page_is_erased() {
        let mut f = SimFlash::new(2 * PAGE_SIZE);
        f.program(32, &Q).unwrap();
        assert_eq!(f.program(32, &Q), Err(FlashError::AlreadyProgrammed));
        assert_eq!(f.program(33, &Q), Err(FlashError::Misaligned));
        f.erase_page(0).unwrap();
        f.program(32, &Q).unwrap();
        let mut b = [0u8; UNIT];
        f.read(32, &mut b).unwrap();
        assert_eq!(b, Q);
        assert_eq!(f.operations(), 3);
    }

    #[test]
    fn a_cut_before_an_operation_changes_nothing_and_powers_off() {
        let mut f = SimFlash::new(PAGE_SIZE);
        f.arm(CutPoint {
            op: 1,
            inside: false,
        });
        f.program(0, &Q).unwrap();
        let before = f.raw().to_vec();
        assert_eq!(f.program(16, &Q), Err(FlashError::PowerLost));
        assert_eq!(f.raw(), &before[..]);
        assert_eq!(f.program(32, &Q), Err(FlashError::PowerLost), "stays off");
        f.power_on();
        f.program(16, &Q).unwrap();
    }

    #[test]
    fn a_torn_program_reads_as_an_ecc_error_until_erased() {
        let mut f = SimFlash::new(PAGE_SIZE);
        f.arm(CutPoint {
            op: 0,
            inside: true,
        });
        assert_eq!(f.program(64, &Q), Err(FlashError::PowerLost));
        f.power_on();
        let mut b = [0u8; 4];
        assert_eq!(
            f.read(62, &mut b),
            Err(FlashError::Ecc { offset: 64 }),
            "a read that touches it"
        );
        assert!(f.read(48, &mut [0u8; 16]).is_ok(), "the neighbour is fine");
        assert_eq!(
            f.program(64, &Q),
            Err(FlashError::AlreadyProgrammed),
            "a torn unit is not erased"
        );
        f.erase_page(0).unwrap();
        f.program(64, &Q).unwrap();
    }

    #[test]
    fn a_torn_erase_leaves_a_clean_prefix_and_broken_rest() {
        let mut f = SimFlash::new(PAGE_SIZE);
        for u in 0..(PAGE_SIZE as usize / UNIT) {
            f.program((u * UNIT) as u32, &Q).unwrap();
        }
        let op = f.operations();
        f.arm(CutPoint { op, inside: true });
        assert_eq!(f.erase_page(0), Err(FlashError::PowerLost));
        f.power_on();
        let whole = f.read(0, &mut vec![0u8; PAGE_SIZE as usize]);
        assert!(matches!(whole, Err(FlashError::Ecc { .. })), "{whole:?}");
        f.erase_page(0).unwrap();
        assert!(f.raw().iter().all(|&b| b == 0xFF));
    }

    #[test]
    fn cuts_replay_exactly_from_their_id() {
        let run = |id: &str| {
            let mut f = SimFlash::new(PAGE_SIZE);
            f.arm(CutPoint::parse(id).unwrap());
            for u in 0..8u32 {
                let _ = f.program(u * 16, &[u as u8; UNIT]);
            }
            f.raw().to_vec()
        };
        assert_eq!(run("op5i"), run("op5i"));
        assert_ne!(run("op5i"), run("op5"));
        assert_eq!(
            CutPoint::parse("op12i"),
            Some(CutPoint {
                op: 12,
                inside: true
            })
        );
        assert_eq!(
            CutPoint {
                op: 7,
                inside: false
            }
            .id(),
            "op7"
        );
        assert_eq!(CutPoint::parse("x7"), None);
    }
}
