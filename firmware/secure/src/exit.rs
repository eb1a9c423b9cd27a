//! Ending the run: semihosting `SYS_EXIT_EXTENDED` with a code of the one table (`mv_abi::exit`).

pub use mv_abi::exit::ExitCode;

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
