//! The network bench's app side works end to end on the sim (its figures are `hil bench`'s to print, not asserted here).

use hil_campaign::bench::{echo_throughput, sim_http_round_trips};

#[test]
fn the_http_bench_completes_its_round_trips() {
    let figure = sim_http_round_trips(3).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        figure.value.is_finite() && figure.value > 0.0,
        "{}",
        figure.value
    );
}

#[test]
fn the_echo_bench_gets_every_byte_back() {
    let mut sim = hil_rig::SimSession::new("sim", hil_sim::SimConfig::default());
    let figure = echo_throughput(&mut sim, 3, 1024).unwrap_or_else(|e| panic!("{e}"));
    assert!(figure.value > 0.0);
}
