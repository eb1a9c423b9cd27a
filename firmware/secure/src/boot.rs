//! Hand the machine to the app: the handoff block, VTOR_NS, MSP_NS, `BXNS` — at boot and at every restart.

use crate::map::{within, NS_CODE_BASE, NS_CODE_SIZE, NS_RAM_BASE, NS_RAM_SIZE};
use mv_abi::handoff::{Handoff, HANDOFF_MAGIC};

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

/// The stack seal (TF-M's `STACK_SEAL_PATTERN`): two of these words at the
/// top of a secure stack, the stack pointer just below them. A forged
/// `FNC_RETURN` from the app pops them as return address and partial
/// `RETPSR`: `0x1A5` is no exception number thread mode can return to, so
/// the core refuses (UsageFault `INVPC`); a forged `EXC_RETURN` finds them
/// where it wants the integrity signature, which they are not (SecureFault
/// `INVIS`). Unsealed, both would pop whatever lies past the stack's top
/// and run secure code from it with the stack pointer above its top — the
/// stack underflow of CVE-2020-16273. The value is not an address anything
/// can execute from and differs from every integrity signature.
pub const STACK_SEAL: u32 = 0xFEF5_EDA5;

/// The sealed main stack pointer: 8 bytes below the top, 8-aligned, the
/// seal above it. Every entry into the app sets `MSP_S` to this.
pub fn sealed_msp() -> u32 {
    (secure_stack_top() & !7) - 8
}

/// The secure process stack: the secure world runs on `MSP_S` only, so
/// `PSP_S` is nothing but its seal; `PSPLIM_S` at the seal makes any push
/// onto it a stack-limit fault.
#[repr(C, align(8))]
struct Seal([u32; 2]);

/// `PSP_S` points here for as long as the app runs.
#[no_mangle]
static MV_PSP_SEAL: Seal = Seal([STACK_SEAL; 2]);

fn sealed_psp() -> u32 {
    core::ptr::addr_of!(MV_PSP_SEAL) as usize as u32
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
    // it goes back to its top, sealed: MSP_S moves first, so the seal's
    // stores land above the stack in use; PSP_S points at its own seal,
    // with its limit there. BASEPRI_S goes back to 0: a call that restarts
    // the app ends with its mask.
    unsafe {
        core::arch::asm!(
            "msr MSP, r8",
            "movw r0, #0xEDA5",
            "movt r0, #0xFEF5",
            "str r0, [r8]",
            "str r0, [r8, #4]",
            "msr PSPLIM, r9",
            "msr PSP, r9",
            "msr MSP_NS, r5",
            "movs r0, #0",
            "msr PSP_NS, r0",
            "msr CONTROL_NS, r0",
            "msr BASEPRI, r0",
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
            in("r8") sealed_msp(),
            in("r9") sealed_psp(),
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
    // reset to its sealed top first (as in `start_non_secure`: it moves
    // before the seal is stored above it), and nothing after `bx` runs in
    // this context.
    unsafe {
        core::arch::asm!(
            "msr MSP_NS, {frame}",
            "msr PSP_NS, {zero}",
            "msr CONTROL_NS, {zero}",
            "msr BASEPRI, {zero}",
            "msr MSP, {top}",
            "str {seal}, [{top}]",
            "str {seal}, [{top}, #4]",
            "msr PSPLIM, {psp}",
            "msr PSP, {psp}",
            "bx {exc}",
            frame = in(reg) frame,
            zero = in(reg) 0u32,
            top = in(reg) sealed_msp(),
            seal = in(reg) STACK_SEAL,
            psp = in(reg) sealed_psp(),
            exc = in(reg) EXC_RETURN_NS_THREAD_MSP,
            options(noreturn),
        )
    }
}
