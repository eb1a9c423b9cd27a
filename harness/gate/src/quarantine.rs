//! `conformance/quarantine.yaml`: known failures that are reported but do not gate, until their entry expires.
//!
//! ```yaml
//! entries:
//!   - case: notifications.irq-*      # a case id, or a pattern with `*`
//!     rigs: [qemu-an505]             # optional: every rig when absent
//!     reason: the IRQ is pended late under -icount
//!     link: https://example.org/issues/42
//!     expires: 2027-01-31            # last day the entry holds (UTC)
//! ```
//!
//! A quarantined case still runs: its failure is in every report, marked
//! with its entry, and does not fail the run or the gate. An entry past its
//! expiry fails the gate (a quarantine is a loan, not a deletion), and an
//! entry that names no case or no rig of the repository is an input error.

use std::path::Path;

use hil_cases::Case;
use hil_report::QuarantineMark;
use hil_runner::selection::id_matches;
use serde::Deserialize;

use crate::input::{self, parse_date, Input, InputError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    case: String,
    #[serde(default)]
    rigs: Vec<String>,
    reason: String,
    link: String,
    expires: String,
}

/// An exact id, or a pattern with `*` (the `--filter` glob); unlike
/// `--filter`, a plain id never matches a longer one.
pub fn pattern_matches(pattern: &str, id: &str) -> bool {
    if pattern.contains('*') {
        id_matches(pattern, id)
    } else {
        pattern == id
    }
}

/// One validated entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// A case id, or a pattern with `*`.
    pub case: String,
    /// The rigs it covers; empty for every rig.
    pub rigs: Vec<String>,
    pub reason: String,
    pub link: String,
    pub expires: time::Date,
    /// Line of the entry in its file.
    pub line: Option<usize>,
}

impl Entry {
    /// Whether the entry names this case on this rig (expired or not).
    pub fn covers(&self, case_id: &str, rig: &str) -> bool {
        pattern_matches(&self.case, case_id)
            && (self.rigs.is_empty() || self.rigs.iter().any(|r| r == rig))
    }

    /// Past its last day.
    pub fn expired(&self, today: time::Date) -> bool {
        today > self.expires
    }

    /// What a result records of the entry.
    pub fn mark(&self) -> QuarantineMark {
        QuarantineMark {
            reason: self.reason.clone(),
            link: self.link.clone(),
            expires: self.expires.to_string(),
        }
    }
}

/// A validated quarantine file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Quarantine {
    pub entries: Vec<Entry>,
    /// The file it came from (empty when there was none).
    pub file: String,
}

impl Quarantine {
    /// Reads `file`; every malformed entry is an error naming its line and field.
    pub fn load(file: &Path) -> Result<Quarantine, Vec<InputError>> {
        let input: Input<RawFile> = input::read(file).map_err(|e| vec![e])?;
        Quarantine::validate(input)
    }

    /// Parses `text` as if read from `file`.
    pub fn parse(file: &Path, text: &str) -> Result<Quarantine, Vec<InputError>> {
        Quarantine::validate(input::parse(file, text).map_err(|e| vec![e])?)
    }

    fn validate(input: Input<RawFile>) -> Result<Quarantine, Vec<InputError>> {
        let mut errors = Vec::new();
        let mut entries = Vec::new();
        for (n, raw) in input.raw.entries.iter().enumerate() {
            let at = |field: &str| format!("entries[{n}].{field}");
            let mut ok = true;
            for (field, value) in [
                ("case", &raw.case),
                ("reason", &raw.reason),
                ("link", &raw.link),
            ] {
                if value.trim().is_empty() {
                    errors.push(input.error(&at(field), format!("`{field}` must not be empty: a quarantine needs a case, a reason a reviewer can judge and a link to where it is tracked")));
                    ok = false;
                }
            }
            let expires = match parse_date(&raw.expires) {
                Ok(date) => Some(date),
                Err(message) => {
                    errors.push(input.error(&at("expires"), message));
                    None
                }
            };
            if let (true, Some(expires)) = (ok, expires) {
                entries.push(Entry {
                    case: raw.case.trim().to_owned(),
                    rigs: raw.rigs.clone(),
                    reason: raw.reason.trim().to_owned(),
                    link: raw.link.trim().to_owned(),
                    expires,
                    line: input.error(&format!("entries[{n}]"), "").line,
                });
            }
        }
        if errors.is_empty() {
            Ok(Quarantine {
                entries,
                file: input.file.display().to_string(),
            })
        } else {
            Err(errors)
        }
    }

