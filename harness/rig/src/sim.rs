//! The `sim` rig as a [`RigSession`]: an in-process [`hil_sim::SimDevice`].

use std::time::Instant;

use hil_report::LogLine;
use hil_sim::{SimConfig, SimDevice};
use mv_proto::{Hello, Primitive, Reply};

use crate::{CloudAction, RigError, RigSession};

/// A session on the simulator; `reset` boots a new simulated device.
pub struct SimSession {
    name: String,
    config: SimConfig,
    device: SimDevice,
    /// The last primitive faulted; only a reset brings the device back.
    faulted: bool,
}

impl SimSession {
    pub fn new(name: &str, config: SimConfig) -> Self {
        let device = SimDevice::boot(&config);
        SimSession {
            name: name.to_owned(),
            config,
            device,
            faulted: false,
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
        self.device = SimDevice::boot(&self.config);
        self.faulted = false;
        Ok(self.device.hello())
    }

    fn exec(&mut self, primitives: Vec<Primitive>) -> Result<Vec<Reply>, RigError> {
        if self.faulted {
            return Err(RigError::Link(
                "the device faulted; it needs a reset".into(),
            ));
        }
        let mut replies = Vec::with_capacity(primitives.len());
        for p in &primitives {
            // A fault stops the device, as it stops the real one.
            match self.device.execute(p) {
                Reply::Fault(report) => {
                    self.faulted = true;
                    return Err(RigError::DeviceFault(report));
                }
                reply => replies.push(reply),
            }
        }
        Ok(replies)
    }

    fn cloud(&mut self, action: &CloudAction) -> Result<(), RigError> {
        match *action {
            CloudAction::SyncTimeUs(us) => self.device.sync_wall_time(us),
            CloudAction::Link { online } => self.device.set_link_online(online),
            CloudAction::Logging { enabled } => self.device.set_logging_disabled(!enabled),
        }
        Ok(())
    }

    fn take_server_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
        Ok(self.device.take_server_log())
    }

    fn take_device_log(&mut self) -> Vec<LogLine> {
        Vec::new()
    }
}
