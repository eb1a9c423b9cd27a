//! The overrun campaign on `sim`: every point of the default sweep passes,
//! and the campaign's table is a reviewed snapshot. (The same sweep runs on
//! QEMU in `tests/qemu.rs`.)

use std::collections::BTreeMap;

use hil::overrun::{default_sweep, run_point};
use hil::rig::SimSession;

#[test]
fn the_whole_sweep_passes_on_sim() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut session = SimSession::new("sim", hil_sim::SimConfig::default());
    let sweep = default_sweep();
    let mut failures = Vec::new();
    let mut observations = Vec::new();
    for point in &sweep {
        let obs = runtime
            .block_on(run_point(&mut session, *point))
            .expect("the sim runs every point");
        if !obs.problems().is_empty() {
            failures.push(format!("{}: {:?}", point.id(), obs.problems()));
        }
        observations.push(obs);
    }
    assert!(
        sweep.len() > 500,
        "the sweep shrank to {} points",
        sweep.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // A change in what the reader detects is a snapshot diff to review.
    let by_rig = BTreeMap::from([("sim".to_owned(), observations)]);
    insta::assert_snapshot!(
        "overrun_table_on_sim",
        hil::overrun_report::markdown(&by_rig)
    );
}
