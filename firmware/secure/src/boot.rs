//! Hand the machine to the agent: the handoff block, VTOR_NS, MSP_NS, `BXNS`.

use mv_ns::handoff::{Handoff, HANDOFF_MAGIC};

use crate::cpu::{read32, write32};
use crate::exit::{exit, ExitCode};
use crate::memory_map::{within, NS_CODE_BASE, NS_CODE_SIZE, NS_RAM_BASE, NS_RAM_SIZE};

/// The non-secure VTOR (secure alias of the NS SCB).
const VTOR_NS: u32 = 0xE002_ED08;

/// Write the handoff block and enter the agent's reset handler. Never
/// returns: from now on the secure world runs only on calls and exceptions.
pub fn start_non_secure() -> ! {
    let handoff = Handoff {
        magic: HANDOFF_MAGIC,
        nsc_table_base: crate::veneers::table_base(),
        ns_ram_base: NS_RAM_BASE,
        ns_ram_size: NS_RAM_SIZE,
        ns_code_base: NS_CODE_BASE,
        ns_code_size: NS_CODE_SIZE,
    };
    // SAFETY: the first 64 bytes of app RAM are reserved for the block (the
    // agent's memory.x starts after them); the SAU and MPC already make it
    // non-secure, so these are non-secure stores.
    unsafe { handoff.write_to(NS_RAM_BASE as usize) };

    // SAFETY: the agent's vector table is in app code, non-secure now; these
    // are non-secure loads of its first two words.
    let (msp, reset) = unsafe { (read32(NS_CODE_BASE), read32(NS_CODE_BASE + 4)) };
    let reset_ok = reset & 1 == 1 && within(reset & !1, reset & !1, NS_CODE_BASE, NS_CODE_SIZE);
    let msp_ok = msp.is_multiple_of(8) && msp > NS_RAM_BASE && msp <= NS_RAM_BASE + NS_RAM_SIZE;
    if !reset_ok || !msp_ok {
        defmt::error!(
            "no agent image at {=u32:#010x}: SP {=u32:#010x}, reset {=u32:#010x}",
            NS_CODE_BASE,
            msp,
            reset
        );
        exit(ExitCode::NoAgent);
    }
    defmt::info!(
        "entering the agent: reset {=u32:#010x}, MSP_NS {=u32:#010x}",
        reset,
        msp
    );
    // SAFETY: VTOR_NS points the app's exceptions at its own table.
    unsafe { write32(VTOR_NS, NS_CODE_BASE) };
    // SAFETY: the entry and stack were checked above to be the agent's.
    // BXNS to an address with bit 0 clear enters the non-secure world; the
    // scratch registers and flags are cleared so no secure value leaks.
    unsafe {
        core::arch::asm!(
            "msr MSP_NS, r5",
            "movs r0, #0",
            "movs r1, #0",
            "movs r2, #0",
            "movs r3, #0",
            "mov r12, r0",
            "msr APSR_nzcvq, r0",
            "bxns r4",
            in("r4") reset & !1,
            in("r5") msp,
            options(noreturn),
        )
    }
}
