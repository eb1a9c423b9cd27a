//! `alloc` and `write`: allocation types, sizes, placements, and contents by type.

use mv_abi::{FieldKind, StructLayout};
use serde_yaml::Value as Yaml;

use crate::error::{join, Issue};
use crate::model::{Alloc, FieldInit, FieldRef, Init, MemType, Placement, Write, WriteWhat};
use crate::raw;
use crate::scope::{AllocInfo, Scope};
use crate::suggest;
use crate::values::{self, Target};

/// Largest alignment an allocation may ask for.
pub(crate) const MAX_ALIGN: u32 = 4096;

const BUILTIN_TYPES: [&str; 8] = [
    "bytes",
    "ascii",
    "u32",
    "u64",
    "handle",
    "ptr",
    "time_us",
    "notifications",
];

/// Validates `alloc:` at `path` and adds the allocation to `scope`.
pub(crate) fn alloc(raw: &raw::Alloc, path: &str, scope: &mut Scope) -> Result<Alloc, Issue> {
    let name_path = join(path, "name");
    check_name(&raw.name, &name_path)?;
    if scope.contains(&raw.name) {
        return Err(Issue::new(
            name_path,
            format!(
                "allocation `{}` already exists; names are unique in a case",
                raw.name
            ),
        ));
    }
    let ty = mem_type(&raw.ty).map_err(|message| Issue::new(join(path, "type"), message))?;
    let placement = raw.placement.map_or(Placement::NsRam, placement);
    let size = size(raw, ty, path)?;
    let align = match &raw.align {
        None => default_align(ty),
        Some(align) => {
            let at = join(path, "align");
            let n = values::number_u32(align).map_err(|message| Issue::new(&at, message))?;
            if !n.is_power_of_two() || n > MAX_ALIGN {
                return Err(Issue::new(
                    at,
                    format!("align {n} must be a power of two from 1 to {MAX_ALIGN}"),
                ));
            }
            n
        }
    };
    let misalign = match &raw.misalign {
        None => 0,
        Some(misalign) => {
            let at = join(path, "misalign");
            if !placement.is_non_secure() {
                return Err(Issue::new(
                    at,
                    format!(
                        "misalign applies to non-secure placements (ns_ram, ns_ram_end, ns_flash, privileged_only), not `{}`",
                        placement.name()
                    ),
                ));
            }
            let n = values::number_u32(misalign).map_err(|message| Issue::new(&at, message))?;
            if n >= MAX_ALIGN {
                return Err(Issue::new(
                    at,
                    format!("misalign {n} must be below {MAX_ALIGN}"),
                ));
            }
            n
        }
    };
    let fill = match &raw.fill {
        None => 0,
        Some(fill) => {
            let at = join(path, "fill");
            check_writable(placement, "fill", &at)?;
            let n = values::number(fill, Target::plain(1, "a byte"))
                .map_err(|message| Issue::new(&at, message))?;
            u8::try_from(n).unwrap_or(u8::MAX)
        }
    };
    let init = match &raw.init {
        None => None,
        Some(data) => {
            let at = join(path, "init");
            check_writable(placement, "init", &at)?;
            Some(contents(ty, size, &data.0, &at, scope)?)
        }
    };
    scope.define(
        &raw.name,
        AllocInfo {
            ty,
            size,
            placement,
        },
    );
    Ok(Alloc {
        name: raw.name.clone(),
        ty,
        size,
        align,
        placement,
        misalign,
        fill,
        init,
    })
}

