//! `__pre_init`: make secure code memory equal to the copy the harness left in the PSRAM, before anything else runs.
//!
//! QEMU rewrites every block it loaded at each `system_reset`, and a store
//! into code it has translated throws those translations away: with the
//! whole image loaded by QEMU, every reset cost a retranslation of all
//! the secure code the boot and the next case run (about 670 blocks, most
//! of a reset's time). So the conformance session gives QEMU only the
//! vector table, `Reset` and this function, and leaves the rest of the
//! image in the PSRAM (`mv_boards::an505::SECURE_IMAGE_NVM_OFFSET`, laid
//! out as documented there). `Reset` calls this before it touches RAM; it
//! compares every word of each segment with secure code memory and stores
//! only those that differ, so a reset finds the code byte for byte as
//! built (the first boot stores all of it) and QEMU keeps what it
//! translated. Without the block's magic it does nothing: the image runs
//! as QEMU loaded it (the OTA campaign, the emulated board).
//!
//! It runs before `.data` and `.bss` exist and before most of `.text` may
//! be there, so it is assembly that calls nothing and keeps its constants
//! in its own literal pool (inside its `.size`, which the harness reads to
//! know what QEMU must load). A segment outside secure code memory or not
//! word-aligned ends the copy: the harness's builder refuses to write one.

use mv_boards::an505::{
    PSRAM_BASE, SECURE_CODE_BASE, SECURE_CODE_SIZE, SECURE_IMAGE_MAGIC, SECURE_IMAGE_MAX_SEGMENTS,
    SECURE_IMAGE_NVM_OFFSET,
};

core::arch::global_asm!(
    ".section .text.mv_reload, \"ax\"",
    ".global __pre_init",
    ".type __pre_init, %function",
    ".thumb_func",
    "__pre_init:",
    "    ldr r0, ={block}",
    "    ldr r1, [r0]",
    "    ldr r2, ={magic}",
    "    cmp r1, r2",
    "    bne .Lmv_reload_out",
    "    push {{r4-r11}}",
    "    ldr r3, [r0, #4]",
    "    cmp r3, #{max}",
    "    bhi .Lmv_reload_done",
    // r1: the next (address, length) pair; r2: the next segment's bytes.
    "    adds r1, r0, #8",
    "    add r2, r1, r3, lsl #3",
    ".Lmv_reload_segment:",
    "    cbz r3, .Lmv_reload_done",
    "    ldr r4, [r1]",
    "    ldr r5, [r1, #4]",
    "    adds r1, #8",
    "    subs r3, #1",
    "    orr r6, r4, r5",
    "    tst r6, #3",
    "    bne .Lmv_reload_done",
    "    ldr r6, ={code}",
    "    cmp r4, r6",
    "    blo .Lmv_reload_done",
    "    adds r5, r4, r5",
    "    bcs .Lmv_reload_done",
    "    ldr r6, ={code_end}",
    "    cmp r5, r6",
    "    bhi .Lmv_reload_done",
    // Four words at a time while they are equal (every reset but the
    // first), else one word, stored if it differs.
    ".Lmv_reload_quad:",
    "    sub r6, r5, r4",
    "    cmp r6, #16",
    "    blo .Lmv_reload_word",
    "    ldm r2, {{r6, r7, r8, r9}}",
    "    ldm r4, {{r0, r10, r11, r12}}",
    "    cmp r6, r0",
    "    itt eq",
    "    cmpeq r7, r10",
    "    cmpeq r8, r11",
    "    it eq",
    "    cmpeq r9, r12",
    "    bne .Lmv_reload_word",
    "    adds r2, #16",
    "    adds r4, #16",
    "    b .Lmv_reload_quad",
    ".Lmv_reload_word:",
    "    cmp r4, r5",
    "    bhs .Lmv_reload_segment",
    "    ldr r6, [r2], #4",
    "    ldr r7, [r4]",
    "    cmp r6, r7",
    "    it ne",
    "    strne r6, [r4]",
    "    adds r4, #4",
    "    b .Lmv_reload_quad",
    ".Lmv_reload_done:",
    "    pop {{r4-r11}}",
    // The stores are code: done before any of it runs.
    "    dsb",
    "    isb",
    ".Lmv_reload_out:",
    "    bx lr",
    ".ltorg",
    ".size __pre_init, . - __pre_init",
    block = const PSRAM_BASE + SECURE_IMAGE_NVM_OFFSET,
    magic = const SECURE_IMAGE_MAGIC,
    max = const SECURE_IMAGE_MAX_SEGMENTS,
    code = const SECURE_CODE_BASE,
    code_end = const SECURE_CODE_BASE + SECURE_CODE_SIZE,
);
