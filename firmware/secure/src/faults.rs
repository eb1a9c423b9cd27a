//! Fault and panic handlers: an app fault is a crash the device survives; a kernel fault ends the run.
//!
//! A BusFault (or the HardFault it escalates to) inside the kernel's copy of
//! app memory is not a fault of the kernel: the bus refused memory the
//! checks allowed, and the copy returns an error ([`crate::nscopy`]).
//! HardFault, SecureFault, MemManage, BusFault and UsageFault share one tiny
//! assembly entry: it captures EXC_RETURN and both secure stack pointers,
//! drops MSPLIM and moves to a dedicated fault stack (so a stack overflow
//! cannot turn the report into a lockup), then calls [`mv_fault_report`].
//! The report names the fault, the fault status registers, where the
//! exception frame is (secure or non-secure stack) and its stacked PC/LR,
//! A fault taken from the app (its frame on a non-secure stack) is an app
//! crash: the device core reports it to the cloud (`Device::app_crashed`)
//! and says how long to back off; then the app restarts
//! ([`crate::restart`]) and the kernel stays up. Any other fault is the
//! kernel's own: it goes to the cloud as a `KernelFault` frame and ends the
//! run with the fault's [`ExitCode`]. Nothing here returns to the faulting
//! code, so a fault is never a silent spin.

use cortex_m_rt::exception;

use alloc::string::ToString;
use alloc::vec::Vec;

use crate::map::{within, NS_RAM_BASE, NS_RAM_SIZE, SECURE_IMAGE_RAM_SIZE, SECURE_RAM_BASE};
use mv_device::Restart;
use mv_proto::{DeviceToCloud, FaultKind, FaultReport};

use crate::cpu::{self, read32};
use crate::exit::{exit, ExitCode};
use crate::logger;
use crate::tt::Attribution;

/// Fault status and address registers (secure bank).
const CFSR: u32 = 0xE000_ED28;
const HFSR: u32 = 0xE000_ED2C;
const MMFAR: u32 = 0xE000_ED34;
const BFAR: u32 = 0xE000_ED38;
const SFSR: u32 = 0xE000_EDE4;
const SFAR: u32 = 0xE000_EDE8;
/// The app's own CFSR (the non-secure bank, through its secure-side alias):
/// where a fault the app's state raised records its cause (`INVPC`) before
/// it escalates to the secure HardFault.
const CFSR_NS: u32 = 0xE002_ED28;

