//! Exact power cuts on a board: hardware breakpoints where the secure image's flash driver starts an operation (program or erase), counted to operation N; the core is held there while the power is cut.
//!
//! The driver is `mv_flash::stm32u5`'s `Stm32u5Flash`; its `program` and
//! `erase_page` are the operations the power-cut campaign counts. A
//! breakpoint counts calls; the flash model counts a call once its
//! arguments pass (aligned, in range, unit still erased). The two agree
//! while no call is refused, and a refused call is `FlashError`, which a
//! correct kernel never provokes (the image stops with exit code 91). In the release image
//! the compiler keeps some as functions (a symbol) and inlines others
//! into their callers (no symbol; DWARF names each inlined copy), so
//! both are looked up: every entry is a breakpoint. An inlined copy's
//! entry is the start of its first address range: DWARF gives no entry
//! point for it (LLVM writes no `DW_AT_entry_pc`), and the compiler lays
//! an inlined body out from its start.
//!
//! A board cuts "before operation N" (`op<N>`) exactly. A cut inside an
//! operation (`op<N>i`, the tear the flash model and QEMU make) cannot be
//! placed by a breakpoint at the operation's start and is refused.

use std::path::Path;
use std::time::Duration;

use gimli::{EndianSlice, RunTimeEndian};
use mv_flash::CutPoint;
use object::{Object, ObjectSection, ObjectSymbol};
use probe_rs::RegisterId;

use super::error::{chain, ProbeError};
use super::target::ProbeTarget;
use crate::RigError;

/// The driver's operations, as their demangled names end.
const OPERATIONS: [&str; 2] = [
    "<mv_flash::stm32u5::Stm32u5Flash<R> as mv_flash::Flash>::program",
    "<mv_flash::stm32u5::Stm32u5Flash<R> as mv_flash::Flash>::erase_page",
];

const PC: RegisterId = RegisterId(15);

/// Where each flash operation starts in an image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashOpEntries {
    /// (address, operation name, `symbol` or the inlining call site).
    pub entries: Vec<(u64, &'static str, String)>,
}

impl FlashOpEntries {
    fn addresses(&self) -> Vec<u64> {
        self.entries.iter().map(|&(a, _, _)| a).collect()
    }
}

/// Every start of a flash operation in the secure image `elf`.
pub fn flash_op_entries(elf: &[u8]) -> Result<FlashOpEntries, ProbeError> {
    let bad = |why: String| ProbeError::Image {
        image: "the secure image".into(),
        why,
    };
    let file = object::File::parse(elf).map_err(|e| bad(format!("not an ELF: {e}")))?;
    let operation = |mangled: &str| {
        let name = format!("{:#}", rustc_demangle::demangle(mangled));
        OPERATIONS.into_iter().find(|op| name == *op)
    };
    let mut entries = Vec::new();
    for symbol in file.symbols() {
        if let Some(op) = symbol.name().ok().and_then(operation) {
            // Thumb code: the symbol's low bit is the Thumb bit.
            entries.push((symbol.address() & !1, short(op), "symbol".to_owned()));
        }
    }
    entries.extend(inlined(&file, &operation).map_err(|e| bad(format!("its DWARF: {e}")))?);
    entries.sort();
    entries.dedup_by_key(|e| e.0);
    if !OPERATIONS
        .iter()
        .all(|op| entries.iter().any(|e| e.1 == short(op)))
    {
        return Err(bad(format!(
            "the flash driver's program and erase_page are not both there (found {entries:?}): is it the STM32U585 build, with debug info?"
        )));
    }
    Ok(FlashOpEntries { entries })
}

fn short(op: &str) -> &'static str {
    if op.ends_with("program") {
        "program"
    } else {
        "erase_page"
    }
}

/// Every inlined copy of an operation: its entry and its call site.
fn inlined(
    file: &object::File<'_>,
    operation: &dyn Fn(&str) -> Option<&'static str>,
) -> Result<Vec<(u64, &'static str, String)>, gimli::Error> {
    let endian = RunTimeEndian::Little;
    let load = |id: gimli::SectionId| -> Result<EndianSlice<'_, RunTimeEndian>, gimli::Error> {
        let data = file
            .section_by_name(id.name())
            .and_then(|s| s.data().ok())
            .unwrap_or(&[]);
        Ok(EndianSlice::new(data, endian))
    };
    let dwarf = gimli::Dwarf::load(load)?;
    // The abstract subprograms of the operations first (by their offset in
    // .debug_info: an inlined copy may name one in another unit).
    let mut origins = std::collections::HashMap::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next()? {
        let unit = dwarf.unit(header)?;
        let mut cursor = unit.entries();
        while let Some((_, entry)) = cursor.next_dfs()? {
            if entry.tag() != gimli::DW_TAG_subprogram {
                continue;
            }
            let Some(name) = entry.attr_value(gimli::DW_AT_linkage_name)? else {
                continue;
            };
            let name = dwarf.attr_string(&unit, name)?;
            if let Some(op) = operation(&name.to_string_lossy()) {
                if let Some(at) = entry.offset().to_debug_info_offset(&unit.header) {
                    origins.insert(at, op);
                }
            }
        }
    }
    let mut found = Vec::new();
    let mut units = dwarf.units();
    while let Some(header) = units.next()? {
        let unit = dwarf.unit(header)?;
        let mut cursor = unit.entries();
        while let Some((_, entry)) = cursor.next_dfs()? {
            if entry.tag() != gimli::DW_TAG_inlined_subroutine {
                continue;
            }
            let origin = match entry.attr_value(gimli::DW_AT_abstract_origin)? {
                Some(gimli::AttributeValue::UnitRef(o)) => o.to_debug_info_offset(&unit.header),
                Some(gimli::AttributeValue::DebugInfoRef(o)) => Some(o),
                _ => None,
            };
            let Some(&op) = origin.and_then(|o| origins.get(&o)) else {
                continue;
            };
            let mut ranges = dwarf.die_ranges(&unit, entry)?;
            let Some(first) = ranges.next()? else {
                continue;
            };
            let line = match entry.attr_value(gimli::DW_AT_call_line)? {
                Some(gimli::AttributeValue::Udata(l)) => l.to_string(),
                _ => "?".into(),
            };
            found.push((
                first.begin,
                short(op),
                format!("inlined at call line {line}"),
            ));
        }
    }
    Ok(found)
}

