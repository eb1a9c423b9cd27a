//! Value syntax: numbers, sums, `@name+offset`, `*name±n`, ABI constants, hex bytes.

use mv_abi::{EnumDesc, FieldKind};

use crate::model::Value;
use crate::raw::RawValue;
use crate::scope::Scope;
use crate::suggest;

/// What a value is for: how many bytes it must fit, and which enum's short
/// names it accepts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    /// 1, 2, 4 or 8.
    pub size: usize,
    pub enumeration: Option<&'static EnumDesc>,
    /// For messages: "a u8 field", "an argument", ...
    pub what: &'static str,
}

impl Target {
    pub(crate) const ARG: Target = Target::plain(4, "an argument (32 bits)");
    pub(crate) const U32: Target = Target::plain(4, "32 bits");
    pub(crate) const U64: Target = Target::plain(8, "64 bits");

    pub(crate) const fn plain(size: usize, what: &'static str) -> Target {
        Target {
            size,
            enumeration: None,
            what,
        }
    }

    /// The target for a struct field of this kind (`None` for a nested struct).
    pub(crate) fn for_field(kind: FieldKind) -> Option<Target> {
        let target = match kind {
            FieldKind::U8 => Target::plain(1, "a u8 field"),
            FieldKind::U16 => Target::plain(2, "a u16 field"),
            FieldKind::U32 => Target::plain(4, "a u32 field"),
            FieldKind::U64 => Target::plain(8, "a u64 field"),
            FieldKind::Ptr => Target::plain(4, "a pointer field"),
            FieldKind::Handle => Target::plain(4, "a handle field"),
            FieldKind::Enum(desc) => Target {
                size: desc.size,
                enumeration: Some(desc),
                what: "an enum field",
            },
            FieldKind::Struct(_) => return None,
        };
        Some(target)
    }

    fn max(self) -> u64 {
        if self.size >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * self.size)) - 1
        }
    }
}

/// A value that may refer to allocations (`@name`, `*name`).
pub(crate) fn value(raw: &RawValue, target: Target, scope: &Scope) -> Result<Value, String> {
    let text = match raw {
        RawValue::Int(n) => return fit(*n, &n.to_string(), target).map(Value::Number),
        RawValue::Text(text) => text.trim(),
    };
    if let Some(rest) = text.strip_prefix('@') {
        let (name, offset) = match rest.split_once('+') {
            Some((name, offset)) => (name.trim(), offset_of(offset, text)?),
            None => (rest.trim(), 0),
        };
        scope.get(name)?;
        address_fits(text, target)?;
        return Ok(Value::AddrOf {
            name: name.to_owned(),
            offset,
        });
    }
    if let Some(rest) = text.strip_prefix('*') {
        let (name, add) = deref_parts(rest, text)?;
        let info = scope.get(name)?;
        if info.ty.scalar_size() != Some(4) {
            return Err(format!(
                "`{text}` reads a u32, but `{name}` is of type {}; `*` needs a u32 or handle allocation",
                info.ty.name()
            ));
        }
        address_fits(text, target)?;
        return Ok(Value::Deref {
            name: name.to_owned(),
            add,
        });
    }
    match number_text(text, target) {
        Ok(n) => Ok(Value::Number(n)),
        Err(message) if scope.is_allocation_name(text) => Err(format!(
            "{message}; write `@{text}` for the address of allocation `{text}` or `*{text}` for the u32 in it"
        )),
        Err(message) => Err(message),
    }
}

/// A value that must be a number (or a constant): no references.
pub(crate) fn number(raw: &RawValue, target: Target) -> Result<u64, String> {
    match raw {
        RawValue::Int(n) => fit(*n, &n.to_string(), target),
        RawValue::Text(text) => {
            let text = text.trim();
            if text.starts_with('@') || text.starts_with('*') {
                return Err(format!("`{text}`: only a number is allowed here"));
            }
            number_text(text, target)
        }
    }
}

