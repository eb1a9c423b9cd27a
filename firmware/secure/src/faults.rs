//! Fault and panic handlers: report on the secure log; an app fault restarts the app, anything else exits QEMU.
//!
//! HardFault, SecureFault, MemManage, BusFault and UsageFault share one tiny
//! assembly entry: it captures EXC_RETURN and both secure stack pointers,
//! drops MSPLIM and moves to a dedicated fault stack (so a stack overflow
//! cannot turn the report into a lockup), then calls [`mv_fault_report`].
//! The report names the fault, the fault status registers, where the
//! exception frame is (secure or non-secure stack) and its stacked PC/LR,
//! A fault taken from the app (its frame on a non-secure stack) is an app
//! crash: [`crate::crash`] reports it to the cloud and restarts the app with
//! back-off, and the kernel stays up. Any other fault is the kernel's own
//! and ends the run with the fault's [`ExitCode`]. Nothing here returns to
//! the faulting code, so a fault is never a silent spin.

use cortex_m_rt::exception;

use crate::cpu::{self, read32};
use crate::exit::{exit, ExitCode};
use crate::logger;
use crate::memory_map::{NS_RAM_BASE, NS_RAM_SIZE};
use crate::tt::Attribution;
use mv_proto::FaultKind;

/// Fault status and address registers (secure bank).
const CFSR: u32 = 0xE000_ED28;
const HFSR: u32 = 0xE000_ED2C;
const MMFAR: u32 = 0xE000_ED34;
const BFAR: u32 = 0xE000_ED38;
const SFSR: u32 = 0xE000_EDE4;
const SFAR: u32 = 0xE000_EDE8;

/// Secure RAM (memory.x `RAM`), where a secure exception frame can be.
const SECURE_RAM: (u32, u32) = (0x3800_0000, 0x0010_0000);

const FAULT_STACK_BYTES: usize = 4096;

/// The stack the fault report runs on.
#[no_mangle]
static mut MV_FAULT_STACK: [u64; FAULT_STACK_BYTES / 8] = [0; FAULT_STACK_BYTES / 8];

core::arch::global_asm!(
    ".section .text.mv_fault_entry, \"ax\", %progbits",
    ".p2align 2",
    ".thumb",
    ".global HardFault",
    ".thumb_func",
    "HardFault:",
    "    movs r0, #71",
    "    b mv_fault_common",
    ".global SecureFault",
    ".thumb_func",
    "SecureFault:",
    "    movs r0, #70",
    "    b mv_fault_common",
    ".global MemoryManagement",
    ".thumb_func",
    "MemoryManagement:",
    "    movs r0, #72",
    "    b mv_fault_common",
    ".global BusFault",
    ".thumb_func",
    "BusFault:",
    "    movs r0, #73",
    "    b mv_fault_common",
    ".global UsageFault",
    ".thumb_func",
    "UsageFault:",
    "    movs r0, #74",
    "    b mv_fault_common",
    ".thumb_func",
    "mv_fault_common:",
    "    mov r1, lr",
    "    mrs r2, MSP",
    "    mrs r3, PSP",
    "    mov.w r12, #0",
    "    msr MSPLIM, r12",
    "    movw r12, :lower16:MV_FAULT_STACK",
    "    movt r12, :upper16:MV_FAULT_STACK",
    "    add.w r12, r12, #4096",
    "    mov sp, r12",
    "    b mv_fault_report",
);

const _: () = assert!(FAULT_STACK_BYTES == 4096, "keep the asm's #4096 in sync");

/// Where the exception frame was pushed, per EXC_RETURN.
#[derive(Clone, Copy, defmt::Format)]
enum FrameStack {
    SecureMain,
    SecureProcess,
    NonSecureMain,
    NonSecureProcess,
}

fn frame_address(exc_return: u32, msp: u32, psp: u32) -> (FrameStack, u32) {
    let secure = exc_return & (1 << 6) != 0;
    let process = exc_return & (1 << 2) != 0;
    let (stack, sp) = match (secure, process) {
        (true, false) => (FrameStack::SecureMain, msp),
        (true, true) => (FrameStack::SecureProcess, psp),
        (false, false) => (FrameStack::NonSecureMain, cpu::msp_ns()),
        (false, true) => (FrameStack::NonSecureProcess, cpu::psp_ns()),
    };
    // DCRS = 0: the callee-saved registers (and the integrity signature)
    // were pushed below the basic frame.
    let extra = if exc_return & (1 << 5) == 0 { 40 } else { 0 };
    (stack, sp.wrapping_add(extra))
}

