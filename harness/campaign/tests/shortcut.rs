//! The sweep's shortcut (start at the golden run's flash, join a verified reference) gives every point the result a full run gives.
//!
//! Every single cut of a small update, a slice of nested plans and random
//! plans, run both ways: same outcome, detail, cuts and operations per life
//! at every point. The planted-bug counterpart is `planted_bug.rs`.

use hil_campaign::powercut::{
    nested_plans, random_plans, single_plans, Cut, Golden, PointResult, Reference, Scenario,
    Verified,
};

/// Two chunks: the download and the install each have steps to join.
const APP: usize = 8192 + 1000;

fn same(full: &PointResult, fast: &PointResult) {
    assert_eq!(
        (
            &full.id,
            full.phase,
            full.outcome,
            &full.detail,
            full.cuts_fired,
            &full.life_ops
        ),
        (
            &fast.id,
            fast.phase,
            fast.outcome,
            &fast.detail,
            fast.cuts_fired,
            &fast.life_ops
        ),
        "{} verified {}",
        fast.id,
        fast.verified.describe()
    );
}

#[test]
fn every_point_of_the_shortcut_equals_the_full_run() {
    let s = Scenario::synthetic(APP).unwrap();
    let cal = s.calibrate().unwrap();
    let golden = Golden::record(&s, &cal).unwrap();
    let singles = single_plans(&cal);
    let mut full_singles = Vec::new();
    let mut joined = [0usize; 2];
    for plan in &singles {
        let (full, fast) = (s.run_plan(plan, Some(&cal)), golden.run_plan(plan));
        same(&full, &fast);
        assert_eq!(full.verified, Verified::Full);
        assert_ne!(fast.verified, Verified::Full, "{}", fast.id);
        if let Verified::Joined { reference, .. } = fast.verified {
            joined[usize::from(reference == Reference::BootInstall)] += 1;
        }
        full_singles.push((plan.clone(), full));
    }
    // The shortcut is really taken, in both contexts, for most points.
    assert!(
        joined[0] > singles.len() / 4 && joined[1] > singles.len() / 4,
        "joined the golden run {} times, the boot-install reference {} times, of {}",
        joined[0],
        joined[1],
        singles.len()
    );
    let mut others: Vec<Vec<Cut>> = nested_plans(&full_singles, 61);
    others.extend(random_plans(&cal, 40, 3));
    let mut nested_joined = 0;
    for plan in &others {
        let fast = golden.run_plan(plan);
        same(&s.run_plan(plan, Some(&cal)), &fast);
        if let Verified::Joined {
            reference: Reference::SingleCut,
            ..
        } = fast.verified
        {
            nested_joined += 1;
        }
    }
    assert!(
        nested_joined > 20,
        "{nested_joined} nested plans joined a single cut"
    );
}
