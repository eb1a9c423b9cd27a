//! Driving the QEMU device: boot on the NVM, wait for the agent, talk to it and to its cloud link, kill it.

use std::time::{Duration, Instant};

use hil_cloud::{LinkDown, OtaLink};
use hil_rig::qemu::{CloudRing, DownRing, FrameLink, Launch, Serial, UpRing};
use hil_rig::RigError;
use mv_abi::Slot;
use mv_proto::{CloudToDevice, DeviceToCloud, OtaReply, Primitive, Response};

use super::{not_running, trace, Booted, QemuOta, NVM_MIB, POWER_CUT_EXIT};
use crate::error::fail;
use crate::powercut::agent::Agent;
use crate::powercut::plan::Outcome;
use crate::CampaignError;

impl QemuOta {
    /// Starts QEMU on the NVM and waits for the agent's hello.
    /// `Ok(false)`: QEMU stopped (a cut) before the app came up.
    pub fn boot(&mut self) -> Result<bool, CampaignError> {
        self.stop();
        self.nvm.set_rail(self.reset_in_place)?;
        // With the rings, the ready frame comes up the agent's ring too (a
        // doorbell byte instead of its bytes one by one on UART1).
        self.nvm.set_ready_frame_up(self.fast_link)?;
        if self.reset_in_place {
            if let Some(m) = self.machine.as_mut() {
                let t = Instant::now();
                // Paused since `stop`: whatever the device sent before is
                // in the links now; none of it is this boot's.
                drain::<Response>(&mut m.agent);
                drain::<DeviceToCloud>(&mut m.cloud);
                m.ring = None;
                m.machine.reset_and_run()?;
                m.powered = true;
                trace(&format!("QEMU reset in {:?}", t.elapsed()));
                return self.booted();
            }
        }
        let t = Instant::now();
        // Split (the default), QEMU loads only the secure image's boot part
        // and its `__pre_init` restores the rest from the NVM file at every
        // reset, storing only words that differ: a reset in place keeps
        // QEMU's translations of the secure code.
        let kernel = self
            .secure_load
            .kernel(&self.secure_elf, &self.workdir, &self.nvm)?;
        let mut machine = Launch::new(&self.config, &kernel, &self.workdir.join("qmp.sock"))
            .nvm(self.nvm.path(), NVM_MIB)
            .serial(Serial::File(self.workdir.join("uart0-secure.defmt")))
            .serial(Serial::Pty)
            .serial(Serial::Null)
            .serial(Serial::Pty)
            .stderr(&self.workdir.join("qemu.stderr"))
            .start()?;
        trace(&format!(
            "QEMU started (monitor, ptys) in {:?}",
            t.elapsed()
        ));
        let mut agent = machine.take_link(1).expect("UART1 is a pty");
        let cloud = machine.take_link(3).expect("UART3 is a pty");
        // With the fast link, requests go down the agent's ring too (it
        // lays the ring out at every start, before its hello), and its
        // answers come up it.
        let agent_ring = if self.fast_link {
            agent.set_up_ring(UpRing::agent(self.nvm.path())?);
            Some(DownRing::agent(self.nvm.path())?)
        } else {
            None
        };
        self.machine = Some(Booted {
            agent,
            agent_ring,
            cloud,
            ring: None,
            machine,
            powered: true,
        });
        self.booted()
    }

    /// Starts QEMU on the factory NVM, waits for the agent's first answer
    /// and powers off again (QEMU paused when reset in place): what each
    /// worker pays once per campaign before its first point. Its time.
    /// The first answer after a QEMU start waits for QEMU's pty to see the
    /// harness connected (QEMU 7.2 polls for that once a second; what the
    /// guest writes gets out before, what the harness writes is read only
    /// after).
    pub fn warm_up(&mut self) -> Result<Duration, CampaignError> {
        let t = Instant::now();
        self.stop();
        self.provision()?;
        if !self.boot()? {
            fail!("the factory image did not boot");
        }
        self.wake_reason()?;
        self.stop();
        Ok(t.elapsed())
    }

    /// QEMU was started or reset: count the boot, wait for the hello,
    /// attach the cloud ring.
    fn booted(&mut self) -> Result<bool, CampaignError> {
        self.boots += 1;
        let t = Instant::now();
        let r = self.await_hello();
        trace(&format!("boot {:?} in {:?}", r.as_ref().ok(), t.elapsed()));
        if matches!(r, Ok(true)) && self.fast_link {
            // The image lays the ring out before the app starts, so it is
            // there by the hello; an image without one says so at once.
            let ring = CloudRing::attach(self.nvm.path(), Duration::ZERO)?;
            if ring.is_none() {
                fail!("the secure image laid out no cloud ring in the NVM (an image older than the ring?)");
            }
            if let Some(m) = self.machine.as_mut() {
                m.ring = ring;
            }
        }
        r
    }

