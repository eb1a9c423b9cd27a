//! The secure kernel core: the Microvisor system-call ABI over board traits.
//!
//! `no_std`, allocation-free and without `unsafe`. The same code runs in the
//! host simulator (`hil-sim`) and in the secure image: it sees the board only
//! through the traits of [`board`]. Every call's checks, their order and the
//! status each failure returns are specified in `firmware/ABI.md`.
//!
//! ```text
//!  veneer / sim ──▶ Kernel::dispatch(slot, r0..r3) ──▶ calls::* ──▶ notify, logging, system
//!                                                         │
//!                                                         ▼
//!                                  usermem::NsRange::claim (every pointer, before any side effect)
//! ```
#![no_std]
#![forbid(unsafe_code)]

pub mod authority;
pub mod board;
mod calls;
pub mod channels;
pub mod dispatch;
pub mod external_flash;
pub mod fast_irq;
pub mod flood_watch;
pub mod handles;
pub mod logging;
mod net_io;
pub mod net_mqtt;
pub mod network;
pub mod notify;
pub mod system;
pub mod usermem;
pub mod wifi;

use mv_abi::{
    MvDeepSleepMode, MvEventType, MvPowerSavingMode, MvStatus, MvSystemNotificationSource,
    MvWakeReason,
};

use board::Board;
use channels::Channels;
use external_flash::ExternalFlashHandles;
use fast_irq::FastInterrupts;
use flood_watch::FloodWatch;
use logging::{Console, LinkState, ServerLogging};
use network::NetworkRequests;
use notify::Notifications;
use system::SystemNotifications;
use wifi::WifiConfig;

pub use dispatch::NOT_IMPLEMENTED;

/// A call that succeeded and ends the app instead of returning to it; the
/// device core acts on it ([`Kernel::take_restart_request`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartRequest {
    /// `mvRestart`.
    Restart,
    /// `mvDeepSleep`: the device sleeps, and wakes in a restart.
    DeepSleep(MvDeepSleepMode),
    /// `mvTestingComplete` in application-test mode.
    TestingComplete { status: u32 },
}

/// The kernel: its board and the state of the running app's objects.
pub struct Kernel<B: Board> {
    board: B,
    notifications: Notifications,
    system_notifications: SystemNotifications,
    logging: ServerLogging,
    /// `mvTestLog`'s queue, to the provisioning console.
    test_logging: ServerLogging,
    network: NetworkRequests,
    channels: Channels,
    fast: FastInterrupts,
    /// Watches the fast interrupts for a flood or a hung handler.
    flood: FloodWatch,
    ext_flash: ExternalFlashHandles,
    /// The mode of the app's last `mvPowerSave`.
    power_save_mode: Option<MvPowerSavingMode>,
    /// The device's Wi-Fi credentials: they outlive the app.
    wifi: Option<WifiConfig>,
    /// The device runs the factory's application test (a cloud setting).
    app_test_mode: bool,
    /// Wall time minus the microsecond counter, once the server set it.
    wall_offset_us: Option<i128>,
    wake_reason: MvWakeReason,
    /// A call that ends the app passed its checks.
    restart_request: Option<RestartRequest>,
    /// A download is under way: a restart now would interrupt it.
    update_in_progress: bool,
    /// An update is staged and waits for the app's restart (polite
    /// deployment): a new `UPDATE` stream hears `UPDATEDOWNLOADED` at once.
    update_waiting: bool,
    /// What the cloud last said about the link.
    link: LinkState,
}

impl<B: Board> Kernel<B> {
    /// A kernel that has just booted: no objects, wall time not set.
    pub fn new(board: B) -> Self {
        Kernel {
            board,
            notifications: Notifications::new(),
            system_notifications: SystemNotifications::new(),
            logging: ServerLogging::new(),
            test_logging: ServerLogging::to(Console::Provisioning),
            network: NetworkRequests::new(),
            channels: Channels::new(),
            fast: FastInterrupts::new(),
            flood: FloodWatch::new(),
            ext_flash: ExternalFlashHandles::new(),
            power_save_mode: None,
            wifi: None,
            app_test_mode: false,
            wall_offset_us: None,
            wake_reason: MvWakeReason::ColdBoot,
            restart_request: None,
            update_in_progress: false,
            update_waiting: false,
            link: LinkState::UP,
        }
    }

    /// The app restarted (after a crash, or `mvRestart` without an update):
    /// every object it owned is gone (its fast interrupts get their
    /// ordinary priority back); the board, the wall clock, the Wi-Fi
    /// credentials, the test mode and the kernel's own state stay.
    pub fn restart_app(&mut self, reason: MvWakeReason) {
        self.release_fast_interrupts();
        self.notifications = Notifications::new();
        self.system_notifications = SystemNotifications::new();
        self.logging = ServerLogging::new();
        self.test_logging = ServerLogging::to(Console::Provisioning);
        self.network = NetworkRequests::new();
        self.channels.reset_app();
        self.fast = FastInterrupts::new();
        self.flood = FloodWatch::new();
        self.ext_flash = ExternalFlashHandles::new();
        self.power_save_mode = None;
        self.wake_reason = reason;
        self.restart_request = None;
        // Any restart installs a staged update.
        self.update_waiting = false;
    }

