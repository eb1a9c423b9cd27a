//! Raw deserialization with field paths, and serde's messages made friendlier.
//!
//! serde_path_to_error records where deserialization failed; its path is rewritten
//! for expanded `repeat` steps (so it names the template in the file) and the
//! common messages (`unknown field`, `missing field`, `unknown variant`) gain a
//! precise path and a "did you mean".

use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;
use serde_yaml::Value;

use crate::error::{join, Issue};
use crate::expand::Origin;
use crate::raw;
use crate::suggest;

/// A path segment: a map key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Deserializes `value`, which sits at `base` in the file.
pub(crate) fn deserialize<T: DeserializeOwned>(value: Value, base: &str) -> Result<T, Issue> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let (segs, message) = explain(&error);
        Issue::new(render(base, &segs), message)
    })
}

/// Deserializes a whole (expanded) case; errors in a repeated step name its template.
pub(crate) fn deserialize_case(doc: Value, origins: &[Origin]) -> Result<raw::Case, Issue> {
    if !doc.is_mapping() {
        return Err(Issue::new(
            "",
            format!(
                "a case file is a map with `id`, `title`, `spec` and `steps`, but this file holds {}",
                crate::values::describe(&doc)
            ),
        ));
    }
    serde_path_to_error::deserialize(doc).map_err(|error| {
        let (segs, message) = explain(&error);
        if let [Seg::Key(steps), Seg::Index(k), rest @ ..] = segs.as_slice() {
            if steps == "steps" {
                if let Some(origin) = origins.get(*k) {
                    return Issue::new(render(&origin.path, rest), origin.annotate(message));
                }
            }
        }
        Issue::new(render("", &segs), message)
    })
}

fn explain(error: &serde_path_to_error::Error<serde_yaml::Error>) -> (Vec<Seg>, String) {
    let mut segs: Vec<Seg> = error
        .path()
        .iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(Seg::Index(*index)),
            Segment::Map { key } => Some(Seg::Key(key.clone())),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect();
    let message = error.inner().to_string();
    let message = if let Some(rest) = message.strip_prefix("unknown field ") {
        let (wrong, expected) = quoted_and_expected(rest);
        let is_verb = matches!(
            segs.as_slice(),
            [.., Seg::Key(list), Seg::Index(_), Seg::Key(_)] if list == "steps"
        );
        let what = if is_verb { "step verb" } else { "key" };
        let hint = suggest::hint(&wrong, expected.iter().map(String::as_str));
        if expected.is_empty() {
            format!("unknown {what} `{wrong}`; this map takes no keys")
        } else {
            format!(
                "unknown {what} `{wrong}`{hint} (expected one of {})",
                list(&expected)
            )
        }
    } else if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (wrong, expected) = quoted_and_expected(rest);
        let hint = suggest::hint(&wrong, expected.iter().map(String::as_str));
        format!(
            "unknown value `{wrong}`{hint} (expected one of {})",
            list(&expected)
        )
    } else if let Some(rest) = message.strip_prefix("missing field ") {
        let field = rest.trim_matches('`').to_owned();
        let message = format!("missing key `{field}`");
        segs.push(Seg::Key(field));
        message
    } else {
        message
            .replace(
                "expected struct Step",
                "expected a step (a map such as `alloc: {...}`)",
            )
            .replace("expected struct ", "expected a map of ")
            .replace("unit value", "nothing")
    };
    (segs, message)
}

/// Splits "`x`, expected one of `a`, `b`" into `x` and `[a, b]`.
fn quoted_and_expected(text: &str) -> (String, Vec<String>) {
    let mut quoted = text.split('`').skip(1).step_by(2).map(str::to_owned);
    let wrong = quoted.next().unwrap_or_default();
    (wrong, quoted.collect())
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn render(base: &str, segs: &[Seg]) -> String {
    let mut path = base.to_owned();
    for seg in segs {
        match seg {
            Seg::Key(key) => path = join(&path, key),
            Seg::Index(index) => path = format!("{path}[{index}]"),
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_serde_lists() {
        let (wrong, expected) = quoted_and_expected("`colour`, expected one of `name`, `type`");
        assert_eq!(wrong, "colour");
        assert_eq!(expected, ["name", "type"]);
        let (wrong, expected) = quoted_and_expected("`x`, expected `a` or `b`");
        assert_eq!((wrong.as_str(), expected.len()), ("x", 2));
    }

    #[test]
    fn renders_paths() {
        let segs = [
            Seg::Key("alloc".into()),
            Seg::Index(2),
            Seg::Key("x".into()),
        ];
        assert_eq!(render("steps[1]", &segs), "steps[1].alloc[2].x");
        assert_eq!(render("", &segs[..1]), "alloc");
    }
}
