//! `--partition hash:k/n | count:k/n`: which cases of a selection this shard runs.
//!
//! Shards are how a suite spreads over hosts without a scheduler of our own:
//! each CI job (or labgrid place) runs one shard and `hil merge` joins their
//! report folders. Both kinds deal whole cases (every rig of a case runs in
//! the same shard, so parity is checked within one job). `hash` puts a case
//! by a stable 64-bit FNV-1a hash of its id, so adding a case moves no other
//! case; `count` deals the cases, sorted by id, round robin, so shards differ
//! by at most one case (nextest's two kinds).

use hil_cases::Case;
use hil_report::Partition;

/// The cases of `cases` (sorted by id) that fall into `partition`'s shard
/// ([`Partition::deals`]).
pub fn partition(mut cases: Vec<Case>, partition: &Partition) -> Vec<Case> {
    cases.sort_by(|a, b| a.id.cmp(&b.id));
    cases
        .into_iter()
        .enumerate()
        .filter(|(index, case)| partition.deals(*index, &case.id))
        .map(|(_, case)| case)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn cases(n: usize) -> Vec<Case> {
        (0..n)
            .map(|i| {
                let text = format!(
                    "id: device.c{i:03}\ntitle: t\nspec: {{ quote: q, source: s }}\nsteps:\n  - delay_us: 1\n"
                );
                hil_cases::parse_case(Path::new("x.yaml"), "device", &text).unwrap()
            })
            .collect()
    }

    fn ids(cases: &[Case]) -> Vec<String> {
        cases.iter().map(|c| c.id.clone()).collect()
    }

    #[test]
    fn every_case_lands_in_exactly_one_shard_of_either_kind() {
        for kind in ["hash", "count"] {
            let mut all: Vec<String> = Vec::new();
            for k in 1..=3 {
                let p: Partition = format!("{kind}:{k}/3").parse().unwrap();
                all.extend(ids(&partition(cases(40), &p)));
            }
            all.sort();
            assert_eq!(all, ids(&cases(40)), "{kind}");
        }
    }

    #[test]
    fn count_shards_differ_by_at_most_one_case() {
        let sizes: Vec<usize> = (1..=3)
            .map(|k| partition(cases(40), &format!("count:{k}/3").parse().unwrap()).len())
            .collect();
        assert_eq!(sizes, [14, 13, 13]);
    }

    #[test]
    fn a_hash_shard_keeps_its_cases_when_others_are_added() {
        let p: Partition = "hash:2/3".parse().unwrap();
        let before = ids(&partition(cases(20), &p));
        let after = ids(&partition(cases(40), &p));
        assert!(before.iter().all(|id| after.contains(id)));
        // FNV-1a of a known string (0x9b8c_6062_ba60_e454), pinned through
        // the shards it lands in: the hash must never change.
        for (shards, shard) in [(5, 4), (7, 3), (16, 5)] {
            for k in 1..=shards {
                let p: Partition = format!("hash:{k}/{shards}").parse().unwrap();
                assert_eq!(p.deals(0, "device.c000"), k == shard, "{p}");
            }
        }
    }

    #[test]
    fn bad_partitions_are_rejected_with_the_form_to_write() {
        for bad in ["hash:0/3", "hash:4/3", "count:1", "mod:1/2", "hash:a/b"] {
            let error = bad.parse::<Partition>().unwrap_err();
            assert!(error.contains("hash:K/N or count:K/N"), "{error}");
        }
    }
}
