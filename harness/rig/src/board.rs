//! A `board` rig: a device hil does not start itself — power and UARTs come from the lab (a labgrid place, serial ports, a power backend) — and that only one run may use at a time.
//!
//! The session (`crate::qemu::QemuSession::board`) speaks the agent and
//! cloud protocols over the board's UARTs, and builds the deployments a
//! case asks for from the agent of the images the rig file names
//! (`board.images`, [`ImageBoard`]): `an505` for QEMU wrapped as a board
//! (`hil emulate-board`), `stm32u585` for the part, which is flashed
//! through its probe with those images (`hil probe flash RIG`, a fitting
//! `flash:` command). Power, flashing and reset
//! are separate actions of the rig file, as on hardware: power-on boots
//! whatever the board's flash holds; `flash:` writes the factory image,
//! which the session runs once at the start of a run and again after a case
//! that changed the flash (a deployed update, external-flash writes), as
//! the `qemu-an505` rig rewrites its NVM file; `reset:` ([`ResetBy`]: a
//! command, or the core reset through the probe) restarts the board between
//! cases without a power cycle. Two locks keep runs apart: the host's rig
//! lock ([`RigLock`]) and, across hosts, the labgrid place.

use std::cell::Cell;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::labgrid::{Labgrid, Place};
use crate::lock::{lock_dir, RigLock};
use crate::power::PowerBy;
use crate::probe::link::PumpLog;
use crate::probe::RttLink;
use crate::qemu::{build_board_images, FrameLink, ImageBoard, BAUD};
use crate::RigError;

mod reset;

pub(crate) use reset::RawReset;
pub use reset::ResetBy;

/// Where one of the board's UARTs is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkAt {
    /// A serial port on this host (`/dev/ttyACM0`).
    Serial(String),
    /// The labgrid place's `NetworkSerialPort` of this name (ser2net, RFC 2217).
    Labgrid(String),
    /// RTT through the rig file's debug probe (the cloud link only): the
    /// secure image's `cloud` channels, and its defmt log beside them.
    Rtt,
}

impl LinkAt {
    /// For a serial port on this host: opens it and closes it again (what
    /// `hil rig check` asks). `None` for a labgrid port, which only a run
    /// that acquired the place can open, and for RTT (the probe's checks).
    pub fn try_open(&self) -> Option<Result<(), RigError>> {
        let LinkAt::Serial(path) = self else {
            return None;
        };
        Some(
            serialport::new(path, BAUD)
                .open()
                .map(drop)
                .map_err(|e| RigError::Link(format!("cannot open the serial port {path}: {e}"))),
        )
    }
}

/// Settings of a `board` rig (from its rig file).
#[derive(Clone, Debug)]
pub struct BoardConfig {
    /// The repository whose firmware images the board runs.
    pub root: PathBuf,
    /// Which images it runs (`board.images`): what the session builds,
    /// deploys and reads RTT from, and what a case's `skip:` names.
    pub images: ImageBoard,
    pub boot_timeout: Duration,
    pub exec_timeout: Duration,
    pub labgrid: Option<Labgrid>,
    pub agent_link: LinkAt,
    pub cloud_link: LinkAt,
    pub power: PowerBy,
    /// The least time between power off and the next power on.
    pub settle: Duration,
    /// How the factory image is written; `None`: the lab flashed it and
    /// nothing in a run may change it.
    pub flash: Option<FlashBy>,
    /// How the board is reset between cases without a power cycle; `None`:
    /// every case power-cycles it.
    pub reset: Option<ResetBy>,
    /// The debug probe and chip, if the rig file names them (`hil rig check`
    /// checks them; flashing through it is `crate::probe`'s).
    pub probe: Option<Box<crate::probe::ProbeSpec>>,
    /// Wait for another run's lock instead of failing (`--wait-for-rigs`).
    pub wait_for_lock: bool,
}

impl BoardConfig {
    /// A board running `images` from the repository at `root` whose links,
    /// power and flash name nothing that opens: enough to build and deploy
    /// its images as a session or a campaign does, without a board.
    pub fn without_hardware(root: PathBuf, images: ImageBoard) -> BoardConfig {
        BoardConfig {
            root,
            images,
            boot_timeout: Duration::from_secs(1),
            exec_timeout: Duration::from_secs(1),
            labgrid: None,
            agent_link: LinkAt::Serial("/dev/hil-no-such-agent".into()),
            cloud_link: LinkAt::Serial("/dev/hil-no-such-cloud".into()),
            power: PowerBy::Command {
                on: vec!["true".into()],
                off: vec!["true".into()],
            },
            settle: Duration::ZERO,
            flash: None,
            reset: None,
            probe: None,
            wait_for_lock: false,
        }
    }
}

/// How a board's flash gets the factory image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlashBy {
    /// A flasher command (`hil probe flash RIG`, `hil emulate-board flash URL`),
    /// run as it is; it must exit 0 once the board holds the image.
    Command(Vec<String>),
}