    /// Waits for a hello (after a start or the device's own restart).
    pub(super) fn await_hello(&mut self) -> Result<bool, CampaignError> {
        let deadline = Instant::now() + self.config.boot_timeout + self.config.exec_timeout;
        loop {
            let Some(m) = self.machine.as_mut() else {
                return Ok(false);
            };
            if let Some(status) = m.machine.exited() {
                self.machine = None;
                return match status.code() {
                    Some(POWER_CUT_EXIT) => Ok(false),
                    None if self.killed => Ok(false),
                    other => fail!("QEMU exited with {other:?} before the app came up"),
                };
            }
            if !m.powered || self.power_went_off()? {
                return Ok(false);
            }
            if Instant::now() > deadline {
                fail!(
                    "no hello from the agent within {:?}",
                    self.config.boot_timeout + self.config.exec_timeout
                );
            }
            let poll = self.poll();
            let m = self.machine.as_mut().expect("checked above");
            let got = m.agent.receive::<Response>(poll);
            let killed_before = self.killed;
            self.kill_if_due();
            if self.killed && !killed_before {
                // Power went now, even if a hello came in with it: the app
                // is not up; the next turn sees QEMU go.
                continue;
            }
            match got {
                Ok(Response::Ready { .. } | Response::Hello(_)) => return Ok(true),
                Ok(_) | Err(RigError::Timeout(_)) => {}
                // The pty closes when QEMU exits: see how it exited.
                Err(e) => {
                    let m = self.machine.as_mut().expect("checked above");
                    let status = m.machine.wait_exit(Duration::from_secs(5));
                    self.machine = None;
                    return match status {
                        Some(s) if s.code() == Some(POWER_CUT_EXIT) => Ok(false),
                        Some(s) if s.code().is_none() && self.killed => Ok(false),
                        Some(s) => {
                            fail!("QEMU exited with {:?} before the app came up", s.code())
                        }
                        None => fail!("agent link: {e}"),
                    };
                }
            }
        }
    }

    /// Power off: pauses QEMU when it is reset in place
    /// ([`QemuOta::reset_in_place`]), else kills it (a wall-clock power
    /// cut when the update is under way). Either way nothing runs on the
    /// NVM afterwards until the next [`Self::boot`].
    pub fn stop(&mut self) {
        if self.reset_in_place {
            if let Some(m) = self.machine.as_mut() {
                if m.machine.exited().is_none() && (!m.powered || m.machine.pause().is_ok()) {
                    m.powered = false;
                    return;
                }
            }
        }
        if let Some(mut m) = self.machine.take() {
            m.machine.kill();
        }
    }

    /// Has an armed cut fired and halted the core? Then QEMU is paused
    /// where it halted, powered off until the next boot.
    fn power_went_off(&mut self) -> Result<bool, CampaignError> {
        if !self.reset_in_place || !self.nvm.power_went_off()? {
            return Ok(false);
        }
        if let Some(m) = self.machine.as_mut() {
            m.machine.pause()?;
            m.powered = false;
        }
        Ok(true)
    }

    /// How long one wait for a frame lasts before the power is looked at
    /// again: a halted core says nothing, so it is looked at often.
    fn poll(&self) -> Duration {
        if self.reset_in_place {
            Duration::from_millis(1)
        } else {
            Duration::from_millis(100)
        }
    }

    /// The agent on the running QEMU (the campaigns' one agent client).
    fn agent(&mut self) -> Result<Agent<'_>, CampaignError> {
        let timeout = self.config.exec_timeout;
        let m = self.machine.as_mut().ok_or_else(not_running)?;
        Ok(Agent {
            link: &mut m.agent,
            ring: m.agent_ring.as_mut(),
            timeout,
        })
    }

    /// Sends one agent request without waiting for its replies (the app
    /// restarts or crashes on it).
    pub(super) fn send_agent(&mut self, prims: Vec<Primitive>) -> Result<(), CampaignError> {
        self.agent()?.send(prims)
    }

    /// App memory for the agent to use.
    pub(super) fn alloc(&mut self, size: u32) -> Result<u32, CampaignError> {
        self.agent()?.alloc(size)
    }

    /// A system call from the app; its status.
    pub(super) fn call(&mut self, slot: Slot, args: [u32; 4]) -> Result<u32, CampaignError> {
        self.agent()?.call(slot, args)
    }

    pub(super) fn write(&mut self, addr: u32, data: Vec<u8>) -> Result<(), CampaignError> {
        self.agent()?.write(addr, data)
    }

    pub(super) fn read(&mut self, addr: u32, len: u32) -> Result<Vec<u8>, CampaignError> {
        self.agent()?.read(addr, len)
    }

    /// `mvGetWakeReason` through the agent: the kernel answers the app.
    pub(super) fn wake_reason(&mut self) -> Result<u8, CampaignError> {
        self.agent()?.wake_reason()
    }

    /// The next crash report on the cloud link.
    pub(super) fn crash_report(&mut self) -> Result<mv_proto::CrashReport, CampaignError> {
        let m = self.machine.as_mut().ok_or_else(not_running)?;
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            match m.cloud.receive::<DeviceToCloud>(Duration::from_millis(200)) {
                Ok(DeviceToCloud::Crash(report)) => return Ok(report),
                Ok(_) | Err(RigError::Timeout(_)) => {}
                Err(e) => fail!("cloud link: {e}"),
            }
        }
        fail!("no crash report on the cloud link")
    }

    /// SIGKILLs QEMU if a wall-clock cut is due (polled by every wait).
    fn kill_if_due(&mut self) {
        if self.kill_at.is_some_and(|t| Instant::now() >= t) {
            self.kill_at = None;
            if let Some(m) = self.machine.as_mut() {
                if m.machine.exited().is_none() && m.machine.signal_kill() {
                    self.killed = true;
                }
            }
        }
    }
}

