//! The rules, the cuts and their replay, on cells in memory.

use alloc::vec;
use alloc::vec::Vec;

use super::*;

const Q: [u8; UNIT] = [0x11; UNIT];

fn flash(pages: u32) -> FlashModel<Vec<u8>> {
    let map = NvmMap::new(pages * PAGE_SIZE);
    FlashModel::open(vec![0u8; map.cells_len() as usize], pages * PAGE_SIZE)
}

/// Power comes back: a new model over the same cells.
fn reopen(f: FlashModel<Vec<u8>>) -> FlashModel<Vec<u8>> {
    let size = f.map().size();
    FlashModel::open(f.into_cells(), size)
}

#[test]
fn units_are_write_once_until_their_page_is_erased() {
    let mut f = flash(2);
    f.program(32, &Q).unwrap();
    assert_eq!(f.program(32, &Q), Err(FlashError::AlreadyProgrammed));
    assert_eq!(f.program(33, &Q), Err(FlashError::Misaligned));
    assert_eq!(f.program(2 * PAGE_SIZE, &Q), Err(FlashError::OutOfRange));
    assert_eq!(f.erase_page(2), Err(FlashError::OutOfRange));
    let mut b = [0u8; UNIT];
    f.read(32, &mut b).unwrap();
    assert_eq!(b, Q);
    f.erase_page(0).unwrap();
    f.read(32, &mut b).unwrap();
    assert_eq!(b, [0xFF; UNIT]);
    f.program(32, &Q).unwrap();
    assert_eq!(f.operations(), 3);
}

#[test]
fn a_cut_before_an_operation_changes_nothing_and_powers_off() {
    let mut f = flash(1);
    f.arm(CutPoint {
        op: 1,
        inside: false,
    });
    f.program(0, &Q).unwrap();
    let before = f.cells().clone();
    assert_eq!(f.program(16, &Q), Err(FlashError::PowerLost));
    assert_eq!(f.cells(), &before);
    assert_eq!(f.program(32, &Q), Err(FlashError::PowerLost), "stays off");
    assert_eq!(f.read(0, &mut [0u8; 4]), Err(FlashError::PowerLost));
    f.power_on();
    f.program(16, &Q).unwrap();
}

#[test]
fn a_torn_program_persists_and_reads_as_an_ecc_error_until_erased() {
    let mut f = flash(1);
    f.arm(CutPoint {
        op: 0,
        inside: true,
    });
    assert_eq!(f.program(64, &[7; UNIT]), Err(FlashError::PowerLost));
    let mut f = reopen(f);
    assert_eq!(
        f.read(60, &mut [0u8; 8]),
        Err(FlashError::Ecc { offset: 64 }),
        "a read that touches it"
    );
    assert!(f.read(48, &mut [0u8; 16]).is_ok(), "the neighbour is fine");
    assert_eq!(
        f.program(64, &[7; UNIT]),
        Err(FlashError::AlreadyProgrammed),
        "a torn unit is not erased"
    );
    f.erase_page(0).unwrap();
    f.program(64, &[7; UNIT]).unwrap();
}

#[test]
fn a_torn_erase_leaves_a_clean_prefix_and_a_broken_rest() {
    let units = PAGE_SIZE / UNIT as u32;
    let mut f = flash(1);
    for u in 0..units {
        f.program(u * UNIT as u32, &Q).unwrap();
    }
    f.arm(CutPoint {
        op: 0,
        inside: true,
    });
    assert_eq!(f.erase_page(0), Err(FlashError::PowerLost));
    let mut f = reopen(f);
    // Find where the erase stopped: the first unit that reads as an ECC error.
    let mut whole = vec![0u8; PAGE_SIZE as usize];
    let Err(FlashError::Ecc { offset: broken }) = f.read(0, &mut whole) else {
        panic!("a torn erase must leave broken units")
    };
    assert!(broken < PAGE_SIZE);
    // The clean prefix reads back erased and can be programmed again...
    let mut prefix = vec![0u8; broken as usize];
    f.read(0, &mut prefix).unwrap();
    assert!(prefix.iter().all(|&b| b == 0xFF), "the prefix is erased");
    if broken > 0 {
        f.program(0, &Q).unwrap();
    }
    // ...and every unit after it is broken.
    for u in broken / UNIT as u32..units {
        assert_eq!(
            f.read(u * UNIT as u32, &mut [0u8; UNIT]),
            Err(FlashError::Ecc {
                offset: u * UNIT as u32
            })
        );
    }
    f.erase_page(0).unwrap();
    f.read(0, &mut whole).unwrap();
    assert!(whole.iter().all(|&b| b == 0xFF));
}

