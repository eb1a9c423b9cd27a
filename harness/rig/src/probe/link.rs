//! The RTT pump: one thread owns the attached probe and carries the STM32U585's cloud link and defmt log over RTT, until the link is dropped or the kernel faults.
//!
//! ```text
//! device ─ up "cloud" ─▶ pump ─▶ FrameLink (its one frame splitter) ─▶ session
//! session ─▶ FrameLink::send ─▶ pump ─ down "cloud" ─▶ device
//! device ─ up "defmt" ─▶ pump ─▶ DefmtDecoder ─▶ RttLink::take_log
//! core halted at a kernel fault (vector catch) ─▶ the link ends with RigError::DeviceFault
//! ```
//!
//! The loop ([`pump`]) is generic over [`RttPort`] so it is tested with an
//! in-memory device; [`ProbeRtt`] is the port over probe-rs's channels.
//! A probe gives no interrupt when the device writes, so the pump polls.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hil_report::LogLine;
use mv_proto::FaultReport;
use probe_rs::rtt::{Rtt, ScanRegion};

use super::error::{chain, ProbeError};
use super::rtt::{control_block, defmt_channel};
use super::select::ProbeSpec;
use super::target::{Caught, ProbeTarget};
use crate::defmt_log::DefmtDecoder;
use crate::qemu::{Ended, FrameLink};
use crate::RigError;

/// The cloud link's channels, up and down (`firmware/secure/src/u585/rtt.rs`).
pub const CLOUD_CHANNEL: &str = "cloud";

/// How long the pump sleeps when nothing moved: a frame's latency bound,
/// small beside the sessions' waits (20 ms and up).
const IDLE: Duration = Duration::from_millis(2);

/// Which up channel to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Up {
    /// The cloud link's frames.
    Cloud,
    /// The secure image's defmt log.
    Defmt,
}

/// What the pump needs of a device's RTT: read an up channel, write the
/// cloud down channel, see a kernel fault.
pub trait RttPort {
    /// Bytes the device wrote on `channel` since the last read (0: none).
    fn read_up(&mut self, channel: Up, buf: &mut [u8]) -> Result<usize, ProbeError>;
    /// Writes what fits of `bytes` into the cloud down channel; how much did.
    fn write_down(&mut self, bytes: &[u8]) -> Result<usize, ProbeError>;
    /// The kernel fault the core is halted at, if any (an app fault is the
    /// kernel's to report: the port lets the core run on).
    fn kernel_fault(&mut self) -> Result<Option<FaultReport>, ProbeError>;
}

/// The pump's side of a link: what it feeds and what it drains.
pub struct PumpEnds {
    /// Cloud bytes towards the [`FrameLink`]'s splitter.
    pub to_link: Sender<Vec<u8>>,
    /// Frames the [`FrameLink`] sent, towards the down channel.
    pub from_link: Receiver<Vec<u8>>,
    /// Decoded log lines towards [`RttLink::take_log`].
    pub log: Sender<LogLine>,
    /// Set when the link is dropped.
    pub closed: Arc<AtomicBool>,
}

/// A cloud link over RTT, and the log the same pump reads.
pub struct RttLink {
    /// The cloud link: frames both ways, as over a UART.
    pub cloud: FrameLink,
    log: Receiver<LogLine>,
}

impl RttLink {
    /// The link's two ends: the [`RttLink`] for the session, the
    /// [`PumpEnds`] and where the pump says why it stopped, for the pump.
    pub fn pair() -> (RttLink, PumpEnds, Ended) {
        let (to_link, incoming) = mpsc::channel();
        let (sent, from_link) = mpsc::channel();
        let (log, lines) = mpsc::channel();
        let closed = Arc::new(AtomicBool::new(false));
        let ended = Ended::default();
        let cloud = FrameLink::from_parts(
            Box::new(Queue(sent)),
            incoming,
            closed.clone(),
            ended.clone(),
        );
        let ends = PumpEnds {
            to_link,
            from_link,
            log,
            closed,
        };
        (RttLink { cloud, log: lines }, ends, ended)
    }

