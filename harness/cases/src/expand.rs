//! Value-level preparation: reject empty keys and expand `repeat` blocks.
//!
//! This runs on the parsed YAML before serde sees it, so the raw types never hold
//! a `repeat`. Each resulting step remembers its [`Origin`]: the path of the step
//! as written (the template, for repeats), so later errors point at the file.

use serde_yaml::{Mapping, Value};

use crate::error::{join, Issue};
use crate::raw::{Repeat, VERBS};
use crate::serde_errors;

/// Most iterations a `repeat` may have.
pub(crate) const MAX_REPEAT: u32 = 1024;

/// Most steps a case may have once its repeats are expanded. YAML aliases
/// let a few kilobytes of text name millions of steps (forty repeats of
/// `count: 1024` over one aliased list of 200 steps): the count is checked
/// before a repeat is expanded, so such a file is an error, never an
/// exhausted memory.
pub(crate) const MAX_STEPS: usize = 8192;

/// Where an expanded step was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// Field path in the file: `steps[3]` or `steps[4].repeat.steps[1]`.
    pub path: String,
    /// The label of the expanded step: `steps[3]` or `steps[4].steps[1]#7`.
    pub label: String,
    /// The value of `{i}` for repeated steps.
    pub iteration: Option<u32>,
}

impl Origin {
    /// Adds " (repeat iteration i = 7)" to a message about a repeated step.
    pub(crate) fn annotate(&self, message: String) -> String {
        match self.iteration {
            Some(i) => format!("{message} (in repeat iteration i = {i})"),
            None => message,
        }
    }
}

/// Rejects keys without a value anywhere in `doc`, then replaces each `repeat` step
/// of the top-level `steps` by its iterations. Returns one origin per step of the
/// result; when `steps` is missing or not a list, there are none and serde reports it.
pub(crate) fn expand(doc: &mut Value) -> Result<Vec<Origin>, Issue> {
    reject_empty(doc, "")?;
    let Some(Value::Sequence(steps)) = doc.get_mut("steps") else {
        return Ok(Vec::new());
    };
    let mut expanded = Vec::with_capacity(steps.len().min(MAX_STEPS));
    let mut origins = Vec::with_capacity(steps.len().min(MAX_STEPS));
    for (k, step) in std::mem::take(steps).into_iter().enumerate() {
        let path = format!("steps[{k}]");
        check_verbs(&step, &path)?;
        let Some(repeat) = step.as_mapping().and_then(|map| map.get("repeat")) else {
            if expanded.len() == MAX_STEPS {
                return Err(Issue::new(
                    path,
                    format!("the case has more than {MAX_STEPS} steps (repeats expanded); split it into several cases"),
                ));
            }
            origins.push(Origin {
                path: path.clone(),
                label: path,
                iteration: None,
            });
            expanded.push(step);
            continue;
        };
        let path = join(&path, "repeat");
        let template = template(repeat, &path)?;
        let adds = template.count as usize * template.steps.len();
        if expanded.len() + adds > MAX_STEPS {
            return Err(Issue::new(
                join(&path, "count"),
                format!(
                    "this repeat makes {} × {} = {adds} steps, after {} before it; a case has at most {MAX_STEPS} steps once its repeats are expanded: lower `count` or split the case",
                    template.count,
                    template.steps.len(),
                    expanded.len()
                ),
            ));
        }
        for i in 0..template.count {
            for (t, step) in template.steps.iter().enumerate() {
                origins.push(Origin {
                    path: format!("{path}.steps[{t}]"),
                    label: format!("steps[{k}].steps[{t}]#{i}"),
                    iteration: Some(i),
                });
                expanded.push(substitute(step, &i.to_string()));
            }
        }
    }
    *steps = expanded;
    Ok(origins)
}

/// A step has one verb. Checked here, where the keys are still in file order, so
/// the error points at the second verb as written.
fn check_verbs(step: &Value, path: &str) -> Result<(), Issue> {
    let Some(map) = step.as_mapping() else {
        return Ok(());
    };
    let verbs: Vec<&str> = map
        .keys()
        .filter_map(Value::as_str)
        .filter(|key| VERBS.contains(key))
        .collect();
    match verbs.as_slice() {
        [first, second, ..] if matches!((*first, *second), ("call", "slot") | ("slot", "call")) => {
            Err(Issue::new(
                join(path, second),
                "give `call` (a syscall name) or `slot` (a number), not both",
            ))
        }
        [first, second, ..] => Err(Issue::new(
            join(path, second),
            format!(
                "a step has exactly one verb, but this one has `{first}` and `{second}`; split it into two steps"
            ),
        )),
        _ => Ok(()),
    }
}

fn template(repeat: &Value, path: &str) -> Result<Repeat<Value>, Issue> {
    let template: Repeat<Value> = serde_errors::deserialize(repeat.clone(), path)?;
    if template.count == 0 || template.count > MAX_REPEAT {
        return Err(Issue::new(
            join(path, "count"),
            format!(
                "count is {}; a repeat runs 1 to {MAX_REPEAT} times",
                template.count
            ),
        ));
    }
    if template.steps.is_empty() {
        return Err(Issue::new(
            join(path, "steps"),
            "a repeat needs at least one step",
        ));
    }
    for (t, step) in template.steps.iter().enumerate() {
        let step_path = format!("{path}.steps[{t}]");
        check_verbs(step, &step_path)?;
        if step
            .as_mapping()
            .is_some_and(|map| map.contains_key("repeat"))
        {
            return Err(Issue::new(
                join(&step_path, "repeat"),
                "a repeat cannot contain another repeat; `{i}` would be ambiguous",
            ));
        }
    }
    Ok(template)
}

