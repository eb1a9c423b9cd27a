//! TrustZone bring-up for AN505, in the order that is known to work.
//!
//! 1. Security violations must fault, not read as zero: `SECRESPCFG` for the
//!    PPCs and `CTRL.SEC_RESP` in every MPC we program.
//! 2. `NSCCFG.CODENSC`: the AN505 IDAU reports `0x1xxx_xxxx` as secure and
//!    not NSC unless told otherwise, and QEMU takes the more secure of IDAU
//!    and SAU, so the SAU's NSC region alone would not be enough.
//! 3. MPC lookup tables, whole 32-bit words (a set bit makes a block NS);
//!    then the bus-error window's blocks inside app RAM back to secure, so
//!    the bus refuses them although the SAU calls them non-secure.
//! 4. PPC: UART1 (agent link), UART2 (agent log) and TIMER1 (the app's
//!    timer) non-secure; UART0 (secure log), UART3 (cloud link) and TIMER0
//!    (the kernel's clock) stay secure.
//! 5. SAU regions, then enable; AIRCR.PRIS; secure fault handlers on.
//! 6. Every IRQ non-secure except the kernel's ([`crate::nvic`]).
//!
//! Any block that is not set NS here stays secure, as after reset.

use crate::cpu::{read32, write32};
use crate::nvic;
use mv_boards::an505::{
    BUS_ERROR_BASE, BUS_ERROR_SIZE, NS_CODE_BASE, NS_CODE_SIZE, NS_RAM_BASE, NS_RAM_SIZE,
};

/// Secure Privilege Control block (IoTKit secctl).
const SECRESPCFG: u32 = 0x5008_0010;
const NSCCFG: u32 = 0x5008_0014;
const NSCCFG_CODENSC: u32 = 1 << 0;
/// APB PPC 0 (the IoTKit's internal timers): port 0 TIMER0 (the kernel's
/// clock, stays secure), port 1 TIMER1 (the app's timer), port 2 the dual timer.
const APBNSPPC0: u32 = 0x5008_0070;
const PPC_TIMER0: u32 = 1 << 0;
const PPC_TIMER1: u32 = 1 << 1;
const APBNSPPCEXP1: u32 = 0x5008_0084;
/// APB PPC expansion 1 port order on AN505: spi0..4, uart0..4, i2c0..3.
const PPC_UART1: u32 = 1 << 6;
const PPC_UART2: u32 = 1 << 7;
/// The cloud link: always secure (the app must not talk to the "cloud").
const PPC_UART3: u32 = 1 << 8;

/// TZ-MPC register offsets and bits.
const MPC_CTRL: u32 = 0x00;
const MPC_BLK_MAX: u32 = 0x10;
const MPC_BLK_CFG: u32 = 0x14;
const MPC_BLK_IDX: u32 = 0x18;
const MPC_BLK_LUT: u32 = 0x1C;
const MPC_CTRL_SEC_RESP: u32 = 1 << 4;
const MPC_CTRL_AUTOINC: u32 = 1 << 8;
/// SSRAM1 (code) and SSRAM3 (app RAM) MPCs.
const MPC_SSRAM1: u32 = 0x5800_7000;
const MPC_SSRAM3: u32 = 0x5800_9000;
/// Offsets of the NS parts inside those memories.
const SSRAM1_NS: (u32, u32) = (NS_CODE_BASE, NS_CODE_BASE + NS_CODE_SIZE);
const SSRAM3_NS: (u32, u32) = (0, NS_RAM_SIZE);
/// The bus-error window inside SSRAM3 (app RAM starts at its offset 0).
const SSRAM3_BUS_ERROR: (u32, u32) = (
    BUS_ERROR_BASE - NS_RAM_BASE,
    BUS_ERROR_BASE - NS_RAM_BASE + BUS_ERROR_SIZE,
);

/// What did not look like an AN505.
#[derive(Clone, Copy, Debug, defmt::Format)]
pub enum SecurityError {
    /// An MPC's table cannot express the wanted split in whole LUT words.
    MpcGeometry {
        mpc: u32,
        block_size: u32,
        words: u32,
    },
    /// The SAU refused a region (too few regions, or a bad address).
    Sau { region: u8 },
}

