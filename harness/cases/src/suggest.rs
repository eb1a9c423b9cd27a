//! "Did you mean" hints: the closest known name by edit distance.

/// The candidate closest to `wrong`, if it is close enough to be a likely typo.
///
/// Case is ignored when measuring (so `mvsetupnotifications` finds
/// `mvSetupNotifications`); a candidate counts as close when at most a third of its
/// characters (and at least one) need changing, or when one of the two names starts
/// with the other (`allocate` → `alloc`). The closest candidate wins.
pub(crate) fn closest<'a, I>(wrong: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let wrong_lower = wrong.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let candidate_lower = candidate.to_lowercase();
        let distance = edit_distance(&wrong_lower, &candidate_lower);
        let limit = (candidate.chars().count() / 3).max(1);
        let (shorter, longer) = if wrong_lower.len() < candidate_lower.len() {
            (&wrong_lower, &candidate_lower)
        } else {
            (&candidate_lower, &wrong_lower)
        };
        let is_prefix = shorter.len() >= 3 && longer.starts_with(shorter.as_str());
        if (distance <= limit || is_prefix) && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// `"; did you mean `x`?"`, or nothing when no candidate is close.
pub(crate) fn hint<'a, I>(wrong: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    match closest(wrong, candidates) {
        Some(candidate) => format!("; did you mean `{candidate}`?"),
        None => String::new(),
    }
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_one_letter_typo() {
        let names = ["mvSetupNotifications", "mvCloseNotifications"];
        assert_eq!(
            closest("mvSetupNotification", names),
            Some("mvSetupNotifications")
        );
    }

    #[test]
    fn finds_a_prefix() {
        assert_eq!(closest("allocate", ["alloc", "write"]), Some("alloc"));
        assert_eq!(
            closest("expect_mem", ["expect", "expect_memory"]),
            Some("expect_memory")
        );
    }

    #[test]
    fn ignores_case() {
        assert_eq!(closest("ns_RAM", ["ns_ram", "ns_flash"]), Some("ns_ram"));
    }

    #[test]
    fn stays_quiet_when_nothing_is_close() {
        assert_eq!(closest("banana", ["alloc", "write", "call"]), None);
        assert_eq!(hint("banana", ["alloc"]), "");
    }

    #[test]
    fn measures_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("abc", "abc"), 0);
    }
}