/// Counts breakpoint halts until the `op`th (0-based) flash operation:
/// `run_to_halt` lets the core run and returns where it halted.
fn count_to(
    entries: &[u64],
    op: u64,
    mut run_to_halt: impl FnMut(u64) -> Result<u64, ProbeError>,
) -> Result<u64, ProbeError> {
    let mut seen = 0;
    loop {
        let pc = run_to_halt(seen)?;
        if !entries.contains(&pc) {
            return Err(ProbeError::core(
                format!("counting flash operations (after {seen})"),
                format!("the core halted at {pc:#010x}, not where a flash operation starts"),
            ));
        }
        if seen == op {
            return Ok(pc);
        }
        seen += 1;
    }
}

/// Where a board's cut landed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardCut {
    pub point: CutPoint,
    /// The operation's entry the core was held at.
    pub pc: u64,
}

/// Runs the core from where it is (counting starts now: arm it where the
/// campaign's count starts), holds it at the start of flash operation
/// `point.op` of the secure image `elf`, and calls `cut` (the rig's power
/// backend switching off) while it is held. Each wait for the next
/// operation is bounded by `timeout`.
pub fn cut_at_flash_op(
    target: &mut ProbeTarget,
    elf: &Path,
    point: CutPoint,
    timeout: Duration,
    cut: impl FnOnce() -> Result<(), RigError>,
) -> Result<BoardCut, ProbeError> {
    if point.inside {
        return Err(ProbeError::core(
            format!("cutting at {point}"),
            "a cut inside an operation needs a tear a breakpoint cannot place; a board cuts before one (op<N>)",
        ));
    }
    let bytes = std::fs::read(elf).map_err(|e| ProbeError::Image {
        image: elf.display().to_string(),
        why: format!("cannot read it: {e}"),
    })?;
    let entries = flash_op_entries(&bytes)?.addresses();
    let mut core = target.core()?;
    let units = core
        .available_breakpoint_units()
        .map_err(|e| ProbeError::core("reading the breakpoint units", chain(&e)))?;
    if entries.len() > units as usize {
        return Err(ProbeError::core(
            "arming the flash-operation breakpoints",
            format!(
                "the image has {} flash-operation entries, the core {units} breakpoint units",
                entries.len()
            ),
        ));
    }
    for &address in &entries {
        core.set_hw_breakpoint(address)
            .map_err(|e| ProbeError::core(format!("a breakpoint at {address:#010x}"), chain(&e)))?;
    }
    let held = count_to(&entries, point.op, |seen| {
        core.run().map_err(|e| ProbeError::core("run", chain(&e)))?;
        core.wait_for_core_halted(timeout).map_err(|e| {
            ProbeError::core(
                format!("waiting for flash operation {seen} (cutting at {point})"),
                chain(&e),
            )
        })?;
        core.read_core_reg::<u32>(PC)
            .map(u64::from)
            .map_err(|e| ProbeError::core("reading PC", chain(&e)))
    });
    // The breakpoints go either way: a power cut clears them on the part,
    // but not probe-rs's record of them.
    for &address in &entries {
        let _ = core.clear_hw_breakpoint(address);
    }
    let pc = held?;
    drop(core);
    cut().map_err(|e| ProbeError::core(format!("cutting the power at {point}"), e))?;
    Ok(BoardCut { point, pc })
}

#[cfg(test)]
mod tests {
    use super::count_to;

    #[test]
    fn the_count_stops_at_the_nth_operation_and_refuses_a_stray_halt() {
        let entries = [0x0c10_0100, 0x0c10_0200];
        let halts = [0x0c10_0100, 0x0c10_0200, 0x0c10_0200, 0x0c10_0100];
        let mut runs = 0;
        let pc = count_to(&entries, 2, |seen| {
            assert_eq!(seen, runs);
            runs += 1;
            Ok(halts[seen as usize])
        })
        .unwrap();
        assert_eq!((pc, runs), (0x0c10_0200, 3));

        let stray = count_to(&entries, 5, |seen| {
            Ok(if seen == 1 { 0x0c10_0300 } else { 0x0c10_0100 })
        })
        .unwrap_err();
        assert!(
            stray.to_string().contains(
                "after 1): the core halted at 0x0c100300, not where a flash operation starts"
            ),
            "{stray}"
        );
    }
}
