//! The flood watch over fast interrupts, driven as a board's secure clock drives it (`Kernel::watch_fast_interrupts`).

mod fake_board;

use fake_board::{FakeBoard, RAM, VTOR};
use mv_abi::{MvStatus, Slot};
use mv_kernel::flood_watch::{FLOOD_SAMPLES, FLOOD_WINDOW_US};
use mv_kernel::Kernel;

use MvStatus::*;

/// The one handler every vector of the fake app's table names.
const HANDLER: u32 = RAM + 0x101;
/// The AN505 image's secure tick (10 kHz).
const TICK_US: u64 = 100;

fn call(k: &mut Kernel<FakeBoard>, slot: Slot, irq: u32) -> MvStatus {
    MvStatus::try_from(k.dispatch(slot.number(), [irq, 0, 0, 0])).expect("an MvStatus")
}

/// A kernel whose app has a vector table and made IRQ 40 fast and enabled.
fn kernel_with_fast_40() -> Kernel<FakeBoard> {
    let mut k = Kernel::new(FakeBoard::default());
    let table: Vec<u8> = std::iter::once(RAM + 0x800)
        .chain(std::iter::repeat_n(HANDLER, 15 + 100))
        .flat_map(u32::to_le_bytes)
        .collect();
    k.board_mut().put(VTOR, &table);
    assert_eq!(call(&mut k, Slot::SetFastInterrupt, 40), Okay);
    assert_eq!(call(&mut k, Slot::EnableFastInterrupt, 40), Okay);
    k
}

/// `n` ticks of the secure clock; the tick (0-based) at which the watch
/// shut fast interrupts down, if one did.
fn ticks(k: &mut Kernel<FakeBoard>, n: u32) -> Option<u32> {
    let mut shut = None;
    for i in 0..n {
        k.board_mut().now += TICK_US;
        if k.watch_fast_interrupts() && shut.is_none() {
            shut = Some(i);
        }
    }
    shut
}

#[test]
fn a_fast_irq_busy_at_every_tick_for_the_window_is_shut_down() {
    let mut k = kernel_with_fast_40();
    k.board_mut().active.push(40);
    let window_ticks = (FLOOD_WINDOW_US / TICK_US) as u32;
    assert!(
        window_ticks >= FLOOD_SAMPLES,
        "at 10 kHz the window decides"
    );
    assert_eq!(ticks(&mut k, window_ticks), None);
    assert_eq!(call(&mut k, Slot::EnableFastInterrupt, 40), Okay, "not yet");
    assert_eq!(ticks(&mut k, 1), Some(0));
    // Shut down: the IRQ is disabled and ordinary again, and the four
    // per-IRQ calls answer UNAVAILABLE; the gate and the rest still answer.
    assert!(k.board().fast.is_empty() && k.board().enabled.is_empty());
    for slot in [
        Slot::SetFastInterrupt,
        Slot::EnableFastInterrupt,
        Slot::DisableFastInterrupt,
        Slot::ClearFastInterrupt,
    ] {
        assert_eq!(call(&mut k, slot, 40), Unavailable, "{slot:?}");
    }
    assert_eq!(call(&mut k, Slot::EnableAllFastInterrupts, 0), Okay);
    assert_eq!(call(&mut k, Slot::NoOp, 0), Okay);
    assert_eq!(ticks(&mut k, 1000), None, "shut down once");
    // An app restart ends the shut-down.
    k.restart_app(mv_abi::MvWakeReason::ColdBoot);
    assert_eq!(call(&mut k, Slot::SetFastInterrupt, 40), Okay);
}

#[test]
fn a_handler_that_returns_between_ticks_is_no_flood() {
    let mut k = kernel_with_fast_40();
    for _ in 0..100 {
        k.board_mut().active.push(40);
        assert_eq!(ticks(&mut k, FLOOD_SAMPLES * 4), None);
        k.board_mut().active.clear();
        assert_eq!(ticks(&mut k, 1), None);
    }
    assert_eq!(call(&mut k, Slot::EnableFastInterrupt, 40), Okay);
}

#[test]
fn pending_counts_only_when_enabled_and_only_for_fast_irqs() {
    let mut k = kernel_with_fast_40();
    // IRQ 41 is not fast: its flood is the app's own business.
    k.board_mut().active.push(41);
    assert_eq!(ticks(&mut k, 1000), None);
    // IRQ 40 pending but disabled never runs: not busy.
    k.board_mut().active.clear();
    assert_eq!(call(&mut k, Slot::DisableFastInterrupt, 40), Okay);
    k.board_mut().pended.push(40);
    assert_eq!(ticks(&mut k, 1000), None);
    // Enabled and pending at every tick: it runs again and again.
    assert_eq!(call(&mut k, Slot::EnableFastInterrupt, 40), Okay);
    assert!(ticks(&mut k, 1000).is_some());
    assert_eq!(call(&mut k, Slot::EnableFastInterrupt, 40), Unavailable);
}
