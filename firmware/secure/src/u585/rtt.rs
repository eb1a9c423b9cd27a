//! RTT in secure SRAM: the defmt log and the cloud link of the STM32U585 image.
//!
//! One control block (`_SEGGER_RTT`, in this image's `.bss`, so inside
//! Microvisor's secure SRAM at `0x3008_0000..`): up channel 0 "defmt"
//! (the secure log), up channel 1 and down channel 0 "cloud" (the cloud
//! link's frames, [`crate::cloud_io`]). The host reaches it with secure
//! debug accesses (probe-rs at RDP 0), which the app cannot make; its
//! default scan covers only `0x2000_0000` RAM, so it attaches at the
//! symbol's address (`ScanRegion::Exact`). No channel blocks: without a
//! probe the image runs on and what does not fit is dropped (the log
//! trimmed, a cloud frame skipped whole so the framing stays intact).

use core::cell::RefCell;

use critical_section::Mutex;
use rtt_target::{rtt_init, ChannelMode, DownChannel, UpChannel};

/// Up channel 0.
static LOG: Mutex<RefCell<Option<UpChannel>>> = Mutex::new(RefCell::new(None));
/// Up channel 1, down channel 0.
static CLOUD: Mutex<RefCell<Option<(UpChannel, DownChannel)>>> = Mutex::new(RefCell::new(None));

/// Lay out the control block and its buffers (once, first thing at boot).
pub fn init() {
    let channels = rtt_init! {
        up: {
            0: {
                size: 4096,
                mode: ChannelMode::NoBlockTrim,
                name: "defmt"
            }
            1: {
                size: 4096,
                mode: ChannelMode::NoBlockSkip,
                name: "cloud"
            }
        }
        down: {
            0: {
                size: 1024,
                name: "cloud"
            }
        }
    };
    critical_section::with(|cs| {
        LOG.borrow_ref_mut(cs).replace(channels.up.0);
        CLOUD
            .borrow_ref_mut(cs)
            .replace((channels.up.1, channels.down.0));
    });
}

/// Log bytes (defmt frames from `mv-defmt-uart`).
pub fn write_log(bytes: &[u8]) {
    critical_section::with(|cs| {
        if let Some(log) = LOG.borrow_ref_mut(cs).as_mut() {
            log.write(bytes);
        }
    });
}

/// One cloud frame, whole or not at all.
pub fn write_cloud(bytes: &[u8]) {
    critical_section::with(|cs| {
        if let Some((up, _)) = CLOUD.borrow_ref_mut(cs).as_mut() {
            if up.write(bytes) == 0 && !bytes.is_empty() {
                defmt::warn!(
                    "cloud: a {=usize}-byte frame did not fit; dropped",
                    bytes.len()
                );
            }
        }
    });
}

/// The next byte the host sent on the cloud link, if any.
pub fn read_cloud_byte() -> Option<u8> {
    critical_section::with(|cs| {
        let mut cloud = CLOUD.borrow_ref_mut(cs);
        let (_, down) = cloud.as_mut()?;
        let mut byte = [0u8; 1];
        (down.read(&mut byte) == 1).then_some(byte[0])
    })
}
