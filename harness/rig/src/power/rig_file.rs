//! The `power:` section of a board's rig file, deserialized raw and validated into a [`PowerBy`] and the settle time.

use std::fmt;
use std::time::Duration;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{PowerBy, Relay, Scpi, Uhubctl};

/// `power: labgrid`, or `power: { <backend>: {...}, settle_ms: N }`.
///
/// A map rather than serde's externally tagged enum, so `settle_ms` can
/// sit beside whichever backend the file names.
pub(crate) enum RawPower {
    Labgrid,
    Map(Box<RawPowerMap>),
}

impl<'de> Deserialize<'de> for RawPower {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Section;
        impl<'de> Visitor<'de> for Section {
            type Value = RawPower;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`labgrid` or a map naming one backend (labgrid, command, uhubctl, scpi, relay) and optionally settle_ms")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawPower, E> {
                if v == "labgrid" {
                    Ok(RawPower::Labgrid)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawPower, A::Error> {
                RawPowerMap::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|map| RawPower::Map(Box::new(map)))
            }
        }
        d.deserialize_any(Section)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPowerMap {
    /// `labgrid: {}`: the place's power resource (the map form lets it take a `settle_ms`).
    labgrid: Option<de::IgnoredAny>,
    command: Option<RawCommand>,
    uhubctl: Option<RawUhubctl>,
    scpi: Option<RawScpi>,
    relay: Option<RawRelay>,
    /// Pause between power off and power on (a supply's capacitors
    /// discharging, a hub's port settling).
    settle_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCommand {
    on: Vec<String>,
    off: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUhubctl {
    location: String,
    port: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScpi {
    port: String,
    baud: u32,
    on: String,
    off: String,
    #[serde(default = "newline")]
    terminator: String,
    query: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRelay {
    port: String,
    baud: u32,
    on: RawBytes,
    off: RawBytes,
}

/// A relay frame: a string sent as its bytes, or `{ hex: "A0 01 01 A2" }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawBytes {
    Text(String),
    Hex { hex: String },
}

fn newline() -> String {
    "\n".into()
}

/// A field of the power section that cannot be used: its dotted path under
/// `board.power` and why.
#[derive(Debug)]
pub(crate) struct FieldError {
    pub field: String,
    pub message: String,
}

impl RawPower {
    /// Validates the section into a [`PowerBy`] and the pause between off and on.
    pub(crate) fn validate(self) -> Result<(PowerBy, Duration), FieldError> {
        let map = match self {
            RawPower::Labgrid => return Ok((PowerBy::Labgrid, Duration::ZERO)),
            RawPower::Map(map) => *map,
        };
        let settle = Duration::from_millis(map.settle_ms.unwrap_or(0));
        let named: Vec<&str> = [
            ("labgrid", map.labgrid.is_some()),
            ("command", map.command.is_some()),
            ("uhubctl", map.uhubctl.is_some()),
            ("scpi", map.scpi.is_some()),
            ("relay", map.relay.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect();
        let backend = match (named.as_slice(), map) {
            (
                [_],
                RawPowerMap {
                    labgrid: Some(_), ..
                },
            ) => Backend::Labgrid,
            (
                [_],
                RawPowerMap {
                    command: Some(c), ..
                },
            ) => Backend::Command(c),
            (
                [_],
                RawPowerMap {
                    uhubctl: Some(u), ..
                },
            ) => Backend::Uhubctl(u),
            ([_], RawPowerMap { scpi: Some(s), .. }) => Backend::Scpi(s),
            ([_], RawPowerMap { relay: Some(r), .. }) => Backend::Relay(r),
            _ => {
                return Err(FieldError {
                    field: "board.power".into(),
                    message: format!(
                        "name exactly one backend (labgrid, command, uhubctl, scpi, relay), not {}",
                        if named.is_empty() {
                            "none".to_owned()
                        } else {
                            named.join(" and ")
                        }
                    ),
                })
            }
        };
        Ok((backend.validate()?, settle))
    }
}

/// The one backend a power map names.
enum Backend {
    Labgrid,
    Command(RawCommand),
    Uhubctl(RawUhubctl),
    Scpi(RawScpi),
    Relay(RawRelay),
}

impl Backend {
    fn validate(self) -> Result<PowerBy, FieldError> {
        let fail = |field: &str, message: &str| FieldError {
            field: format!("board.power.{field}"),
            message: message.to_owned(),
        };
        let filled = |field: &str, value: &str, what: &str| {
            if value.trim().is_empty() {
                Err(fail(field, &format!("must not be empty: {what}")))
            } else {
                Ok(())
            }
        };
        let baud = |field: &str, value: u32| {
            if value == 0 {
                Err(fail(
                    field,
                    "must be the port's baud rate (9600, 115200), not 0",
                ))
            } else {
                Ok(())
            }
        };
        Ok(match self {
            Backend::Labgrid => PowerBy::Labgrid,
            Backend::Command(RawCommand { on, off }) => {
                if on.is_empty() || off.is_empty() {
                    return Err(fail(
                        "command",
                        "`on` and `off` are commands: a program and its arguments",
                    ));
                }
                PowerBy::Command { on, off }
            }
            Backend::Uhubctl(RawUhubctl { location, port }) => {
                filled(
                    "uhubctl.location",
                    &location,
                    "the hub's location (`1-1.4`; `uhubctl` alone lists the hubs)",
                )?;
                if port == 0 {
                    return Err(fail("uhubctl.port", "ports count from 1"));
                }
                PowerBy::Uhubctl(Uhubctl { location, port })
            }
            Backend::Scpi(s) => {
                filled(
                    "scpi.port",
                    &s.port,
                    "the supply's serial port (`/dev/ttyUSB0`)",
                )?;
                baud("scpi.baud", s.baud)?;
                filled(
                    "scpi.on",
                    &s.on,
                    "the command that switches the output on (`OUTP ON`)",
                )?;
                filled(
                    "scpi.off",
                    &s.off,
                    "the command that switches the output off (`OUTP OFF`)",
                )?;
                if s.terminator.is_empty() {
                    return Err(fail(
                        "scpi.terminator",
                        "must not be empty: it ends every command and answer (`\"\\n\"`, `\"\\r\\n\"`)",
                    ));
                }
                if let Some(q) = &s.query {
                    filled(
                        "scpi.query",
                        q,
                        "the output-state query (`OUTP?`), or leave it out",
                    )?;
                }
                PowerBy::Scpi(Scpi {
                    port: s.port,
                    baud: s.baud,
                    on: s.on,
                    off: s.off,
                    terminator: s.terminator,
                    query: s.query,
                })
            }
            Backend::Relay(r) => {
                filled(
                    "relay.port",
                    &r.port,
                    "the relay board's serial port (`/dev/ttyUSB0`)",
                )?;
                baud("relay.baud", r.baud)?;
                let bytes = |field: &str, raw: RawBytes| {
                    let bytes = match raw {
                        RawBytes::Text(text) => text.into_bytes(),
                        RawBytes::Hex { hex } => {
                            parse_hex(&hex).map_err(|m| fail(&format!("relay.{field}"), &m))?
                        }
                    };
                    if bytes.is_empty() {
                        return Err(fail(
                            &format!("relay.{field}"),
                            "must not be empty: the bytes that switch the relay",
                        ));
                    }
                    Ok(bytes)
                };
                PowerBy::Relay(Relay {
                    port: r.port,
                    baud: r.baud,
                    on: bytes("on", r.on)?,
                    off: bytes("off", r.off)?,
                })
            }
        })
    }
}

/// `"A0 01 01 A2"`, `"a00101a2"`: pairs of hex digits, spaces allowed between pairs.
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    text.split_whitespace()
        .flat_map(|group| {
            let digits: Vec<char> = group.chars().collect();
            digits
                .chunks(2)
                .map(|pair| pair.iter().collect::<String>())
                .collect::<Vec<_>>()
        })
        .map(|pair| {
            if pair.len() == 2 {
                u8::from_str_radix(&pair, 16).ok()
            } else {
                None
            }
            .ok_or_else(|| {
                format!("`{text}` is not hex bytes (pairs of hex digits like `A0 01 01 A2`): bad `{pair}`")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parse_hex;

    #[test]
    fn hex_frames_parse_with_or_without_spaces_and_bad_digits_are_named() {
        assert_eq!(parse_hex("A0 01 01 a2").unwrap(), [0xa0, 1, 1, 0xa2]);
        assert_eq!(parse_hex("a00100a1").unwrap(), [0xa0, 1, 0, 0xa1]);
        assert!(parse_hex("A0 1").unwrap_err().contains("bad `1`"));
        assert!(parse_hex("zz").unwrap_err().contains("bad `zz`"));
    }
}