/// Validates `write:` at `path`.
pub(crate) fn write(raw: &raw::Write, path: &str, scope: &Scope) -> Result<Write, Issue> {
    let name_path = join(path, "name");
    let info = scope
        .get(&raw.name)
        .map_err(|message| Issue::new(&name_path, message))?;
    if !info.placement.is_writable() {
        return Err(Issue::new(
            name_path,
            format!(
                "allocation `{}` is in `{}`, which cannot be written; only ns_ram, ns_ram_end and privileged_only can",
                raw.name,
                info.placement.name()
            ),
        ));
    }
    let value_path = join(path, "value");
    let what = match (&raw.field, &raw.offset) {
        (Some(_), Some(_)) => {
            return Err(Issue::new(
                join(path, "offset"),
                "give `field` or `offset`, not both",
            ))
        }
        (Some(field), None) => {
            let field = field_of(info.ty, &raw.name, field, &join(path, "field"))?;
            let value = field_value(&raw.value.0, &field, &value_path, scope)?;
            WriteWhat::Field(FieldInit { field, value })
        }
        (None, Some(offset)) => {
            let offset_path = join(path, "offset");
            let offset =
                values::number_u32(offset).map_err(|message| Issue::new(&offset_path, message))?;
            let bytes = hex_of(&raw.value.0, &value_path)?;
            if u64::from(offset) + bytes.len() as u64 > u64::from(info.size) {
                return Err(Issue::new(
                    value_path,
                    format!(
                        "{} bytes at offset {offset} go past the end of `{}` ({} bytes)",
                        bytes.len(),
                        raw.name,
                        info.size
                    ),
                ));
            }
            WriteWhat::Bytes { offset, bytes }
        }
        (None, None) => WriteWhat::Whole(contents(
            info.ty,
            info.size,
            &raw.value.0,
            &value_path,
            scope,
        )?),
    };
    Ok(Write {
        name: raw.name.clone(),
        what,
    })
}

/// The contents `data` for an allocation of type `ty` and `size` bytes.
pub(crate) fn contents(
    ty: MemType,
    size: u32,
    data: &Yaml,
    path: &str,
    scope: &Scope,
) -> Result<Init, Issue> {
    match ty {
        MemType::Struct(layout) if matches!(data, Yaml::Sequence(_)) => {
            array_contents(layout, size, data, path, scope)
        }
        MemType::Struct(layout) => {
            let Yaml::Mapping(map) = data else {
                return Err(Issue::new(
                    path,
                    format!(
                        "a {} is given as a map of its fields, like `{{ {}: ... }}`; found {}",
                        layout.name,
                        layout.fields.first().map_or("field", |field| field.name),
                        values::describe(data)
                    ),
                ));
            };
            let mut fields = Vec::new();
            struct_fields(layout, map, path, (0, &[]), scope, &mut fields)?;
            Ok(Init::Struct(fields))
        }
        MemType::U32 | MemType::Handle | MemType::Ptr | MemType::U64 | MemType::TimeUs => {
            let target = if ty.scalar_size() == Some(8) {
                Target::U64
            } else {
                Target::U32
            };
            let raw = values::from_yaml(data).map_err(|message| Issue::new(path, message))?;
            let value =
                values::value(&raw, target, scope).map_err(|message| Issue::new(path, message))?;
            Ok(Init::Scalar(value))
        }
        MemType::Bytes | MemType::Notifications => {
            let bytes = hex_of(data, path)?;
            fits(bytes.len(), size, path)?;
            Ok(Init::Bytes(bytes))
        }
        MemType::Ascii => {
            let Yaml::String(text) = data else {
                return Err(Issue::new(
                    path,
                    format!(
                        "ascii contents are a string; found {}",
                        values::describe(data)
                    ),
                ));
            };
            if !text.is_ascii() {
                return Err(Issue::new(path, format!("\"{text}\" is not ASCII")));
            }
            fits(text.len(), size, path)?;
            Ok(Init::Ascii(text.clone()))
        }
    }
}

/// Labels of array elements in field paths (`[3].data`).
const ELEMENT: [&str; MAX_ELEMENTS] = [
    "[0]", "[1]", "[2]", "[3]", "[4]", "[5]", "[6]", "[7]", "[8]", "[9]", "[10]", "[11]", "[12]",
    "[13]", "[14]", "[15]", "[16]", "[17]", "[18]", "[19]", "[20]", "[21]", "[22]", "[23]", "[24]",
    "[25]", "[26]", "[27]", "[28]", "[29]", "[30]", "[31]",
];
/// The most elements an array `init` may give (an `MvHttpHeader` array
/// holds at most 32).
const MAX_ELEMENTS: usize = 32;

/// `init: [ {..}, {..} ]` for a struct allocation: an array of structs,
/// element `i` at `i * size_of(struct)`.
fn array_contents(
    layout: &'static StructLayout,
    size: u32,
    data: &Yaml,
    path: &str,
    scope: &Scope,
) -> Result<Init, Issue> {
    let Yaml::Sequence(items) = data else {
        return Err(Issue::new(path, "an array is given as a list of maps"));
    };
    if items.len() > MAX_ELEMENTS {
        return Err(Issue::new(
            path,
            format!(
                "{} elements given; an array init holds at most {MAX_ELEMENTS}",
                items.len()
            ),
        ));
    }
    fits(items.len() * layout.size, size, path)?;
    let mut fields = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Yaml::Mapping(map) = item else {
            return Err(Issue::new(
                at,
                format!(
                    "element {i} of a {} array is a map of its fields; found {}",
                    layout.name,
                    values::describe(item)
                ),
            ));
        };
        struct_fields(
            layout,
            map,
            &at,
            (i * layout.size, &[ELEMENT[i]]),
            scope,
            &mut fields,
        )?;
    }
    Ok(Init::Struct(fields))
}

