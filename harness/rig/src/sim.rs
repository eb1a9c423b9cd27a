//! The `sim` rig as a [`RigSession`]: an in-process [`hil_sim::SimDevice`].
//!
//! `reset` is a new device from the factory flash (a copy, so every case
//! starts from the same cells). What the device sends the cloud goes into
//! the same [`Inbox`] the QEMU rig fills from its cloud UART, so restarts,
//! crashes and OTA answers read the same on both rigs; its channel traffic
//! goes through the same [`NetRelay`] to the cloud's network services.

use std::time::Instant;

use hil_cloud::{app_deployment, deliver, AppDeploy, LinkDown, OtaLink};
use hil_report::LogLine;
use hil_sim::{sim_app_image, Factory, SimConfig, SimDevice, SimFlash, Stopped};
use mv_proto::{CloudToDevice, Hello, Primitive, Reply};

use crate::inbox::Inbox;
use crate::net::{CloudPort, NetRelay};
use crate::{CloudAction, CloudEvent, CloudOutcome, NetAction, RigError, RigSession};

/// A session on the simulator; `reset` boots a new simulated device.
pub struct SimSession {
    name: String,
    config: SimConfig,
    factory: SimFlash,
    /// `None` only inside `reset`.
    device: Option<SimDevice>,
    /// Flash operations the device's flash had done when it booted: if a
    /// case did none, the next reset reuses the flash instead of copying
    /// the factory image again.
    ops_at_boot: u64,
    inbox: Inbox,
    net: NetRelay,
}

impl SimSession {
    pub fn new(name: &str, config: SimConfig) -> Self {
        let factory = Factory::default().flash();
        let device = Some(SimDevice::new(&config, factory.clone()));
        SimSession {
            name: name.to_owned(),
            config,
            factory,
            device,
            ops_at_boot: u64::MAX,
            inbox: Inbox::default(),
            net: NetRelay::default(),
        }
    }

    fn device(&mut self) -> &mut SimDevice {
        self.device.as_mut().expect("a device outside reset")
    }

    fn absorb_uplink(&mut self) {
        for m in self.device().take_uplink() {
            self.inbox.absorb(m);
        }
    }

    /// The app stopped under a request: how it came back, or why it did not.
    fn stopped(&mut self, stop: Stopped) -> RigError {
        self.absorb_uplink();
        match stop {
            Stopped::Restarted(start) => {
                let mut restart = self.inbox.take_restart().unwrap_or(crate::AppRestart {
                    wake_reason: start.wake_reason as u8,
                    crash: None,
                });
                restart.wake_reason = start.wake_reason as u8;
                RigError::AppRestarted(restart)
            }
            Stopped::Off(e) => RigError::Fault(format!("the device stopped: {e:?}")),
        }
    }
}

impl RigSession for SimSession {
    fn name(&self) -> &str {
        &self.name
    }

    /// Every call returns at once: there is nothing to cut short.
    fn set_deadline(&mut self, _deadline: Option<Instant>) {}

    fn reset(&mut self) -> Result<Hello, RigError> {
        let old = self.device.take().expect("a device outside reset");
        let untouched = old.core().flash().map(|f| f.operations()) == Some(self.ops_at_boot);
        // A case that made no flash operation left the factory image as it
        // was: keep the cells instead of copying them again.
        let flash = if untouched {
            old.into_flash()
        } else {
            self.factory.clone()
        };
        let device = self.device.insert(SimDevice::new(&self.config, flash));
        self.inbox.clear();
        self.net.reset();
        device
            .boot()
            .map_err(|e| RigError::Fault(format!("the factory image did not boot: {e:?}")))?;
        self.ops_at_boot = device.core().flash().map_or(u64::MAX, |f| f.operations());
        self.absorb_uplink();
        self.inbox.started = None;
        Ok(self.device().hello())
    }

    fn exec(&mut self, primitives: Vec<Primitive>) -> Result<Vec<Reply>, RigError> {
        self.net.note(&primitives);
        let result = self.device().exec(primitives);
        self.absorb_uplink();
        result.map_err(|stop| self.stopped(stop))
    }

