//! The `reset:` of a board's rig file: how a board is reset between cases without cutting its power.
//!
//! A lab resets a board through its debug probe (probe-rs resets the core,
//! as `probe-rs reset` does) or a reset line (labgrid's digital output, a
//! GPIO, any command). Either is far quicker than a power cycle, which
//! also has to wait out the board's settle time and re-open the probe; the
//! session still power-cycles where only that will do (see
//! `crate::qemu::QemuSession::reset`).

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::probe::{Lister, ProbeSpec, ProbeTarget};
use crate::RigError;

/// How a board is reset without cutting its power.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResetBy {
    /// Any command (a program and its arguments) that resets the board and
    /// exits 0 once it did: `labgrid-client -p PLACE io high reset`,
    /// `hil emulate-board reset URL`.
    Command(Vec<String>),
    /// The core reset through the rig file's debug probe (`probe:`).
    Probe,
}

impl ResetBy {
    /// Resets the board; `probe` is the rig file's probe, which
    /// [`ResetBy::Probe`] needs (the rig file is refused without it).
    pub fn reset(&self, probe: Option<&ProbeSpec>) -> Result<(), RigError> {
        match self {
            ResetBy::Command(argv) => {
                crate::power::run_command(argv, "the reset command").map(drop)
            }
            ResetBy::Probe => {
                let spec = probe.ok_or_else(|| {
                    RigError::Link("`reset: probe` but the rig file names no `probe:`".into())
                })?;
                // Opened for each reset: a power cycle in between leaves an
                // attached session stale, and an RTT link may hold the
                // probe between cases.
                let mut target = ProbeTarget::open(&Lister::new(), spec)?;
                target.reset()?;
                Ok(())
            }
        }
    }

    /// What `hil rig check` can say without resetting anything: whether
    /// the command's program is there; a probe reset is as good as the
    /// probe, which is checked on its own lines.
    pub fn check(&self) -> Result<String, RigError> {
        match self {
            ResetBy::Command(argv) => {
                let program = argv.first().map_or("", String::as_str);
                if crate::config::find_program(std::path::Path::new(program)) {
                    Ok(format!("`{program}` is there"))
                } else {
                    Err(RigError::Link(format!(
                        "the reset command's program `{program}` is not an executable file here or on PATH; install it or give its full path"
                    )))
                }
            }
            ResetBy::Probe => Ok("through the probe (its lines below)".into()),
        }
    }

    /// How the rig file spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            ResetBy::Command(_) => "command",
            ResetBy::Probe => "probe",
        }
    }
}

/// `reset: probe`, or `reset: { command: [...] }`.
pub(crate) enum RawReset {
    Probe,
    Command(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResetMap {
    command: Vec<String>,
}

impl<'de> Deserialize<'de> for RawReset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Section;
        impl<'de> Visitor<'de> for Section {
            type Value = RawReset;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`probe` or `{ command: [PROGRAM, ARGS...] }`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawReset, E> {
                if v == "probe" {
                    Ok(RawReset::Probe)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawReset, A::Error> {
                RawResetMap::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|m| RawReset::Command(m.command))
            }
        }
        d.deserialize_any(Section)
    }
}

/// A `reset:` that cannot be used: its field and why.
#[derive(Debug)]
pub(crate) struct ResetError {
    pub field: &'static str,
    pub message: String,
}

impl RawReset {
    /// Validates the section; `has_probe`: the rig file names a `probe:`.
    pub(crate) fn validate(self, has_probe: bool) -> Result<ResetBy, ResetError> {
        match self {
            RawReset::Probe if !has_probe => Err(ResetError {
                field: "board.reset",
                message: "`reset: probe` resets the core through the debug probe: add `probe: { selector: VID:PID[:SERIAL], chip: CHIP }`, or name a reset command (`reset: { command: [...] }`)".into(),
            }),
            RawReset::Probe => Ok(ResetBy::Probe),
            RawReset::Command(argv) if argv.is_empty() => Err(ResetError {
                field: "board.reset.command",
                message: "must be a program and its arguments that reset the board and exit 0 (a script that pulses the reset line, `hil emulate-board reset URL`)".into(),
            }),
            RawReset::Command(argv) => Ok(ResetBy::Command(argv)),
        }
    }
}