/// A copy of `value` with `{i}` replaced by `i` in every string (not in keys).
fn substitute(value: &Value, i: &str) -> Value {
    match value {
        Value::String(text) => Value::String(text.replace("{i}", i)),
        Value::Sequence(items) => Value::Sequence(items.iter().map(|v| substitute(v, i)).collect()),
        Value::Mapping(map) => Value::Mapping(
            map.iter()
                .map(|(key, v)| (key.clone(), substitute(v, i)))
                .collect::<Mapping>(),
        ),
        Value::Tagged(tagged) => {
            let mut tagged = tagged.clone();
            tagged.value = substitute(&tagged.value, i);
            Value::Tagged(tagged)
        }
        other => other.clone(),
    }
}

/// `key:` with nothing after it is almost always a mistake; serde would read it as
/// "absent" for optional keys, so it is rejected here where the key is still known.
fn reject_empty(value: &Value, path: &str) -> Result<(), Issue> {
    match value {
        Value::Mapping(map) => {
            for (key, v) in map {
                let key = key_text(key);
                let here = join(path, &key);
                if v.is_null() {
                    return Err(Issue::new(
                        here,
                        format!("`{key}` has no value; give it one or remove the key"),
                    ));
                }
                reject_empty(v, &here)?;
            }
            Ok(())
        }
        Value::Sequence(items) => {
            for (n, item) in items.iter().enumerate() {
                let here = format!("{path}[{n}]");
                if item.is_null() {
                    return Err(Issue::new(
                        here,
                        "empty list item; remove the `-` or give it a value",
                    ));
                }
                reject_empty(item, &here)?;
            }
            Ok(())
        }
        Value::Tagged(tagged) => reject_empty(&tagged.value, path),
        _ => Ok(()),
    }
}

fn key_text(key: &Value) -> String {
    match key {
        Value::String(text) => text.clone(),
        other => serde_yaml::to_string(other)
            .map(|text| text.trim_end().to_owned())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_text(text: &str) -> Result<(Value, Vec<Origin>), Issue> {
        let mut doc: Value = serde_yaml::from_str(text).expect("yaml");
        let origins = expand(&mut doc)?;
        Ok((doc, origins))
    }

    #[test]
    fn repeats_are_expanded_in_order_with_i_substituted() {
        let (doc, origins) = expand_text(
            "steps:\n  - delay_us: 1\n  - repeat:\n      count: 2\n      steps:\n        - alloc: { name: \"r{i}\", size: \"4+{i}\" }\n        - delay_us: 2\n",
        )
        .unwrap();
        let steps = doc["steps"].as_sequence().unwrap();
        assert_eq!(steps.len(), 5);
        assert_eq!(steps[1]["alloc"]["name"], Value::from("r0"));
        assert_eq!(steps[3]["alloc"]["name"], Value::from("r1"));
        assert_eq!(steps[3]["alloc"]["size"], Value::from("4+1"));
        assert_eq!(origins[3].path, "steps[1].repeat.steps[0]");
        assert_eq!(origins[3].label, "steps[1].steps[0]#1");
        assert_eq!(origins[4].iteration, Some(1));
        assert_eq!(origins[0].label, "steps[0]");
    }

    #[test]
    fn count_must_be_in_range() {
        let issue =
            expand_text("steps:\n  - repeat: { count: 1025, steps: [ { delay_us: 1 } ] }\n")
                .unwrap_err();
        assert_eq!(issue.path, "steps[0].repeat.count");
    }

    #[test]
    fn aliased_repeats_cannot_expand_past_the_step_limit() {
        // Forty repeats of an aliased list of 200 steps: 8 million steps
        // from 6 KB of text, once aborted the process at a 4 GB limit.
        let mut text = String::from("steps:\n  - repeat:\n      count: 1\n      steps: &many\n");
        for _ in 0..200 {
            text.push_str("        - { delay_us: 1 }\n");
        }
        for _ in 0..40 {
            text.push_str("  - repeat: { count: 1024, steps: *many }\n");
        }
        let issue = expand_text(&text).unwrap_err();
        assert_eq!(issue.path, "steps[1].repeat.count");
        assert!(
            issue
                .message
                .contains("1024 × 200 = 204800 steps, after 200"),
            "{}",
            issue.message
        );
        // Right at the limit is fine.
        let fits = "steps:\n  - repeat: { count: 1024, steps: [ { delay_us: 1 }, { delay_us: 2 }, { delay_us: 3 }, { delay_us: 4 }, { delay_us: 5 }, { delay_us: 6 }, { delay_us: 7 }, { delay_us: 8 } ] }\n";
        assert_eq!(expand_text(fits).unwrap().1.len(), MAX_STEPS);
        let over = fits.replace("steps:\n", "steps:\n  - delay_us: 1\n");
        assert_eq!(
            expand_text(&over).unwrap_err().path,
            "steps[1].repeat.count"
        );
    }

    #[test]
    fn empty_values_are_rejected_where_they_are() {
        let issue = expand_text("steps:\n  - alloc:\n").unwrap_err();
        assert_eq!(issue.path, "steps[0].alloc");
        let issue = expand_text("tags: [a, ~]\n").unwrap_err();
        assert_eq!(issue.path, "tags[1]");
    }

    #[test]
    fn nested_repeats_are_rejected() {
        let issue = expand_text(
            "steps:\n  - repeat: { count: 2, steps: [ { repeat: { count: 2, steps: [ { delay_us: 1 } ] } } ] }\n",
        )
        .unwrap_err();
        assert_eq!(issue.path, "steps[0].repeat.steps[0].repeat");
    }
}