/// [`number`] for a `u32` target (counts, IRQ numbers, sizes).
pub(crate) fn number_u32(raw: &RawValue) -> Result<u32, String> {
    // `fit` guarantees the conversion.
    number(raw, Target::U32).map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// A YAML scalar inside `init`/`value`/`equals` maps, as a [`RawValue`].
pub(crate) fn from_yaml(value: &serde_yaml::Value) -> Result<RawValue, String> {
    match value {
        serde_yaml::Value::Number(n) => match n.as_u64() {
            Some(n) => Ok(RawValue::Int(n)),
            None => Err(format!(
                "`{n}` is not an unsigned integer; values are whole numbers ≥ 0"
            )),
        },
        serde_yaml::Value::String(text) => Ok(RawValue::Text(text.clone())),
        other => Err(format!(
            "expected a number, \"@name\", \"*name\" or a constant name, found {}",
            describe(other)
        )),
    }
}

/// "a map", "a list", ... for messages about YAML of the wrong shape.
pub(crate) fn describe(value: &serde_yaml::Value) -> &'static str {
    match value {
        serde_yaml::Value::Null => "nothing",
        serde_yaml::Value::Bool(_) => "a boolean",
        serde_yaml::Value::Number(_) => "a number",
        serde_yaml::Value::String(_) => "a string",
        serde_yaml::Value::Sequence(_) => "a list",
        serde_yaml::Value::Mapping(_) => "a map",
        serde_yaml::Value::Tagged(_) => "a tagged value",
    }
}

/// `"de ad be ef"` (spaces optional) as bytes.
pub(crate) fn hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!(
            "hex string \"{text}\" has an odd number of digits; write two per byte, like \"de ad be ef\""
        ));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let byte: String = pair.iter().collect();
            u8::from_str_radix(&byte, 16).map_err(|_| {
                format!(
                    "`{byte}` in \"{text}\" is not a hex byte; write bytes like \"de ad be ef\""
                )
            })
        })
        .collect()
}

fn fit(n: u64, text: &str, target: Target) -> Result<u64, String> {
    if n > target.max() {
        return Err(format!(
            "`{text}` = {n} does not fit in {} (at most {})",
            target.what,
            target.max()
        ));
    }
    Ok(n)
}

fn address_fits(text: &str, target: Target) -> Result<(), String> {
    if target.size < 4 {
        return Err(format!(
            "`{text}` is a 32-bit value and does not fit in {}",
            target.what
        ));
    }
    Ok(())
}

/// `name`, `name+N` or `name-N` after the `*` of `whole`: the allocation
/// and what is added to the u32 read from it.
fn deref_parts<'a>(rest: &'a str, whole: &str) -> Result<(&'a str, i64), String> {
    let Some(at) = rest.find(['+', '-']) else {
        return Ok((rest.trim(), 0));
    };
    let (name, tail) = rest.split_at(at);
    let n = number_text(tail[1..].trim(), Target::plain(4, "an addend (32 bits)"))
        .map_err(|message| format!("in `{whole}`: {message}"))?;
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    Ok((name.trim(), if tail.starts_with('-') { -n } else { n }))
}

