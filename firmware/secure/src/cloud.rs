//! The cloud link: frames to and from the harness's emulated Microvisor cloud.
//!
//! Frames are `mv_proto` frames (postcard + COBS + `0x00`), exactly as on the
//! agent link. Host to device: [`CloudToDevice`]; device to host:
//! [`DeviceToCloud`]. The bytes travel on the board's link
//! ([`crate::cloud_io`]: UART3 on AN505, whose PPC port stays secure; an
//! RTT channel in secure SRAM on the STM32U585), which the app cannot reach.
//!
//! Receive: the secure SysTick (the CPU clock) drains the link on every
//! tick and collects bytes until `0x00`. It ticks at [`QUIET_POLL_HZ`],
//! and at [`POLL_HZ`] only while a link that brings one byte at a time
//! (UART3) is bringing bytes: a frame that comes whole (the shared-memory
//! ring, RTT) is taken by one tick ([`Arrival`]), and waits at most a slow
//! tick. Every tick wakes the core, and under QEMU a timer event costs
//! the host far more than the handler's few instructions: ticking at
//! [`POLL_HZ`] for [`QUIET_TICKS`] after every ring frame (the previous
//! way, which kept the fast rate through a whole OTA power-cut point)
//! cost QEMU about twice the CPU per point (`hil bench --qemu-cuts-only`,
//! before and after). A SysTick is an
//! exception, not an IRQ, so no ITNS bit changes: the app keeps every IRQ
//! the sim gives it (on AN505 UART3's own 38/39/45 included, their UART
//! interrupt enables stay off). QEMU holds further bytes until the register
//! is read, so a tick that comes late delays a frame, it loses nothing.
//!
//! A complete frame goes to the device core (`Device::on_cloud`), which
//! applies and answers it; then the device's own tick runs (the polite
//! wait's deadline). When either asks for an app restart, it happens in this
//! handler if the tick interrupted the app's thread mode, else on a later
//! tick (never under an app interrupt handler or a secure call). An
//! undecodable frame is dropped with a defmt warning and gets no answer.
//!
//! Send: blocking polled writes ([`send`]), from the device (answers, log
//! messages, crash reports) and the fault handlers. Only whoever holds the
//! device writes (the tick backs off while a call holds it), so frames
//! never interleave; a fault handler that abandons a call pre-empted
//! mid-frame cuts that frame (README.md).

use core::cell::{Cell, RefCell};

use critical_section::Mutex;
use mv_device::{Restart, Uplink};
use mv_kernel::board::CloudLink;
use mv_proto::{decode_frame, encode_frame, CloudToDevice, DeviceToCloud, FRAME_DELIMITER};

use crate::board::Board;
use crate::cloud_io;
use crate::cpu::write32;
use crate::device;

/// How often the link is polled while bytes come. QEMU offers UART3's
/// bytes one per main-loop turn (roughly every 10–60 µs), so a frame on
/// the UART arrives at this rate; an idle tick is one status read.
pub const POLL_HZ: u32 = 10_000;

/// How often the link is polled once it has been quiet for
/// [`QUIET_TICKS`]: every tick wakes the core, and under QEMU a timer
/// event costs the host far more than the handler's few instructions (at
/// [`POLL_HZ`] an otherwise idle QEMU kept half a core busy on a loaded
/// host). The first frame after a quiet spell waits up to 1 ms for its
/// tick; the byte that tick finds brings [`POLL_HZ`] back at once.
const QUIET_POLL_HZ: u32 = 1_000;

/// Ticks at [`POLL_HZ`] without a byte before the link counts as quiet
/// (50 ms: longer than most cases' stretches without a cloud message).
const QUIET_TICKS: u32 = POLL_HZ / 20;

/// How a link brings its bytes, which sets how fast it is polled.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// One byte at a time, the next only once this one was read (a UART):
    /// a frame takes as many ticks as it has bytes.
    ByteAtATime,
    /// Whole frames at once (a shared-memory ring, RTT): one tick takes a
    /// frame, so the slow rate is fast enough.
    WholeFrames,
}

