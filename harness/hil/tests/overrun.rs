//! The overrun campaign on `sim`: every point of the default sweep passes.
//! (The same sweep runs on QEMU in `tests/qemu.rs`.)

use hil::overrun::{default_sweep, run_point};
use hil::rig::SimSession;

#[test]
fn the_whole_sweep_passes_on_sim() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut session = SimSession::new("sim", hil_sim::SimConfig::default());
    let mut failures = Vec::new();
    let sweep = default_sweep();
    for point in &sweep {
        let obs = runtime
            .block_on(run_point(&mut session, *point))
            .expect("the sim runs every point");
        if !obs.problems().is_empty() {
            failures.push(format!("{}: {:?}", point.id(), obs.problems()));
        }
    }
    assert!(
        sweep.len() > 300,
        "the sweep shrank to {} points",
        sweep.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
