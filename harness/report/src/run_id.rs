//! Run ids: sortable UTC timestamps with a short suffix against same-second collisions.

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// `20261120T221503Z-3f2a`: the UTC second of `now`, then 4 hex digits from its nanoseconds.
///
/// Ids sort by start time (to the second), and are safe as directory names everywhere.
pub fn new_run_id(now: OffsetDateTime) -> String {
    let utc = now.to_offset(UtcOffset::UTC);
    let stamp = utc
        .format(format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("a fixed numeric format always formats");
    format!("{stamp}-{:04x}", utc.nanosecond() & 0xffff)
}

/// A new run id for now (the wall clock's UTC second and nanoseconds).
pub fn run_id_now() -> String {
    new_run_id(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn run_id_is_utc_stamp_and_hex_suffix() {
        let now = datetime!(2026-11-20 23:15:03.000_016_170 +01:00);
        assert_eq!(new_run_id(now), "20261120T221503Z-3f2a");
    }

    #[test]
    fn run_ids_sort_by_time() {
        let earlier = new_run_id(datetime!(2026-11-20 09:59:59.999_999_999 UTC));
        let later = new_run_id(datetime!(2026-11-20 10:00:00 UTC));
        assert!(earlier < later);
    }
}
