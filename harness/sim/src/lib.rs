//! The `sim` rig's device: the kernel and device core on a model of the STM32U585, the agent in-process.
//!
//! A [`SimDevice`] is one device, made of exactly the code every board runs:
//! `mv_device::Device` (kernel + device core) on [`board::SimBoard`] over the
//! one flash model (`mv_flash::FlashModel`, its cells in memory), and the
//! agent core (`mv_agent_core::Agent`) executing the host's primitives
//! through [`app`]. The sim only supplies what a board supplies — memory,
//! clock, NVIC, the uplink — and carries out what the device decides: when
//! the device says restart, the sim tears the app down and starts a fresh
//! agent, as the AN505 image re-enters its agent. It is deterministic: the
//! clock is virtual and the handle RNG is seeded, so a run replays exactly.
#![forbid(unsafe_code)]

mod app;
pub mod board;
mod cells;
mod ext_flash;
mod memory;

pub use cells::SimCells;

use mv_agent_core::Agent;
use mv_boards::stm32u585::{self, AGENT_RAM, NS_RAM_BASE};
use mv_device::{AppStart, BootError, Device, OtaFlash, Restart};
use mv_flash::{FlashError, FlashModel, NvmMap};
use mv_proto::{CloudToDevice, DeviceToCloud, Hello, Primitive, Reply, Request, Response};
use mv_update::{Layout, Updater};

use app::{SimApp, StopCause};
use board::SimBoard;

/// The flash model over memory: what survives a power cut.
pub type SimFlash = FlashModel<SimCells>;

/// The device core on the sim's board.
pub type SimCore = Device<SimBoard, SimFlash>;

/// What a device holds when it leaves the factory.
#[derive(Clone, Debug)]
pub struct Factory {
    /// The installed app's image (its ROM).
    pub app_rom: Vec<u8>,
    pub app_version: u32,
    /// The installed bundle's `maximum_politeness_time_sec` (0: none).
    pub politeness_s: u16,
    /// Signer keys provisioned in OTP (uncompressed P-256).
    pub signers: Vec<[u8; mv_ota::PUBLIC_KEY_LEN]>,
}

impl Default for Factory {
    /// The sim's app image, version 1, trusting the lab's development key.
    fn default() -> Self {
        Factory {
            app_rom: hil_bundle::stamp_version(&sim_app_image(), 1),
            app_version: 1,
            politeness_s: 0,
            signers: vec![hil_bundle::dev_public_key()],
        }
    }
}

impl Factory {
    /// A flash as the factory leaves it: the app installed, the journal
    /// saying so, the signers in OTP.
    pub fn flash(&self) -> SimFlash {
        let layout = Layout::DEFAULT;
        let map = NvmMap::new(layout.flash_size());
        let mut flash = FlashModel::open(SimCells::zeroed(map.cells_len() as usize), map.size());
        Updater::provision(
            &mut flash,
            &layout,
            &self.app_rom,
            self.app_version,
            self.politeness_s,
        )
        .expect("provisioning an erased flash cannot fail");
        mv_update::otp::write_signers(flash.cells_mut(), &map, &self.signers);
        flash
    }
}

/// The sim's stand-in for the agent's image: deterministic bytes the size
/// of a small app (the sim's agent runs in-process; its image only has to be
/// installed, measured and compared). It opens with a vector table, as the
/// agent's image does: the initial stack pointer, then every exception and
/// IRQ vector pointing at one Thumb handler inside the image, so the kernel
/// finds the app's vectors in app memory (`mvSetFastInterrupt`).
pub fn sim_app_image() -> Vec<u8> {
    use mv_boards::stm32u585::{IRQ_COUNT, NS_FLASH_BASE, NS_RAM_BASE, NS_RAM_SIZE};
    let mut x: u32 = 0x5EED_A9E7;
    let mut image: Vec<u8> = (0..12 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect();
    let handler = (NS_FLASH_BASE + SIM_HANDLER_OFFSET) | 1;
    let vectors = std::iter::once(NS_RAM_BASE + NS_RAM_SIZE)
        .chain(std::iter::repeat_n(handler, 15 + IRQ_COUNT as usize));
    for (i, word) in vectors.enumerate() {
        image[4 * i..4 * i + 4].copy_from_slice(&word.to_le_bytes());
    }
    image
}

/// Where the stand-in image's one handler is (past its vector table).
const SIM_HANDLER_OFFSET: u32 = 0x400;

/// What makes one simulated device differ from another.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Seeds the handle RNG.
    pub seed: u64,
    /// The device SID (`UV` + 32 hex digits).
    pub device_id: [u8; 34],
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 0x5EED,
            device_id: *b"UV00000000000000000000000000000000",
        }
    }
}

