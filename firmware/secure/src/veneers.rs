//! The NSC veneer table: 128 entries of `SG; B.W trampoline`, and the common entry.
//!
//! Stable Rust has no `cmse-nonsecure-entry`, so the table is hand-written
//! assembly. Entry `n` sits at `__sg_start + 8*n` in `.gnu.sgstubs`, which
//! `memory.x` places at the start of the NSC region (the only code there).
//! Its trampoline (ordinary secure code) puts `n` in r12 and joins
//! `mv_nsc_entry`, which passes r0–r3 (on its stack) and the slot to
//! [`crate::device`]'s `mv_nsc_dispatch`, then clears r1–r3, r12 and the flags so nothing secure
//! leaks, and returns to the app with `BXNS LR` (SG cleared LR bit 0).
//! r4–r11 are callee-saved by the AAPCS code in between, so they come back
//! holding the caller's values.

/// Emit the table and one trampoline per slot number.
macro_rules! nsc_table {
    ($($slot:literal)+) => {
        core::arch::global_asm!(
            ".section .gnu.sgstubs, \"ax\", %progbits",
            ".p2align 5",
            ".thumb",
            ".global mv_nsc_table",
            "mv_nsc_table:",
            $( concat!("sg\n    b.w mv_nsc_trampoline_", $slot), )+
            ".section .text.mv_nsc_trampolines, \"ax\", %progbits",
            ".p2align 2",
            ".thumb",
            $(
                concat!(
                    ".thumb_func\nmv_nsc_trampoline_", $slot, ":\n",
                    "    mov.w r12, #", $slot, "\n",
                    "    b.w mv_nsc_entry",
                ),
            )+
        );
    };
}

// The 74 slot numbers of SDK 0.7.0, then the entries reserved for calls a
// later SDK appends (`mv_abi::NSC_TABLE_ENTRIES`): the kernel answers them
// UNAVAILABLE, as it does the unassigned 20 and 71.
nsc_table!(
      0   1   2   3   4   5   6   7   8   9  10  11  12  13  14  15  16  17  18  19
     20  21  22  23  24  25  26  27  28  29  30  31  32  33  34  35  36  37  38  39
     40  41  42  43  44  45  46  47  48  49  50  51  52  53  54  55  56  57  58  59
     60  61  62  63  64  65  66  67  68  69  70  71  72  73
                                                         74  75  76  77  78  79
     80  81  82  83  84  85  86  87  88  89  90  91  92  93  94  95  96  97  98  99
    100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 115 116 117 118 119
    120 121 122 123 124 125 126 127
);

// The common entry. r0–r3 are pushed as one block (the call's `[u32; 4]`,
// which the dispatch reads through a pointer, so nothing is copied again)
// with r4 (only for the 8-byte alignment) and LR; the slot (r12) is the
// second argument. One push, one pop: this is the path of every call.
core::arch::global_asm!(
    ".section .text.mv_nsc_entry, \"ax\", %progbits",
    ".p2align 2",
    ".thumb",
    ".thumb_func",
    "mv_nsc_entry:",
    "    push {{r0, r1, r2, r3, r4, lr}}",
    "    mov r0, sp",
    "    mov r1, r12",
    "    bl mv_nsc_dispatch",
    "    add sp, sp, #16",
    "    pop {{r4, lr}}",
    "    movs r1, #0",
    "    movs r2, #0",
    "    movs r3, #0",
    "    mov r12, r1",
    "    msr APSR_nzcvq, r1",
    "    bxns lr",
);

// An `SG` outside the NSC region: the word right after the table, where
// `memory.x` places it (the SAU's NSC region ends with the table, so it is
// secure, not non-secure callable). It exists so the case that branches to
// it shows the core refuses an `SG` it finds outside NSC memory
// (SecureFault `INVEP`) — a gadget an attacker could find in any secure
// image. Nothing calls it; were it ever entered, `UDF` stops there.
core::arch::global_asm!(
    ".section .mv_sg_outside_nsc, \"ax\", %progbits",
    ".p2align 2",
    ".thumb",
    ".global mv_sg_outside_nsc",
    ".thumb_func",
    "mv_sg_outside_nsc:",
    "    sg",
    "    udf #0",
);

extern "C" {
    /// Entry 0 of the table (the linker's `__sg_start`).
    static mv_nsc_table: u32;
}

/// Address of entry 0, for the handoff block.
pub fn table_base() -> u32 {
    // Only the address of the symbol is taken; nothing is read.
    core::ptr::addr_of!(mv_nsc_table) as usize as u32
}