    /// Entries that name no case of `cases` or a rig that has no rig file:
    /// a typo would otherwise quarantine nothing, silently.
    pub fn check_against(&self, cases: &[Case], rigs: &[String]) -> Vec<InputError> {
        let mut errors = Vec::new();
        for (n, entry) in self.entries.iter().enumerate() {
            let error = |field: String, message: String| InputError {
                file: self.file.clone().into(),
                line: entry.line,
                field,
                message,
            };
            if !cases.iter().any(|c| pattern_matches(&entry.case, &c.id)) {
                errors.push(error(
                    format!("entries[{n}].case"),
                    format!("`{}` matches no case of the suite", entry.case),
                ));
            }
            for rig in entry.rigs.iter().filter(|r| !rigs.contains(r)) {
                errors.push(error(
                    format!("entries[{n}].rigs"),
                    format!(
                        "no rig `{rig}` (rigs/{rig}.yaml); known rigs: {}",
                        rigs.join(", ")
                    ),
                ));
            }
        }
        errors
    }

    /// The entry in force on `today` for this case on this rig.
    pub fn lookup(&self, case_id: &str, rig: &str, today: time::Date) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.covers(case_id, rig) && !e.expired(today))
    }

    /// Entries past their last day.
    pub fn expired(&self, today: time::Date) -> Vec<&Entry> {
        self.entries.iter().filter(|e| e.expired(today)).collect()
    }

    /// Whether any entry (in force or not) names this case on some rig.
    pub fn names(&self, case_id: &str) -> bool {
        self.entries
            .iter()
            .any(|e| pattern_matches(&e.case, case_id))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::Quarantine;
    use crate::input::parse_date;

    const GOOD: &str = "entries:\n  - case: time.walltime-*\n    rigs: [qemu-an505]\n    reason: slow clock under icount\n    link: https://example.org/42\n    expires: 2026-12-31\n";

    #[test]
    fn an_entry_covers_its_cases_on_its_rigs_until_its_last_day() {
        let q = Quarantine::parse(Path::new("q.yaml"), GOOD).unwrap();
        let last = parse_date("2026-12-31").unwrap();
        let after = parse_date("2027-01-01").unwrap();
        assert!(q
            .lookup("time.walltime-advances", "qemu-an505", last)
            .is_some());
        assert!(q.lookup("time.walltime-advances", "sim", last).is_none());
        assert!(q
            .lookup("time.microseconds-writes-time", "qemu-an505", last)
            .is_none());
        assert!(q
            .lookup("time.walltime-advances", "qemu-an505", after)
            .is_none());
        assert_eq!(q.expired(after).len(), 1);
        assert_eq!(q.entries[0].line, Some(2));
    }

    #[test]
    fn malformed_entries_name_file_line_and_field() {
        let text = "entries:\n  - case: a.b\n    reason: ''\n    link: l\n    expires: 2026-13-01\n  - case: c.d\n    reasn: typo\n";
        let errors = Quarantine::parse(Path::new("q.yaml"), text).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(text[0].starts_with("q.yaml:"), "{text:?}");
        let joined = text.join("\n");
        assert!(joined.contains("unknown field `reasn`"), "{joined}");
        let errors = Quarantine::parse(
            Path::new("q.yaml"),
            "entries:\n  - case: a.b\n    reason: ''\n    link: l\n    expires: 2026-13-01\n",
        )
        .unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(text.contains(&"q.yaml:3: entries[0].reason: `reason` must not be empty: a quarantine needs a case, a reason a reviewer can judge and a link to where it is tracked".to_owned()), "{text:?}");
        assert!(
            text.contains(
                &"q.yaml:5: entries[0].expires: `2026-13-01` is not a date; write YYYY-MM-DD"
                    .to_owned()
            ),
            "{text:?}"
        );
    }
}