/// App stack bytes sent with a crash report (the 32-byte frame and what is above it).
const STACK_BYTES: u32 = 64;

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
    "    b mv_fault_copy_fixup",
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
    "    b mv_fault_copy_fixup",
    ".global UsageFault",
    ".thumb_func",
    "UsageFault:",
    "    movs r0, #74",
    "    b mv_fault_common",
    // A bus error inside the kernel's copy of app memory (crate::nscopy):
    // resume at its landing pad instead of reporting. Only a frame on a
    // secure stack whose PC is inside the copy loop qualifies; r0 (the
    // fault kind) is kept for mv_fault_common.
    ".thumb_func",
    "mv_fault_copy_fixup:",
    "    tst lr, #0x40",
    "    beq mv_fault_common",
    "    mrs r1, MSP",
    "    tst lr, #0x4",
    "    beq 1f",
    "    mrs r1, PSP",
    "1:",
    "    tst lr, #0x20",
    "    bne 2f",
    "    add.w r1, r1, #40",
    "2:",
    "    ldr r2, [r1, #24]",
    "    movw r3, :lower16:mv_ns_copy_start",
    "    movt r3, :upper16:mv_ns_copy_start",
    "    cmp r2, r3",
    "    blo mv_fault_common",
    "    movw r3, :lower16:mv_ns_copy_end",
    "    movt r3, :upper16:mv_ns_copy_end",
    "    cmp r2, r3",
    "    bhs mv_fault_common",
    "    movw r3, :lower16:mv_ns_copy_fault",
    "    movt r3, :upper16:mv_ns_copy_fault",
    "    str r3, [r1, #24]",
    // Clear what the fault left: BFSR (CFSR[15:8]) and HFSR.FORCED, both
    // write-one-to-clear.
    "    movw r1, #0xED28",
    "    movt r1, #0xE000",
    "    mov.w r2, #0xFF00",
    "    str r2, [r1]",
    "    movw r1, #0xED2C",
    "    movt r1, #0xE000",
    "    mov.w r2, #0x40000000",
    "    str r2, [r1]",
    "    bx lr",
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
            within(frame, last, SECURE_RAM_BASE, SECURE_IMAGE_RAM_SIZE)
        }
        FrameStack::NonSecureMain | FrameStack::NonSecureProcess => {
            let (a, b) = (
                Attribution::of_ns_access(frame, false),
                Attribution::of_ns_access(last, false),
            );
            within(frame, last, NS_RAM_BASE, NS_RAM_SIZE) && a.ns_readable() && b.ns_readable()
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
    let (sfsr, sfar, cfsr, hfsr, mmfar, bfar, cfsr_ns) = unsafe {
        (
            read32(SFSR),
            read32(SFAR),
            read32(CFSR),
            read32(HFSR),
            read32(MMFAR),
            read32(BFAR),
            read32(CFSR_NS),
        )
    };
    let (stack, frame) = frame_address(exc_return, msp, psp);
    let kind = match code {
        ExitCode::SecureFault => FaultKind::SecureFault,
        ExitCode::MemManage => FaultKind::MemManage,
        ExitCode::BusFault => FaultKind::BusFault,
        ExitCode::UsageFault => FaultKind::UsageFault,
        _ => FaultKind::HardFault,
    };
    defmt::error!(
        "FAULT {}: SFSR={=u32:#010x} SFAR={=u32:#010x} CFSR={=u32:#010x} HFSR={=u32:#010x} MMFAR={=u32:#010x} BFAR={=u32:#010x} EXC_RETURN={=u32:#010x}",
        kind.name(), sfsr, sfar, cfsr, hfsr, mmfar, bfar, exc_return
    );
    let from_app = matches!(
        stack,
        FrameStack::NonSecureMain | FrameStack::NonSecureProcess
    );
    let mut registers = alloc::vec![
        ("SFSR", sfsr),
        ("SFAR", sfar),
        ("CFSR", cfsr),
        ("HFSR", hfsr),
        ("MMFAR", mmfar),
        ("BFAR", bfar),
        ("EXC_RETURN", exc_return),
        ("CFSR_NS", cfsr_ns),
    ];
    if from_app && frame_readable(stack, frame) {
        app_crashed(kind, registers, Some(frame));
    }
    if from_app || forged_by_app(stack, exc_return, frame) {
        // The app's fault, but its frame is not where the app may keep
        // one (its stack pointer aimed at secure memory), or it names a
        // secure stack no secure code was using (a forged return): a
        // crash all the same, reported without stack bytes.
        app_crashed(kind, registers, None);
    }
    if frame_readable(stack, frame) {
        // SAFETY: the frame lies in RAM of the right security (checked above).
        let (lr, pc, xpsr) =
            unsafe { (read32(frame + 20), read32(frame + 24), read32(frame + 28)) };
        defmt::error!(
            "FAULT frame on {} stack at {=u32:#010x}: PC={=u32:#010x} LR={=u32:#010x} xPSR={=u32:#010x}",
            stack, frame, pc, lr, xpsr
        );
        registers.extend([("LR", lr), ("PC", pc), ("xPSR", xpsr)]);
    } else {
        defmt::error!(
            "FAULT frame on {} stack at {=u32:#010x} is not readable",
            stack,
            frame
        );
    }
    crate::cloud::send(&DeviceToCloud::KernelFault(report(kind, registers)));
    exit(code)
}