/// Reads what a link holds until it has been quiet for a moment: frames
/// from before a reset, dropped.
fn drain<T: serde::de::DeserializeOwned>(link: &mut FrameLink) {
    while link.receive::<T>(Duration::from_millis(1)).is_ok() {}
    link.discard_pending();
}

impl QemuOta {
    /// The cloud link went down during a delivery: `Ok` when the power
    /// went (an armed cut halted the core or QEMU exited with the cut's
    /// code, or the wall-clock SIGKILL came), else what happened instead.
    /// A link that only timed out is no cut: reading it as one would hide
    /// a device that hangs behind the recovery of a cut that never fired.
    pub(super) fn link_down_was_cut(&mut self) -> Result<(), (Outcome, String)> {
        let off = |e: RigError| (Outcome::NoBoot, e.to_string());
        if self.reset_in_place && self.nvm.power_went_off().map_err(off)? {
            return Ok(());
        }
        let killed = self.killed;
        let Some(m) = self.machine.as_mut() else {
            return Err((Outcome::NoBoot, "QEMU went away during the delivery".into()));
        };
        // QEMU exits with the cut's code without a halting rail; the link
        // may see its pty close a moment before the exit is reaped. A QEMU
        // this host sent SIGKILL cannot but exit: its teardown may outlast
        // the pty's close by more than a moment on a loaded host (500 ms
        // was seen to be too short), so it gets as long as a boot.
        let exit = match m.machine.exited() {
            Some(status) => Some(status),
            None if killed => m.machine.wait_exit(self.config.boot_timeout),
            None if self.reset_in_place => None,
            None => m.machine.wait_exit(Duration::from_millis(500)),
        };
        match exit {
            Some(s) if s.code() == Some(POWER_CUT_EXIT) => Ok(()),
            Some(s) if s.code().is_none() && killed => Ok(()),
            Some(s) => Err((
                Outcome::NoBoot,
                format!("QEMU exited with {:?} during the delivery", s.code()),
            )),
            None => Err((
                Outcome::NoBoot,
                format!(
                    "the device stopped answering the cloud for {:?} with its power on: a timeout, not a power cut",
                    self.delivery_timeout
                ),
            )),
        }
    }
}

impl OtaLink for QemuOta {
    fn exchange(&mut self, message: CloudToDevice) -> Result<OtaReply, LinkDown> {
        let timeout = self.delivery_timeout;
        let poll = self.poll();
        self.kill_if_due();
        let Some(m) = self.machine.as_mut() else {
            return Err(LinkDown);
        };
        if !m.powered || m.machine.exited().is_some() {
            // Nobody reads the ring any more (the UART would say so itself).
            return Err(LinkDown);
        }
        match m.ring.as_mut() {
            Some(ring) => ring.send(&message, timeout),
            None => m.cloud.send(&message),
        }
        .map_err(|_| LinkDown)?;
        let deadline = Instant::now() + timeout;
        loop {
            if self.power_went_off().unwrap_or(true) {
                return Err(LinkDown);
            }
            let m = self.machine.as_mut().ok_or(LinkDown)?;
            if self.kill_at.is_some_and(|t| Instant::now() >= t) {
                self.kill_at = None;
                if m.machine.signal_kill() {
                    self.killed = true;
                }
            }
            if m.machine.exited().is_some() || Instant::now() > deadline {
                return Err(LinkDown);
            }
            match m.cloud.receive::<DeviceToCloud>(poll) {
                Ok(DeviceToCloud::Ota(reply)) => return Ok(reply),
                Ok(_) | Err(RigError::Timeout(_)) => {}
                Err(_) => return Err(LinkDown),
            }
        }
    }
}