/// Program every security controller; the app is not running yet.
pub fn configure() -> Result<(), SecurityError> {
    // SAFETY (whole block): these are the IoTKit security registers at their
    // documented addresses; nothing non-secure runs yet, so changing what is
    // secure cannot pull memory from under anyone.
    unsafe {
        write32(SECRESPCFG, 1);
        write32(NSCCFG, read32(NSCCFG) | NSCCFG_CODENSC);
    }
    program_mpc(MPC_SSRAM1, SSRAM1_NS)?;
    program_mpc(MPC_SSRAM3, SSRAM3_NS)?;
    keep_secure(MPC_SSRAM3, SSRAM3_BUS_ERROR)?;
    // SAFETY: as above; two PPC bits, for the agent's UARTs. UART3's bit is
    // cleared explicitly (it is 0 after reset too).
    unsafe {
        write32(
            APBNSPPCEXP1,
            (read32(APBNSPPCEXP1) | PPC_UART1 | PPC_UART2) & !PPC_UART3,
        );
        // TIMER1 is the app's (`mv_boards::an505::APP_TIMER_NS`; its IRQ 4
        // is targeted non-secure with the rest); TIMER0 stays the kernel's.
        write32(APBNSPPC0, (read32(APBNSPPC0) | PPC_TIMER1) & !PPC_TIMER0);
    }
    let ns_lines =
        crate::trustzone::finish().map_err(|refused| SecurityError::Sau { region: refused.0 })?;
    defmt::info!(
        "security: MPC/PPC/SAU set; NSC table {=u32:#010x}; {=u32} of {=u32} IRQ lines non-secure",
        crate::veneers::table_base(),
        ns_lines,
        nvic::line_count()
    );
    Ok(())
}

/// Set the LUT of one MPC: blocks in `[ns.0, ns.1)` (offsets into the
/// memory) non-secure, every other block secure.
fn program_mpc(mpc: u32, ns: (u32, u32)) -> Result<(), SecurityError> {
    // SAFETY: MPC registers of an AN505 memory this image does not execute
    // from or keep data in (SSRAM1's NS half, SSRAM3).
    let (block_size, words) = unsafe {
        let ctrl = read32(mpc + MPC_CTRL);
        write32(
            mpc + MPC_CTRL,
            (ctrl | MPC_CTRL_SEC_RESP) & !MPC_CTRL_AUTOINC,
        );
        (
            1 << (read32(mpc + MPC_BLK_CFG) + 5),
            read32(mpc + MPC_BLK_MAX) + 1,
        )
    };
    let word_span = block_size * 32;
    let geometry = SecurityError::MpcGeometry {
        mpc,
        block_size,
        words,
    };
    if !ns.0.is_multiple_of(word_span)
        || !ns.1.is_multiple_of(word_span)
        || ns.1 / word_span > words
    {
        return Err(geometry);
    }
    for word in 0..words {
        let offset = word * word_span;
        let value = if offset >= ns.0 && offset < ns.1 {
            u32::MAX
        } else {
            0
        };
        // SAFETY: as above; `word` is below BLK_MAX + 1.
        unsafe {
            write32(mpc + MPC_BLK_IDX, word);
            write32(mpc + MPC_BLK_LUT, value);
        }
    }
    Ok(())
}

/// Set the blocks of `[range.0, range.1)` (offsets into the memory) back to
/// secure, one LUT bit each; the range must be whole blocks.
fn keep_secure(mpc: u32, range: (u32, u32)) -> Result<(), SecurityError> {
    // SAFETY: MPC registers of SSRAM3, which holds no secure data; the app
    // is not running. AUTOINC is off (program_mpc), so BLK_IDX stays put
    // between the read and the write of a LUT word.
    unsafe {
        let block_size = 1 << (read32(mpc + MPC_BLK_CFG) + 5);
        let words = read32(mpc + MPC_BLK_MAX) + 1;
        if !range.0.is_multiple_of(block_size)
            || !range.1.is_multiple_of(block_size)
            || range.1 / block_size > words * 32
        {
            return Err(SecurityError::MpcGeometry {
                mpc,
                block_size,
                words,
            });
        }
        for block in range.0 / block_size..range.1 / block_size {
            write32(mpc + MPC_BLK_IDX, block / 32);
            let lut = read32(mpc + MPC_BLK_LUT);
            write32(mpc + MPC_BLK_LUT, lut & !(1 << (block % 32)));
        }
    }
    Ok(())
}
