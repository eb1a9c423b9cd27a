//! The defects an independent review against the SDK header found (issue 11), each pinned here.
//!
//! Every test failed on the kernel before its fix: a NETWORK subscription
//! that heard nothing, a log message garbled when it lies in the log buffer,
//! a handle zeroed by the sentinel of its own ring, a fixed table of 64
//! centres, and a full system-notification table answering UNAVAILABLE.

mod fake_board;

use fake_board::{FakeBoard, RAM};
use mv_abi::{
    AbiStruct, MvEventType, MvNotificationSetup, MvOpenSystemNotificationParams, MvStatus,
    MvSystemNotificationSource, Slot,
};
use mv_kernel::logging::LinkState;
use mv_kernel::Kernel;

const SETUP: u32 = RAM + 0x100;
const PARAMS: u32 = RAM + 0x140;
const HANDLE: u32 = RAM + 0x200;
const SYS: u32 = RAM + 0x240;
const RING: u32 = RAM + 0x400;
const LOG: u32 = RAM + 0x1000;

fn call(k: &mut Kernel<FakeBoard>, slot: Slot, args: [u32; 4]) -> MvStatus {
    MvStatus::try_from(k.dispatch(slot.number(), args)).expect("the kernel returns an MvStatus")
}

fn setup(k: &mut Kernel<FakeBoard>, irq: u32, buffer: u32, size: u32, out: u32) -> MvStatus {
    let mut bytes = [0u8; 12];
    MvNotificationSetup {
        irq,
        buffer,
        buffer_size: size,
    }
    .encode(&mut bytes);
    k.board_mut().put(SETUP, &bytes);
    call(k, Slot::SetupNotifications, [SETUP, out, 0, 0])
}

fn open(
    k: &mut Kernel<FakeBoard>,
    centre: u32,
    tag: u32,
    source: MvSystemNotificationSource,
) -> MvStatus {
    let mut bytes = [0u8; 12];
    MvOpenSystemNotificationParams {
        notification_handle: centre,
        notification_tag: tag,
        notification_source: source as u32,
    }
    .encode(&mut bytes);
    k.board_mut().put(PARAMS, &bytes);
    call(k, Slot::OpenSystemNotification, [PARAMS, SYS, 0, 0])
}

fn link(k: &mut Kernel<FakeBoard>, online: bool, logging_enabled: bool) {
    k.set_link(LinkState {
        online,
        logging_enabled,
    });
}

/// `(event_type, tag)` of ring slot `i`.
fn record(k: &Kernel<FakeBoard>, i: u32) -> (u32, u32) {
    let at = RING + 16 * i;
    (k.board().u32_at(at + 8), k.board().u32_at(at + 12))
}

#[test]
fn a_network_subscription_hears_every_link_change_and_nothing_else() {
    let mut k = Kernel::new(FakeBoard::default());
    assert_eq!(setup(&mut k, 41, RING, 128, HANDLE), MvStatus::Okay);
    let nc = k.board().u32_at(HANDLE);
    assert_eq!(
        open(&mut k, nc, 0x4E, MvSystemNotificationSource::Network),
        MvStatus::Okay
    );
    assert_eq!(
        open(&mut k, nc, 0x55, MvSystemNotificationSource::Update),
        MvStatus::Okay
    );
    let changed = MvEventType::NetworkStatusChanged as u32;

    link(&mut k, false, true);
    assert_eq!(record(&k, 0), (changed, 0x4E), "going offline is a change");
    assert_eq!(
        record(&k, 1).0,
        0,
        "one record, for the NETWORK subscription only"
    );
    link(&mut k, false, true);
    link(&mut k, false, false);
    assert_eq!(record(&k, 1).0, 0, "no change of the link, no record");
    link(&mut k, true, false);
    assert_eq!(record(&k, 1), (changed, 0x4E), "coming back is a change");
    assert_eq!(k.board().pended, vec![41, 41]);
}

#[test]
fn a_log_message_inside_the_log_buffer_reaches_the_server_as_it_was() {
    let mut k = Kernel::new(FakeBoard::default());
    assert_eq!(
        call(&mut k, Slot::ServerLoggingInit, [LOG, 1024, 0, 0]),
        MvStatus::Okay
    );
    // The message starts where its copy goes (after the 4-byte header), and
    // runs past one 64-byte chunk: a forward chunked copy garbles it.
    let message: Vec<u8> = (0..100u8).map(|i| b'0' + i % 10).collect();
    k.board_mut().put(LOG, &message);
    link(&mut k, false, true);
    assert_eq!(
        call(&mut k, Slot::ServerLog, [LOG, 100, 0, 0]),
        MvStatus::Okay
    );
    link(&mut k, true, true);
    assert_eq!(k.board().sent, vec![message]);
}