/// Why a device stopped answering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceError {
    /// Power went (an armed cut fired); only the flash survives.
    PowerLost,
    /// The flash reported something a correct kernel never provokes.
    Flash(FlashError),
    /// The install could not complete; the kernel runs, no app does.
    InstallFailed,
}

impl From<FlashError> for DeviceError {
    fn from(e: FlashError) -> Self {
        match e {
            FlashError::PowerLost => DeviceError::PowerLost,
            other => DeviceError::Flash(other),
        }
    }
}

impl From<BootError> for DeviceError {
    fn from(e: BootError) -> Self {
        match e {
            BootError::Flash(f) => f.into(),
            BootError::InstallFailed => DeviceError::InstallFailed,
        }
    }
}

/// The app stopped under a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// The device restarted the app (after a crash, `mvRestart`, an update
    /// or the end of a polite wait); it runs again and said hello.
    Restarted(AppStart),
    /// The device is off (power cut, failed install).
    Off(DeviceError),
}

/// One simulated device.
pub struct SimDevice {
    core: SimCore,
    agent: Agent,
    /// The last boot or restart; `None` while the device is off.
    app: Option<AppStart>,
    /// The app flash holds the installed app (copied when the app first
    /// runs after a start: the campaigns' many short lives never need it).
    app_image_loaded: bool,
}

impl SimDevice {
    /// A device over `flash` (what the factory or an earlier life left),
    /// powered but not booted. A cut armed on the flash stays armed.
    pub fn new(config: &SimConfig, mut flash: SimFlash) -> SimDevice {
        flash.power_on();
        let layout = Layout::DEFAULT;
        let signers = mv_update::otp::read_signers(flash.cells(), flash.map());
        let core = Device::new(
            SimBoard::new(config.seed, config.device_id),
            Some(OtaFlash {
                flash,
                layout,
                signers,
            }),
        );
        SimDevice {
            core,
            agent: new_agent(),
            app: None,
            app_image_loaded: false,
        }
    }

    /// Power on: the device boots (finishing or installing an update) and
    /// the app starts.
    pub fn boot(&mut self) -> Result<AppStart, DeviceError> {
        let start = self.core.boot()?;
        self.start_app(start);
        Ok(start)
    }

    /// A fresh device from the factory, booted.
    pub fn from_factory(config: &SimConfig, factory: &Factory) -> SimDevice {
        let mut dev = SimDevice::new(config, factory.flash());
        dev.boot().expect("a factory-fresh device boots");
        dev
    }

    fn start_app(&mut self, start: AppStart) {
        self.app_image_loaded = false;
        self.agent = new_agent();
        self.app = Some(start);
    }

    /// The app is about to run: its flash must hold the installed image.
    fn load_app_image(&mut self) {
        if !std::mem::replace(&mut self.app_image_loaded, true) {
            if let Some(image) = self.installed_image() {
                self.core.board_mut().memory.install_app(&image);
            }
        }
    }

    /// The app region's programmed bytes (what the app executes).
    fn installed_image(&self) -> Option<Vec<u8>> {
        let (flash, layout) = (self.core.flash()?, self.core.layout()?);
        let len = flash.programmed_extent(layout.app_offset(), layout.app_size());
        let start = (flash.map().data() + layout.app_offset()) as usize;
        Some(flash.cells().read_vec(start, len as usize))
    }

    /// How the app last started; `None` while the device is off.
    pub fn app(&self) -> Option<AppStart> {
        self.app
    }

