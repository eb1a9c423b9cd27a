//! Rig-independent rendering: values, memory changes and handles as text.
//!
//! A transcript must read the same on every rig, so it never shows an
//! address (allocations appear by name), a handle value (handles are numbered
//! in order of appearance) or a time (`<time>`). What the kernel wrote is
//! shown field by field for typed memory and byte run by byte run otherwise.

use std::collections::HashMap;

use hil_cases::{FieldRef, MemType, Value};
use mv_abi::{FieldKind, MvEventType, StructLayout};

use super::memory::{le_int, Allocation, Allocations};

/// Bytes per `MvNotification` record.
pub const RECORD: usize = 16;

/// Gives handles stable names in order of first appearance.
#[derive(Default)]
pub struct HandleNames {
    seen: HashMap<u64, usize>,
}

impl HandleNames {
    pub fn name(&mut self, value: u64) -> String {
        if value == 0 {
            return "0".to_owned();
        }
        let next = self.seen.len() + 1;
        format!("<handle {}>", self.seen.entry(value).or_insert(next))
    }
}

/// A number as a person would write it in a case.
pub fn number(n: u64) -> String {
    if n < 0x1_0000 {
        n.to_string()
    } else {
        format!("{n:#x}")
    }
}

/// A value as written in the case (`@ring+16`, `*handle`, `40`).
pub fn value(v: &Value, kind: Option<FieldKind>) -> String {
    match v {
        Value::Number(n) => match kind {
            Some(FieldKind::Enum(desc)) => desc
                .name_of(*n as u32)
                .map_or_else(|| number(*n), str::to_owned),
            _ => number(*n),
        },
        Value::AddrOf { name, offset: 0 } => format!("@{name}"),
        Value::AddrOf { name, offset } => format!("@{name}+{offset}"),
        Value::Deref { name, add: 0 } => format!("*{name}"),
        Value::Deref { name, add } if *add < 0 => format!("*{name}-{}", add.unsigned_abs()),
        Value::Deref { name, add } => format!("*{name}+{add}"),
    }
}

fn event_type(v: u64) -> String {
    match MvEventType::DESC.name_of(v as u32) {
        Some(name) => name.to_owned(),
        None => format!("{v:#x}"),
    }
}

/// One leaf field's value, by kind.
fn field_value(kind: FieldKind, v: u64, allocs: &Allocations, handles: &mut HandleNames) -> String {
    match kind {
        FieldKind::Ptr => allocs.name_address(v as u32),
        FieldKind::Handle => handles.name(v),
        FieldKind::Enum(desc) => desc
            .name_of(v as u32)
            .map_or_else(|| format!("{v:#x}"), str::to_owned),
        _ => number(v),
    }
}

/// Every leaf field of a struct with its absolute offset and dotted path.
pub fn leaf_fields(
    layout: &'static StructLayout,
    base: usize,
    prefix: &str,
    out: &mut Vec<(String, usize, FieldKind)>,
) {
    for f in layout.fields {
        let path = if prefix.is_empty() {
            f.name.to_owned()
        } else {
            format!("{prefix}.{}", f.name)
        };
        match f.kind {
            FieldKind::Struct(inner) => leaf_fields(inner, base + f.offset, &path, out),
            kind => out.push((path, base + f.offset, kind)),
        }
    }
}

/// Render one field of a struct allocation (for expectations).
pub fn field_ref(field: &FieldRef) -> String {
    field.path.join(".")
}

