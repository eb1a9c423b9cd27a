//! A planted journal bug is caught by the full run and by the shortcut, at the same points.
//!
//! `mv_update::planted::CHUNK_RECORD_FIRST` journals each chunk before its
//! bytes are staged (the ordering class of the journal page-switch bug the
//! campaign once found). Its own test binary: the switch is process-wide.

use std::sync::atomic::Ordering;

use hil_campaign::powercut::{single_plans, Golden, Outcome, Scenario};

#[test]
fn both_modes_catch_the_planted_bug_at_the_same_points() {
    mv_update::planted::CHUNK_RECORD_FIRST.store(true, Ordering::SeqCst);
    let s = Scenario::synthetic(8192 + 1000).unwrap();
    let cal = s.calibrate().unwrap();
    let golden = Golden::record(&s, &cal).unwrap();
    let mut caught = Vec::new();
    for plan in single_plans(&cal) {
        let (full, fast) = (s.run_plan(&plan, Some(&cal)), golden.run_plan(&plan));
        assert_eq!(
            (full.outcome, &full.detail, &full.life_ops),
            (fast.outcome, &fast.detail, &fast.life_ops),
            "{} ({})",
            full.id,
            fast.verified.describe()
        );
        if full.outcome != Outcome::Ok {
            caught.push(full.id);
        }
    }
    // Every cut between a chunk's record and its last staged unit.
    assert!(caught.len() > 100, "the bug was caught at {caught:?}");
}