    /// The agent's hello.
    pub fn hello(&self) -> Hello {
        self.agent.hello()
    }

    /// Answers one agent-link request, as the agent image does over UART1.
    pub fn answer(&mut self, request: Request) -> Result<Response, Stopped> {
        self.run_app(|agent, app| agent.answer(app, request))
    }

    /// Runs `f` as the app: the agent on this device's memory, calls and NVIC.
    fn run_app<T>(
        &mut self,
        f: impl FnOnce(&mut Agent, &mut SimApp<'_>) -> Result<T, mv_agent_core::Stopped>,
    ) -> Result<T, Stopped> {
        if self.app.is_none() {
            return Err(Stopped::Off(DeviceError::PowerLost));
        }
        self.load_app_image();
        let mut app = SimApp {
            device: &mut self.core,
            stop: None,
        };
        let result = f(&mut self.agent, &mut app);
        let stop = app.stop.take();
        match (result, stop) {
            (Ok(value), _) => Ok(value),
            (Err(_), Some(cause)) => Err(self.app_stopped(cause)),
            (Err(_), None) => Err(self.app_stopped(StopCause::Restart(Restart::Requested))),
        }
    }

    /// Executes primitives (one request); one reply each.
    pub fn exec(&mut self, primitives: Vec<Primitive>) -> Result<Vec<Reply>, Stopped> {
        self.run_app(|agent, app| agent.run(app, &primitives))
    }

    /// Executes one primitive.
    pub fn execute(&mut self, primitive: Primitive) -> Result<Reply, Stopped> {
        self.run_app(|agent, app| agent.execute(app, &primitive))
    }

    /// The app stopped: a fault is a crash the device reports and backs off
    /// from; then the device restarts the app.
    fn app_stopped(&mut self, cause: StopCause) -> Stopped {
        let why = match cause {
            StopCause::Fault(report) => {
                // The sim has no stack to show; the report says where the
                // agent's stack starts.
                let backoff = self
                    .core
                    .app_crashed(report, NS_RAM_BASE + AGENT_RAM, Vec::new());
                self.core.board_mut().advance_us(u64::from(backoff) * 1000);
                Restart::Crash
            }
            StopCause::Restart(why) => why,
        };
        self.restart(why)
    }

    fn restart(&mut self, why: Restart) -> Stopped {
        self.core.board_mut().quiet_app();
        match self.core.restart_app(why) {
            Ok(start) => {
                self.start_app(start);
                Stopped::Restarted(start)
            }
            Err(e) => {
                self.app = None;
                Stopped::Off(e.into())
            }
        }
    }

    /// The cloud sends one message. `Ok(Some(start))`: the device restarted
    /// the app because of it (an update was staged for an impolite app).
    pub fn cloud(&mut self, message: CloudToDevice) -> Result<Option<AppStart>, DeviceError> {
        if self.app.is_none() {
            return Err(DeviceError::PowerLost);
        }
        match self.core.on_cloud(message) {
            Ok(None) => Ok(None),
            Ok(Some(why)) => match self.restart(why) {
                Stopped::Restarted(start) => Ok(Some(start)),
                Stopped::Off(e) => Err(e),
            },
            Err(e) => {
                self.app = None;
                Err(e.into())
            }
        }
    }

    /// Everything the device sent the cloud since the last call.
    pub fn take_uplink(&mut self) -> Vec<DeviceToCloud> {
        self.core.board_mut().take_uplink()
    }

    pub fn core(&self) -> &SimCore {
        &self.core
    }

    pub fn core_mut(&mut self) -> &mut SimCore {
        &mut self.core
    }

    /// Power goes: what survives is the flash.
    pub fn into_flash(self) -> SimFlash {
        self.core
            .into_flash()
            .expect("the sim device always has its flash")
    }
}

fn new_agent() -> Agent {
    let board = &stm32u585::BOARD;
    Agent::new(board, board.pools.ns_ram.0, stm32u585::NSC_TABLE_BASE)
}

#[cfg(test)]
mod tests;
