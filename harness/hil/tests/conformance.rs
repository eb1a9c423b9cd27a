//! Every conformance case runs on `sim` and its transcript is an insta snapshot.
//!
//! A change of kernel behaviour therefore shows up as a reviewable diff of
//! `tests/snapshots/*.snap` (`cargo insta review`); CI never rewrites them.

use std::path::PathBuf;
use std::time::Duration;

use hil_report::Outcome;
use hil_rig::SimSession;
use hil_runner::run_case;
use rstest::rstest;

#[rstest]
fn case_passes_on_sim_with_its_snapshotted_transcript(
    #[files("../../conformance/*/*.yaml")] path: PathBuf,
) {
    let case = hil_cases::load_case_file(&path).unwrap_or_else(|e| panic!("{e}"));
    if let Some(reason) = hil_runner::host_skip(&case) {
        eprintln!("{}: skipped: {reason}", case.id);
        return;
    }
    let mut session = SimSession::new("sim", hil_sim::SimConfig::default());
    let run = run_case(&mut session, &case, Duration::from_secs(10));
    assert!(
        matches!(run.outcome, Outcome::Passed),
        "{} did not pass on sim: {:?}\n{}",
        case.id,
        run.outcome,
        run.transcript
    );
    insta::with_settings!({
        description => format!("{}\n{:?} ({})", case.title, case.spec.quote, case.spec.source),
        omit_expression => true,
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!(case.id.clone(), run.transcript);
    });
}