/// A powered board's links, as [`Board::links`] opens them.
pub struct BoardLinks {
    pub agent: FrameLink,
    pub cloud: FrameLink,
    /// The secure image's defmt log, decoded by the RTT pump that carries
    /// the cloud link (`cloud_link: rtt`); `None` over a UART.
    pub log: Option<PumpLog>,
}

/// A board held by this run: locked, its place acquired.
#[derive(Debug)]
pub struct Board {
    config: BoardConfig,
    /// Declared before the lock: released (and powered off) first.
    place: Option<Place>,
    /// When the power last went off (the settle time runs from here).
    off_since: Cell<Option<Instant>>,
    /// The STM32U585 secure image, whose RTT control block a cloud link
    /// over RTT reads (built at the first power-on that needs it).
    rtt_image: std::cell::OnceCell<Result<PathBuf, RigError>>,
    _lock: RigLock,
}

impl Board {
    /// Locks the board and acquires its place.
    pub fn open(name: &str, config: &BoardConfig) -> Result<Board, RigError> {
        let lock = RigLock::acquire(&lock_dir(), name, config.wait_for_lock)?;
        let place = match &config.labgrid {
            Some(labgrid) => Some(Place::acquire(labgrid)?),
            None => None,
        };
        Ok(Board {
            config: config.clone(),
            place,
            off_since: Cell::new(None),
            rtt_image: std::cell::OnceCell::new(),
            _lock: lock,
        })
    }

    /// Switches the power through the rig file's backend; a power-on waits
    /// out what is left of the settle time since the last power-off.
    pub fn power(&self, on: bool) -> Result<(), RigError> {
        if on {
            if let Some(off) = self.off_since.take() {
                std::thread::sleep(self.config.settle.saturating_sub(off.elapsed()));
            }
        }
        self.config.power.switch(on, self.place.as_ref())?;
        if !on {
            self.off_since.set(Some(Instant::now()));
        }
        Ok(())
    }

    /// Writes the factory image with the rig file's flash action. A board
    /// without one fails here naming what to add: a case changed the
    /// flash and nothing can restore it.
    pub fn flash(&self, why: &str) -> Result<(), RigError> {
        match &self.config.flash {
            Some(FlashBy::Command(argv)) => {
                crate::power::run_command(argv, "the flash command").map(drop)
            }
            None => Err(RigError::Link(format!(
                "the board must be flashed with the factory image ({why}) but its rig file names no `flash:`; add `flash: {{ command: [...] }}`"
            ))),
        }
    }

    /// Whether the rig file says how to flash the board.
    pub fn can_flash(&self) -> bool {
        self.config.flash.is_some()
    }

    /// Resets the board with the rig file's reset action (it stays powered).
    pub fn reset(&self) -> Result<(), RigError> {
        match &self.config.reset {
            Some(reset) => reset.reset(self.config.probe.as_deref()),
            None => Err(RigError::Link(
                "the board's rig file names no `reset:`: it is power-cycled instead".into(),
            )),
        }
    }

    /// Whether the rig file says how to reset the board without a power cycle.
    pub fn can_reset(&self) -> bool {
        self.config.reset.is_some()
    }

    /// Opens the agent link and the cloud link (and, for a cloud link over
    /// RTT, the log its pump decodes).
    pub fn links(&self) -> Result<BoardLinks, RigError> {
        let agent = self.link(&self.config.agent_link)?;
        if self.config.cloud_link != LinkAt::Rtt {
            let cloud = self.link(&self.config.cloud_link)?;
            return Ok(BoardLinks {
                agent,
                cloud,
                log: None,
            });
        }
        let spec = self.config.probe.as_deref().ok_or_else(|| {
            RigError::Link("`cloud_link: rtt` but the rig file names no `probe:`".into())
        })?;
        let secure = self
            .rtt_image
            .get_or_init(|| {
                build_board_images(&self.config.root, self.config.images).map(|i| i.secure)
            })
            .clone()?;
        // The pump attaches once the board has powered on and laid out its
        // control block, retrying within the boot timeout.
        let (cloud, log) = RttLink::open(
            spec.clone(),
            &secure,
            &self.config.root,
            self.config.boot_timeout,
        )?
        .split();
        Ok(BoardLinks {
            agent,
            cloud,
            log: Some(log),
        })
    }

    fn link(&self, at: &LinkAt) -> Result<FrameLink, RigError> {
        match at {
            LinkAt::Serial(path) => FrameLink::open(path, BAUD),
            LinkAt::Labgrid(name) => {
                let (host, port) = self.place()?.serial_port(name)?;
                FrameLink::rfc2217(&host, port, self.config.boot_timeout)
            }
            LinkAt::Rtt => Err(RigError::Link(
                "RTT carries the cloud link only; the agent link is a UART".into(),
            )),
        }
    }

    fn place(&self) -> Result<&Place, RigError> {
        self.place
            .as_ref()
            .ok_or_else(|| RigError::Link("this board has no labgrid place".into()))
    }
}
