//! Kernel unit tests on a fake board that injects faults.

mod fake_board;

use fake_board::{FakeBoard, RAM, SECURE};
use mv_abi::{AbiStruct, MvNotificationSetup, MvStatus, Slot};
use mv_kernel::logging::LinkState;
use mv_kernel::Kernel;

const SETUP: u32 = RAM + 0x100;
const HANDLE: u32 = RAM + 0x200;
const RING: u32 = RAM + 0x400;
const OUT: u32 = RAM + 0x300;

fn call(k: &mut Kernel<FakeBoard>, slot: Slot, args: [u32; 4]) -> MvStatus {
    MvStatus::try_from(k.dispatch(slot.number(), args)).expect("the kernel returns an MvStatus")
}

fn write_setup(k: &mut Kernel<FakeBoard>, irq: u32, buffer: u32, size: u32) {
    let mut bytes = [0u8; 12];
    MvNotificationSetup {
        irq,
        buffer,
        buffer_size: size,
    }
    .encode(&mut bytes);
    k.board_mut().put(SETUP, &bytes);
}

fn centre(k: &mut Kernel<FakeBoard>, irq: u32, buffer: u32, size: u32) -> u32 {
    write_setup(k, irq, buffer, size);
    assert_eq!(
        call(k, Slot::SetupNotifications, [SETUP, HANDLE, 0, 0]),
        MvStatus::Okay
    );
    k.board().u32_at(HANDLE)
}

#[test]
fn every_slot_returns_a_status_and_never_panics() {
    let mut k = Kernel::new(FakeBoard::default());
    for slot in 0..80 {
        for args in [
            [0; 4],
            [u32::MAX; 4],
            [SECURE, SECURE, 1, 1],
            [RAM, RAM + 4, 34, 8],
        ] {
            let raw = k.dispatch(slot, args);
            assert!(
                MvStatus::try_from(raw).is_ok(),
                "slot {slot} returned {raw:#x}"
            );
        }
    }
    assert_eq!(k.dispatch(20, [0; 4]), MvStatus::Unavailable as u32);
    assert_eq!(k.dispatch(71, [0; 4]), MvStatus::Unavailable as u32);
    for past_the_table in [74, 75, 0x100, u32::MAX] {
        assert_eq!(
            k.dispatch(past_the_table, [RAM; 4]),
            MvStatus::Unavailable as u32
        );
    }
}

#[test]
fn setup_writes_a_nonzero_handle_and_the_first_sentinel() {
    let mut k = Kernel::new(FakeBoard::default());
    k.board_mut().put(RING, &[0xFF; 64]);
    let h = centre(&mut k, 41, RING, 64);
    assert_ne!(h, 0);
    assert_eq!(
        k.board().u32_at(RING + 8),
        0,
        "event_type of slot 0 is the sentinel"
    );
    assert_eq!(
        k.board().u32_at(RING + 24),
        0xFFFF_FFFF,
        "other slots are untouched"
    );
}

#[test]
fn a_fault_writing_the_handle_leaves_no_centre_behind() {
    let mut k = Kernel::new(FakeBoard::default());
    write_setup(&mut k, 41, RING, 64);
    k.board_mut().fail_write_in = Some(0);
    assert_eq!(
        call(&mut k, Slot::SetupNotifications, [SETUP, HANDLE, 0, 0]),
        MvStatus::ParameterFault
    );
    // The IRQ and the buffer are still free.
    assert_eq!(
        call(&mut k, Slot::SetupNotifications, [SETUP, HANDLE, 0, 0]),
        MvStatus::Okay
    );
}

#[test]
fn a_fault_after_the_handle_is_written_is_a_late_fault() {
    let mut k = Kernel::new(FakeBoard::default());
    write_setup(&mut k, 41, RING, 64);
    k.board_mut().fail_write_in = Some(1);
    assert_eq!(
        call(&mut k, Slot::SetupNotifications, [SETUP, HANDLE, 0, 0]),
        MvStatus::LateFault
    );
}

#[test]
fn a_ring_write_fault_on_trigger_is_a_late_fault() {
    let mut k = Kernel::new(FakeBoard::default());
    let h = centre(&mut k, 41, RING, 64);
    k.board_mut().fail_write_in = Some(1);
    assert_eq!(
        call(&mut k, Slot::TempTriggerNotification, [h, 1, 2, 0]),
        MvStatus::LateFault
    );
}

