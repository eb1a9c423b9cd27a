//! The kernel's channels as the device core sees them: what it owes the cloud, what the cloud delivers, and late faults.

mod fake_board;
mod net_common;

use fake_board::FakeBoard;
use mv_abi::{
    MvChannelType, MvEventType, MvHttpRequest, MvHttpResult, MvSizedString, MvStatus, MvWakeReason,
    Slot,
};
use mv_kernel::channels::{wire, Endpoint, NetEvent};
use mv_kernel::logging::LinkState;
use mv_kernel::Kernel;

use net_common::*;

#[test]
fn an_echo_channel_announces_itself_and_sends_only_within_the_window() {
    let mut k = Kernel::new(FakeBoard::default());
    let (_, ch) = channel(&mut k, MvChannelType::OpaqueBytes);
    assert_eq!(
        events(&mut k),
        [NetEvent::ChannelOpened {
            channel: ch,
            endpoint: Endpoint::Echo,
            rx_window: 64
        }]
    );
    k.board_mut().put(SCRATCH, b"hello");
    assert_eq!(
        call(&mut k, Slot::WriteChannel, [ch, SCRATCH, 5, OUT]),
        MvStatus::Okay
    );
    assert_eq!(events(&mut k), [], "no window yet: nothing goes out");
    k.cloud_channel_window(ch, 3);
    assert_eq!(sent(&mut k, 64), b"hel");
    assert_eq!(events(&mut k), [], "the window is used up");
    k.cloud_channel_window(ch, 100);
    let mut one = [0u8; 1];
    assert_eq!(
        k.next_net_event(&mut one),
        Some(NetEvent::ChannelData {
            channel: ch,
            len: 1
        }),
        "no more than the caller's room at once"
    );
    assert_eq!(&one, b"l");
    assert_eq!(sent(&mut k, 64), b"o");
}

#[test]
fn a_blocked_writer_hears_write_space_once_the_cloud_takes_bytes() {
    let mut k = Kernel::new(FakeBoard::default());
    let (_, ch) = channel(&mut k, MvChannelType::OpaqueBytes);
    events(&mut k);
    assert_eq!(
        call(&mut k, Slot::WriteChannel, [ch, SCRATCH, 513, OUT]),
        MvStatus::InvalidBufferSize
    );
    assert_eq!(record(&k, 0).0, 0, "a refusal posts nothing");
    assert_eq!(
        call(&mut k, Slot::WriteChannel, [ch, SCRATCH, 512, OUT]),
        MvStatus::Okay
    );
    assert_eq!(k.board().u32_at(OUT), 0, "the buffer is full");
    k.cloud_channel_window(ch, 100);
    assert_eq!(sent(&mut k, 1024).len(), 100);
    assert_eq!(
        record(&k, 0),
        (MvEventType::ChannelDataWriteSpace as u32, 0x77)
    );
    k.cloud_channel_window(ch, 100);
    assert_eq!(sent(&mut k, 1024).len(), 100);
    assert_eq!(record(&k, 1).0, 0, "once per blocked write");
}

#[test]
fn delivered_bytes_land_in_the_receive_buffer_only_as_far_as_they_fit() {
    let mut k = Kernel::new(FakeBoard::default());
    let (_, ch) = channel(&mut k, MvChannelType::OpaqueBytes);
    k.board_mut().put(RX + 64, &[0xAB; 16]);
    assert_eq!(k.cloud_channel_data(ch, &[0x11; 100]), 64);
    assert_eq!(k.board().bytes(RX, 64), &[0x11; 64][..]);
    assert_eq!(
        k.board().bytes(RX + 64, 16),
        &[0xAB; 16][..],
        "nothing past the buffer"
    );
    assert_eq!(
        record(&k, 0),
        (MvEventType::ChannelDataReadable as u32, 0x77)
    );
    assert_eq!(k.cloud_channel_data(ch, &[0x22; 4]), 0, "full");
    assert_eq!(
        call(&mut k, Slot::ReadChannelComplete, [ch, 10, 0, 0]),
        MvStatus::Okay
    );
    assert!(events(&mut k).contains(&NetEvent::ChannelRead {
        channel: ch,
        bytes: 10
    }));
}

#[test]
fn messages_for_unknown_or_closed_channels_change_nothing() {
    let mut k = Kernel::new(FakeBoard::default());
    let (_, ch) = channel(&mut k, MvChannelType::Http);
    let ram = k.board().ram.clone();
    k.cloud_channel_data(0x1234_5678, b"x");
    k.cloud_http_response(ch, 0, 200, &[b"a: b"], 1);
    k.cloud_http_body(ch, b"z");
    k.cloud_config_response(ch, 0, &[(0, b"v")]);
    k.cloud_channel_window(0, 10);
    assert!(
        k.board().ram == ram,
        "no request was sent: a response is not taken, and other channels do not exist"
    );
    k.set_link(LinkState {
        online: false,
        logging_enabled: true,
    });
    let ram = k.board().ram.clone();
    k.cloud_channel_data(ch, b"late");
    k.cloud_channel_closed(ch, 1);
    assert!(k.board().ram == ram, "a closed channel takes nothing");
}