    /// Opens the probe in `spec` on a thread that attaches to the secure
    /// image's control block (retrying until `boot_timeout`: the board is
    /// powered on after the link opens) and then pumps. The ELF is read
    /// here, so a wrong image is an error now rather than in the thread.
    pub fn open(
        spec: ProbeSpec,
        secure_elf: &Path,
        root: &Path,
        boot_timeout: Duration,
    ) -> Result<RttLink, RigError> {
        let bytes = std::fs::read(secure_elf).map_err(|e| ProbeError::Image {
            image: secure_elf.display().to_string(),
            why: format!("cannot read it: {e}"),
        })?;
        let address = control_block(&bytes)?;
        let mut decoder = DefmtDecoder::new("defmt:secure", &bytes, root)
            .map_err(|e| ProbeError::Rtt(format!("{}: {e}", secure_elf.display())))?
            .ok_or_else(|| {
                ProbeError::Rtt(format!("{} has no defmt table", secure_elf.display()))
            })?;
        let (link, ends, ended) = RttLink::pair();
        std::thread::spawn(move || {
            let result = ProbeRtt::connect(&spec, address, boot_timeout, &ends.closed)
                .map_err(RigError::from)
                .and_then(|port| match port {
                    Some(mut port) => pump(&mut port, |b| decoder.feed(b), &ends),
                    None => Ok(()),
                });
            finish(result, &ended);
        });
        Ok(link)
    }

    /// Every log line decoded since the last call.
    pub fn take_log(&self) -> Vec<LogLine> {
        self.log.try_iter().collect()
    }

    /// The cloud link and the log apart, for a session that keeps the link
    /// with its other links and drains the log with the device's.
    pub fn split(self) -> (FrameLink, PumpLog) {
        (self.cloud, PumpLog(self.log))
    }
}

/// The log lines an RTT pump decodes, apart from its cloud link.
pub struct PumpLog(Receiver<LogLine>);

impl PumpLog {
    /// Every log line decoded since the last call.
    pub fn take(&self) -> Vec<LogLine> {
        self.0.try_iter().collect()
    }
}

/// Leaves the pump's error where the link reports it.
pub fn finish(result: Result<(), RigError>, ended: &Ended) {
    if let Err(e) = result {
        if let Ok(mut ended) = ended.lock() {
            ended.get_or_insert(e);
        }
    }
}

/// The writing half the [`FrameLink`] holds: frames queue for the pump.
struct Queue(Sender<Vec<u8>>);

impl Write for Queue {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.send(data.to_vec()).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the RTT pump stopped")
        })?;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Pumps until the link is dropped (`Ok`) or the device faults or cannot
/// be read (`Err`). Each round moves the cloud both ways and the log, then
/// looks for a fault, so what the device said before it faulted arrives.
pub fn pump<P: RttPort>(
    port: &mut P,
    mut decode: impl FnMut(&[u8]) -> Vec<LogLine>,
    ends: &PumpEnds,
) -> Result<(), RigError> {
    let mut down: Vec<u8> = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        if ends.closed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut moved = false;
        loop {
            let n = port.read_up(Up::Cloud, &mut buf)?;
            if n == 0 {
                break;
            }
            moved = true;
            if ends.to_link.send(buf[..n].to_vec()).is_err() {
                return Ok(());
            }
        }
        loop {
            match ends.from_link.try_recv() {
                Ok(frame) => down.extend_from_slice(&frame),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => return Ok(()),
            }
        }
        // The down buffer (1 KiB) may take a frame in pieces: the rest
        // waits for the device to read.
        if !down.is_empty() {
            let n = port.write_down(&down)?;
            moved |= n > 0;
            down.drain(..n);
        }
        loop {
            let n = port.read_up(Up::Defmt, &mut buf)?;
            if n == 0 {
                break;
            }
            moved = true;
            for line in decode(&buf[..n]) {
                // The session may not read the log; the link still runs.
                let _ = ends.log.send(line);
            }
        }
        if let Some(report) = port.kernel_fault()? {
            return Err(RigError::DeviceFault(report));
        }
        if !moved {
            std::thread::sleep(IDLE);
        }
    }
}

/// [`RttPort`] over probe-rs: the attached target and its control block.
pub struct ProbeRtt {
    target: ProbeTarget,
    rtt: Rtt,
    defmt: usize,
    cloud_up: usize,
    cloud_down: usize,
}

