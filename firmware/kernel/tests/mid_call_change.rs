//! A struct the app changes while the kernel is inside the call that reads it: the kernel acts on its one copy.
//!
//! The interrupt comes where the kernel itself pends one inside a call that
//! read a struct and goes on using it: `mvOpenSystemNotification` for
//! `UPDATE` while an update waits posts `UPDATEDOWNLOADED` before it keeps
//! the stream (`firmware/ABI.md` §8, §21). The fake board's pend runs the
//! app's "handler" right there, which rewrites the params struct; a kernel
//! that read the struct again after the pend would keep the rewritten
//! stream, and the link change below would reach it.

mod fake_board;

use fake_board::{FakeBoard, RAM};
use mv_abi::{AbiStruct, MvNotificationSetup, MvOpenSystemNotificationParams, MvStatus, Slot};
use mv_kernel::logging::LinkState;
use mv_kernel::Kernel;

const SETUP: u32 = RAM + 0x100;
const CENTRE: u32 = RAM + 0x200;
const STREAM: u32 = RAM + 0x204;
const PARAMS: u32 = RAM + 0x300;
const RING: u32 = RAM + 0x400;
const RING_SIZE: u32 = 64;
const UPDATE: u32 = 1;
const NETWORK: u32 = 0;
const UPDATEDOWNLOADED: u32 = 5;
const TAG: u32 = 0x1111;

fn call(k: &mut Kernel<FakeBoard>, slot: Slot, args: [u32; 4]) -> MvStatus {
    MvStatus::try_from(k.dispatch(slot.number(), args)).expect("an MvStatus")
}

fn put_params(board: &mut FakeBoard, centre: u32, tag: u32, source: u32) {
    let mut bytes = [0u8; 12];
    MvOpenSystemNotificationParams {
        notification_handle: centre,
        notification_tag: tag,
        notification_source: source,
    }
    .encode(&mut bytes);
    board.put(PARAMS, &bytes);
}

/// The app's handler: the params now ask for a NETWORK stream with another tag.
fn rewrite_params(board: &mut FakeBoard) {
    let centre = board.u32_at(PARAMS);
    put_params(board, centre, 0x2222, NETWORK);
}

/// `(event_type, tag)` of every record in the ring, in slot order.
fn records(k: &Kernel<FakeBoard>) -> Vec<(u32, u32)> {
    (0..RING_SIZE / 16)
        .map(|i| RING + 16 * i)
        .map(|r| (k.board().u32_at(r + 8), k.board().u32_at(r + 12)))
        .filter(|&(event, _)| event != 0)
        .collect()
}

#[test]
fn the_kernel_keeps_the_stream_its_copy_names_when_the_app_rewrites_params_mid_call() {
    let mut k = Kernel::new(FakeBoard::default());
    let mut setup = [0u8; 12];
    MvNotificationSetup {
        irq: 41,
        buffer: RING,
        buffer_size: RING_SIZE,
    }
    .encode(&mut setup);
    k.board_mut().put(SETUP, &setup);
    assert_eq!(
        call(&mut k, Slot::SetupNotifications, [SETUP, CENTRE, 0, 0]),
        MvStatus::Okay
    );
    let centre = k.board().u32_at(CENTRE);
    k.set_update_waiting(true);
    put_params(k.board_mut(), centre, TAG, UPDATE);
    k.board_mut().on_pend = Some(rewrite_params);
    assert_eq!(
        call(&mut k, Slot::OpenSystemNotification, [PARAMS, STREAM, 0, 0]),
        MvStatus::Okay
    );
    assert!(
        k.board().on_pend.is_none(),
        "the handler ran inside the call"
    );
    assert_eq!(
        k.board().u32_at(PARAMS + 8),
        NETWORK,
        "the app rewrote params"
    );
    assert_eq!(records(&k), [(UPDATEDOWNLOADED, TAG)]);
    // The stream is the copy's (UPDATE): the link going down and up posts
    // nothing to it. A stream kept from the rewritten params (NETWORK,
    // 0x2222) would hear both changes.
    k.set_link(LinkState {
        online: false,
        ..LinkState::UP
    });
    k.set_link(LinkState::UP);
    assert_eq!(records(&k), [(UPDATEDOWNLOADED, TAG)]);
    assert!(k.has_system_subscribers(UPDATE));
    assert!(!k.has_system_subscribers(NETWORK));
}

#[test]
fn no_update_waiting_no_record() {
    let mut k = Kernel::new(FakeBoard::default());
    let mut setup = [0u8; 12];
    MvNotificationSetup {
        irq: 41,
        buffer: RING,
        buffer_size: RING_SIZE,
    }
    .encode(&mut setup);
    k.board_mut().put(SETUP, &setup);
    assert_eq!(
        call(&mut k, Slot::SetupNotifications, [SETUP, CENTRE, 0, 0]),
        MvStatus::Okay
    );
    let centre = k.board().u32_at(CENTRE);
    put_params(k.board_mut(), centre, TAG, UPDATE);
    assert_eq!(
        call(&mut k, Slot::OpenSystemNotification, [PARAMS, STREAM, 0, 0]),
        MvStatus::Okay
    );
    assert!(records(&k).is_empty() && k.board().pended.is_empty());
    // A restart installs a waiting update: the next app hears nothing.
    k.set_update_waiting(true);
    k.restart_app(mv_abi::MvWakeReason::ColdBoot);
    let centre = {
        assert_eq!(
            call(&mut k, Slot::SetupNotifications, [SETUP, CENTRE, 0, 0]),
            MvStatus::Okay
        );
        k.board().u32_at(CENTRE)
    };
    put_params(k.board_mut(), centre, TAG, UPDATE);
    assert_eq!(
        call(&mut k, Slot::OpenSystemNotification, [PARAMS, STREAM, 0, 0]),
        MvStatus::Okay
    );
    assert!(records(&k).is_empty());
}
