//! Each board's table through the kernel's one authority check.

use mv_boards::{an505, stm32u585, Board};
use mv_kernel::authority::app_may_access;
use mv_kernel::board::Access::{Read, ReadWrite};

/// What every board must hold: app RAM is app memory up to its last byte,
/// the byte after it is not, code is read-only, and nothing secure,
/// unmapped or peripheral is app memory.
fn check(board: &Board, ram: (u32, u32), code: (u32, u32), never: &[u32]) {
    let t = board.app_regions;
    assert!(app_may_access(t, ram.0, ram.1, ReadWrite), "all of RAM");
    assert!(app_may_access(t, ram.0 + ram.1 - 16, 16, ReadWrite));
    assert!(
        !app_may_access(t, ram.0 + ram.1 - 16, 17, ReadWrite),
        "RAM end"
    );
    assert!(!app_may_access(t, ram.0 - 1, 2, Read), "before RAM");
    assert!(app_may_access(t, code.0, 4, Read), "code reads");
    assert!(
        !app_may_access(t, code.0, 4, ReadWrite),
        "code is read-only"
    );
    assert!(!app_may_access(t, code.0 + code.1 - 2, 4, Read), "code end");
    for &addr in never {
        assert!(!app_may_access(t, addr, 4, Read), "{addr:#010x}");
    }
    assert!(!app_may_access(t, 0xFFFF_FFF0, 0x20, Read), "wraps");
    // Every region the hello calls secure is refused, whole and at its edges.
    for r in board.regions.iter().filter(|r| r.secure) {
        assert!(!app_may_access(t, r.base, 1, Read), "{}", r.name);
        assert!(
            !app_may_access(t, r.base + r.size - 1, 1, Read),
            "{}",
            r.name
        );
    }
}

#[test]
fn stm32u585_app_memory_is_exactly_app_ram_and_app_flash() {
    use stm32u585::*;
    check(
        &BOARD,
        (NS_RAM_BASE, NS_RAM_SIZE),
        (NS_FLASH_BASE, NS_FLASH_SIZE),
        &[
            RCC_BASE + 0x88,
            UNMAPPED_BASE,
            SECURE_RAM_BASE,
            MV_SRAM3_BASE,
        ],
    );
    assert_eq!(attribution(MV_SRAM3_BASE), Attribution::Secure);
    assert_eq!(
        attribution(NS_FLASH_BASE + NS_FLASH_SIZE),
        Attribution::Secure
    );
}

#[test]
fn an505_app_memory_is_exactly_app_ram_and_app_code() {
    use an505::*;
    check(
        &BOARD,
        (NS_RAM_BASE, NS_RAM_SIZE),
        (NS_CODE_BASE, NS_CODE_SIZE),
        &[
            NS_PERIPHERALS_BASE + 0x0020_1000, // UART1, the agent link
            UNMAPPED_BASE,
            SECURE_RAM_BASE,
            PSRAM_BASE,
            NS_RAM_END,
        ],
    );
}

#[test]
fn pools_lie_where_their_placements_say() {
    for board in [stm32u585::BOARD, an505::BOARD] {
        let p = board.pools;
        let t = board.app_regions;
        assert!(app_may_access(
            t,
            p.ns_ram.0,
            p.ns_ram.1 - p.ns_ram.0,
            ReadWrite
        ));
        assert!(app_may_access(
            t,
            p.ns_flash.0,
            p.ns_flash.1 - p.ns_flash.0,
            Read
        ));
        for addr in [p.secure_ram, p.secure_flash, p.unmapped, p.ns_ram.1] {
            assert!(
                !app_may_access(t, addr, 1, Read),
                "{}: {addr:#x}",
                board.name
            );
        }
    }
}
