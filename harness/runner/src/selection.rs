//! Which cases a run includes: `--filter` on ids, `--tag` on tags.

use hil_cases::Case;

/// A case selection from the command line.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// Id patterns: a `*` matches any run of characters; without `*` the
    /// pattern matches ids that contain it. A case matches if any does.
    pub filters: Vec<String>,
    /// A case matches if it has any of these tags.
    pub tags: Vec<String>,
}

impl Selection {
    /// The selection as the command line spelled it: `--filter a --tag b`,
    /// or `the whole suite`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .filters
            .iter()
            .map(|f| format!("--filter {f}"))
            .collect();
        parts.extend(self.tags.iter().map(|t| format!("--tag {t}")));
        if parts.is_empty() {
            "the whole suite".to_owned()
        } else {
            parts.join(" ")
        }
    }

    pub fn matches(&self, case: &Case) -> bool {
        let by_id = self.filters.is_empty() || self.filters.iter().any(|f| id_matches(f, &case.id));
        let by_tag = self.tags.is_empty() || self.tags.iter().any(|t| case.tags.contains(t));
        by_id && by_tag
    }
}

/// Glob with `*` only; substring match when there is no `*`.
pub fn id_matches(pattern: &str, id: &str) -> bool {
    if !pattern.contains('*') {
        return id.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !id.starts_with(first) || !id[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &id[first.len()..id.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::id_matches;

    #[test]
    fn globs_and_substrings() {
        assert!(id_matches("notifications.", "notifications.setup-ok"));
        assert!(id_matches("notifications.*-ok", "notifications.setup-ok"));
        assert!(!id_matches("notifications.*-ok", "notifications.setup-bad"));
        assert!(id_matches("*time*", "time.wall-time-not-set"));
        assert!(!id_matches("device.*", "time.x"));
    }
}