/// Can the 32-byte basic frame at `frame` be read without faulting again?
fn frame_readable(stack: FrameStack, frame: u32) -> bool {
    let Some(last) = frame.checked_add(31) else {
        return false;
    };
    match stack {
        FrameStack::SecureMain | FrameStack::SecureProcess => {
            crate::memory_map::within(frame, last, SECURE_RAM.0, SECURE_RAM.1)
        }
        FrameStack::NonSecureMain | FrameStack::NonSecureProcess => {
            let (a, b) = (
                Attribution::of_ns_access(frame, false),
                Attribution::of_ns_access(last, false),
            );
            crate::memory_map::within(frame, last, NS_RAM_BASE, NS_RAM_SIZE)
                && a.ns_readable()
                && b.ns_readable()
        }
    }
}

/// Report a fault and exit. Runs on the fault stack; never returns.
#[no_mangle]
extern "C" fn mv_fault_report(kind: u32, exc_return: u32, msp: u32, psp: u32) -> ! {
    let code = match kind {
        70 => ExitCode::SecureFault,
        72 => ExitCode::MemManage,
        73 => ExitCode::BusFault,
        74 => ExitCode::UsageFault,
        _ => ExitCode::HardFault,
    };
    logger::force_unlock();
    // SAFETY: reading the fault status registers has no side effect.
    let (sfsr, sfar, cfsr, hfsr, mmfar, bfar) = unsafe {
        (
            read32(SFSR),
            read32(SFAR),
            read32(CFSR),
            read32(HFSR),
            read32(MMFAR),
            read32(BFAR),
        )
    };
    let (stack, frame) = frame_address(exc_return, msp, psp);
    defmt::error!(
        "FAULT {}: SFSR={=u32:#010x} SFAR={=u32:#010x} CFSR={=u32:#010x} HFSR={=u32:#010x} MMFAR={=u32:#010x} BFAR={=u32:#010x} EXC_RETURN={=u32:#010x}",
        code, sfsr, sfar, cfsr, hfsr, mmfar, bfar, exc_return
    );
    let from_app = matches!(
        stack,
        FrameStack::NonSecureMain | FrameStack::NonSecureProcess
    );
    if from_app && frame_readable(stack, frame) {
        let kind = match code {
            ExitCode::SecureFault => FaultKind::SecureFault,
            ExitCode::MemManage => FaultKind::MemManage,
            ExitCode::BusFault => FaultKind::BusFault,
            ExitCode::UsageFault => FaultKind::UsageFault,
            _ => FaultKind::HardFault,
        };
        let registers = alloc::vec![
            ("SFSR", sfsr),
            ("SFAR", sfar),
            ("CFSR", cfsr),
            ("HFSR", hfsr),
            ("MMFAR", mmfar),
            ("BFAR", bfar),
            ("EXC_RETURN", exc_return),
        ];
        crate::crash::restart_app(kind, registers, frame);
    }
    if frame_readable(stack, frame) {
        // SAFETY: the frame lies in RAM of the right security (checked above).
        let (lr, pc, xpsr) =
            unsafe { (read32(frame + 20), read32(frame + 24), read32(frame + 28)) };
        defmt::error!(
            "FAULT frame on {} stack at {=u32:#010x}: PC={=u32:#010x} LR={=u32:#010x} xPSR={=u32:#010x}",
            stack, frame, pc, lr, xpsr
        );
    } else {
        defmt::error!(
            "FAULT frame on {} stack at {=u32:#010x} is not readable",
            stack,
            frame
        );
    }
    exit(code)
}

/// Every secure exception and IRQ without its own handler. The only IRQ the
/// secure image enables is TIMER0's (the secure SysTick has its own handler,
/// [`crate::cloud`]); anything else is a bug worth a stop.
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if i32::from(irqn) == crate::clock::TIMER0_IRQ as i32 {
        crate::clock::on_timer_irq();
        return;
    }
    logger::force_unlock();
    defmt::error!("unexpected secure exception/IRQ {=i16}", irqn);
    exit(ExitCode::UnexpectedException)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    logger::force_unlock();
    defmt::error!("secure panic: {}", defmt::Display2Format(info));
    exit(ExitCode::Panic)
}
