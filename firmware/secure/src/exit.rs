//! Ending the run: semihosting `SYS_EXIT_EXTENDED` with a distinctive code.
//!
//! QEMU (`-semihosting-config enable=on`) exits with the code given here, so
//! the harness can tell a secure fault from a panic from a clean stop without
//! parsing logs. The codes are listed in README.md; keep them in sync.

/// The exit status QEMU reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
#[repr(u32)]
pub enum ExitCode {
    SecureFault = 70,
    HardFault = 71,
    MemManage = 72,
    BusFault = 73,
    UsageFault = 74,
    Panic = 75,
    UnexpectedException = 76,
    /// No valid agent image at the NS code base.
    NoAgent = 77,
    /// The security controllers did not look like an AN505.
    SecurityConfig = 78,
    /// An armed power cut fired (the harness restarts QEMU on the same NVM).
    PowerCut = 90,
    /// The OTA flash reported an error a correct kernel never provokes.
    FlashError = 91,
}

/// `ADP_Stopped_ApplicationExit`: with `SYS_EXIT_EXTENDED` the second word is the exit code.
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
