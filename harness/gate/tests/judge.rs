//! The gate's findings on run sets built in memory: every kind, and what the policy makes of it.

use std::path::PathBuf;

use hil_gate::{
    judge, parse_date, Baseline, GatePolicy, Kind, LoadedRun, Quarantine, Rule, RunSet,
};
use hil_report::{
    Attempt, CaseResult, Figure, Outcome, RunInfo, RunReport, RunStatus, SpecCitation, Summary,
    SCHEMA_VERSION,
};

fn result(rig: &str, case: &str, outcome: Outcome, transcript: &str) -> CaseResult {
    CaseResult {
        rig: rig.into(),
        case_id: case.into(),
        title: String::new(),
        area: "device".into(),
        file: String::new(),
        tags: vec![],
        spec: SpecCitation {
            quote: String::new(),
            source: String::new(),
        },
        outcome,
        duration_ms: 1.0,
        transcript: transcript.into(),
        logs: vec![],
        attempts: vec![],
        flaky: false,
        quarantine: None,
    }
}

fn failed() -> Outcome {
    Outcome::Failed {
        step: 0,
        field: "steps[0]".into(),
        line: 5,
        message: "returned OKAY, expected UNAVAILABLE".into(),
    }
}

fn set(cases: Vec<CaseResult>, figures: Vec<Figure>) -> RunSet {
    let rigs: Vec<String> = {
        let mut r: Vec<String> = cases.iter().map(|c| c.rig.clone()).collect();
        r.dedup();
        r
    };
    RunSet {
        runs: vec![LoadedRun {
            dir: PathBuf::from("run"),
            report: RunReport {
                schema_version: SCHEMA_VERSION,
                run: RunInfo {
                    run_id: "r".into(),
                    started_at: String::new(),
                    command: String::new(),
                    rigs: rigs.clone(),
                    planned: cases.len(),
                    hil_version: String::new(),
                    partition: None,
                    host: String::new(),
                    selected: vec![],
                    suite_selected: 0,
                },
                status: RunStatus::Complete,
                finished_at: None,
                exit_code: Some(0),
                summary: Summary::tally(&rigs, &cases),
                cases,
                figures,
            },
        }],
    }
}

fn figure(campaign: &str, name: &str, value: f64) -> Figure {
    Figure {
        campaign: campaign.into(),
        rig: "sim".into(),
        name: name.into(),
        value,
    }
}

#[test]
fn every_kind_of_finding_and_its_rule() {
    let before = set(
        vec![
            result("sim", "device.a", Outcome::Passed, "t"),
            result("qemu", "device.a", Outcome::Passed, "t"),
            result("sim", "device.b", failed(), "t"),
            result("sim", "device.c", Outcome::Passed, "t"),
            result("sim", "device.gone", Outcome::Passed, "t"),
        ],
        vec![figure("powercut", "failures", 0.0)],
    );
    let baseline = Baseline::bless(&before, "2026-12-01T00:00:00Z");
    let mut flaky = result("sim", "device.c", Outcome::Passed, "t");
    flaky.flaky = true;
    flaky.attempts = vec![Attempt {
        outcome: Outcome::Error {
            message: "hang".into(),
        },
        duration_ms: 1.0,
        transcript: String::new(),
    }];
    let now = set(
        vec![
            // device.a: still passes on sim, skipped on qemu (fewer rigs).
            result("sim", "device.a", Outcome::Passed, "t"),
            result(
                "qemu",
                "device.a",
                Outcome::Skipped { reason: "r".into() },
                "",
            ),
            result("sim", "device.b", Outcome::Passed, "t"),
            flaky,
            result("sim", "device.new", failed(), "t"),
        ],
        vec![figure("powercut", "failures", 3.0)],
    );
    let report = judge(
        &now,
        &baseline,
        &Quarantine::default(),
        &GatePolicy::default(),
        parse_date("2026-12-02").unwrap(),
    );
    let kinds = |k: Kind| -> Vec<String> {
        report
            .of(k)
            .iter()
            .map(|f| format!("{}@{}", f.subject, f.rig))
            .collect()
    };
    assert_eq!(kinds(Kind::FewerRigs), ["device.a@qemu"]);
    assert_eq!(kinds(Kind::Fixed), ["device.b@sim"]);
    assert_eq!(kinds(Kind::Flaky), ["device.c@sim"]);
    assert_eq!(kinds(Kind::Vanished), ["device.gone@"]);
    assert_eq!(kinds(Kind::NewCaseFailure), ["device.new@sim"]);
    assert_eq!(kinds(Kind::NewCase), ["device.new@sim"]);
    assert_eq!(kinds(Kind::Limit), ["powercut.sim.failures@sim"]);
    assert!(!report.passed());
    assert_eq!(report.of(Kind::Flaky)[0].rule, Rule::Warn);
    let line = report.verdict_line();
    assert!(line.starts_with("gate: FAIL: "), "{line}");
    assert!(
        line.contains("warnings: 1 flaky (device.c on sim)"),
        "{line}"
    );
    assert_eq!(report.exit_code().code(), 1);

    // A policy that lets all of it through passes, still showing it.
    let lenient = GatePolicy::parse(
        std::path::Path::new("p.yaml"),
        "new_case_failures: warn\nvanished: warn\nfewer_rigs: ignore\nlimits: {}\n",
    )
    .unwrap();
    let report = judge(
        &now,
        &baseline,
        &Quarantine::default(),
        &lenient,
        parse_date("2026-12-02").unwrap(),
    );
    assert!(report.passed(), "{}", report.verdict_line());
    assert!(report.verdict_line().starts_with("gate: PASS"));
}

#[test]
fn a_parity_difference_between_the_sets_rigs_fails_the_gate() {
    let before = set(
        vec![
            result(
                "sim",
                "device.a",
                Outcome::Passed,
                "call mvNoOp() -> OKAY\n",
            ),
            result(
                "qemu",
                "device.a",
                Outcome::Passed,
                "call mvNoOp() -> OKAY\n",
            ),
        ],
        vec![],
    );
    let baseline = Baseline::bless(&before, "now");
    let now = set(
        vec![
            result(
                "sim",
                "device.a",
                Outcome::Passed,
                "call mvNoOp() -> OKAY\n",
            ),
            result(
                "qemu",
                "device.a",
                Outcome::Passed,
                "call mvNoOp() -> UNAVAILABLE\n",
            ),
        ],
        vec![],
    );
    let report = judge(
        &now,
        &baseline,
        &Quarantine::default(),
        &GatePolicy::default(),
        parse_date("2026-12-02").unwrap(),
    );
    assert!(!report.passed());
    let limit = &report.of(Kind::Limit)[0];
    assert_eq!(limit.subject, "device.a");
    assert!(
        limit
            .detail
            .contains("parity: transcripts differ between sim and qemu at line 1"),
        "{}",
        limit.detail
    );
    assert!(report
        .figures
        .iter()
        .any(|f| f.key == "parity.sim+qemu.differences" && f.value == 1.0));
}
