//! Steps that check: `expect_memory`, `expect_notifications`, `expect_irq`,
//! `compare`, `expect_server_log`.

use mv_abi::{EnumDesc, FieldKind};
use serde_yaml::Value as Yaml;

use crate::actions::irq_number;
use crate::error::{join, Issue};
use crate::memory::{field_of, field_value, hex_of};
use crate::model::{
    CmpOp, Compare, ExpectIrq, ExpectMemory, ExpectNotifications, ExpectServerLog, Expected,
    MemCheck, MemType, Operand, RecordField, RecordPattern, RecordsCheck,
};
use crate::raw::{self, RawValue};
use crate::scope::{AllocInfo, Scope};
use crate::suggest;
use crate::validate::exactly_one;
use crate::values::{self, Target};

/// Size of one `MvNotification` record when the ABI crate does not say.
const RECORD_SIZE: u32 = 16;

/// Validates `expect_memory:` at `path`.
pub(crate) fn memory(
    raw: &raw::ExpectMemory,
    path: &str,
    scope: &Scope,
) -> Result<ExpectMemory, Issue> {
    let info = readable(scope, &raw.name, &join(path, "name"))?;
    let check_key = exactly_one(
        path,
        &[
            ("is", raw.is.is_some()),
            ("equals", raw.equals.is_some()),
            ("ascii_prefix", raw.ascii_prefix.is_some()),
        ],
    )?;
    let mut range = None;
    let mut field = None;
    match (&raw.field, &raw.offset, &raw.len) {
        (Some(_), Some(_), _) | (Some(_), None, Some(_)) => {
            return Err(Issue::new(
                join(path, "field"),
                "give `field` or `offset` and `len`, not both",
            ))
        }
        (Some(name), None, None) => {
            field = Some(field_of(info.ty, &raw.name, name, &join(path, "field"))?);
        }
        (None, Some(offset), Some(len)) => {
            let offset = values::number_u32(offset)
                .map_err(|message| Issue::new(join(path, "offset"), message))?;
            let len_path = join(path, "len");
            let len = values::number_u32(len).map_err(|message| Issue::new(&len_path, message))?;
            if len == 0 {
                return Err(Issue::new(len_path, "len 0 checks nothing"));
            }
            if u64::from(offset) + u64::from(len) > u64::from(info.size) {
                return Err(Issue::new(
                    len_path,
                    format!(
                        "bytes {offset}..{} are past the end of `{}` ({} bytes)",
                        u64::from(offset) + u64::from(len),
                        raw.name,
                        info.size
                    ),
                ));
            }
            range = Some((offset, len));
        }
        (None, Some(_), None) => {
            return Err(Issue::new(join(path, "offset"), "`offset` needs `len`"))
        }
        (None, None, Some(_)) => return Err(Issue::new(join(path, "len"), "`len` needs `offset`")),
        (None, None, None) => {}
    }
    let checked_len = match (&field, range) {
        (Some(field), _) => field.kind.size() as u64,
        (None, Some((_, len))) => u64::from(len),
        (None, None) => u64::from(info.size),
    };
    let at = join(path, check_key);
    let check = match (check_key, raw.is) {
        ("is", Some(raw::MemState::Zero)) => MemCheck::Zero,
        ("is", Some(raw::MemState::Nonzero)) => MemCheck::NonZero,
        ("is", _) => {
            if !scope.has_call() {
                return Err(Issue::new(
                    at,
                    "`unchanged` compares with memory as it was before the last call, but no call comes before this step",
                ));
            }
            MemCheck::Unchanged
        }
        ("ascii_prefix", _) => {
            let prefix = raw.ascii_prefix.clone().unwrap_or_default();
            if prefix.is_empty() || !prefix.is_ascii() {
                return Err(Issue::new(at, "ascii_prefix is non-empty ASCII text"));
            }
            if prefix.len() as u64 > checked_len {
                return Err(Issue::new(
                    at,
                    format!(
                        "the prefix is {} bytes, longer than the {checked_len} bytes checked",
                        prefix.len()
                    ),
                ));
            }
            MemCheck::AsciiPrefix(prefix)
        }
        _ => {
            let data = raw.equals.as_ref().map_or(&Yaml::Null, |data| &data.0);
            MemCheck::Equals(expected(
                data,
                info.ty,
                field.as_ref(),
                range,
                checked_len,
                &at,
                scope,
            )?)
        }
    };
    Ok(ExpectMemory {
        name: raw.name.clone(),
        range,
        field,
        check,
    })
}

