//! `junit.xml` for CI dashboards: one test suite per rig, one test case per result.

use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use crate::atomic::write_atomic;
use crate::cadence::Cadence;
use crate::error::ReportError;
use crate::event::{CaseResult, Event, Outcome};
use crate::schema::{track, RunReport};
use crate::sink::Sink;

/// Writes `<dir>/junit.xml` with the first finished case, rewrites it on
/// `RunFinished`, and between them when a rewrite is due ([`crate::cadence`]).
pub struct JunitSink {
    path: PathBuf,
    report: Option<RunReport>,
    cadence: Cadence,
}

impl JunitSink {
    pub fn new(dir: &Path) -> Self {
        JunitSink {
            path: dir.join("junit.xml"),
            report: None,
            cadence: Cadence::default(),
        }
    }
}

impl Sink for JunitSink {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        let Some(report) = track(&mut self.report, event)? else {
            return Ok(());
        };
        // An empty junit.xml at RunStarted would tell CI "zero tests, all green"; wait
        // for the first result instead.
        if matches!(event, Event::RunStarted(_)) {
            return Ok(());
        }
        let path = &self.path;
        self.cadence.rewrite(event, || {
            let xml = junit_report(report)
                .to_string()
                .map_err(|source| ReportError::Junit { source })?;
            write_atomic(path, xml.as_bytes())
        })
    }
}

/// The JUnit report of `report`: suites in rig order, cases in finishing order.
pub fn junit_report(report: &RunReport) -> Report {
    let mut junit = Report::new(format!("hil {}", report.run.run_id));
    let mut total = Duration::ZERO;
    for rig in report.rigs() {
        let mut suite = TestSuite::new(rig);
        let mut suite_time = Duration::ZERO;
        for case in report.cases.iter().filter(|case| case.rig == rig) {
            let time = duration(case.duration_ms);
            suite_time += time;
            suite.add_test_case(test_case(case, time));
        }
        suite.set_time(suite_time);
        total += suite_time;
        junit.add_test_suite(suite);
    }
    junit.set_time(total);
    junit
}

fn test_case(case: &CaseResult, time: Duration) -> TestCase {
    let status = match &case.outcome {
        Outcome::Passed => TestCaseStatus::success(),
        Outcome::Failed { line, .. } => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_type(format!("{}:{line}", case.file));
            status
        }
        Outcome::Error { .. } => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_type("rig error");
            status
        }
        Outcome::Skipped { .. } => TestCaseStatus::skipped(),
    };
    let mut status = status;
    if let Some(detail) = case.outcome.detail() {
        let detail = match (&case.quarantine, &case.outcome) {
            (Some(q), Outcome::Failed { .. } | Outcome::Error { .. }) => format!(
                "[quarantined until {}: {} ({})] {detail}",
                q.expires, q.reason, q.link
            ),
            _ => detail,
        };
        status.set_message(detail);
    }
    // Earlier tries, as nextest writes them: <flakyFailure> inside a test
    // that passed in the end, <rerunFailure> inside one that did not.
    status.add_reruns(case.attempts.iter().map(|attempt| {
        let kind = match attempt.outcome {
            Outcome::Error { .. } => NonSuccessKind::Error,
            _ => NonSuccessKind::Failure,
        };
        let mut rerun = TestRerun::new(kind);
        rerun.set_time(duration(attempt.duration_ms));
        if let Some(detail) = attempt.outcome.detail() {
            rerun.set_message(detail);
        }
        rerun.set_system_out(attempt.transcript.as_str());
        rerun
    }));
    let mut test = TestCase::new(case.case_id.as_str(), status);
    test.set_classname(case.area.as_str());
    test.set_time(time);
    test.set_system_out(case.transcript.as_str());
    if !case.logs.is_empty() {
        let logs: Vec<String> = case.logs.iter().map(ToString::to_string).collect();
        test.set_system_err(logs.join("\n"));
    }
    test
}

/// Milliseconds as a `Duration`; a nonsense value (negative, NaN) counts as zero.
fn duration(ms: f64) -> Duration {
    Duration::try_from_secs_f64(ms / 1000.0).unwrap_or_default()
}