/// A hex string such as `"de ad be ef"`.
pub(crate) fn hex_of(data: &Yaml, path: &str) -> Result<Vec<u8>, Issue> {
    let Yaml::String(text) = data else {
        return Err(Issue::new(
            path,
            format!(
                "bytes are given as a hex string in quotes, like \"de ad be ef\"; found {}",
                values::describe(data)
            ),
        ));
    };
    values::hex_bytes(text).map_err(|message| Issue::new(path, message))
}

fn fits(len: usize, size: u32, path: &str) -> Result<(), Issue> {
    if len as u64 > u64::from(size) {
        return Err(Issue::new(
            path,
            format!("{len} bytes do not fit in the allocation's {size} bytes"),
        ));
    }
    Ok(())
}

/// Fields of a struct map; `(base, prefix)` locate a nested struct in the outer one.
fn struct_fields(
    layout: &'static StructLayout,
    map: &serde_yaml::Mapping,
    path: &str,
    (base, prefix): (usize, &[&'static str]),
    scope: &Scope,
    out: &mut Vec<FieldInit>,
) -> Result<(), Issue> {
    for (key, data) in map {
        let Some(key) = key.as_str() else {
            return Err(Issue::new(path, "struct field names are strings"));
        };
        let at = join(path, key);
        let field = layout
            .field(key)
            .ok_or_else(|| Issue::new(&at, no_field(layout, key)))?;
        let mut field_path = prefix.to_vec();
        field_path.push(field.name);
        let offset = base + field.offset;
        if let FieldKind::Struct(inner) = field.kind {
            let Yaml::Mapping(inner_map) = data else {
                return Err(Issue::new(
                    at,
                    format!(
                        "`{key}` is a {}; give a map of its fields; found {}",
                        inner.name,
                        values::describe(data)
                    ),
                ));
            };
            struct_fields(
                inner,
                inner_map,
                &join(path, key),
                (offset, &field_path),
                scope,
                out,
            )?;
            continue;
        }
        let field = FieldRef {
            path: field_path,
            offset,
            kind: field.kind,
        };
        let value = field_value(data, &field, &at, scope)?;
        out.push(FieldInit { field, value });
    }
    Ok(())
}

/// A value for a (leaf) struct field.
pub(crate) fn field_value(
    data: &Yaml,
    field: &FieldRef,
    path: &str,
    scope: &Scope,
) -> Result<crate::model::Value, Issue> {
    let target = Target::for_field(field.kind).unwrap_or(Target::U64);
    let raw = values::from_yaml(data).map_err(|message| Issue::new(path, message))?;
    values::value(&raw, target, scope).map_err(|message| Issue::new(path, message))
}

/// The leaf field `dotted` (`buffer_size`, `v1.notification_tag`) of allocation
/// `name` of type `ty`.
pub(crate) fn field_of(
    ty: MemType,
    name: &str,
    dotted: &str,
    path: &str,
) -> Result<FieldRef, Issue> {
    let MemType::Struct(mut layout) = ty else {
        return Err(Issue::new(
            path,
            format!(
                "allocation `{name}` is of type {}, which has no fields",
                ty.name()
            ),
        ));
    };
    let mut field_path = Vec::new();
    let mut offset = 0;
    let mut parts = dotted.split('.').peekable();
    while let Some(part) = parts.next() {
        let field = layout
            .field(part)
            .ok_or_else(|| Issue::new(path, no_field(layout, part)))?;
        field_path.push(field.name);
        offset += field.offset;
        match (field.kind, parts.peek()) {
            (FieldKind::Struct(inner), Some(_)) => layout = inner,
            (FieldKind::Struct(inner), None) => {
                return Err(Issue::new(
                    path,
                    format!(
                        "`{dotted}` is a {}; name one of its fields, like `{dotted}.{}`",
                        inner.name,
                        inner.fields.first().map_or("field", |field| field.name)
                    ),
                ))
            }
            (kind, None) => {
                return Ok(FieldRef {
                    path: field_path,
                    offset,
                    kind,
                })
            }
            (_, Some(_)) => {
                return Err(Issue::new(
                    path,
                    format!(
                        "`{}` is not a struct, so `{dotted}` names nothing",
                        field_path.join(".")
                    ),
                ))
            }
        }
    }
    Err(Issue::new(path, "empty field name"))
}

fn no_field(layout: &StructLayout, wrong: &str) -> String {
    let names: Vec<&str> = layout.fields.iter().map(|field| field.name).collect();
    format!(
        "{} has no field `{wrong}`{} (fields: {})",
        layout.name,
        suggest::hint(wrong, names.iter().copied()),
        names.join(", ")
    )
}

fn check_name(name: &str, path: &str) -> Result<(), Issue> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(Issue::new(
            path,
            format!("allocation name `{name}` must match [a-z_][a-z0-9_]*"),
        ));
    }
    Ok(())
}

