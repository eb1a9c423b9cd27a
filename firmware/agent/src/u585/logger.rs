//! The agent's defmt log on the STM32U585: frames from `mv-defmt-uart` go to an RTT up channel in app RAM.
//!
//! The agent has its own control block (`_SEGGER_RTT` in its `.bss`, in
//! app RAM), apart from the secure image's: the host attaches to each at
//! the address its ELF gives. The channel never blocks; what does not fit
//! while no probe reads is trimmed.

use core::cell::RefCell;

use critical_section::Mutex;
use rtt_target::{rtt_init, ChannelMode, UpChannel};

pub use mv_defmt_uart::force_unlock;

static LOG: Mutex<RefCell<Option<UpChannel>>> = Mutex::new(RefCell::new(None));

/// Lay out the control block (once, first thing at boot).
pub fn init() {
    let channels = rtt_init! {
        up: {
            0: {
                size: 2048,
                mode: ChannelMode::NoBlockTrim,
                name: "defmt"
            }
        }
    };
    critical_section::with(|cs| {
        LOG.borrow_ref_mut(cs).replace(channels.up.0);
    });
}

/// Where `mv-defmt-uart` writes the agent's frames.
#[no_mangle]
fn mv_defmt_emit(bytes: &[u8]) {
    critical_section::with(|cs| {
        if let Some(log) = LOG.borrow_ref_mut(cs).as_mut() {
            log.write(bytes);
        }
    });
}

/// A log call from inside a log call ends the run.
#[no_mangle]
fn mv_defmt_nested() -> ! {
    crate::exit::exit(crate::exit::ExitCode::AgentPanic)
}