#[test]
fn an_http_request_is_laid_into_the_send_buffer_and_parses_back() {
    let mut k = Kernel::new(FakeBoard::default());
    let (_, ch) = channel(&mut k, MvChannelType::Http);
    k.board_mut().put(STRINGS, b"GEThttps://lab.test/x");
    put_struct(
        &mut k,
        SCRATCH,
        &MvHttpRequest {
            method: MvSizedString {
                data: STRINGS,
                length: 3,
            },
            url: MvSizedString {
                data: STRINGS + 3,
                length: 18,
            },
            num_headers: 0,
            headers: 0,
            body: MvSizedString { data: 0, length: 0 },
            timeout_ms: 7000,
        },
    );
    assert_eq!(
        call(&mut k, Slot::SendHttpRequest, [ch, SCRATCH, 0, 0]),
        MvStatus::Okay
    );
    let [NetEvent::HttpRequest { channel, len }] = events(&mut k)[..] else {
        panic!("one request is owed");
    };
    assert_eq!(channel, ch);
    let mut bytes = vec![0u8; len as usize];
    assert!(k.copy_request(ch, &mut bytes));
    let view = wire::parse_http(&bytes).expect("the kernel's own layout");
    assert_eq!(
        (view.method, view.url, view.timeout_ms),
        (&b"GET"[..], &b"https://lab.test/x"[..], 7000)
    );
    assert_eq!(
        call(&mut k, Slot::SendHttpRequest, [ch, SCRATCH, 0, 0]),
        MvStatus::RequestAlreadySent
    );
}

#[test]
fn a_response_with_too_many_headers_is_too_large_and_writes_nothing() {
    let mut k = Kernel::new(FakeBoard::default());
    let (_, ch) = channel(&mut k, MvChannelType::Http);
    k.board_mut().put(STRINGS, b"GEThttps://a/");
    put_struct(
        &mut k,
        SCRATCH,
        &MvHttpRequest {
            method: MvSizedString {
                data: STRINGS,
                length: 3,
            },
            url: MvSizedString {
                data: STRINGS + 3,
                length: 10,
            },
            num_headers: 0,
            headers: 0,
            body: MvSizedString { data: 0, length: 0 },
            timeout_ms: 5000,
        },
    );
    assert_eq!(
        call(&mut k, Slot::SendHttpRequest, [ch, SCRATCH, 0, 0]),
        MvStatus::Okay
    );
    let rx = k.board().bytes(RX, 64).to_vec();
    let headers: Vec<&[u8]> = (0..33).map(|_| &b"a: b"[..]).collect();
    k.cloud_http_response(ch, 0, 200, &headers, 0);
    assert_eq!(k.board().bytes(RX, 64), &rx[..]);
    assert_eq!(
        call(&mut k, Slot::ReadHttpResponseData, [ch, OUT, 0, 0]),
        MvStatus::Okay
    );
    assert_eq!(k.board().u32_at(OUT), MvHttpResult::ResponseTooLarge as u32);
    assert_eq!(k.board().u32_at(OUT + 4), 200);
}

#[test]
fn a_fault_writing_the_report_after_the_data_moved_is_late_fault() {
    let mut k = Kernel::new(FakeBoard::default());
    let (_, ch) = channel(&mut k, MvChannelType::OpaqueBytes);
    k.board_mut().put(SCRATCH, b"abcd");
    // The copy into the send buffer is one write; the report is the next.
    k.board_mut().fail_write_in = Some(1);
    assert_eq!(
        call(&mut k, Slot::WriteChannel, [ch, SCRATCH, 4, OUT]),
        MvStatus::LateFault
    );
    assert_eq!(k.board().bytes(TX, 4), b"abcd", "the data was written");
    k.board_mut().fail_write_in = Some(0);
    assert_eq!(
        call(&mut k, Slot::WriteChannelStream, [ch, SCRATCH, 4, OUT]),
        MvStatus::ParameterFault,
        "a fault before anything moved is a refusal"
    );
}

#[test]
fn an_app_restart_makes_its_channels_gone_for_the_cloud() {
    let mut k = Kernel::new(FakeBoard::default());
    let (_, ch) = channel(&mut k, MvChannelType::OpaqueBytes);
    events(&mut k);
    k.restart_app(MvWakeReason::ColdBoot);
    assert_eq!(events(&mut k), [NetEvent::ChannelGone { channel: ch }]);
    assert_eq!(
        call(&mut k, Slot::CloseChannel, [OUT, 0, 0, 0]),
        MvStatus::InvalidHandle
    );
}

#[test]
fn a_link_drop_tells_requests_and_channels_in_that_order() {
    let mut k = Kernel::new(FakeBoard::default());
    let (_, ch) = channel(&mut k, MvChannelType::Http);
    k.set_link(LinkState {
        online: false,
        logging_enabled: true,
    });
    assert_eq!(record(&k, 0), (MvEventType::NetworkStatusChanged as u32, 1));
    assert_eq!(
        record(&k, 1),
        (MvEventType::ChannelNotConnected as u32, 0x77)
    );
    assert_eq!(
        call(&mut k, Slot::GetChannelClosureReason, [ch, OUT, 0, 0]),
        MvStatus::Okay
    );
    assert_eq!(k.board().u32_at(OUT), 3, "NETWORKDISCONNECTED");
}

// ---- MQTT ------------------------------------------------------------------