/// `equals:` as an integer (scalars, fields) or as exact bytes (everything else).
fn expected(
    data: &Yaml,
    ty: MemType,
    field: Option<&crate::model::FieldRef>,
    range: Option<(u32, u32)>,
    checked_len: u64,
    path: &str,
    scope: &Scope,
) -> Result<Expected, Issue> {
    if let Some(field) = field {
        return field_value(data, field, path, scope).map(Expected::Value);
    }
    if range.is_none() {
        if let Some(size) = ty.scalar_size() {
            let target = if size == 8 { Target::U64 } else { Target::U32 };
            let raw = values::from_yaml(data).map_err(|message| Issue::new(path, message))?;
            return values::value(&raw, target, scope)
                .map(Expected::Value)
                .map_err(|message| Issue::new(path, message));
        }
    }
    let bytes = hex_of(data, path)?;
    if bytes.len() as u64 != checked_len {
        return Err(Issue::new(
            path,
            format!(
                "{} bytes given, but {checked_len} bytes are checked; give them all",
                bytes.len()
            ),
        ));
    }
    Ok(Expected::Bytes(bytes))
}

/// Validates `expect_notifications:` at `path`.
pub(crate) fn notifications(
    raw: &raw::ExpectNotifications,
    path: &str,
    scope: &Scope,
) -> Result<ExpectNotifications, Issue> {
    let buffer_path = join(path, "buffer");
    let info = readable(scope, &raw.buffer, &buffer_path)?;
    if info.ty != MemType::Notifications {
        return Err(Issue::new(
            buffer_path,
            format!(
                "`{}` is of type {}; expect_notifications reads an allocation of type notifications",
                raw.buffer,
                info.ty.name()
            ),
        ));
    }
    let key = exactly_one(
        path,
        &[
            ("records", raw.records.is_some()),
            ("at_least", raw.at_least.is_some()),
            ("count", raw.count.is_some()),
        ],
    )?;
    let listed = raw.records.as_ref().or(raw.at_least.as_ref());
    let check = match (listed, &raw.count) {
        (Some(records), _) => {
            if key == "at_least" && records.is_empty() {
                return Err(Issue::new(
                    join(path, key),
                    "`at_least: []` checks nothing; give the records that must be there (or `records: []` for none)",
                ));
            }
            let event_type = Target {
                size: 4,
                enumeration: event_types(),
                what: "an event type (32 bits)",
            };
            let mut patterns = Vec::with_capacity(records.len());
            for (n, record) in records.iter().enumerate() {
                let at = format!("{}[{n}]", join(path, key));
                let number = |raw: &Option<RawValue>, key: &str, target: Target| {
                    raw.as_ref()
                        .map(|raw| {
                            values::number(raw, target)
                                .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
                                .map_err(|message| Issue::new(join(&at, key), message))
                        })
                        .transpose()
                };
                patterns.push(RecordPattern {
                    event_type: number(&record.event_type, "type", event_type)?,
                    tag: number(&record.tag, "tag", Target::plain(4, "a tag (32 bits)"))?,
                });
            }
            if key == "at_least" {
                RecordsCheck::AtLeast(patterns)
            } else {
                RecordsCheck::Records(patterns)
            }
        }
        (None, count) => RecordsCheck::Count(
            count
                .as_ref()
                .map(values::number_u32)
                .transpose()
                .map_err(|message| Issue::new(join(path, key), message))?
                .unwrap_or(0),
        ),
    };
    Ok(ExpectNotifications {
        buffer: raw.buffer.clone(),
        check,
    })
}

/// The enum of `MvNotification.event_type`, so its short names work in `type:`.
fn event_types() -> Option<&'static EnumDesc> {
    let record = mv_abi::struct_by_name("MvNotification")?;
    match record.field("event_type")?.kind {
        FieldKind::Enum(desc) => Some(desc),
        _ => None,
    }
}

/// Validates `expect_irq:` at `path`.
pub(crate) fn irq(raw: &raw::ExpectIrq, path: &str) -> Result<ExpectIrq, Issue> {
    let irq = irq_number(&raw.irq, &join(path, "irq"))?;
    if raw.pending.is_none() && raw.enabled.is_none() && raw.handled.is_none() {
        return Err(Issue::new(
            path,
            "expect_irq checks nothing; give `pending`, `enabled` or `handled`",
        ));
    }
    let handled = raw
        .handled
        .as_ref()
        .map(values::number_u32)
        .transpose()
        .map_err(|message| Issue::new(join(path, "handled"), message))?;
    Ok(ExpectIrq {
        irq,
        pending: raw.pending,
        enabled: raw.enabled,
        handled,
    })
}