#[test]
fn records_wrap_with_a_sentinel_after_each_and_pend_without_enabling() {
    let mut k = Kernel::new(FakeBoard::default());
    k.board_mut().put(RING, &[0xAA; 48]);
    let h = centre(&mut k, 41, RING, 48);
    for tag in 1..=4u32 {
        k.board_mut().now = u64::from(tag) * 10;
        assert_eq!(
            call(&mut k, Slot::TempTriggerNotification, [h, 2, tag, 0]),
            MvStatus::Okay
        );
        let slot = RING + ((tag - 1) % 3) * 16;
        let next = RING + (tag % 3) * 16;
        assert_eq!(k.board().u32_at(slot + 8), 2);
        assert_eq!(k.board().u32_at(slot + 12), tag);
        assert_eq!(
            k.board().u32_at(slot),
            tag * 10,
            "microseconds on the kernel clock"
        );
        assert_eq!(k.board().u32_at(next + 8), 0, "sentinel after record {tag}");
    }
    assert_eq!(k.board().pended, vec![41; 4]);
}

#[test]
fn centres_sharing_a_buffer_share_one_write_pointer() {
    let mut k = Kernel::new(FakeBoard::default());
    let a = centre(&mut k, 41, RING, 64);
    let b = centre(&mut k, 42, RING, 64);
    assert_ne!(a, b);
    assert_eq!(
        call(&mut k, Slot::TempTriggerNotification, [a, 1, 0xA, 0]),
        MvStatus::Okay
    );
    assert_eq!(
        call(&mut k, Slot::TempTriggerNotification, [b, 1, 0xB, 0]),
        MvStatus::Okay
    );
    assert_eq!(k.board().u32_at(RING + 12), 0xA);
    assert_eq!(k.board().u32_at(RING + 16 + 12), 0xB);
    assert_eq!(k.board().pended, vec![41, 42]);
}

#[test]
fn an_overlapping_but_different_buffer_is_in_use() {
    let mut k = Kernel::new(FakeBoard::default());
    centre(&mut k, 41, RING, 64);
    write_setup(&mut k, 42, RING + 32, 64);
    assert_eq!(
        call(&mut k, Slot::SetupNotifications, [SETUP, HANDLE, 0, 0]),
        MvStatus::BufferAlreadyInUse
    );
    write_setup(&mut k, 42, RING, 32);
    assert_eq!(
        call(&mut k, Slot::SetupNotifications, [SETUP, HANDLE, 0, 0]),
        MvStatus::BufferAlreadyInUse
    );
}

#[test]
fn thirty_three_buffers_is_one_too_many() {
    let mut k = Kernel::new(FakeBoard::default());
    for i in 0..32 {
        centre(&mut k, 10 + i, RING + i * 64, 32);
    }
    write_setup(&mut k, 60, RING + 32 * 64, 32);
    assert_eq!(
        call(&mut k, Slot::SetupNotifications, [SETUP, HANDLE, 0, 0]),
        MvStatus::TooManyNotificationBuffers
    );
}

#[test]
fn close_zeroes_the_handle_and_a_second_close_is_invalid() {
    let mut k = Kernel::new(FakeBoard::default());
    let h = centre(&mut k, 41, RING, 64);
    assert_eq!(
        call(&mut k, Slot::CloseNotifications, [HANDLE, 0, 0, 0]),
        MvStatus::Okay
    );
    assert_eq!(k.board().u32_at(HANDLE), 0);
    assert_eq!(
        call(&mut k, Slot::CloseNotifications, [HANDLE, 0, 0, 0]),
        MvStatus::InvalidHandle
    );
    assert_eq!(
        call(&mut k, Slot::TempTriggerNotification, [h, 1, 0, 0]),
        MvStatus::InvalidHandle
    );
    assert!(k.board().pended.is_empty(), "closing never pends");
}

#[test]
fn a_handle_of_another_type_is_invalid() {
    let mut k = Kernel::new(FakeBoard::default());
    let nc = centre(&mut k, 41, RING, 64);
    let params = [nc, 7, 1]; // notification_handle, tag, source = UPDATE
    let bytes: Vec<u8> = params.iter().flat_map(|v| v.to_le_bytes()).collect();
    k.board_mut().put(SETUP, &bytes);
    assert_eq!(
        call(&mut k, Slot::OpenSystemNotification, [SETUP, OUT, 0, 0]),
        MvStatus::Okay
    );
    let sys = k.board().u32_at(OUT);
    assert_ne!(sys, 0);
    assert_ne!(sys, nc);
    assert_eq!(
        call(&mut k, Slot::TempTriggerNotification, [sys, 1, 0, 0]),
        MvStatus::InvalidHandle
    );
    k.board_mut().put(HANDLE, &sys.to_le_bytes());
    assert_eq!(
        call(&mut k, Slot::CloseNotifications, [HANDLE, 0, 0, 0]),
        MvStatus::InvalidHandle
    );
    assert_eq!(
        k.board().u32_at(HANDLE),
        sys,
        "a rejected close leaves the handle alone"
    );
}

