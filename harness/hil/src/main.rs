//! `hil`: the command line over the engine (see `hil --help`).

use std::path::{Path, PathBuf};
use std::process;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use hil::rig::{load_rigs, RigConfig};
use hil::runner::{run, Plan};
use hil::selection::Selection;
use hil::ExitCode;
use hil_report::{new_run_id, ReportDir};

/// Drive Microvisor-compatible firmware through conformance cases on rigs.
#[derive(Parser)]
#[command(name = "hil", version, about, long_about = None)]
struct Cli {
    /// The repository root (default: the nearest folder above the current
    /// one that has both `conformance/` and `rigs/`).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run conformance cases and write reports/<run-id>/.
    Run {
        /// Rig to run on (a file rigs/<NAME>.yaml); repeat for several. Default: sim.
        #[arg(long = "rig", value_name = "NAME")]
        rigs: Vec<String>,
        #[command(flatten)]
        select: SelectArgs,
        /// Where run folders go.
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
    /// List the cases a run would include.
    List {
        #[command(flatten)]
        select: SelectArgs,
    },
    /// Measure sim throughput: syscalls per second and the suite's wall time.
    Bench {
        /// Calls per throughput figure.
        #[arg(long, default_value_t = 2_000_000)]
        calls: u64,
    },
    /// Flood notification rings and check overrun detection (sweep of ring
    /// size × flood × centres × reader delay); writes reports/<run-id>/.
    Overrun {
        /// Rig to run on; repeat for several (their results are compared). Default: sim.
        #[arg(long = "rig", value_name = "NAME")]
        rigs: Vec<String>,
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
    /// Make a development signing key: <OUT>/signing-key.pem and <OUT>/signer.pub.
    Keys {
        #[arg(long, default_value = "keys")]
        out: PathBuf,
    },
    /// Turn an app ELF into a signed Microvisor-format bundle (ZIP + manifest + layer).
    Bundle {
        /// The app (agent) ELF.
        elf: PathBuf,
        /// PEM signing key (from `hil keys`).
        #[arg(long)]
        key: PathBuf,
        /// Where to write the bundle.
        #[arg(long, short)]
        out: PathBuf,
        /// App version carried in the manifest; the kernel refuses downgrades.
        #[arg(long, default_value_t = 1)]
        app_version: u32,
    },
    /// Print a JSON Schema: `case` (conformance files) or `results` (results.json).
    /// OTA campaigns: power cuts at every flash operation of an update, tampered bundles.
    Ota {
        #[command(subcommand)]
        command: OtaCommand,
    },
    Schema {
        #[arg(default_value = "case")]
        which: String,
    },
}

#[derive(Subcommand)]
enum OtaCommand {
    /// Cut power at every flash operation of a download + install (before and
    /// inside each), again during recovery, and at random; deliver the eight
    /// tampered bundles. Writes powercut.md/.svg/.json and results.json.
    Powercut {
        /// `sim` (exhaustive) or `qemu-an505` (exact cuts and SIGKILL on persisted NVM).
        #[arg(long, default_value = "sim")]
        rig: String,
        /// Bytes of the new app (the old one is 32 KiB larger).
        #[arg(long, default_value_t = 128 * 1024)]
        app_size: usize,
        /// Nested (depth-2) cuts for every Nth single cut; 0 for none.
        #[arg(long, default_value_t = 16)]
        nested_stride: u64,
        /// Random multi-cut plans (2-5 cuts each).
        #[arg(long, default_value_t = 2000)]
        random: u32,
        /// Seed of the random plans.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Worker threads (default: every core).
        #[arg(long)]
        threads: Option<usize>,
        /// Replay one point by its id (e.g. `op1234i+op5`) and print what happened.
        #[arg(long, value_name = "ID")]
        replay: Option<String>,
        /// qemu-an505: wall-clock SIGKILL cuts to add to the exact ones.
        #[arg(long, default_value_t = 3)]
        kills: u32,
        /// qemu-an505: run every Nth exact plan (nested plans always run).
        #[arg(long, default_value_t = 1)]
        stride: usize,
        /// Where the report folder goes.
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
}

#[derive(clap::Args)]
struct SelectArgs {
    /// Only cases whose id contains this (or matches it, with `*`); repeatable.
    #[arg(long = "filter", value_name = "PATTERN")]
    filters: Vec<String>,
    /// Only cases with this tag; repeatable (any of them).
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
}

impl SelectArgs {
    fn selection(&self) -> Selection {
        Selection {
            filters: self.filters.clone(),
            tags: self.tags.clone(),
        }
    }
}

fn find_root(explicit: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(root) = explicit {
        return Ok(root);
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    cwd.ancestors()
        .find(|d| d.join("conformance").is_dir() && d.join("rigs").is_dir())
        .map(Path::to_path_buf)
        .with_context(|| {
            format!(
                "no folder with conformance/ and rigs/ at or above {}; run hil inside the repository or pass --root",
                cwd.display()
            )
        })
}

/// Load and filter the suite, or print every file error and exit 2.
fn load_cases(root: &Path, selection: &Selection) -> Vec<hil_cases::Case> {
    match hil_cases::load_suite(&root.join("conformance")) {
        Ok(suite) => suite
            .cases
            .into_iter()
            .filter(|c| selection.matches(c))
            .collect(),
        Err(e) => {
            for error in &e.errors {
                eprintln!("error: {error}");
            }
            eprintln!("{} malformed case file(s); nothing was run", e.errors.len());
            process::exit(ExitCode::BadInput as i32);
        }
    }
}

fn pick_rigs(root: &Path, names: &[String]) -> Vec<RigConfig> {
    let rigs = match load_rigs(&root.join("rigs")) {
        Ok(rigs) => rigs,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            process::exit(ExitCode::BadInput as i32);
        }
    };
    let wanted: Vec<String> = if names.is_empty() {
        vec!["sim".into()]
    } else {
        names.to_vec()
    };
    wanted
        .iter()
        .map(|name| match rigs.iter().find(|r| &r.name == name) {
            Some(r) => r.clone(),
            None => {
                let known: Vec<&str> = rigs.iter().map(|r| r.name.as_str()).collect();
                eprintln!(
                    "error: no rig `{name}` (rigs/{name}.yaml); known rigs: {}",
                    known.join(", ")
                );
                process::exit(ExitCode::BadInput as i32);
            }
        })
        .collect()
}

fn main() {
    let cli = Cli::parse();
    let code = match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::BadInput as i32
        }
    };
    process::exit(code);
}

fn real_main(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Schema { which } => {
            match which.as_str() {
                "case" => println!("{}", hil_cases::json_schema()),
                "results" => println!("{}", hil_report::results_json_schema()),
                other => anyhow::bail!("unknown schema `{other}`: use `case` or `results`"),
            }
            Ok(0)
        }
        Command::Ota {
            command:
                OtaCommand::Powercut {
                    rig,
                    app_size,
                    nested_stride,
                    random,
                    seed,
                    threads,
                    replay,
                    kills,
                    stride,
                    reports,
                },
        } => {
            let root = find_root(cli.root)?;
            let rig = pick_rigs(&root, &[rig]).remove(0);
            let reports = if reports.is_absolute() {
                reports
            } else {
                root.join(reports)
            };
            if let hil::rig::RigKind::Qemu(qemu) = &rig.kind {
                if let Some(id) = replay {
                    let mut q = hil::ota::qemu::QemuOta::new(qemu.clone())?;
                    let plan = hil::ota::campaign::parse_plan(&id)?;
                    let p = q.run_plan(&id, &plan, None);
                    println!("{}: {} {}", p.id, p.outcome.name(), p.detail);
                    return Ok(if p.outcome == hil::ota::campaign::Outcome::Ok {
                        0
                    } else {
                        1
                    });
                }
                return hil::ota::command::powercut_qemu(qemu.clone(), kills, stride, &reports);
            }
            if let Some(id) = replay {
                return hil::ota::command::replay_sim(app_size, &id);
            }
            let cfg = hil::ota::campaign::CampaignConfig {
                app_size,
                nested_stride,
                random,
                seed,
                threads: threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
            };
            hil::ota::command::powercut_sim(&cfg, &reports)
        }
        Command::Overrun { rigs, reports } => {
            let root = find_root(cli.root)?;
            let rigs = pick_rigs(&root, &rigs);
            let reports = if reports.is_absolute() {
                reports
            } else {
                root.join(reports)
            };
            overrun(rigs, &reports)
        }
        Command::Keys { out } => {
            let keys = hil_bundle::keys_command(&out)?;
            println!("signing key: {}", keys.signing_key.display());
            println!("public key:  {}", keys.public_key.display());
            println!("signer id:   {:#018x}", keys.signer_id);
            Ok(0)
        }
        Command::Bundle {
            elf,
            key,
            out,
            app_version,
        } => {
            let s = hil_bundle::bundle_command(&elf, &key, &out, app_version)?;
            println!("bundle:      {} ({} bytes)", s.out.display(), s.bundle_len);
            println!("rom:         {} bytes from {:#010x}", s.rom_len, s.rom_base);
            println!("layer:       {}", s.layer_name);
            println!("measurement: {}", s.measurement_hash);
            println!(
                "signer id:   {:#018x}, app version {}",
                s.signer_id, s.app_version
            );
            Ok(0)
        }
        Command::List { select } => {
            let root = find_root(cli.root)?;
            for case in load_cases(&root, &select.selection()) {
                println!("{:<56} {}", case.id, case.title);
            }
            Ok(0)
        }
        Command::Bench { calls } => {
            let root = find_root(cli.root)?;
            bench(&root, calls)
        }
        Command::Run {
            rigs,
            select,
            reports,
        } => {
            let root = find_root(cli.root)?;
            let cases = load_cases(&root, &select.selection());
            let rigs = pick_rigs(&root, &rigs);
            let reports = if reports.is_absolute() {
                reports
            } else {
                root.join(reports)
            };
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let run_id = new_run_id(time::OffsetDateTime::now_utc());
            let dir =
                ReportDir::create(&reports, &run_id).context("cannot create the report folder")?;
            let mut sinks = dir.file_sinks();
            sinks.add(Box::new(hil::progress::Progress::new()));
            let plan = Plan {
                rigs,
                cases,
                root,
                command,
            };
            let runtime =
                tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
            let rig_names: Vec<String> = plan.rigs.iter().map(|r| r.name.clone()).collect();
            let summary = runtime.block_on(run(plan, run_id, sinks));
            print_summary(&summary, dir.path());
            if rig_names.len() > 1 {
                let differences = hil::parity::compare(&summary.results);
                let text = hil::parity::render(&differences, &rig_names);
                std::fs::write(dir.path().join("parity.md"), &text)
                    .context("cannot write parity.md")?;
                for d in &differences {
                    println!(
                        "parity: {} differs between {} and {} at line {}",
                        d.case_id, d.left_rig, d.right_rig, d.line
                    );
                }
                println!(
                    "parity: {} case(s) differ between {}",
                    differences.len(),
                    rig_names.join(" and ")
                );
            }
            Ok(summary.exit_code as i32)
        }
    }
}