/// Validates `compare:` at `path`.
pub(crate) fn compare(raw: &raw::Compare, path: &str, scope: &Scope) -> Result<Compare, Issue> {
    let left = operand(&raw.left, &join(path, "left"), scope)?;
    let right = operand(&raw.right, &join(path, "right"), scope)?;
    let op = match raw.op {
        raw::CmpOp::Eq => CmpOp::Eq,
        raw::CmpOp::Ne => CmpOp::Ne,
        raw::CmpOp::Lt => CmpOp::Lt,
        raw::CmpOp::Le => CmpOp::Le,
        raw::CmpOp::Gt => CmpOp::Gt,
        raw::CmpOp::Ge => CmpOp::Ge,
    };
    Ok(Compare { left, op, right })
}

/// `t0`, `setup.buffer_size`, `ring[0].microseconds`, or a number.
fn operand(raw: &RawValue, path: &str, scope: &Scope) -> Result<Operand, Issue> {
    let text = match raw {
        RawValue::Int(n) => return Ok(Operand::Number(*n)),
        RawValue::Text(text) => text.trim(),
    };
    let starts_like_a_name = text.starts_with(|c: char| c.is_ascii_lowercase() || c == '_');
    if !starts_like_a_name {
        return values::number(raw, Target::U64)
            .map(Operand::Number)
            .map_err(|message| Issue::new(path, message));
    }
    if let Some((name, rest)) = text.split_once('[') {
        return record(name, rest, text, path, scope);
    }
    if let Some((name, dotted)) = text.split_once('.') {
        let info = readable(scope, name, path)?;
        let field = field_of(info.ty, name, dotted, path)?;
        return Ok(Operand::Field {
            name: name.to_owned(),
            field,
        });
    }
    let info = readable(scope, text, path)?;
    if info.ty.scalar_size().is_none() {
        return Err(Issue::new(
            path,
            format!(
                "`{text}` is of type {}; compare a scalar allocation (u32, u64, handle, time_us), `name.field` or `name[k].field`",
                info.ty.name()
            ),
        ));
    }
    Ok(Operand::Scalar(text.to_owned()))
}

/// `ring[k].field` (`rest` is what follows the `[`).
fn record(name: &str, rest: &str, text: &str, path: &str, scope: &Scope) -> Result<Operand, Issue> {
    let malformed = || Issue::new(path, format!("`{text}` is not of the form `name[k].field`"));
    let (index, field) = rest.split_once("].").ok_or_else(malformed)?;
    let index: u32 = index.trim().parse().map_err(|_| malformed())?;
    let info = readable(scope, name, path)?;
    if info.ty != MemType::Notifications {
        return Err(Issue::new(
            path,
            format!(
                "`{name}` is of type {}; `name[k].field` reads records of a notifications allocation",
                info.ty.name()
            ),
        ));
    }
    let record_size = mv_abi::struct_by_name("MvNotification")
        .and_then(|record| u32::try_from(record.size).ok())
        .unwrap_or(RECORD_SIZE);
    let records = info.size / record_size;
    if index >= records {
        return Err(Issue::new(
            path,
            format!(
                "`{name}` holds {records} whole records ({} bytes); record {index} is past its end",
                info.size
            ),
        ));
    }
    let field = [RecordField::Microseconds, RecordField::EventType, RecordField::Tag]
        .into_iter()
        .find(|candidate| candidate.name() == field)
        .ok_or_else(|| {
            Issue::new(
                path,
                format!(
                    "a notification record has no field `{field}`{} (fields: microseconds, event_type, tag)",
                    suggest::hint(field, ["microseconds", "event_type", "tag"])
                ),
            )
        })?;
    Ok(Operand::Record {
        name: name.to_owned(),
        index,
        field,
    })
}

/// Validates `expect_server_log:` at `path`.
pub(crate) fn server_log(raw: &raw::ExpectServerLog, path: &str) -> Result<ExpectServerLog, Issue> {
    let key = exactly_one(
        path,
        &[
            ("messages", raw.messages.is_some()),
            ("count", raw.count.is_some()),
        ],
    )?;
    match (&raw.messages, &raw.count) {
        (Some(messages), _) => Ok(ExpectServerLog::Messages(messages.clone())),
        (None, count) => count
            .as_ref()
            .map(values::number_u32)
            .transpose()
            .map(|count| ExpectServerLog::Count(count.unwrap_or(0)))
            .map_err(|message| Issue::new(join(path, key), message)),
    }
}

/// The allocation `name`, which the agent must be able to read.
fn readable(scope: &Scope, name: &str, path: &str) -> Result<AllocInfo, Issue> {
    let info = scope
        .get(name)
        .map_err(|message| Issue::new(path, message))?;
    if !info.placement.is_non_secure() {
        return Err(Issue::new(
            path,
            format!(
                "allocation `{name}` is in `{}`, which the app cannot read; checks read memory through the agent",
                info.placement.name()
            ),
        ));
    }
    Ok(info)
}