/// Lines describing how `a` changed from `before` to `after`.
pub fn changes(
    a: &Allocation,
    before: &[u8],
    after: &[u8],
    allocs: &Allocations,
    handles: &mut HandleNames,
) -> Vec<String> {
    if before == after {
        return Vec::new();
    }
    let name = &a.name;
    match a.ty {
        MemType::Handle | MemType::U32 | MemType::Ptr | MemType::U64 | MemType::TimeUs => {
            // The scalar is the first `width` bytes; bytes past it (a guard
            // band in a larger allocation) are shown as byte runs.
            let width = a.ty.scalar_size().unwrap_or(8).min(after.len());
            let mut lines = Vec::new();
            if before[..width] != after[..width] {
                let (old, new) = (le_int(&before[..width]), le_int(&after[..width]));
                lines.push(match a.ty {
                    MemType::TimeUs => {
                        format!("{name} := {}", if new == 0 { "0" } else { "<time>" })
                    }
                    MemType::Ptr => format!(
                        "{name}: {} -> {}",
                        allocs.name_address(old as u32),
                        allocs.name_address(new as u32)
                    ),
                    MemType::Handle => {
                        let old = handles.name(old);
                        format!("{name}: {old} -> {}", handles.name(new))
                    }
                    _ => format!("{name}: {} -> {}", number(old), number(new)),
                });
            }
            lines.extend(byte_runs(name, before, after, |i| i >= width));
            lines
        }
        MemType::Ascii => ascii_runs(name, before, after),
        MemType::Struct(layout) => {
            let mut fields = Vec::new();
            leaf_fields(layout, 0, "", &mut fields);
            let mut lines = Vec::new();
            let mut covered = vec![false; after.len()];
            for (path, offset, kind) in fields {
                let range = offset..offset + kind.size();
                covered[range.clone()].iter_mut().for_each(|c| *c = true);
                if before[range.clone()] != after[range.clone()] {
                    let old = field_value(kind, le_int(&before[range.clone()]), allocs, handles);
                    let new = field_value(kind, le_int(&after[range]), allocs, handles);
                    lines.push(format!("{name}.{path}: {old} -> {new}"));
                }
            }
            let tail_changed = (0..after.len()).any(|i| !covered[i] && before[i] != after[i]);
            if tail_changed {
                lines.extend(byte_runs(name, before, after, |i| !covered[i]));
            }
            lines
        }
        MemType::Notifications => {
            let mut lines = Vec::new();
            let whole = after.len() / RECORD * RECORD;
            for (i, (old, new)) in before[..whole]
                .chunks(RECORD)
                .zip(after[..whole].chunks(RECORD))
                .enumerate()
            {
                if old == new {
                    continue;
                }
                if old[..8] != new[..8] {
                    let t = le_int(&new[..8]);
                    lines.push(format!(
                        "{name}[{i}].microseconds := {}",
                        if t == 0 { "0" } else { "<time>" }
                    ));
                }
                if old[8..12] != new[8..12] {
                    lines.push(format!(
                        "{name}[{i}].event_type: {} -> {}",
                        event_type(le_int(&old[8..12])),
                        event_type(le_int(&new[8..12]))
                    ));
                }
                if old[12..] != new[12..] {
                    lines.push(format!(
                        "{name}[{i}].tag: {:#x} -> {:#x}",
                        le_int(&old[12..]),
                        le_int(&new[12..])
                    ));
                }
            }
            lines.extend(byte_runs(name, before, after, |i| i >= whole));
            lines
        }
        MemType::Bytes => byte_runs(name, before, after, |_| true),
    }
}

/// Text the kernel wrote (a device id) differs per device: show each changed
/// run by length, printability and its first two characters only.
fn ascii_runs(name: &str, before: &[u8], after: &[u8]) -> Vec<String> {
    changed_runs(before, after, |_| true)
        .into_iter()
        .map(|(start, end)| {
            let run = &after[start..end];
            let printable = run.iter().all(|b| b.is_ascii_graphic() || *b == b' ');
            let prefix: String = run.iter().take(2).map(|&b| b as char).collect();
            if printable {
                format!(
                    "{name}[{start}..{end}] := <{} bytes of printable ASCII starting {prefix:?}>",
                    run.len()
                )
            } else {
                format!(
                    "{name}[{start}..{end}] := <{} bytes, not all printable ASCII>",
                    run.len()
                )
            }
        })
        .collect()
}

/// `(start, end)` of every run of changed bytes that lies `in_scope`.
fn changed_runs(
    before: &[u8],
    after: &[u8],
    in_scope: impl Fn(usize) -> bool,
) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < after.len() {
        if in_scope(i) && before[i] != after[i] {
            let start = i;
            while i < after.len() && in_scope(i) && before[i] != after[i] {
                i += 1;
            }
            runs.push((start, i));
        } else {
            i += 1;
        }
    }
    runs
}

/// Changed byte runs `name[a..b]: old -> new`, limited to bytes `in_scope`.
fn byte_runs(
    name: &str,
    before: &[u8],
    after: &[u8],
    in_scope: impl Fn(usize) -> bool,
) -> Vec<String> {
    const SHOWN: usize = 32;
    let hex = |b: &[u8]| {
        let mut s: Vec<String> = b.iter().take(SHOWN).map(|x| format!("{x:02x}")).collect();
        if b.len() > SHOWN {
            s.push("…".into());
        }
        s.join(" ")
    };
    changed_runs(before, after, in_scope)
        .into_iter()
        .map(|(start, end)| {
            format!(
                "{name}[{start}..{end}]: {} -> {}",
                hex(&before[start..end]),
                hex(&after[start..end])
            )
        })
        .collect()
}