fn offset_of(offset: &str, whole: &str) -> Result<u32, String> {
    let n = number_text(
        offset.trim(),
        Target::plain(4, "an address offset (32 bits)"),
    )
    .map_err(|message| format!("in `{whole}`: {message}"))?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// `40`, `0x28`, `0b101`, `MV_EVENTTYPE_X`, a short name of the target's enum, or a
/// sum of those (`40+3`).
fn number_text(text: &str, target: Target) -> Result<u64, String> {
    if text.is_empty() {
        return Err("empty value; expected a number".to_owned());
    }
    let mut sum: u64 = 0;
    for term in text.split('+') {
        let term = term.trim();
        let n = term_value(term, target).map_err(|message| {
            if term == text {
                message
            } else {
                format!("in `{text}`: {message}")
            }
        })?;
        sum = sum
            .checked_add(n)
            .ok_or_else(|| format!("`{text}` does not fit in 64 bits"))?;
    }
    fit(sum, text, target)
}

fn term_value(term: &str, target: Target) -> Result<u64, String> {
    if term.is_empty() {
        return Err("a `+` needs a number on each side".to_owned());
    }
    if term.starts_with(|c: char| c.is_ascii_digit()) {
        return integer(term);
    }
    if let Some((_, n)) = mv_abi::constant_by_name(term) {
        return Ok(u64::from(n));
    }
    if let Some(n) = target.enumeration.and_then(|desc| desc.value_of(term)) {
        return Ok(u64::from(n));
    }
    let mut names: Vec<String> = mv_abi::ENUMS
        .iter()
        .flat_map(|desc| desc.variants.iter().map(|(name, _)| full_name(desc, name)))
        .collect();
    if let Some(desc) = target.enumeration {
        names.extend(desc.variants.iter().map(|(name, _)| short_name(desc, name)));
    }
    Err(format!(
        "`{term}` is not a number or a known constant{}",
        suggest::hint(term, names.iter().map(String::as_str))
    ))
}

fn integer(term: &str) -> Result<u64, String> {
    let (digits, radix) =
        if let Some(hex) = term.strip_prefix("0x").or_else(|| term.strip_prefix("0X")) {
            (hex, 16)
        } else if let Some(binary) = term.strip_prefix("0b") {
            (binary, 2)
        } else {
            (term, 10)
        };
    u64::from_str_radix(digits, radix).map_err(|error| {
        if matches!(error.kind(), std::num::IntErrorKind::PosOverflow) {
            format!("`{term}` does not fit in 64 bits")
        } else {
            format!("`{term}` is not a number")
        }
    })
}

/// `MV_EVENTTYPE_CHANNELDATAREADABLE`, whether the ABI lists full or short names.
pub(crate) fn full_name(desc: &EnumDesc, variant: &str) -> String {
    if variant.starts_with(desc.prefix) {
        variant.to_owned()
    } else {
        format!("{}{variant}", desc.prefix)
    }
}

fn short_name(desc: &EnumDesc, variant: &str) -> String {
    variant
        .strip_prefix(desc.prefix)
        .unwrap_or(variant)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(text: &str, target: Target) -> Result<u64, String> {
        number(&RawValue::Text(text.to_owned()), target)
    }

    #[test]
    fn numbers_in_every_base_and_sums() {
        assert_eq!(num("40", Target::U32), Ok(40));
        assert_eq!(num("0x28", Target::U32), Ok(40));
        assert_eq!(num("0b101", Target::U32), Ok(5));
        assert_eq!(num("40+3", Target::U32), Ok(43));
        assert_eq!(num(" 0x10 + 1 ", Target::U32), Ok(17));
    }

    #[test]
    fn numbers_must_fit() {
        let byte = Target::plain(1, "a u8 field");
        assert_eq!(num("255", byte), Ok(255));
        let error = num("0x100", byte).unwrap_err();
        assert!(error.contains("does not fit in a u8 field"), "{error}");
        assert!(num("0x1_0000_0000", Target::U64).is_err());
        assert!(num("4294967296", Target::U32).is_err());
        assert!(num("18446744073709551615+1", Target::U64).is_err());
    }

    #[test]
    fn constants_resolve_to_numbers() {
        assert_eq!(num("MV_STATUS_OKAY", Target::U32), Ok(0));
        let error = num("MV_STATUS_OKAYY", Target::U32).unwrap_err();
        assert!(error.contains("did you mean `MV_STATUS_OKAY`?"), "{error}");
    }

    #[test]
    fn hex_strings() {
        assert_eq!(hex_bytes("de ad be ef"), Ok(vec![0xde, 0xad, 0xbe, 0xef]));
        assert_eq!(hex_bytes("00ff"), Ok(vec![0, 0xff]));
        assert_eq!(hex_bytes(""), Ok(vec![]));
        assert!(hex_bytes("abc").unwrap_err().contains("odd number"));
        assert!(hex_bytes("zz").unwrap_err().contains("not a hex byte"));
    }

    #[test]
    fn references_are_not_numbers() {
        let error = num("@ring", Target::U32).unwrap_err();
        assert!(error.contains("only a number"), "{error}");
    }
}
