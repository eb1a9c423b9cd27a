//! The cloud link on UART3: the harness's emulated Microvisor cloud.
//!
//! Frames are `mv_proto` frames (postcard + COBS + `0x00`), exactly as on the
//! agent link. Host to device: [`CloudToDevice`]; device to host:
//! [`DeviceToCloud`]. UART3's PPC port stays secure, so the app cannot
//! reach the link.
//!
//! Receive: the secure SysTick (the CPU clock, [`POLL_HZ`]) drains UART3's
//! one-byte RX register on every tick and collects bytes until `0x00`. A
//! SysTick is an exception, not an IRQ, so no ITNS bit changes: the app keeps
//! every IRQ the sim gives it (UART3's own 38/39/45 included, their UART
//! interrupt enables stay off). QEMU holds further bytes until the register
//! is read, so a tick that comes late delays a frame, it loses nothing.
//!
//! A complete frame is decoded and applied to the kernel in the same
//! critical section discipline as an NSC call ([`crate::kernel::with`]):
//! `SyncTime` sets the wall time, `Link` sets the board's online flag and
//! then lets the kernel flush its queue (its `Log` frames go out first),
//! `Logging` sets what `logging_disabled_by_server` reports. Then the device
//! answers `Ack`. An undecodable frame is dropped with a defmt warning and
//! gets no `Ack`.
//!
//! Send: blocking polled writes ([`send`]), called by the board's
//! `send_log` (from an NSC call or from the `Link` handling above) and for
//! `Ack`. The only writers run with interrupts masked, so frames never
//! interleave.

use core::cell::RefCell;

use cortex_m_rt::exception;
use critical_section::Mutex;
use mv_proto::{
    decode_frame, encode_frame, CloudToDevice, DeviceToCloud, OtaReply, FRAME_DELIMITER,
};

use crate::clock::TIMER_HZ;
use crate::cpu::write32;
use crate::kernel;
use crate::uart::Uart;

/// How often UART3 is polled. QEMU offers one byte per main-loop turn
/// (roughly every 10–60 µs); a `CloudToDevice` frame is at most 13 bytes,
/// so one arrives within a few ms (measured 0.6–3.2 ms for an `Ack` round
/// trip). An idle tick is one status read.
pub const POLL_HZ: u32 = 10_000;

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

fn link() -> Uart {
    Uart::secure_uart3()
}

/// Enable UART3 and start polling it (at boot, after the kernel is installed).
pub fn start() {
    link().init_tx_rx();
    // SAFETY: the secure SysTick belongs to this image (the app has its own,
    // banked, non-secure one); its handler is [`SysTick`] below.
    unsafe {
        write32(SYST_CSR, 0);
        write32(SYST_RVR, TIMER_HZ / POLL_HZ - 1);
        write32(SYST_CVR, 0);
        write32(
            SYST_CSR,
            SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE,
        );
    }
    defmt::info!(
        "cloud link: UART3 (secure), polled at {=u32} Hz; online, logging enabled",
        POLL_HZ
    );
}

/// Send one message as one frame (blocking).
pub fn send(message: &DeviceToCloud) {
    match encode_frame(message) {
        Ok(frame) => link().write(&frame),
        Err(_) => defmt::error!("cloud: a message could not be encoded; not sent"),
    }
}

#[exception]
fn SysTick() {
    poll();
    crate::ota::check_politeness(crate::clock::now_us());
}

/// Drain UART3; apply every complete frame.
fn poll() {
    critical_section::with(|cs| {
        let mut rx = RECEIVER.borrow_ref_mut(cs);
        while let Some(byte) = link().read_byte() {
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
    });
}

fn on_frame(frame: &mut [u8]) {
    let len = frame.len();
    let Ok(message) = decode_frame::<CloudToDevice>(frame) else {
        defmt::warn!("cloud: dropped an undecodable frame ({=usize} bytes)", len);
        return;
    };
    let applied = kernel::with(|kernel| {
        match message {
            CloudToDevice::SyncTime { wall_us } => {
                defmt::info!("cloud: wall time set to {=u64} us", wall_us);
                kernel.set_wall_time(wall_us);
            }
            CloudToDevice::Link { online } => {
                defmt::info!("cloud: link {=bool}", online);
                kernel.board_mut().set_online(online);
                kernel.poll();
            }
            CloudToDevice::Logging { enabled } => {
                defmt::info!("cloud: logging enabled {=bool}", enabled);
                kernel.board_mut().set_logging_disabled(!enabled);
            }
            CloudToDevice::OtaOffer { manifest, rom_len } => {
                let reply = crate::ota::on_offer(&manifest, rom_len);
                answer_ota(kernel, reply);
                return;
            }
            CloudToDevice::OtaChunk { index, data } => {
                let reply = crate::ota::on_chunk(index, &data);
                answer_ota(kernel, reply);
                return;
            }
        }
        send(&DeviceToCloud::Ack);
    });
    if applied.is_none() {
        defmt::warn!("cloud: no kernel to apply a message to; not acknowledged");
    }
}

/// Answers an OTA message; once an update is staged, either tells a polite
/// app (`UPDATEDOWNLOADED` to its `UPDATE` subscription, and the install
/// waits for its `mvRestart`) or restarts now, and the boot installs it.
fn answer_ota(kernel: &mut mv_kernel::Kernel<crate::board::An505Board>, reply: OtaReply) {
    send(&DeviceToCloud::Ota(reply));
    kernel.set_update_in_progress(matches!(reply, OtaReply::Fetch { .. }));
    if reply != OtaReply::Staged {
        return;
    }
    let update = mv_abi::MvSystemNotificationSource::Update as u32;
    if kernel.has_system_subscribers(update) {
        defmt::info!("OTA: update staged; the app subscribed, so it decides when to restart");
        kernel.post_system_event(update, mv_abi::MvEventType::UpdateDownloaded as u32);
        crate::ota::start_politeness(crate::clock::now_us());
    } else {
        defmt::info!("OTA: update staged; restarting to install it");
        crate::cpu::system_reset();
    }
}