/// Ticks since the last byte, up to [`QUIET_TICKS`] (then the slow rate
/// runs). A boot starts quiet: the host's first byte brings the fast rate.
static TICKS_WITHOUT_BYTES: Mutex<Cell<u32>> = Mutex::new(Cell::new(QUIET_TICKS));

/// SysTick registers (secure bank, seen from secure state).
const SYST_CSR: u32 = 0xE000_E010;
const SYST_RVR: u32 = 0xE000_E014;
const SYST_CVR: u32 = 0xE000_E018;
const SYST_CSR_ENABLE: u32 = 1 << 0;
const SYST_CSR_TICKINT: u32 = 1 << 1;
/// Count the processor clock (QEMU's AN505 wires no SysTick reference clock).
const SYST_CSR_CLKSOURCE: u32 = 1 << 2;

/// Longest frame kept (delimiter excluded): an `OtaChunk` of one flash page
/// plus its header and COBS overhead fits; anything longer cannot be a
/// `CloudToDevice` and is dropped.
const RX_CAPACITY: usize = 8192 + 256;

/// Bytes of the frame being received.
struct Receiver {
    bytes: [u8; RX_CAPACITY],
    len: usize,
    /// The current frame outgrew `bytes`: drop it at its delimiter.
    overflowed: bool,
}

static RECEIVER: Mutex<RefCell<Receiver>> = Mutex::new(RefCell::new(Receiver {
    bytes: [0; RX_CAPACITY],
    len: 0,
    overflowed: false,
}));

/// Open the link and start polling it (at boot, after the kernel is installed).
pub fn start() {
    cloud_io::init();
    // SAFETY: the secure SysTick belongs to this image (the app has its own,
    // banked, non-secure one); its handler is [`SysTick`] below.
    unsafe {
        write32(SYST_CSR, 0);
        write32(SYST_RVR, cloud_io::SYSTICK_HZ / QUIET_POLL_HZ - 1);
        write32(SYST_CVR, 0);
        write32(
            SYST_CSR,
            SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE,
        );
    }
    defmt::info!(
        "cloud link: {=str}, polled at {=u32} Hz ({=u32} Hz when quiet); online, logging enabled",
        cloud_io::NAME,
        POLL_HZ,
        QUIET_POLL_HZ
    );
}

/// After a poll that took bytes arriving so (`None`: none came): the fast
/// rate while a UART brings bytes, the slow one once it has been quiet
/// for [`QUIET_TICKS`] ticks; whole frames leave the rate as it is.
fn pace(received: Option<Arrival>) {
    let quiet_for = critical_section::with(|cs| {
        let ticks = TICKS_WITHOUT_BYTES.borrow(cs);
        let before = ticks.get();
        ticks.set(match received {
            Some(Arrival::ByteAtATime) => 0,
            Some(Arrival::WholeFrames) | None => (before + 1).min(QUIET_TICKS),
        });
        (before, ticks.get())
    });
    let hz = match quiet_for {
        (QUIET_TICKS, 0) => POLL_HZ,
        (before, QUIET_TICKS) if before < QUIET_TICKS => QUIET_POLL_HZ,
        _ => return,
    };
    // SAFETY: the secure SysTick is this image's (see [`start`]). Clearing
    // the current value makes the new period start now instead of after the
    // slow one; it raises no tick.
    unsafe {
        write32(SYST_RVR, cloud_io::SYSTICK_HZ / hz - 1);
        write32(SYST_CVR, 0);
    }
}

/// Send one message as one frame (blocking).
pub fn send(message: &DeviceToCloud) {
    match encode_frame(message) {
        Ok(frame) => cloud_io::write(&frame),
        Err(_) => defmt::error!("cloud: a message could not be encoded; not sent"),
    }
}

/// The kernel's log messages go up the cloud link, a copy to the secure log
/// as evidence: the same on every board (`crate::board::Board` is this
/// image's).
impl CloudLink for Board {
    /// One `DeviceToCloud::Log` frame (the harness collects it as a
    /// server-log message).
    fn send_log(&mut self, message: &[u8]) {
        defmt::debug!("server-log: {=[u8]:a}", message);
        send(&DeviceToCloud::Log(message.to_vec()));
    }