fn report(kind: FaultKind, registers: Vec<(&'static str, u32)>) -> FaultReport {
    FaultReport {
        kind,
        registers: registers
            .into_iter()
            .map(|(n, v)| (n.to_string(), v))
            .collect(),
    }
}

/// Does a frame on a secure stack belong to no secure code? The secure
/// world runs its thread mode on `MSP_S` only, below the seal
/// ([`crate::boot`]); `PSP_S` is nothing but a seal. So a fault whose frame
/// is on the secure process stack, or on the secure main stack in thread
/// mode at or above the sealed top, follows an exception return the app
/// forged (`EXC_RETURN.S = 1` from its own handler): the core refused it on
/// the seal, and what it names as secure code was never running.
fn forged_by_app(stack: FrameStack, exc_return: u32, frame: u32) -> bool {
    let thread_mode = exc_return & (1 << 3) != 0;
    match stack {
        FrameStack::SecureProcess => true,
        FrameStack::SecureMain => thread_mode && frame >= crate::boot::sealed_msp(),
        FrameStack::NonSecureMain | FrameStack::NonSecureProcess => false,
    }
}

/// The app crashed: the device reports it and says how long to back off;
/// then the app restarts. Runs in the fault handler. `frame`: the app's
/// exception frame, when it is readable app RAM.
fn app_crashed(kind: FaultKind, mut registers: Vec<(&'static str, u32)>, frame: Option<u32>) -> ! {
    if crate::device::abandon_call() {
        defmt::warn!("the app crashed in a fast interrupt that pre-empted its system call; the call is abandoned");
    }
    let Some(frame) = frame else {
        let backoff =
            crate::device::with(|d| d.app_crashed(report(kind, registers), 0, Vec::new()))
                .unwrap_or(mv_device::MIN_BACKOFF_MS);
        defmt::warn!(
            "app crash ({}) with no readable frame; restarting the app in {=u32} ms",
            kind.name(),
            backoff
        );
        back_off_and_restart(backoff)
    };
    // The caller checked the 32-byte frame; send as much above it as is app RAM.
    let mut len = STACK_BYTES;
    while len > 32 && !within(frame, frame + len - 1, NS_RAM_BASE, NS_RAM_SIZE) {
        len -= 4;
    }
    let mut stack = Vec::with_capacity(len as usize);
    for at in (frame..frame + len).step_by(4) {
        // SAFETY: inside app RAM (checked above and by the caller): a
        // non-secure load the secure world may always do.
        stack.extend_from_slice(&unsafe { read32(at) }.to_le_bytes());
    }
    let word = |i: usize| u32::from_le_bytes([stack[i], stack[i + 1], stack[i + 2], stack[i + 3]]);
    registers.extend([("LR", word(20)), ("PC", word(24)), ("xPSR", word(28))]);
    let pc = word(24);
    let backoff = crate::device::with(|d| d.app_crashed(report(kind, registers), frame, stack))
        .unwrap_or(mv_device::MIN_BACKOFF_MS);
    defmt::warn!(
        "app crash ({}): PC={=u32:#010x}; restarting the app in {=u32} ms",
        kind.name(),
        pc,
        backoff
    );
    back_off_and_restart(backoff)
}

fn back_off_and_restart(backoff: u32) -> ! {
    crate::device::app_running(false);
    let until = crate::clock::now_us() + u64::from(backoff) * 1000;
    while crate::clock::now_us() < until {}
    crate::restart::from_handler(Restart::Crash)
}

/// Every secure exception and IRQ without its own handler. The only IRQ the
/// secure image enables is its clock's (the secure SysTick has its own handler,
/// [`crate::cloud`]); anything else is a bug worth a stop.
#[exception]
unsafe fn DefaultHandler(irqn: i16) {
    if crate::clock::on_interrupt(irqn) {
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