    /// A call that ends the app (`mvRestart`, `mvDeepSleep`,
    /// `mvTestingComplete`) succeeded since the last call; the board then
    /// restarts the app (and installs a staged update) before the app runs
    /// again.
    pub fn take_restart_request(&mut self) -> Option<RestartRequest> {
        self.restart_request.take()
    }

    /// The device runs (or stops running) the factory's application test:
    /// `mvTestingComplete` and `mvTestLog*` answer only in this mode.
    pub fn set_app_test_mode(&mut self, on: bool) {
        self.app_test_mode = on;
        if !on {
            self.test_logging = ServerLogging::to(Console::Provisioning);
        }
    }

    pub fn app_test_mode(&self) -> bool {
        self.app_test_mode
    }

    /// A downloaded update waits for the app's restart (the device core
    /// told the app's `UPDATE` streams), or no longer does.
    pub fn set_update_waiting(&mut self, waiting: bool) {
        self.update_waiting = waiting;
    }

    /// The OTA engine is downloading: `mvRestart` answers `MICROVISORBUSY`.
    pub fn set_update_in_progress(&mut self, busy: bool) {
        self.update_in_progress = busy;
    }

    pub fn board(&self) -> &B {
        &self.board
    }

    pub fn board_mut(&mut self) -> &mut B {
        &mut self.board
    }

    /// Background work the kernel does between calls (on target: its idle
    /// loop; on the sim: after every primitive): flush queued log messages.
    #[inline]
    pub fn poll(&mut self) {
        self.logging.flush(&mut self.board, self.link);
        self.test_logging.flush(&mut self.board, LinkState::UP);
    }

    /// The cloud said the link is up or down, or turned app logging on or
    /// off. When the link goes up or down, every `NETWORK` subscription and
    /// every network request is told (`NETWORKSTATUSCHANGED`), and a link
    /// that went down closes the channels; queued log messages flush once
    /// it is up.
    pub fn set_link(&mut self, link: LinkState) {
        let changed = link.online != self.link.online;
        self.link = link;
        if changed {
            self.post_system_event(
                MvSystemNotificationSource::Network as u32,
                MvEventType::NetworkStatusChanged as u32,
            );
            self.network_link_changed(link.online);
        }
        self.poll();
    }

    /// What the cloud last said about the link.
    pub fn link(&self) -> LinkState {
        self.link
    }

    /// The server synchronised the wall clock to `wall_us` (µs since the Unix
    /// epoch, non-leap) at this instant.
    pub fn set_wall_time(&mut self, wall_us: u64) {
        let now = i128::from(self.board.now_us());
        self.wall_offset_us = Some(i128::from(wall_us) - now);
    }

    /// Why the app was (re)started, as `mvGetWakeReason` reports it.
    pub fn set_wake_reason(&mut self, reason: MvWakeReason) {
        self.wake_reason = reason;
    }

    /// Whether any app object subscribed to system notifications from `source`
    /// (an app that subscribed to `UPDATE` opted into polite deployment).
    pub fn has_system_subscribers(&self, source: u32) -> bool {
        self.system_notifications
            .subscribers(source)
            .next()
            .is_some()
    }

    /// Deliver a system event (e.g. `UPDATEDOWNLOADED`) to every app object
    /// that subscribed to `source`. Subscriptions whose centre was closed are
    /// skipped silently, as documented.
    pub fn post_system_event(&mut self, source: u32, event_type: u32) {
        let mut targets = [(0u32, 0u32); system::MAX_SYSTEM_NOTIFICATIONS];
        let mut n = 0;
        for s in self.system_notifications.subscribers(source) {
            targets[n] = (s.centre, s.tag);
            n += 1;
        }
        for &(centre, tag) in &targets[..n] {
            let _ = self
                .notifications
                .post(&mut self.board, centre, event_type, tag);
        }
    }

    fn mint_handle(&mut self) -> Result<u32, MvStatus> {
        let mut rng = RngOf(&mut self.board);
        let notifications = &self.notifications;
        let system = &self.system_notifications;
        let network = &self.network;
        let channels = &self.channels;
        let ext_flash = &self.ext_flash;
        handles::mint(&mut rng, |h| {
            notifications.handle_in_use(h)
                || system.contains(h)
                || network.handle_in_use(h)
                || channels.handle_in_use(h)
                || ext_flash.contains(h)
        })
        .ok_or(MvStatus::InternalError)
    }
}

/// Borrow only the board's entropy while other kernel fields are borrowed.
struct RngOf<'a, B: Board>(&'a mut B);

impl<B: Board> board::Entropy for RngOf<'_, B> {
    fn random_u32(&mut self) -> u32 {
        self.0.random_u32()
    }
}