impl ProbeRtt {
    /// Opens the probe and attaches at `address`, retrying until
    /// `within` passes (the part powers on and boots meanwhile); `None` if
    /// the link was dropped first.
    fn connect(
        spec: &ProbeSpec,
        address: u64,
        within: Duration,
        closed: &AtomicBool,
    ) -> Result<Option<ProbeRtt>, ProbeError> {
        let deadline = Instant::now() + within;
        let lister = super::Lister::new();
        let mut target: Option<ProbeTarget> = None;
        loop {
            if closed.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let error = match target.take() {
                None => match ProbeTarget::open(&lister, spec) {
                    Ok(t) => {
                        target = Some(t);
                        continue;
                    }
                    Err(e) => e,
                },
                Some(mut t) => match ProbeRtt::attach(&mut t, address) {
                    Ok((rtt, defmt, cloud_up, cloud_down)) => {
                        return Ok(Some(ProbeRtt {
                            target: t,
                            rtt,
                            defmt,
                            cloud_up,
                            cloud_down,
                        }))
                    }
                    // The control block is not laid out yet: keep the
                    // session. Anything else (the probe lost its power
                    // with the board): open afresh.
                    Err(e @ ProbeError::Rtt(_)) => {
                        target = Some(t);
                        e
                    }
                    Err(e) => e,
                },
            };
            if Instant::now() >= deadline {
                return Err(error);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Attaches at the control block, finds the channels by name and
    /// catches faults from now on.
    fn attach(
        target: &mut ProbeTarget,
        address: u64,
    ) -> Result<(Rtt, usize, usize, usize), ProbeError> {
        let mut rtt = {
            let mut core = target.core()?;
            Rtt::attach_region(&mut core, &ScanRegion::Exact(address)).map_err(|e| {
                ProbeError::Rtt(format!(
                    "no control block at {address:#010x} (_SEGGER_RTT): {} (has the secure image booted? is the part at RDP 0?)",
                    chain(&e)
                ))
            })?
        };
        let missing = |what: &str| {
            ProbeError::Rtt(format!(
                "the control block at {address:#010x} has no {what} channel named \"{CLOUD_CHANNEL}\""
            ))
        };
        let defmt = defmt_channel(rtt.up_channels().iter().map(|c| c.name())).ok_or_else(|| {
            ProbeError::Rtt(format!(
                "the control block at {address:#010x} has no defmt up channel"
            ))
        })?;
        let cloud_up = rtt
            .up_channels()
            .iter()
            .position(|c| c.name() == Some(CLOUD_CHANNEL))
            .ok_or_else(|| missing("up"))?;
        let cloud_down = rtt
            .down_channels()
            .iter()
            .position(|c| c.name() == Some(CLOUD_CHANNEL))
            .ok_or_else(|| missing("down"))?;
        target.catch_faults()?;
        Ok((rtt, defmt, cloud_up, cloud_down))
    }
}

impl RttPort for ProbeRtt {
    fn read_up(&mut self, channel: Up, buf: &mut [u8]) -> Result<usize, ProbeError> {
        let number = match channel {
            Up::Cloud => self.cloud_up,
            Up::Defmt => self.defmt,
        };
        let mut core = self.target.core()?;
        let up = self
            .rtt
            .up_channel(number)
            .ok_or_else(|| ProbeError::Rtt(format!("up channel {number} is gone")))?;
        up.read(&mut core, buf)
            .map_err(|e| ProbeError::Rtt(format!("reading up channel {number}: {}", chain(&e))))
    }

    fn write_down(&mut self, bytes: &[u8]) -> Result<usize, ProbeError> {
        let number = self.cloud_down;
        let mut core = self.target.core()?;
        let down = self
            .rtt
            .down_channel(number)
            .ok_or_else(|| ProbeError::Rtt(format!("down channel {number} is gone")))?;
        down.write(&mut core, bytes)
            .map_err(|e| ProbeError::Rtt(format!("writing down channel {number}: {}", chain(&e))))
    }

    fn kernel_fault(&mut self) -> Result<Option<FaultReport>, ProbeError> {
        match self.target.caught()? {
            None => Ok(None),
            Some(Caught::KernelFault(report)) => Ok(Some(report)),
            Some(app @ Caught::AppFault(_)) => self.target.resume_after(&app).map(|()| None),
        }
    }
}

#[cfg(test)]
#[path = "link_tests.rs"]
mod tests;
