//! What the channel and MQTT tests share: the app's memory layout, calls, and reading what the kernel owes the cloud.
#![allow(dead_code)]

use crate::fake_board::{FakeBoard, RAM};
use mv_abi::{
    AbiStruct, MvChannelType, MvNotificationSetup, MvOpenChannelParams, MvOpenChannelParamsV1,
    MvRequestNetworkParams, MvRequestNetworkParamsV1, MvSizedString, MvStatus, Slot,
};
use mv_kernel::channels::NetEvent;
use mv_kernel::Kernel;

pub const RING: u32 = RAM + 0x100;
pub const SCRATCH: u32 = RAM + 0x200;
pub const OUT: u32 = RAM + 0x300;
pub const RX: u32 = RAM + 0x1000;
pub const TX: u32 = RAM + 0x2000;
pub const EP: u32 = RAM + 0x400;
pub const STRINGS: u32 = RAM + 0x500;

pub fn call(k: &mut Kernel<FakeBoard>, slot: Slot, args: [u32; 4]) -> MvStatus {
    MvStatus::try_from(k.dispatch(slot.number(), args)).expect("an MvStatus")
}

pub fn put_struct<T: AbiStruct>(k: &mut Kernel<FakeBoard>, at: u32, value: &T) {
    let mut bytes = vec![0u8; T::SIZE];
    value.encode(&mut bytes);
    k.board_mut().put(at, &bytes);
}

/// A centre on `RING` (8 records), a network request, and a channel of
/// `kind` (an echo channel for OPAQUEBYTES) with a 64-byte receive buffer.
pub fn channel(k: &mut Kernel<FakeBoard>, kind: MvChannelType) -> (u32, u32) {
    put_struct(
        k,
        SCRATCH,
        &MvNotificationSetup {
            irq: 40,
            buffer: RING,
            buffer_size: 128,
        },
    );
    assert_eq!(
        call(k, Slot::SetupNotifications, [SCRATCH, OUT, 0, 0]),
        MvStatus::Okay
    );
    let centre = k.board().u32_at(OUT);
    put_struct(
        k,
        SCRATCH,
        &MvRequestNetworkParams {
            version: 1,
            v1: MvRequestNetworkParamsV1 {
                notification_handle: centre,
                notification_tag: 1,
            },
        },
    );
    assert_eq!(
        call(k, Slot::RequestNetwork, [SCRATCH, OUT, 0, 0]),
        MvStatus::Okay
    );
    let network = k.board().u32_at(OUT);
    k.board_mut().put(EP, b"echo");
    let opaque = kind == MvChannelType::OpaqueBytes;
    put_struct(
        k,
        SCRATCH,
        &MvOpenChannelParams {
            version: 1,
            v1: MvOpenChannelParamsV1 {
                notification_handle: centre,
                notification_tag: 0x77,
                network_handle: network,
                receive_buffer: RX,
                receive_buffer_len: 64,
                send_buffer: TX,
                send_buffer_len: 512,
                channel_type: kind as u32,
                endpoint: MvSizedString {
                    data: if opaque { EP } else { 0 },
                    length: if opaque { 4 } else { 0 },
                },
            },
        },
    );
    assert_eq!(
        call(k, Slot::OpenChannel, [SCRATCH, OUT, 0, 0]),
        MvStatus::Okay
    );
    (centre, k.board().u32_at(OUT))
}

pub fn events(k: &mut Kernel<FakeBoard>) -> Vec<NetEvent> {
    let mut data = [0u8; 1024];
    std::iter::from_fn(|| k.next_net_event(&mut data))
        .take(16)
        .collect()
}

/// Drains what the cloud is owed; the send bytes it carried.
pub fn sent(k: &mut Kernel<FakeBoard>, room: usize) -> Vec<u8> {
    let mut data = vec![0u8; room];
    let mut out = Vec::new();
    while let Some(e) = k.next_net_event(&mut data) {
        if let NetEvent::ChannelData { len, .. } = e {
            out.extend_from_slice(&data[..len as usize]);
        }
    }
    out
}

/// `(event_type, tag)` of ring record `i`.
pub fn record(k: &Kernel<FakeBoard>, i: u32) -> (u32, u32) {
    let at = RING + 16 * i;
    (k.board().u32_at(at + 8), k.board().u32_at(at + 12))
}