    /// One `DeviceToCloud::TestLog` frame: the lab's cloud link plays the
    /// provisioning console.
    fn send_test_log(&mut self, message: &[u8]) {
        defmt::debug!("test-log: {=[u8]:a}", message);
        send(&DeviceToCloud::TestLog(message.to_vec()));
    }
}

/// The device core's messages to the cloud, one frame each.
impl Uplink for Board {
    fn send(&mut self, message: DeviceToCloud) {
        send(&message);
    }
}

/// A restart the device asked for that has not happened yet.
static PENDING_RESTART: Mutex<Cell<Option<Restart>>> = Mutex::new(Cell::new(None));

// SysTick captures EXC_RETURN (in LR at entry) so the handler knows what it
// interrupted: an app restart may only happen in place of the app's thread mode.
core::arch::global_asm!(
    ".section .text.mv_systick_entry, \"ax\", %progbits",
    ".p2align 2",
    ".thumb",
    ".global SysTick",
    ".thumb_func",
    "SysTick:",
    "    mov r0, lr",
    "    b mv_systick",
);

/// EXC_RETURN bits: Mode (return to thread mode) and S (to the secure state).
const EXC_RETURN_MODE: u32 = 1 << 3;
const EXC_RETURN_S: u32 = 1 << 6;

#[no_mangle]
extern "C" fn mv_systick(exc_return: u32) {
    if device::is_held() {
        // The tick pre-empted a system call (secure exceptions may, since
        // fast interrupts must): the device is the call's. UART3 holds its
        // bytes, so the next tick loses nothing.
        return;
    }
    pace(poll());
    if let Some(why) = device::with(|d| d.tick()).flatten() {
        critical_section::with(|cs| PENDING_RESTART.borrow(cs).set(Some(why)));
    }
    let into_app_thread = exc_return & (EXC_RETURN_MODE | EXC_RETURN_S) == EXC_RETURN_MODE;
    if into_app_thread && device::is_app_running() {
        if let Some(why) = critical_section::with(|cs| PENDING_RESTART.borrow(cs).take()) {
            crate::restart::from_handler(why);
        }
    }
}

/// Drain the link; hand every complete frame to the device. How the
/// bytes came, if any did (one that came a byte at a time says so).
fn poll() -> Option<Arrival> {
    critical_section::with(|cs| {
        let mut rx = RECEIVER.borrow_ref_mut(cs);
        let mut received = None;
        while let Some((byte, arrival)) = cloud_io::read_byte() {
            if received != Some(Arrival::ByteAtATime) {
                received = Some(arrival);
            }
            if byte != FRAME_DELIMITER {
                if rx.len < RX_CAPACITY {
                    let at = rx.len;
                    rx.bytes[at] = byte;
                    rx.len += 1;
                } else {
                    rx.overflowed = true;
                }
                continue;
            }
            let (len, overflowed) = (rx.len, rx.overflowed);
            rx.len = 0;
            rx.overflowed = false;
            if overflowed {
                defmt::warn!(
                    "cloud: dropped a frame longer than {=usize} bytes",
                    RX_CAPACITY
                );
            } else if len > 0 {
                on_frame(&mut rx.bytes[..len]);
            }
        }
        received
    })
}

fn on_frame(frame: &mut [u8]) {
    let len = frame.len();
    let Ok(message) = decode_frame::<CloudToDevice>(frame) else {
        defmt::warn!("cloud: dropped an undecodable frame ({=usize} bytes)", len);
        return;
    };
    match device::with(|d| d.on_cloud(message)) {
        None => defmt::warn!("cloud: no device to apply a message to; not answered"),
        Some(Err(e)) => device::flash_failed("a cloud message", e),
        Some(Ok(None)) => {}
        Some(Ok(Some(why))) => {
            critical_section::with(|cs| PENDING_RESTART.borrow(cs).set(Some(why)));
        }
    }
}