fn print_summary(summary: &hil::runner::RunSummary, dir: &Path) {
    let mut rigs: Vec<&str> = Vec::new();
    for r in &summary.results {
        if !rigs.contains(&r.rig.as_str()) {
            rigs.push(&r.rig);
        }
    }
    let (mut passed, mut failed, mut errors, mut skipped) = (0, 0, 0, 0);
    for rig in rigs {
        let (mut p, mut f, mut e, mut s) = (0, 0, 0, 0);
        for r in summary.results.iter().filter(|r| r.rig == rig) {
            match r.outcome {
                hil_report::Outcome::Passed => p += 1,
                hil_report::Outcome::Failed { .. } => f += 1,
                hil_report::Outcome::Error { .. } => e += 1,
                hil_report::Outcome::Skipped { .. } => s += 1,
            }
        }
        println!("{rig}: {p} passed, {f} failed, {e} errors, {s} skipped");
        (passed, failed, errors, skipped) = (passed + p, failed + f, errors + e, skipped + s);
    }
    if summary.interrupted {
        println!("interrupted: the report holds the cases that finished");
    }
    println!("report: {}", dir.display());
    println!("{passed} passed, {failed} failed, {errors} errors, {skipped} skipped");
}

fn bench(root: &Path, calls: u64) -> Result<i32> {
    println!("hil bench: sim, {calls} calls per throughput figure (release build recommended)");
    for f in hil::bench::syscall_rates(calls) {
        print_figure(&f);
    }
    // The whole suite through the engine, without writing report files.
    let cases = load_cases(root, &Selection::default());
    let rigs = pick_rigs(root, &["sim".to_owned()]);
    let n = cases.len();
    let plan = Plan {
        rigs,
        cases,
        root: root.to_owned(),
        command: "hil bench".into(),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let started = Instant::now();
    let summary = runtime.block_on(run(plan, "bench".into(), hil_report::FanOut::new()));
    let wall = started.elapsed().as_secs_f64();
    println!(
        "  {:<56} {:>14.3} s  ({:.2}x under the 1 s target; {} cases, exit {})",
        "whole suite on sim (engine, no report files)",
        wall,
        1.0 / wall,
        n,
        summary.exit_code as i32
    );
    for f in hil::bench::ota::sim_cut_rate(128 * 1024, 400)? {
        print_figure(&f);
    }
    bench_qemu(root)?;
    Ok(0)
}

/// A figure with its target; the ratio is > 1 when the target is beaten.
fn print_figure(f: &hil::bench::Figure) {
    let target = f
        .target
        .map(|(t, how)| {
            let ratio = if how == "at most" {
                t / f.value
            } else {
                f.value / t
            };
            let digits = if ratio < 0.01 { 4 } else { 2 };
            format!("  ({ratio:.digits$}x the target of {how} {t:.0})")
        })
        .unwrap_or_default();
    let digits = if f.value < 1.0 { 3 } else { 1 };
    println!(
        "  {:<56} {:>14.digits$} {}{target}",
        f.name, f.value, f.unit
    );
}

/// QEMU figures: per-case and suite wall time, and instructions per round
/// trip (with `-icount shift=0`). Skipped, and said so, without QEMU.
fn bench_qemu(root: &Path) -> Result<()> {
    let installed = std::process::Command::new("qemu-system-arm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        println!("qemu-an505: skipped (qemu-system-arm is not installed)");
        return Ok(());
    }
    let rig = pick_rigs(root, &["qemu-an505".to_owned()]).remove(0);
    let hil::rig::RigKind::Qemu(config) = rig.kind.clone() else {
        anyhow::bail!("rigs/qemu-an505.yaml is not a qemu-an505 rig");
    };
    let cases: Vec<_> = load_cases(root, &Selection::default())
        .into_iter()
        .filter(|c| !c.skip.contains_key(&rig.name))
        .collect();
    let runtime = tokio::runtime::Runtime::new()?;
    let mut session = hil::rig::qemu::QemuSession::new(&rig.name, config.clone());
    // Boot once outside the measurement (the first boot builds and starts QEMU).
    runtime.block_on(hil::rig::RigSession::reset(&mut session))?;
    let started = Instant::now();
    let mut times = Vec::new();
    let mut passed = 0;
    for case in &cases {
        let t = Instant::now();
        let run = runtime.block_on(hil::exec::run_case(
            &mut session,
            case,
            std::time::Duration::from_secs(20),
        ));
        times.push(t.elapsed().as_secs_f64() * 1e3);
        passed += usize::from(matches!(run.outcome, hil_report::Outcome::Passed));
    }
    let suite = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
    println!("qemu-an505 ({} cases, {passed} passed):", cases.len());
    print_figure(&hil::bench::Figure {
        name: "median wall time per case, reset included".into(),
        value: median,
        unit: "ms",
        target: Some((20.0, "at most")),
    });
    print_figure(&hil::bench::Figure {
        name: "whole suite".into(),
        value: suite,
        unit: "s",
        target: Some((15.0, "at most")),
    });
    let mut counting = config.clone();
    counting
        .extra_args
        .extend(["-icount".to_owned(), "shift=0,sleep=off".to_owned()]);
    let mut session = hil::rig::qemu::QemuSession::new("qemu-an505-icount", counting);
    for f in runtime.block_on(hil::bench::qemu::round_trips(&mut session))? {
        print_figure(&f);
    }
    drop(session);
    // OTA: exact cuts on persisted NVM, each run to the new app and three
    // clean boots, as `hil ota powercut --rig qemu-an505` does.
    let mut ota = hil::ota::qemu::QemuOta::new(config)?;
    let cal = ota.sim_scenario()?.calibrate()?;
    let plans: Vec<_> = hil::ota::command::chosen_plans(&cal)
        .into_iter()
        .step_by(6)
        .take(3)
        .collect();
    let started = Instant::now();
    let ok = plans
        .iter()
        .filter(|p| {
            ota.run_plan(&hil::ota::campaign::plan_id(p), p, None)
                .outcome
                == hil::ota::campaign::Outcome::Ok
        })
        .count();
    print_figure(&hil::bench::Figure {
        name: format!(
            "OTA: verified cut points/s ({} exact cuts, {ok} ok)",
            plans.len()
        ),
        value: plans.len() as f64 / started.elapsed().as_secs_f64(),
        unit: "points/s",
        target: Some((25.0, "at least")),
    });
    Ok(())
}

/// `hil overrun`: the sweep on every rig, through the same report sinks.
fn overrun(rigs: Vec<RigConfig>, reports: &Path) -> Result<i32> {
    use hil_report::{CaseResult, Outcome, SpecCitation};
    use std::collections::BTreeMap;

    let points = hil::overrun::default_sweep();
    let mut run = hil::campaign_run::CampaignRun::start(
        reports,
        rigs.iter().map(|r| r.name.clone()).collect(),
        rigs.len() * points.len(),
        true,
    )?;
    let runtime = tokio::runtime::Runtime::new()?;
    let mut by_rig: BTreeMap<String, Vec<hil::overrun::Observation>> = BTreeMap::new();
    let mut results = Vec::new();
    for rig in &rigs {
        let mut session = hil::rig::connect(rig)?;
        for &point in &points {
            run.started(&rig.name, &point.id());
            let started = Instant::now();
            let (outcome, transcript) =
                match runtime.block_on(hil::overrun::run_point(session.as_mut(), point)) {
                    Ok(obs) => {
                        let problems = obs.problems();
                        let transcript = obs.transcript();
                        by_rig.entry(rig.name.clone()).or_default().push(obs);
                        let outcome = if problems.is_empty() {
                            Outcome::Passed
                        } else {
                            Outcome::Failed {
                                step: 0,
                                field: "point".into(),
                                line: 0,
                                message: problems.join("; "),
                            }
                        };
                        (outcome, transcript)
                    }
                    Err(e) => (
                        Outcome::Error {
                            message: e.to_string(),
                        },
                        String::new(),
                    ),
                };
            let logs = runtime.block_on(session.take_device_log());
            let result = CaseResult {
                rig: rig.name.clone(),
                case_id: point.id(),
                title: format!(
                    "{} notifications into a {}-byte ring shared by {} centre(s), drained after {} us",
                    point.flood,
                    point.slots * 16,
                    point.centres,
                    point.delay_us
                ),
                area: "overrun".into(),
                file: "harness/hil/src/overrun.rs".into(),
                tags: vec!["overrun".into()],
                spec: SpecCitation {
                    quote: "The application can detect this, if it wishes, by zeroing the event_type of notifications as they are read, and on each interrupt checking that the entry prior to the read pointer has been zeroed.".into(),
                    source: "Microvisor System Calls (private beta), Buffer overruns".into(),
                },
                outcome,
                duration_ms: started.elapsed().as_secs_f64() * 1e3,
                transcript,
                logs,
            };
            results.push(result.clone());
            run.finished(result);
        }
    }
    let mut markdown = hil::overrun_report::markdown(&by_rig);
    if rigs.len() > 1 {
        let names: Vec<String> = rigs.iter().map(|r| r.name.clone()).collect();
        let differences = hil::parity::compare(&results);
        markdown
            .push_str(&hil::parity::render(&differences, &names).replace("# Parity", "## Parity"));
        println!(
            "parity: {} point(s) differ between {}",
            differences.len(),
            names.join(" and ")
        );
    }
    let dir = run.path().to_owned();
    std::fs::write(dir.join("overrun.md"), markdown).context("cannot write overrun.md")?;
    std::fs::write(dir.join("overrun.svg"), hil::overrun_report::svg(&by_rig))
        .context("cannot write overrun.svg")?;
    let code = run.finish(&results, false);
    let summary = hil::runner::RunSummary {
        exit_code: code,
        interrupted: false,
        results,
    };
    print_summary(&summary, &dir);
    println!(
        "overrun table and plot: {}",
        dir.join("overrun.md").display()
    );
    Ok(code as i32)
}
