//! Ending the run from the non-secure side: semihosting exit codes, panic and fault handlers.
//!
//! The agent never faults on purpose except by reading memory the host asked
//! it to read, and those faults are the secure world's (SecureFault/BusFault
//! go to the secure image, which reports the crash and restarts the app). What is left here is
//! the agent's own failure: a panic, a HardFault_NS or an unexpected
//! exception. Each logs on UART2 and exits QEMU with its own code (README).

use cortex_m_rt::{exception, ExceptionFrame};

use crate::logger;

pub use mv_abi::exit::ExitCode;

const ADP_STOPPED_APPLICATION_EXIT: usize = 0x2_0026;
/// `SYS_EXIT_EXTENDED`: exit with a status word, not just success/failure.
const SYS_EXIT_EXTENDED: usize = 0x20;

/// Stop QEMU with `code` (`cortex-m-semihosting`'s `BKPT 0xAB` call).
pub fn exit(code: ExitCode) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, code as usize];
    // SAFETY: the semihosting call only reads the two-word block, which
    // lives until it returns; it has no other effect on this program.
    unsafe { cortex_m_semihosting::syscall(SYS_EXIT_EXTENDED, &block) };
    cortex_m::asm::udf()
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    logger::force_unlock();
    defmt::error!(
        "agent HardFault: PC={=u32:#010x} LR={=u32:#010x} xPSR={=u32:#010x}",
        frame.pc(),
        frame.lr(),
        frame.xpsr()
    );
    exit(ExitCode::AgentHardFault)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    logger::force_unlock();
    defmt::error!("agent panic: {}", defmt::Display2Format(info));
    exit(ExitCode::AgentPanic)
}