fn check_writable(placement: Placement, key: &str, path: &str) -> Result<(), Issue> {
    if !placement.is_writable() {
        return Err(Issue::new(
            path,
            format!(
                "`{key}` needs a writable placement (ns_ram, ns_ram_end or privileged_only); `{}` memory cannot be initialised",
                placement.name()
            ),
        ));
    }
    Ok(())
}

fn mem_type(name: &str) -> Result<MemType, String> {
    let ty = match name {
        "bytes" => MemType::Bytes,
        "ascii" => MemType::Ascii,
        "u32" => MemType::U32,
        "u64" => MemType::U64,
        "handle" => MemType::Handle,
        "ptr" => MemType::Ptr,
        "time_us" => MemType::TimeUs,
        "notifications" => MemType::Notifications,
        _ => match mv_abi::struct_by_name(name) {
            Some(layout) => MemType::Struct(layout),
            None => {
                let names = BUILTIN_TYPES
                    .iter()
                    .copied()
                    .chain(mv_abi::STRUCTS.iter().map(|layout| layout.name));
                return Err(format!(
                    "unknown type `{name}`{}; a type is one of {} or an ABI struct name",
                    suggest::hint(name, names),
                    BUILTIN_TYPES.join(", ")
                ));
            }
        },
    };
    Ok(ty)
}

fn placement(raw: raw::Placement) -> Placement {
    match raw {
        raw::Placement::NsRam => Placement::NsRam,
        raw::Placement::NsRamEnd => Placement::NsRamEnd,
        raw::Placement::NsFlash => Placement::NsFlash,
        raw::Placement::SecureRam => Placement::SecureRam,
        raw::Placement::SecureFlash => Placement::SecureFlash,
        raw::Placement::Unmapped => Placement::Unmapped,
        raw::Placement::StraddleNsSecure => Placement::StraddleNsSecure,
        raw::Placement::BusError => Placement::BusError,
        raw::Placement::PrivilegedOnly => Placement::PrivilegedOnly,
    }
}

/// The size of one type, if it has one (not `bytes`, `ascii`, `notifications`).
fn type_size(ty: MemType) -> Option<u32> {
    match ty {
        MemType::Struct(layout) => u32::try_from(layout.size).ok(),
        other => other
            .scalar_size()
            .and_then(|size| u32::try_from(size).ok()),
    }
}

fn size(raw: &raw::Alloc, ty: MemType, path: &str) -> Result<u32, Issue> {
    let at = join(path, "size");
    let Some(size) = &raw.size else {
        return type_size(ty).ok_or_else(|| {
            Issue::new(
                at,
                format!("an allocation of type {} needs a `size`", ty.name()),
            )
        });
    };
    let n = values::number_u32(size).map_err(|message| Issue::new(&at, message))?;
    if let Some(minimum) = type_size(ty) {
        if n < minimum {
            return Err(Issue::new(
                at,
                format!("size {n} is smaller than a {} ({minimum} bytes)", ty.name()),
            ));
        }
    }
    Ok(n)
}

/// The alignment of `ty` when `align` is not given.
fn default_align(ty: MemType) -> u32 {
    let align = match ty {
        MemType::Bytes | MemType::Ascii => 4,
        MemType::Notifications => {
            mv_abi::struct_by_name("MvNotification").map_or(8, |record| record.align)
        }
        MemType::Struct(layout) => layout.align,
        other => other.scalar_size().unwrap_or(4),
    };
    u32::try_from(align).unwrap_or(MAX_ALIGN)
}
