//! Hand the machine to the app: the handoff block, VTOR_NS, MSP_NS, `BXNS` — at boot and at every restart.

use mv_abi::handoff::{Handoff, HANDOFF_MAGIC};
use mv_boards::an505::{within, NS_CODE_BASE, NS_CODE_SIZE, NS_RAM_BASE, NS_RAM_SIZE};

use crate::cpu::{read32, write32};
use crate::exit::{exit, ExitCode};

/// The non-secure VTOR (secure alias of the NS SCB).
const VTOR_NS: u32 = 0xE002_ED08;

extern "C" {
    /// Top of the secure stack (cortex-m-rt's linker script).
    static _stack_start: u32;
}

fn secure_stack_top() -> u32 {
    core::ptr::addr_of!(_stack_start) as u32
}

/// Writes the handoff block, checks the app's vector table, points VTOR_NS
/// at it; returns its initial stack pointer and reset handler.
fn prepare_non_secure() -> (u32, u32) {
    let handoff = Handoff {
        magic: HANDOFF_MAGIC,
        nsc_table_base: crate::veneers::table_base(),
        ns_ram_base: NS_RAM_BASE,
        ns_ram_size: NS_RAM_SIZE,
        ns_code_base: NS_CODE_BASE,
        ns_code_size: NS_CODE_SIZE,
    };
    for (i, word) in handoff.to_words().into_iter().enumerate() {
        // SAFETY: the first 64 bytes of app RAM are reserved for the block
        // (the agent's memory.x starts after them); the SAU and MPC already
        // make it non-secure, so these are non-secure stores.
        unsafe { write32(NS_RAM_BASE + 4 * i as u32, word) };
    }

    // SAFETY: the app's vector table is in app code, non-secure now; these
    // are non-secure loads of its first two words.
    let (msp, reset) = unsafe { (read32(NS_CODE_BASE), read32(NS_CODE_BASE + 4)) };
    let reset_ok = reset & 1 == 1 && within(reset & !1, reset & !1, NS_CODE_BASE, NS_CODE_SIZE);
    let msp_ok =
        msp.is_multiple_of(8) && (NS_RAM_BASE + 128..=NS_RAM_BASE + NS_RAM_SIZE).contains(&msp);
    if !reset_ok || !msp_ok {
        defmt::error!(
            "no app image at {=u32:#010x}: SP {=u32:#010x}, reset {=u32:#010x}",
            NS_CODE_BASE,
            msp,
            reset
        );
        exit(ExitCode::NoAgent);
    }
    defmt::info!(
        "entering the app: reset {=u32:#010x}, MSP_NS {=u32:#010x}",
        reset,
        msp
    );
    // SAFETY: VTOR_NS points the app's exceptions at its own table.
    unsafe { write32(VTOR_NS, NS_CODE_BASE) };
    (msp, reset)
}

/// Enters the app at its reset handler from secure thread mode (at boot, or
/// from an NSC call that restarts it). The secure stack starts over.
pub fn start_non_secure() -> ! {
    let (msp, reset) = prepare_non_secure();
    // SAFETY: `prepare_non_secure` checked the entry and stack are the app's.
    // BXNS to an address with bit 0 clear enters the non-secure world in
    // thread mode on a fresh MSP_NS, privileged; every other core register
    // and the flags are cleared so no secure value leaks. Nothing secure is
    // live on the secure stack (boot is over, or the call is abandoned), so
    // it goes back to its top.
    unsafe {
        core::arch::asm!(
            "msr MSP, r8",
            "msr MSP_NS, r5",
            "movs r0, #0",
            "msr PSP_NS, r0",
            "msr CONTROL_NS, r0",
            "isb",
            "movs r1, #0",
            "movs r2, #0",
            "movs r3, #0",
            "movs r5, #0",
            "movs r6, #0",
            "movs r7, #0",
            "mov r8, r0",
            "mov r9, r0",
            "mov r10, r0",
            "mov r11, r0",
            "mov r12, r0",
            "msr APSR_nzcvq, r0",
            "bxns r4",
            in("r4") reset & !1,
            in("r5") msp,
            in("r8") secure_stack_top(),
            options(noreturn),
        )
    }
}

/// EXC_RETURN to non-secure thread mode on MSP_NS, basic frame, taken to
/// the secure state: prefix, S=0, DCRS=1, FType=1, Mode=1, SPSEL=0, ES=1.
const EXC_RETURN_NS_THREAD_MSP: u32 = 0xFFFF_FFB9;

/// Starts the app again from its reset handler, from a secure exception
/// handler that interrupted its thread mode: a fresh exception frame at the
/// top of its stack returns into its reset handler in thread mode, and the
/// secure main stack goes back to its top (nothing secure is live on it:
/// the exception came from the app).
pub fn reenter_non_secure() -> ! {
    let (msp, reset) = prepare_non_secure();
    let frame = msp - 32;
    // SAFETY: `prepare_non_secure` checked that `msp` is inside NS RAM and
    // above its start (the handoff block is 64 bytes), so the 32-byte frame
    // below it is NS RAM nothing uses while the app is down.
    unsafe {
        for (i, word) in [0, 0, 0, 0, 0, 0xFFFF_FFFF, reset & !1, 0x0100_0000]
            .into_iter()
            .enumerate()
        {
            write32(frame + 4 * i as u32, word);
        }
    }
    // SAFETY: the exception return pops the frame written above from MSP_NS
    // and runs the app's reset handler in NS thread mode; the secure MSP is
    // reset to its top first, and nothing after `bx` runs in this context.
    unsafe {
        core::arch::asm!(
            "msr MSP_NS, {frame}",
            "msr PSP_NS, {zero}",
            "msr CONTROL_NS, {zero}",
            "msr MSP, {top}",
            "bx {exc}",
            frame = in(reg) frame,
            zero = in(reg) 0u32,
            top = in(reg) secure_stack_top(),
            exc = in(reg) EXC_RETURN_NS_THREAD_MSP,
            options(noreturn),
        )
    }
}