    fn cloud(&mut self, action: &CloudAction) -> Result<CloudOutcome, RigError> {
        let message = match *action {
            CloudAction::SyncTimeUs(wall_us) => CloudToDevice::SyncTime { wall_us },
            CloudAction::Link { online } => {
                self.net.link(online);
                CloudToDevice::Link { online }
            }
            CloudAction::Logging { enabled } => CloudToDevice::Logging { enabled },
            CloudAction::AppTestMode { on } => CloudToDevice::AppTestMode { on },
            CloudAction::Deploy(d) => {
                let deployment = app_deployment(
                    &sim_app_image(),
                    mv_boards::stm32u585::NS_FLASH_BASE,
                    &AppDeploy {
                        app_version: d.app_version,
                        politeness_s: d.politeness_s,
                        tamper: d.tamper,
                        installed: self.device().core().installed_version(),
                    },
                )
                .map_err(|e| RigError::Link(format!("cannot build the deployment: {e}")))?;
                let mut link = SimLink {
                    session: self,
                    restarted: false,
                };
                let delivery = deliver(&mut link, &deployment);
                let restarted = link.restarted;
                let restarted = if restarted {
                    self.inbox.take_restart()
                } else {
                    None
                };
                return Ok(CloudOutcome::Deployed {
                    end: delivery.end,
                    restarted,
                });
            }
        };
        let result = self.device().cloud(message);
        self.absorb_uplink();
        match result {
            Ok(None) => Ok(CloudOutcome::Applied),
            Ok(Some(_)) => Err(RigError::Fault(
                "the app restarted on a cloud message that installs nothing".into(),
            )),
            Err(e) => Err(RigError::Fault(format!("the device stopped: {e:?}"))),
        }
    }

    fn take_server_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
        self.absorb_uplink();
        Ok(std::mem::take(&mut self.inbox.server_log))
    }

    fn take_test_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
        self.absorb_uplink();
        Ok(std::mem::take(&mut self.inbox.test_log))
    }

    fn take_device_log(&mut self) -> Vec<LogLine> {
        Vec::new()
    }

    fn network(&mut self, action: &NetAction) -> Result<(), RigError> {
        self.net.act(action)
    }

    fn server_requests(&mut self) -> Result<Vec<hil_cloud::net::ReceivedRequest>, RigError> {
        Ok(self.net.server_requests())
    }

    fn relay_received(
        &mut self,
        expected: usize,
        until_closed: bool,
    ) -> Result<(Vec<u8>, bool), RigError> {
        self.net.relay_received(expected, until_closed)
    }

    fn broker_received(
        &mut self,
        wait: std::time::Duration,
    ) -> Result<Vec<hil_cloud::net::BrokerMessage>, RigError> {
        self.net.broker_received(wait)
    }

    fn serve_network(&mut self) -> Result<Vec<CloudEvent>, RigError> {
        let mut net = std::mem::take(&mut self.net);
        let served = net.serve(&mut SimPort { session: self });
        self.net = net;
        served
    }
}

/// The in-process device as the network relay's port.
struct SimPort<'a> {
    session: &'a mut SimSession,
}

impl CloudPort for SimPort<'_> {
    fn send(&mut self, message: CloudToDevice) -> Result<(), RigError> {
        let result = self.session.device().cloud(message);
        self.session.absorb_uplink();
        match result {
            Ok(None) => Ok(()),
            Ok(Some(_)) => Err(RigError::Fault(
                "the app restarted on a channel message".into(),
            )),
            Err(e) => Err(RigError::Fault(format!("the device stopped: {e:?}"))),
        }
    }

    fn collect(&mut self) -> Result<Vec<mv_proto::DeviceToCloud>, RigError> {
        self.session.absorb_uplink();
        Ok(std::mem::take(&mut self.session.inbox.net))
    }
}

/// The cloud link to the in-process device, for the emulator's `deliver`.
struct SimLink<'a> {
    session: &'a mut SimSession,
    /// The device restarted the app (to install what it staged).
    restarted: bool,
}

impl OtaLink for SimLink<'_> {
    fn exchange(&mut self, message: CloudToDevice) -> Result<mv_proto::OtaReply, LinkDown> {
        let result = self.session.device().cloud(message);
        self.session.absorb_uplink();
        match result {
            Ok(restarted) => self.restarted |= restarted.is_some(),
            Err(_) => return Err(LinkDown),
        }
        self.session.inbox.ota.pop_front().ok_or(LinkDown)
    }
}
