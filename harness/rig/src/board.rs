//! A `board` rig: a device hil does not start itself — power and UARTs come from the lab (a labgrid place, serial ports, a power backend) — and that only one run may use at a time.
//!
//! The board runs the AN505 images this repository builds (a real
//! STM32U585 port would add its flashing here). Power and flashing are
//! separate, as on hardware: power-on boots whatever the board's flash
//! holds; the rig file's `flash:` action writes the factory image, which
//! the session runs once at the start of a run and again after a case that
//! changed the flash (a deployed update, external-flash writes), as the
//! `qemu-an505` rig rewrites its NVM file. Two locks keep runs apart: the
//! host's rig lock ([`RigLock`]) and, across hosts, the labgrid place.

use std::cell::Cell;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::labgrid::{Labgrid, Place};
use crate::lock::{lock_dir, RigLock};
use crate::power::PowerBy;
use crate::qemu::{FrameLink, BAUD};
use crate::RigError;

/// Where one of the board's UARTs is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkAt {
    /// A serial port on this host (`/dev/ttyACM0`).
    Serial(String),
    /// The labgrid place's `NetworkSerialPort` of this name (ser2net, RFC 2217).
    Labgrid(String),
}

impl LinkAt {
    /// For a serial port on this host: opens it and closes it again (what
    /// `hil rig check` asks). `None` for a labgrid port, which only a run
    /// that acquired the place can open.
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
    /// The debug probe and chip, if the rig file names them (`hil rig check`
    /// checks them; flashing through it is `crate::probe`'s).
    pub probe: Option<Box<crate::probe::ProbeSpec>>,
    /// Wait for another run's lock instead of failing (`--wait-for-rigs`).
    pub wait_for_lock: bool,
}

/// How a board's flash gets the factory image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlashBy {
    /// A flasher command (`hil probe flash RIG`, `hil emulate-board flash URL`),
    /// run as it is; it must exit 0 once the board holds the image.
    Command(Vec<String>),
}

/// A board held by this run: locked, its place acquired.
#[derive(Debug)]
pub struct Board {
    config: BoardConfig,
    /// Declared before the lock: released (and powered off) first.
    place: Option<Place>,
    /// When the power last went off (the settle time runs from here).
    off_since: Cell<Option<Instant>>,
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

    /// Opens the agent link and the cloud link.
    pub fn links(&self) -> Result<(FrameLink, FrameLink), RigError> {
        Ok((
            self.link(&self.config.agent_link)?,
            self.link(&self.config.cloud_link)?,
        ))
    }

    fn link(&self, at: &LinkAt) -> Result<FrameLink, RigError> {
        match at {
            LinkAt::Serial(path) => FrameLink::open(path, BAUD),
            LinkAt::Labgrid(name) => {
                let (host, port) = self.place()?.serial_port(name)?;
                FrameLink::rfc2217(&host, port, self.config.boot_timeout)
            }
        }
    }

    fn place(&self) -> Result<&Place, RigError> {
        self.place
            .as_ref()
            .ok_or_else(|| RigError::Link("this board has no labgrid place".into()))
    }
}