#[test]
fn cuts_replay_exactly() {
    let run = |p: CutPoint| {
        let mut f = flash(1);
        f.arm(p);
        for u in 0..8u32 {
            let _ = f.program(u * 16, &[u as u8; UNIT]);
        }
        f.into_cells()
    };
    let inside = CutPoint::parse("op5i").unwrap();
    assert_eq!(run(inside), run(inside));
    assert_ne!(run(inside), run(CutPoint::parse("op5").unwrap()));
}

#[test]
fn a_cut_request_counts_down_across_restarts_and_fires_once() {
    let mut f = flash(1);
    let at = f.map().cut_request();
    f.cells_mut().store(
        at,
        &cut_request(CutPoint {
            op: 3,
            inside: false,
        }),
    );
    let mut f = reopen(f);
    assert_eq!(
        f.arm_requested_cut(),
        Some(CutPoint {
            op: 3,
            inside: false
        })
    );
    f.program(0, &Q).unwrap();
    f.program(16, &Q).unwrap();
    let mut f = reopen(f);
    assert_eq!(
        f.arm_requested_cut(),
        Some(CutPoint {
            op: 1,
            inside: false
        }),
        "the countdown continues from the cells"
    );
    f.program(32, &Q).unwrap();
    assert_eq!(f.program(48, &Q), Err(FlashError::PowerLost));
    let mut f = reopen(f);
    assert_eq!(f.arm_requested_cut(), None, "fired once, then cleared");
    f.program(48, &Q).unwrap();
}

#[test]
fn the_trace_records_what_each_operation_touched() {
    let mut f = flash(2);
    f.enable_trace();
    f.program(16, &[0x43; UNIT]).unwrap();
    f.erase_page(1).unwrap();
    assert_eq!(
        f.take_trace(),
        vec![
            FlashOp {
                erase: false,
                offset: 16,
                first: 0x43,
                data: [0x43; UNIT],
            },
            FlashOp {
                erase: true,
                offset: PAGE_SIZE,
                first: 0xFF,
                data: [0xFF; UNIT],
            }
        ]
    );
}

#[test]
fn the_programmed_extent_ends_at_the_last_written_unit() {
    let mut f = flash(2);
    assert_eq!(f.programmed_extent(0, 2 * PAGE_SIZE), 0);
    f.program(0, &Q).unwrap();
    f.program(PAGE_SIZE + 32, &Q).unwrap();
    assert_eq!(f.programmed_extent(0, 2 * PAGE_SIZE), PAGE_SIZE + 48);
    assert_eq!(f.programmed_extent(0, PAGE_SIZE), 16);
    assert_eq!(f.programmed_extent(PAGE_SIZE, PAGE_SIZE), 48);
}

#[test]
fn formatting_keeps_the_otp() {
    let mut f = flash(1);
    let otp = f.map().otp();
    f.cells_mut().store(otp, b"key");
    f.program(0, &Q).unwrap();
    f.format();
    let mut b = [0u8; 3];
    f.cells().load(otp, &mut b);
    assert_eq!(&b, b"key");
    assert_eq!(f.programmed_extent(0, PAGE_SIZE), 0);
}

/// Cells that are not one slice (as QEMU's PSRAM is to the secure image).
#[derive(Clone, Debug)]
struct Mapped(Vec<u8>);

impl Cells for Mapped {
    fn load(&self, at: u32, buf: &mut [u8]) {
        self.0.load(at, buf);
    }
    fn store(&mut self, at: u32, bytes: &[u8]) {
        self.0.store(at, bytes);
    }
}

#[test]
fn the_programmed_extent_is_the_same_without_a_slice() {
    let map = NvmMap::new(4 * PAGE_SIZE);
    let mut sliced = FlashModel::open(vec![0u8; map.cells_len() as usize], map.size());
    for at in [0, 16, 2 * PAGE_SIZE + 4080] {
        sliced.program(at, &Q).unwrap();
    }
    let mapped = FlashModel::open(Mapped(sliced.cells().clone()), map.size());
    for (offset, len) in [
        (0, 4 * PAGE_SIZE),
        (0, PAGE_SIZE),
        (PAGE_SIZE, 3 * PAGE_SIZE),
        (3 * PAGE_SIZE, PAGE_SIZE),
        // Unit counts that are no multiple of a word's four states.
        (16, 48),
        (0, 2 * PAGE_SIZE + 4096 + 48),
        (2 * PAGE_SIZE + 4096 - 16, 48),
    ] {
        assert_eq!(
            mapped.programmed_extent(offset, len),
            sliced.programmed_extent(offset, len),
            "{offset} {len}"
        );
    }
    assert_eq!(
        sliced.programmed_extent(0, 4 * PAGE_SIZE),
        2 * PAGE_SIZE + 4096
    );
}
