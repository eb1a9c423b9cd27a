//! The fault record of a core the probe halted at a fault handler (vector catch): the registers the secure image's handler reads, read from outside.
//!
//! `firmware/secure/src/faults.rs` keeps no record in memory: its handler
//! reads the fault status registers, sends them to the cloud as a
//! `KernelFault` (or reports an app crash) and stops. With vector catch the
//! core halts at the handler's first instruction, before any of that, so
//! the record is read here through the probe: the same registers under the
//! same names, the stacked PC/LR/xPSR of a secure frame, and whose fault it
//! was, by the same rule as the handler (EXC_RETURN.S: a frame on a
//! non-secure stack is the app's, which the kernel survives).

use mv_proto::{FaultKind, FaultReport};

/// The registers `faults.rs` reports, in its order and under its names
/// (SCB, secure bank; `CFSR_NS` is the app's CFSR through its alias).
pub const FAULT_REGISTERS: [(&str, u32); 7] = [
    ("SFSR", 0xE000_EDE4),
    ("SFAR", 0xE000_EDE8),
    ("CFSR", 0xE000_ED28),
    ("HFSR", 0xE000_ED2C),
    ("MMFAR", 0xE000_ED34),
    ("BFAR", 0xE000_ED38),
    ("CFSR_NS", 0xE002_ED28),
];

/// The exception a handler runs for, from IPSR (its exception number).
pub fn kind_of(ipsr: u32) -> Option<FaultKind> {
    match ipsr & 0x1FF {
        3 => Some(FaultKind::HardFault),
        4 => Some(FaultKind::MemManage),
        5 => Some(FaultKind::BusFault),
        6 => Some(FaultKind::UsageFault),
        7 => Some(FaultKind::SecureFault),
        _ => None,
    }
}

/// Whether the frame went to a non-secure stack (EXC_RETURN.S clear): the
/// app's fault, which the kernel reports as a crash and survives.
pub fn from_app(exc_return: u32) -> bool {
    exc_return & (1 << 6) == 0
}

/// Where a secure exception frame's basic part starts: the stack
/// EXC_RETURN.SPSEL names, past the callee-saved registers when DCRS is
/// clear (as `faults.rs`'s `frame_address`).
pub fn secure_frame(exc_return: u32, msp: u32, psp: u32) -> u32 {
    let sp = if exc_return & (1 << 2) != 0 { psp } else { msp };
    let extra = if exc_return & (1 << 5) == 0 { 40 } else { 0 };
    sp.wrapping_add(extra)
}

/// The record: the kind from IPSR, the fault registers, EXC_RETURN, and
/// the stacked LR, PC and xPSR when the frame could be read (the names and
/// order of `faults.rs`'s report).
pub fn fault_report(
    ipsr: u32,
    exc_return: u32,
    registers: &[(&str, u32)],
    stacked: Option<[u32; 3]>,
) -> FaultReport {
    let kind = kind_of(ipsr).unwrap_or(FaultKind::HardFault);
    let mut all: Vec<(String, u32)> = Vec::new();
    for &(name, value) in registers {
        if name == "CFSR_NS" {
            all.push(("EXC_RETURN".into(), exc_return));
        }
        all.push((name.into(), value));
    }
    if let Some([lr, pc, xpsr]) = stacked {
        all.extend([("LR".into(), lr), ("PC".into(), pc), ("xPSR".into(), xpsr)]);
    }
    FaultReport {
        kind,
        registers: all,
    }
}

/// One line for a person: the kind, what the cause bits say, whose fault,
/// every register.
pub fn describe(report: &FaultReport) -> String {
    let causes = report.causes();
    let owner = match report.register("EXC_RETURN") {
        Some(r) if from_app(r) => " in the app",
        Some(_) => " in the secure kernel",
        None => "",
    };
    let at = report
        .register("PC")
        .map(|pc| format!(" at PC={pc:#010x}"))
        .unwrap_or_default();
    let registers = report
        .registers
        .iter()
        .map(|(n, v)| format!("{n}={v:#010x}"))
        .collect::<Vec<_>>()
        .join(" ");
    let causes = if causes.is_empty() {
        String::new()
    } else {
        format!(" ({})", causes.join(", "))
    };
    format!("{}{owner}{at}{causes}: {registers}", report.kind.name())
}

#[cfg(test)]
mod tests {
    use super::{describe, fault_report, from_app, kind_of, secure_frame, FAULT_REGISTERS};
    use mv_proto::FaultKind;

    #[test]
    fn the_kind_comes_from_ipsr_and_the_owner_from_exc_return() {
        assert_eq!(kind_of(7), Some(FaultKind::SecureFault));
        assert_eq!(kind_of(0x0100_0003), Some(FaultKind::HardFault));
        assert_eq!(kind_of(16 + 5), None, "an interrupt is no fault");
        // EXC_RETURN 0xFFFFFFFD: thread mode, secure, PSP; 0xFFFFFFBC: non-secure.
        assert!(!from_app(0xFFFF_FFFD));
        assert!(from_app(0xFFFF_FFBC));
        // DCRS clear: 40 bytes of callee-saved state sit below the frame.
        assert_eq!(
            secure_frame(0xFFFF_FFFD, 0x3008_1000, 0x3008_2000),
            0x3008_2000
        );
        assert_eq!(
            secure_frame(0xFFFF_FFD9, 0x3008_1000, 0x3008_2000),
            0x3008_1028
        );
    }

    #[test]
    fn a_kernel_secure_fault_reads_as_the_handler_would_report_it() {
        let values: Vec<(&str, u32)> = FAULT_REGISTERS
            .iter()
            .map(|&(name, _)| match name {
                // SFSR.INVEP | SFARVALID; SFAR: where the bad entry went.
                "SFSR" => (name, 0x41),
                "SFAR" => (name, 0x0C10_2000),
                _ => (name, 0),
            })
            .collect();
        let report = fault_report(
            7,
            0xFFFF_FFFD,
            &values,
            Some([0x0C10_0421, 0x0C10_1F00, 0x0100_0000]),
        );
        assert_eq!(report.kind, FaultKind::SecureFault);
        let names: Vec<&str> = report.registers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "SFSR",
                "SFAR",
                "CFSR",
                "HFSR",
                "MMFAR",
                "BFAR",
                "EXC_RETURN",
                "CFSR_NS",
                "LR",
                "PC",
                "xPSR"
            ]
        );
        assert_eq!(
            describe(&report),
            "SecureFault in the secure kernel at PC=0x0c101f00 (INVEP): SFSR=0x00000041 SFAR=0x0c102000 CFSR=0x00000000 HFSR=0x00000000 MMFAR=0x00000000 BFAR=0x00000000 EXC_RETURN=0xfffffffd CFSR_NS=0x00000000 LR=0x0c100421 PC=0x0c101f00 xPSR=0x01000000"
        );
        let app = fault_report(3, 0xFFFF_FFBC, &values, None);
        assert!(
            describe(&app).starts_with("HardFault in the app: SFSR="),
            "{}",
            describe(&app)
        );
    }
}
