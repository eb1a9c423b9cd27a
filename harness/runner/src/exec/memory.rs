//! The engine's view of one case's allocations: where they are and what they hold.
//!
//! Each allocation keeps its bytes as last read and as they were just before
//! the last call, so `unchanged` expectations and the transcript's change
//! lines need no extra round trip.

use hil_cases::{Alloc, FieldRef, Init, MemType, Placement, Value};
use mv_abi::FieldKind;

/// One allocation made by an `alloc` step.
pub struct Allocation {
    pub name: String,
    pub ty: MemType,
    pub addr: u32,
    pub size: u32,
    pub placement: Placement,
    /// Last known contents (readable placements only).
    pub contents: Option<Vec<u8>>,
    /// Contents just before the last call (for `unchanged`).
    pub before_call: Option<Vec<u8>>,
}

impl Allocation {
    pub fn new(alloc: &Alloc, addr: u32) -> Self {
        Allocation {
            name: alloc.name.clone(),
            ty: alloc.ty,
            addr,
            size: alloc.size,
            placement: alloc.placement,
            contents: None,
            before_call: None,
        }
    }

    /// Can the agent read it back (app RAM and app flash)?
    pub fn readable(&self) -> bool {
        self.placement.is_non_secure()
    }

    /// Does `addr` fall inside this allocation?
    pub fn contains(&self, addr: u32) -> bool {
        addr >= self.addr && u64::from(addr) < u64::from(self.addr) + u64::from(self.size)
    }
}

/// All allocations of a case, in the order they were made.
#[derive(Default)]
pub struct Allocations {
    list: Vec<Allocation>,
}

impl Allocations {
    /// The app restarted: every allocation it had is gone.
    pub fn clear(&mut self) {
        self.list.clear();
    }

    pub fn push(&mut self, a: Allocation) {
        self.list.push(a);
    }

    /// Allocations are validated by the loader to exist before use.
    pub fn get(&self, name: &str) -> &Allocation {
        self.list
            .iter()
            .find(|a| a.name == name)
            .expect("the case loader checks every name is allocated before use")
    }

    pub fn get_mut(&mut self, name: &str) -> &mut Allocation {
        self.list
            .iter_mut()
            .find(|a| a.name == name)
            .expect("the case loader checks every name is allocated before use")
    }

    pub fn iter(&self) -> impl Iterator<Item = &Allocation> {
        self.list.iter()
    }

    /// Resolve a value to a number now.
    pub fn resolve(&self, value: &Value) -> u64 {
        match value {
            Value::Number(n) => *n,
            Value::AddrOf { name, offset } => u64::from(self.get(name).addr.wrapping_add(*offset)),
            Value::Deref { name, add } => {
                let a = self.get(name);
                let word = a
                    .contents
                    .as_deref()
                    .map_or(0, |c| le_int(&c[..4.min(c.len())]));
                // u32 arithmetic, as the app would do it.
                u64::from((word as u32).wrapping_add(*add as u32))
            }
        }
    }

    /// Render an address as `@name+offset` when it points into an allocation.
    pub fn name_address(&self, addr: u32) -> String {
        match self.list.iter().rev().find(|a| a.contains(addr)) {
            Some(a) if addr == a.addr => format!("@{}", a.name),
            Some(a) => format!("@{}+{}", a.name, addr - a.addr),
            None if addr == 0 => "NULL".to_owned(),
            None => "<address outside the case's allocations>".to_owned(),
        }
    }
}

/// Little-endian integer of up to 8 bytes.
pub fn le_int(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

/// Byte width of a leaf field.
pub fn field_size(kind: FieldKind) -> usize {
    kind.size()
}

/// Store `value` little-endian into `out[offset..offset + width]`.
fn put(out: &mut [u8], offset: usize, width: usize, value: u64) {
    let bytes = value.to_le_bytes();
    out[offset..offset + width].copy_from_slice(&bytes[..width]);
}

/// Apply a field assignment to a struct image.
pub fn put_field(out: &mut [u8], field: &FieldRef, value: u64) {
    put(out, field.offset, field_size(field.kind), value);
}

/// Apply `init` on top of `image` (which already holds `fill`).
pub fn apply_init(image: &mut [u8], ty: MemType, init: &Init, allocs: &Allocations) {
    match init {
        Init::Scalar(v) => {
            let width = ty.scalar_size().unwrap_or(4).min(image.len());
            put(image, 0, width, allocs.resolve(v));
        }
        Init::Bytes(bytes) => image[..bytes.len()].copy_from_slice(bytes),
        Init::Ascii(s) => image[..s.len()].copy_from_slice(s.as_bytes()),
        Init::Struct(fields) => {
            for f in fields {
                put_field(image, &f.field, allocs.resolve(&f.value));
            }
        }
    }
}