#[test]
fn system_events_reach_subscribers_with_their_tag() {
    let mut k = Kernel::new(FakeBoard::default());
    let nc = centre(&mut k, 41, RING, 64);
    let bytes: Vec<u8> = [nc, 0x77, 1].iter().flat_map(|v| v.to_le_bytes()).collect();
    k.board_mut().put(SETUP, &bytes);
    assert_eq!(
        call(&mut k, Slot::OpenSystemNotification, [SETUP, OUT, 0, 0]),
        MvStatus::Okay
    );
    k.post_system_event(1, 5);
    assert_eq!(k.board().u32_at(RING + 8), 5);
    assert_eq!(k.board().u32_at(RING + 12), 0x77);
}

#[test]
fn handles_are_unique_even_when_the_rng_repeats() {
    let mut k = Kernel::new(FakeBoard::default());
    k.board_mut().rng = vec![0, 0x5555, 0x5555, 0x6666];
    let a = centre(&mut k, 41, RING, 64);
    let b = centre(&mut k, 42, RING + 64, 64);
    assert_eq!((a, b), (0x5555, 0x6666));
}

#[test]
fn peek_and_poke_go_through_the_allow_list_and_writable_mask() {
    let mut k = Kernel::new(FakeBoard::default());
    assert_eq!(
        call(&mut k, Slot::PeriphPeek32, [0x4602_0CA8, OUT, 0, 0]),
        MvStatus::Okay
    );
    assert_eq!(k.board().u32_at(OUT), 0x40);
    assert_eq!(
        call(
            &mut k,
            Slot::PeriphPoke32,
            [0x4602_0CA8, 0xFFFF_FFFF, 0x1, 0]
        ),
        MvStatus::Okay
    );
    assert_eq!(
        k.board().register,
        0x41,
        "bit 6 is not writable and keeps its value"
    );
    assert_eq!(
        call(&mut k, Slot::PeriphPoke32, [0x4602_0CAA, 0, 0, 0]),
        MvStatus::PeripheralAccessFault
    );
    assert_eq!(
        call(&mut k, Slot::PeriphPeek32, [0x4002_0000, OUT, 0, 0]),
        MvStatus::PeripheralAccessFault
    );
}

#[test]
fn wall_time_is_not_set_until_the_server_sets_it() {
    let mut k = Kernel::new(FakeBoard::default());
    assert_eq!(
        call(&mut k, Slot::GetWallTime, [OUT, 0, 0, 0]),
        MvStatus::TimeNotSet
    );
    k.board_mut().now = 100;
    k.set_wall_time(1_000_000);
    k.board_mut().now = 150;
    assert_eq!(
        call(&mut k, Slot::GetWallTime, [OUT, 0, 0, 0]),
        MvStatus::Okay
    );
    assert_eq!(k.board().u32_at(OUT), 1_000_050);
}

fn offline() -> LinkState {
    LinkState {
        online: false,
        ..LinkState::UP
    }
}

#[test]
fn logging_queues_offline_and_flushes_when_online() {
    let mut k = Kernel::new(FakeBoard::default());
    let buf = RAM + 0x1000;
    k.set_link(offline());
    assert_eq!(
        call(&mut k, Slot::ServerLog, [OUT, 2, 0, 0]),
        MvStatus::Unavailable
    );
    assert_eq!(
        call(&mut k, Slot::ServerLoggingInit, [buf, 512, 0, 0]),
        MvStatus::Okay
    );
    k.board_mut().put(OUT, b"hello");
    assert_eq!(
        call(&mut k, Slot::ServerLog, [OUT, 5, 0, 0]),
        MvStatus::Okay
    );
    assert!(k.board().sent.is_empty());
    k.set_link(LinkState::UP);
    assert_eq!(k.board().sent, vec![b"hello".to_vec()]);
}

#[test]
fn a_full_log_buffer_is_invalid_buffer_size() {
    let mut k = Kernel::new(FakeBoard::default());
    let buf = RAM + 0x1000;
    k.set_link(offline());
    assert_eq!(
        call(&mut k, Slot::ServerLoggingInit, [buf, 512, 0, 0]),
        MvStatus::Okay
    );
    // A 4-byte header + 100 bytes is 104: four fit in 512, the fifth does not.
    for _ in 0..4 {
        assert_eq!(
            call(&mut k, Slot::ServerLog, [OUT, 100, 0, 0]),
            MvStatus::Okay
        );
    }
    assert_eq!(
        call(&mut k, Slot::ServerLog, [OUT, 100, 0, 0]),
        MvStatus::InvalidBufferSize
    );
}

#[test]
fn the_wake_reason_is_exactly_one_byte() {
    let mut k = Kernel::new(FakeBoard::default());
    k.board_mut().put(OUT, &[0xEE; 4]);
    assert_eq!(
        call(&mut k, Slot::GetWakeReason, [OUT, 0, 0, 0]),
        MvStatus::Okay
    );
    assert_eq!(k.board().bytes(OUT, 4), &[0, 0xEE, 0xEE, 0xEE]);
}
