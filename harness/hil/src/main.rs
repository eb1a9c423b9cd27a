//! `hil`: the command line over the engine and the campaigns (see `hil --help`).
//!
//! Argument parsing and dispatch only: each subcommand lives in
//! `cmd/<name>.rs` and returns the documented exit code or an error, whose
//! type decides the code ([`failure`]). Nothing but `main` exits.
#![forbid(unsafe_code)]

mod cmd;
mod failure;
mod interrupt;
mod progress;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use hil_report::ExitCode;
use hil_runner::Selection;

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
        /// Extra tries of a case that fails or errors; one that then passes is flaky.
        #[arg(long, default_value_t = 0)]
        retries: u32,
        /// Sessions of each rig that share its cases (e.g. QEMU instances).
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Run one shard of the selection: hash:K/N or count:K/N (`hil merge` joins shards).
        #[arg(long, value_name = "KIND:K/N")]
        partition: Option<hil_report::Partition>,
        /// The quarantine file (default: conformance/quarantine.yaml if it exists).
        #[arg(long, value_name = "FILE")]
        quarantine: Option<PathBuf>,
        /// Run only the cases a quarantine entry names, to see which pass again.
        #[arg(long)]
        quarantine_verify: bool,
        /// A board another run holds: wait for it instead of failing.
        #[arg(long)]
        wait_for_rigs: bool,
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
        /// Only the sim's power-cut figures (full replay beside snapshot + join).
        #[arg(long)]
        cuts_only: bool,
        /// Only the interrupt latency on QEMU (fast beside ordinary, the
        /// kernel busy inside a call).
        #[arg(long, conflicts_with = "cuts_only")]
        irq_only: bool,
        /// Only the instructions per NSC round trip on QEMU (`-icount`).
        #[arg(long, conflicts_with_all = ["cuts_only", "irq_only"])]
        calls_only: bool,
        /// Only the MQTT round trips: the host floor, the sim and QEMU side
        /// by side.
        #[arg(long, conflicts_with_all = ["cuts_only", "irq_only", "calls_only"])]
        mqtt_only: bool,
        /// Only the conformance suite on QEMU: the median time per case,
        /// reset included, the ready frame beside the full hello.
        #[arg(long, conflicts_with_all = ["cuts_only", "irq_only", "calls_only", "mqtt_only"])]
        cases_only: bool,
        /// Only QEMU's OTA exact cuts per second: the previous way (factory
        /// NVM, three clean boots, UART) beside starting from the golden
        /// run's NVM at the cut, over UART and the ring, on one and on two
        /// QEMU instances, same points.
        #[arg(long, conflicts_with_all = ["cuts_only", "irq_only", "calls_only", "mqtt_only", "cases_only"])]
        qemu_cuts_only: bool,
    },
    /// Flood notification rings and check overrun detection (sweep of ring
    /// size × flood × centres × reader delay); writes reports/<run-id>/.
    Overrun {
        /// Rig to run on; repeat for several (their results are compared). Default: sim.
        #[arg(long = "rig", value_name = "NAME")]
        rigs: Vec<String>,
        /// Run one shard of the sweep's points: hash:K/N or count:K/N, dealt
        /// as `hil run` deals cases.
        #[arg(long, value_name = "KIND:K/N")]
        partition: Option<hil_report::Partition>,
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
    /// Flood MQTT channels through the lab broker and account for every
    /// message (sweep of receive buffer × payload × flood × QoS); writes
    /// reports/<run-id>/mqtt-loss.{md,svg,json}.
    MqttLoss {
        /// Rig to run on; repeat for several (their results are compared). Default: sim.
        #[arg(long = "rig", value_name = "NAME")]
        rigs: Vec<String>,
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
        /// Four points covering every outcome instead of the full sweep.
        #[arg(long)]
        quick: bool,
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
        /// Replace OUT if it exists (never the key or the ELF).
        #[arg(long)]
        force: bool,
    },
    /// OTA campaigns: power cuts at every flash operation of an update, tampered bundles.
    Ota {
        #[command(subcommand)]
        command: OtaCommand,
    },
    /// Fuzz the kernel boundary: random slots, arguments and planted structs
    /// with nested pointers, drawn and checked on the device; writes
    /// reports/<run-id>/fuzz.md with a replay command for every finding.
    Fuzz(cmd::fuzz::Fuzz),
    /// Run the nightly plan (rigs/plans/nightly.yaml): its suites and
    /// campaigns, then the gate, the history record and report.html.
    Nightly {
        /// The plan file.
        #[arg(long, value_name = "FILE")]
        plan: Option<PathBuf>,
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
    },
    /// Judge a run (or a merged set of runs) against the blessed baseline:
    /// exit 0 passes, 1 fails (a regression, an expired quarantine, a
    /// campaign figure over its limit ...), 2 bad input, 3 a partial run.
    Gate {
        /// Report folders (a run, shards, a nightly); default reports/latest.
        dirs: Vec<PathBuf>,
        #[command(flatten)]
        inputs: GateArgs,
    },
    /// Blessed baselines (reports/baselines/).
    Baseline {
        #[command(subcommand)]
        command: BaselineCommand,
    },
    /// Combine per-host report folders (shards) into one report and one gate verdict.
    Merge {
        /// The report folders; every shard k/n exactly once.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where the merged folder goes.
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
        #[command(flatten)]
        inputs: GateArgs,
    },
    /// The ABI coverage matrix of a run: each call's documented statuses and
    /// notifications, and which cases observed them on which rigs.
    Coverage {
        /// Report folders; default reports/latest.
        dirs: Vec<PathBuf>,
    },
    /// Pass rate, flakiness, first failing run and duration trends from the run history.
    History {
        /// Cases whose id contains this (or matches it, with `*`).
        case: Option<String>,
        /// Only this rig.
        #[arg(long)]
        rig: Option<String>,
        /// How many of the latest runs.
        #[arg(long, default_value_t = 20)]
        last: usize,
    },
    /// Serve a QEMU-backed board for a lab engine (labgrid): two stable serial
    /// ports and an HTTP power port; prints where they are as one JSON line.
    #[command(args_conflicts_with_subcommands = true)]
    EmulateBoard {
        #[command(subcommand)]
        control: Option<BoardControl>,
        /// The qemu-an505 rig whose QEMU it runs.
        #[arg(long, default_value = "qemu-an505")]
        rig: String,
        /// Where the power port listens.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
    /// Rig files: `hil rig check <rig>`.
    Rig {
        #[command(subcommand)]
        command: RigCommand,
    },
    /// Debug probes: `hil probe list`.
    Probe {
        #[command(subcommand)]
        command: ProbeCommand,
    },
    /// Print a JSON Schema: `case` (conformance files) or `results` (results.json).
    Schema {
        #[arg(default_value = "case")]
        which: String,
    },
}

/// Controls of a running `hil emulate-board`, at the `url` it printed.
#[derive(Subcommand)]
enum BoardControl {
    /// Switch its power: on boots what its flash holds, off kills it.
    Power {
        /// The board's `url` (`http://127.0.0.1:PORT`).
        url: String,
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Write the factory image to its flash (a powered board restarts).
    Flash { url: String },
    /// Reset it as its reset line would (QMP `system_reset`): it stays
    /// powered; a board that is off is an error.
    Reset { url: String },
    /// Its power state and every switch and flash so far, as JSON.
    Status { url: String },
}

#[derive(Subcommand)]
enum RigCommand {
    /// Check that a rig can run here, one line per thing it needs (images,
    /// serial ports, labgrid place, power backend, QEMU, the firmware
    /// target), each failure saying what to do next; switches nothing.
    /// Exit 0 if all pass, 3 if one fails.
    Check {
        /// The rig (rigs/<NAME>.yaml).
        rig: String,
    },
}

#[derive(Subcommand)]
enum ProbeCommand {
    /// List the debug probes this host sees, each with the selector a rig
    /// file's `probe:` can name it by (VID:PID:serial); exit 0 also when
    /// there is none.
    List,
    /// Build the STM32U585 images and flash them through the probe a board
    /// rig names (`board.probe`): the secure image first, each read back,
    /// then reset. Prints the flash plans. Usable as a board's flashing
    /// command.
    Flash {
        /// The board rig (rigs/<NAME>.yaml).
        rig: String,
        /// Only plan: probe-rs checks the plans on a mocked core; no probe
        /// is opened and nothing is written.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum OtaCommand {
    /// Cut power at every flash operation of a download + install (before and
    /// inside each), again during recovery, and at random; deliver the eight
    /// tampered bundles. Writes powercut.md/.svg/.json and results.json.
    Powercut(cmd::ota::Powercut),
}

#[derive(Subcommand)]
enum BaselineCommand {
    /// Make the baseline from run folders (default reports/latest).
    Bless {
        dirs: Vec<PathBuf>,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct GateArgs {
    /// The blessed baseline (default reports/baselines/baseline.json).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// The gate policy (default reports/baselines/gate-policy.yaml, else the built-in one).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// The quarantine file (default conformance/quarantine.yaml if it exists).
    #[arg(long, value_name = "FILE")]
    quarantine: Option<PathBuf>,
}

impl GateArgs {
    fn inputs(self) -> cmd::runs::GateInputs {
        cmd::runs::GateInputs {
            baseline: self.baseline,
            policy: self.policy,
            quarantine: self.quarantine,
        }
    }
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
    fn selection(self) -> Selection {
        Selection {
            filters: self.filters,
            tags: self.tags,
        }
    }
}

fn main() {
    let cli = Cli::parse();
    let code = dispatch(cli).unwrap_or_else(|error| {
        failure::report(&error);
        failure::exit_code(&error)
    });
    std::process::exit(code.code());
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let root = cli.root;
    match cli.command {
        Command::Run {
            rigs,
            select,
            retries,
            jobs,
            partition,
            quarantine,
            quarantine_verify,
            wait_for_rigs,
            reports,
        } => cmd::run::run(
            root,
            &cmd::run::RunRequest {
                rigs,
                selection: select.selection(),
                retries,
                retry_rules: Vec::new(),
                jobs,
                partition,
                quarantine,
                quarantine_verify,
                wait_for_rigs,
            },
            &reports,
        ),
        Command::List { select } => cmd::list::list(root, &select.selection()),
        Command::Bench {
            calls,
            cuts_only,
            irq_only,
            calls_only,
            mqtt_only,
            cases_only,
            qemu_cuts_only,
        } => cmd::bench::bench(
            root,
            calls,
            cmd::bench::Only {
                cuts: cuts_only,
                irq: irq_only,
                calls: calls_only,
                mqtt: mqtt_only,
                cases: cases_only,
                qemu_cuts: qemu_cuts_only,
            },
        ),
        Command::Overrun {
            rigs,
            partition,
            reports,
        } => cmd::overrun::overrun(root, &rigs, partition.as_ref(), &reports),
        Command::MqttLoss {
            rigs,
            reports,
            quick,
        } => cmd::mqtt_loss::mqtt_loss(root, &rigs, &reports, quick),
        Command::Keys { out } => cmd::keys::keys(&out),
        Command::Bundle {
            elf,
            key,
            out,
            app_version,
            force,
        } => cmd::bundle::bundle(&elf, &key, &out, app_version, force),
        Command::Ota {
            command: OtaCommand::Powercut(options),
        } => cmd::ota::powercut(root, options),
        Command::Fuzz(options) => cmd::fuzz::fuzz(root, options),
        Command::Nightly { plan, reports } => {
            cmd::nightly::nightly(root, plan.as_deref(), &reports)
        }
        Command::Gate { dirs, inputs } => cmd::gate::gate(root, &dirs, &inputs.inputs()),
        Command::Baseline {
            command: BaselineCommand::Bless { dirs, out },
        } => cmd::baseline::bless(root, &dirs, out.as_deref()),
        Command::Merge {
            dirs,
            reports,
            inputs,
        } => cmd::merge::merge(root, &dirs, &reports, &inputs.inputs()),
        Command::Coverage { dirs } => cmd::coverage::coverage(root, &dirs),
        Command::History { case, rig, last } => {
            cmd::history::history(root, case.as_deref(), rig.as_deref(), last)
        }
        Command::EmulateBoard {
            control: None,
            rig,
            listen,
        } => cmd::emulate_board::emulate_board(root, &rig, &listen),
        Command::EmulateBoard {
            control: Some(control),
            ..
        } => {
            use hil_rig::qemu::emulated_board::Control;
            let (url, what) = match control {
                BoardControl::Power { url, state } => (url, Control::Power(state == "on")),
                BoardControl::Flash { url } => (url, Control::Flash),
                BoardControl::Reset { url } => (url, Control::Reset),
                BoardControl::Status { url } => (url, Control::Status),
            };
            cmd::emulate_board::emulate_board_control(&url, what)
        }
        Command::Rig {
            command: RigCommand::Check { rig },
        } => cmd::rig_check::rig_check(root, &rig),
        Command::Probe {
            command: ProbeCommand::List,
        } => cmd::probe::list(),
        Command::Probe {
            command: ProbeCommand::Flash { rig, dry_run },
        } => cmd::probe::flash(root, &rig, dry_run),
        Command::Schema { which } => cmd::schema::schema(&which),
    }
}