#[test]
fn a_handle_out_inside_the_ring_is_refused_before_anything_changes() {
    let mut k = Kernel::new(FakeBoard::default());
    k.board_mut().put(RING, &[0xFF; 64]);
    let writes = k.board().writes;
    // Slot 0's event_type: the first sentinel would zero the handle.
    assert_eq!(
        setup(&mut k, 41, RING, 64, RING + 8),
        MvStatus::BufferAlreadyInUse
    );
    // Any byte of the ring, first and last word included.
    assert_eq!(
        setup(&mut k, 41, RING, 64, RING),
        MvStatus::BufferAlreadyInUse
    );
    assert_eq!(
        setup(&mut k, 41, RING, 64, RING + 60),
        MvStatus::BufferAlreadyInUse
    );
    assert_eq!(k.board().writes, writes, "a refused setup writes nothing");
    assert_eq!(k.board().bytes(RING, 64), &[0xFF; 64]);
    // Just outside the ring is fine, and so is joining a ring in use with
    // the handle elsewhere; joining it with the handle inside is refused too.
    assert_eq!(setup(&mut k, 41, RING, 64, RING + 64), MvStatus::Okay);
    assert_ne!(k.board().u32_at(RING + 64), 0);
    assert_eq!(
        setup(&mut k, 42, RING, 64, RING + 16),
        MvStatus::BufferAlreadyInUse
    );
    assert_eq!(setup(&mut k, 42, RING, 64, HANDLE), MvStatus::Okay);
}

#[test]
fn centres_are_limited_by_free_irqs_not_by_a_table() {
    let mut k = Kernel::new(FakeBoard::default());
    // The fake board has 99 app IRQs (0..100 without 3): one centre each,
    // all on one buffer, is past any 64-entry table.
    let irqs: Vec<u32> = (0..100).filter(|&irq| irq != 3).collect();
    let mut handles = Vec::new();
    for &irq in &irqs {
        let out = HANDLE + 4 * (handles.len() as u32 % 16);
        assert_eq!(
            setup(&mut k, irq, RING, 32, out),
            MvStatus::Okay,
            "centre on IRQ {irq}"
        );
        handles.push(k.board().u32_at(out));
    }
    assert_eq!(irqs.len(), 99);
    // Out of IRQs: the next setup names one in use or one the app may not use.
    assert_eq!(
        setup(&mut k, 50, RING, 32, HANDLE),
        MvStatus::InvalidInterrupt
    );
    assert_eq!(
        setup(&mut k, 100, RING, 32, HANDLE),
        MvStatus::InvalidInterrupt
    );
    // Every centre works, the last one included.
    let last = *handles.last().unwrap();
    assert_eq!(
        call(&mut k, Slot::TempTriggerNotification, [last, 2, 9, 0]),
        MvStatus::Okay
    );
    assert_eq!(k.board().pended, vec![99]);
    // Closing centres in any order keeps the others reachable.
    k.board_mut().put(HANDLE, &handles[0].to_le_bytes());
    assert_eq!(
        call(&mut k, Slot::CloseNotifications, [HANDLE, 0, 0, 0]),
        MvStatus::Okay
    );
    assert_eq!(
        call(&mut k, Slot::TempTriggerNotification, [last, 2, 9, 0]),
        MvStatus::Okay
    );
    assert_eq!(
        call(&mut k, Slot::TempTriggerNotification, [handles[0], 2, 9, 0]),
        MvStatus::InvalidHandle
    );
    assert_eq!(
        setup(&mut k, 0, RING, 32, HANDLE),
        MvStatus::Okay,
        "IRQ 0 is free again"
    );
}

#[test]
fn sixty_four_system_notifications_open_and_the_next_is_too_many_elements() {
    let mut k = Kernel::new(FakeBoard::default());
    assert_eq!(setup(&mut k, 41, RING, 64, HANDLE), MvStatus::Okay);
    let nc = k.board().u32_at(HANDLE);
    for n in 0..64 {
        assert_eq!(
            open(&mut k, nc, n, MvSystemNotificationSource::Update),
            MvStatus::Okay,
            "stream {n}"
        );
    }
    k.board_mut().put(SYS, &[0; 4]);
    assert_eq!(
        open(&mut k, nc, 64, MvSystemNotificationSource::Network),
        MvStatus::TooManyElements,
        "a full table must not answer UNAVAILABLE, which means 'calling from an interrupt'"
    );
    assert_eq!(k.board().u32_at(SYS), 0, "no handle written");
}
