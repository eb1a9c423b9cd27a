//! `hil nightly`: the plan (`rigs/plans/nightly.yaml`) — its suites and campaigns, then the gate, the history record and report.html — with one exit code.
//!
//! Every suite and campaign writes its own folder under
//! `reports/<run-id>/parts/<name>/` through the same sinks as `hil run`,
//! `hil overrun` and `hil ota powercut`; the parts are then judged as one
//! run set. Exit code: 3 (or 130) when a part could not run or report;
//! else the gate's (0 passes, 1 fails) when a baseline exists; else the
//! worst part's.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hil_gate::{NightlyPlan, PlanCampaign, RunSet};
use hil_report::{run_id_now, ExitCode, ReportDir};
use hil_runner::Selection;

use super::repo::{find_root, reports_dir, rig_names};
use super::run::{execute, prepare, RetryRule, RunRequest};
use super::runs::{baseline_path, gate, publish, GateInputs};
use crate::failure::{BadInput, SystemFailure};

/// The plan `hil nightly` runs by default.
pub const DEFAULT_PLAN: &str = "rigs/plans/nightly.yaml";

pub fn nightly(root: Option<PathBuf>, plan: Option<&Path>, reports: &Path) -> Result<ExitCode> {
    let root = find_root(root)?;
    let file = reports_dir(&root, plan.unwrap_or(Path::new(DEFAULT_PLAN)));
    let plan = NightlyPlan::load(&file, &rig_names(&root)?).map_err(|errors| BadInput {
        problems: errors.iter().map(ToString::to_string).collect(),
        note: Some("the nightly plan is malformed; nothing was run".into()),
    })?;
    // Every suite is checked before anything runs: a typo in the last
    // suite must not cost the night.
    let requests: Vec<(String, RunRequest)> = plan
        .suites
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                RunRequest {
                    rigs: s.rigs.clone(),
                    selection: Selection {
                        filters: s.filters.clone(),
                        tags: s.tags.clone(),
                    },
                    retries: plan.retries,
                    retry_rules: plan
                        .retry_rules
                        .iter()
                        .map(|r| RetryRule {
                            case: r.case.clone(),
                            rigs: r.rigs.clone(),
                            retries: r.retries,
                        })
                        .collect(),
                    jobs: s.jobs,
                    partition: None,
                    quarantine: plan.quarantine.clone(),
                    quarantine_verify: false,
                    wait_for_rigs: true,
                },
            )
        })
        .collect();
    let mut prepared = Vec::new();
    for (name, request) in &requests {
        let mut suite = prepare(&root, request)
            .with_context(|| format!("suite `{name}` of {}", file.display()))?;
        suite.record = false;
        prepared.push((name.clone(), suite));
    }

    let (top, run_id) = ReportDir::create_new(&reports_dir(&root, reports), run_id_now)
        .context("cannot create the nightly's report folder")?;
    let parts = top.path().join("parts");
    let mut codes = Vec::new();
    for (name, prepared) in prepared {
        println!("== suite {name}");
        let dir =
            ReportDir::create(&parts, &name).context("cannot create a suite's report folder")?;
        let summary = execute(&root, prepared, &dir, format!("{run_id}-{name}"))?;
        codes.push(summary.exit_code);
        drop_latest(&parts);
    }
    for campaign in &plan.campaigns {
        println!("== campaign {}", campaign.name());
        let code = match campaign {
            PlanCampaign::Overrun { rigs, .. } => {
                super::overrun::overrun(Some(root.clone()), rigs, None, &parts)?
            }
            PlanCampaign::MqttLoss { rigs, quick, .. } => {
                super::mqtt_loss::mqtt_loss(Some(root.clone()), rigs, &parts, *quick)?
            }
            PlanCampaign::Powercut {
                rig,
                app_size,
                nested_stride,
                random,
                seed,
                kills,
                stride,
                ..
            } => super::ota::powercut(
                Some(root.clone()),
                super::ota::Powercut {
                    rig: rig.clone(),
                    app_size: *app_size,
                    nested_stride: *nested_stride,
                    random: *random,
                    seed: *seed,
                    threads: None,
                    full_replay: false,
                    replay: None,
                    kills: *kills,
                    stride: *stride,
                    exact: false,
                    reports: parts.clone(),
                },
            )?,
        };
        codes.push(code);
        name_latest(&parts, campaign.name())?;
    }

    println!("== gate");
    let worst_broken = codes
        .iter()
        .copied()
        .find(|c| matches!(c, ExitCode::RigError | ExitCode::Interrupted));
    let set = match RunSet::load(&[top.path().to_owned()]) {
        Ok(set) => set,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            return Ok(worst_broken.unwrap_or(ExitCode::RigError));
        }
    };
    let inputs = GateInputs {
        baseline: plan.baseline.clone(),
        policy: plan.policy.clone(),
        quarantine: plan.quarantine.clone(),
    };
    let merged = set.merged(&run_id, &crate::cmd::repo::command_line());
    super::history::record(&root, &merged)?;
    let verdict = if baseline_path(&root, &inputs).exists() {
        let (report, baseline) = gate(&root, &set, &inputs)?;
        publish(top.path(), &report, &baseline)?;
        Some((report, baseline))
    } else {
        println!(
            "gate: no baseline at {}: bless one with `hil baseline bless {}`",
            baseline_path(&root, &inputs).display(),
            top.path().display()
        );
        None
    };
    super::html::rewrite(
        &root,
        top.path(),
        &set,
        verdict.as_ref().map(|(r, b)| (r, b.as_str())),
    )?;
    println!("report: {}", top.path().join("report.html").display());
    Ok(match (worst_broken, &verdict) {
        (Some(code), _) => code,
        (None, Some((report, _))) => report.exit_code(),
        (None, None) => codes
            .iter()
            .copied()
            .max_by_key(|c| c.code())
            .unwrap_or(ExitCode::Passed),
    })
}

/// Removes `parts/latest` (the parts are named, not dated).
fn drop_latest(parts: &Path) {
    let _ = std::fs::remove_file(parts.join("latest"));
}

/// Gives the campaign folder `parts/latest` points at the campaign's name.
fn name_latest(parts: &Path, name: &str) -> Result<()> {
    let latest = parts.join("latest");
    let target = std::fs::canonicalize(&latest).map_err(|e| {
        SystemFailure(format!(
            "the campaign left no report folder in {}: {e}",
            parts.display()
        ))
    })?;
    std::fs::rename(&target, parts.join(name))
        .map_err(|e| SystemFailure(format!("cannot name {}: {e}", target.display())))?;
    drop_latest(parts);
    Ok(())
}
