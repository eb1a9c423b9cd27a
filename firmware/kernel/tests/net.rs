//! The kernel's channels as the device core sees them: what it owes the cloud, what the cloud delivers, and late faults.

mod fake_board;

use fake_board::{FakeBoard, RAM};
use mv_abi::{
    AbiStruct, MvChannelType, MvEventType, MvHttpRequest, MvHttpResult, MvNotificationSetup,
    MvOpenChannelParams, MvOpenChannelParamsV1, MvRequestNetworkParams, MvRequestNetworkParamsV1,
    MvSizedString, MvStatus, MvWakeReason, Slot,
};
use mv_kernel::channels::{wire, Endpoint, NetEvent};
use mv_kernel::logging::LinkState;
use mv_kernel::Kernel;

const RING: u32 = RAM + 0x100;
const SCRATCH: u32 = RAM + 0x200;
const OUT: u32 = RAM + 0x300;
const RX: u32 = RAM + 0x1000;
const TX: u32 = RAM + 0x2000;
const EP: u32 = RAM + 0x400;
const STRINGS: u32 = RAM + 0x500;

fn call(k: &mut Kernel<FakeBoard>, slot: Slot, args: [u32; 4]) -> MvStatus {
    MvStatus::try_from(k.dispatch(slot.number(), args)).expect("an MvStatus")
}

fn put_struct<T: AbiStruct>(k: &mut Kernel<FakeBoard>, at: u32, value: &T) {
    let mut bytes = vec![0u8; T::SIZE];
    value.encode(&mut bytes);
    k.board_mut().put(at, &bytes);
}

/// A centre on `RING` (8 records), a network request, and a channel of
/// `kind` (an echo channel for OPAQUEBYTES) with a 64-byte receive buffer.
fn channel(k: &mut Kernel<FakeBoard>, kind: MvChannelType) -> (u32, u32) {
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

fn events(k: &mut Kernel<FakeBoard>) -> Vec<NetEvent> {
    let mut data = [0u8; 1024];
    std::iter::from_fn(|| k.next_net_event(&mut data))
        .take(16)
        .collect()
}

/// Drains what the cloud is owed; the send bytes it carried.
fn sent(k: &mut Kernel<FakeBoard>, room: usize) -> Vec<u8> {
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
fn record(k: &Kernel<FakeBoard>, i: u32) -> (u32, u32) {
    let at = RING + 16 * i;
    (k.board().u32_at(at + 8), k.board().u32_at(at + 12))
}

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

/// The one MQTT request the kernel owes the cloud now.
fn mqtt_request(k: &mut Kernel<FakeBoard>) -> Vec<u8> {
    let mut requests = Vec::new();
    let mut data = [0u8; 1024];
    while let Some(e) = k.next_net_event(&mut data) {
        if let NetEvent::MqttRequest { channel, len } = e {
            let mut bytes = vec![0u8; len as usize];
            assert!(k.copy_request(channel, &mut bytes));
            requests.push(bytes);
        }
    }
    assert_eq!(requests.len(), 1, "one request is owed");
    requests.pop().unwrap()
}

/// A connect request at `SCRATCH`: host `lab`, client id `dev-1`, the
/// given TLS credentials and Will pointers.
fn put_connect(k: &mut Kernel<FakeBoard>, host_len: u32, tls: u32, will: u32) {
    k.board_mut().put(STRINGS, b"labdev-1");
    put_struct(
        k,
        SCRATCH,
        &mv_abi::MvMqttConnectRequest {
            protocol_version: 1,
            host: MvSizedString {
                data: STRINGS,
                length: host_len,
            },
            port: 1883,
            clientid: MvSizedString {
                data: STRINGS + 3,
                length: 5,
            },
            authentication: mv_abi::MvMqttAuthentication {
                method: 0,
                username_password: mv_abi::MvUsernamePassword {
                    username: MvSizedString { data: 0, length: 0 },
                    password: MvSizedString { data: 0, length: 0 },
                },
            },
            tls_credentials: tls,
            keepalive: 60,
            clean_start: 1,
            will,
        },
    );
}

fn connected(k: &mut Kernel<FakeBoard>) -> u32 {
    let (_, ch) = channel(k, MvChannelType::Mqtt);
    put_connect(k, 3, 0, 0);
    assert_eq!(
        call(k, Slot::MqttRequestConnect, [ch, SCRATCH, 0, 0]),
        MvStatus::Okay
    );
    mqtt_request(k);
    k.cloud_mqtt_connect_response(ch, 0, 0);
    assert_eq!(
        call(k, Slot::MqttReadConnectResponse, [ch, OUT, 0, 0]),
        MvStatus::Okay
    );
    ch
}

#[test]
fn an_mqtt_connect_goes_to_the_cloud_once_and_its_answer_is_read_back() {
    let mut k = Kernel::new(FakeBoard::default());
    let (_, ch) = channel(&mut k, MvChannelType::Mqtt);
    put_connect(&mut k, 3, 0, 0);
    assert_eq!(
        call(&mut k, Slot::MqttRequestConnect, [ch, SCRATCH, 0, 0]),
        MvStatus::Okay
    );
    let bytes = mqtt_request(&mut k);
    let Some(wire::MqttView::Connect(c)) = wire::parse_mqtt(&bytes) else {
        panic!("a connect");
    };
    assert_eq!(
        (c.host, c.client_id, c.port, c.version),
        (&b"lab"[..], &b"dev-1"[..], 1883, 1)
    );
    assert!(c.will.is_none() && c.clean_start);
    assert_eq!(
        call(&mut k, Slot::MqttRequestConnect, [ch, SCRATCH, 0, 0]),
        MvStatus::RequestAlreadySent,
        "one connect per channel"
    );
    assert_eq!(
        call(&mut k, Slot::MqttReadConnectResponse, [ch, OUT, 0, 0]),
        MvStatus::ResponseNotPresent
    );
    k.cloud_mqtt_connect_response(ch, 0, 0);
    assert_eq!(
        record(&k, 0),
        (MvEventType::ChannelDataReadable as u32, 0x77)
    );
    k.board_mut().put(OUT, &[0xEE; 8]);
    assert_eq!(
        call(&mut k, Slot::MqttGetNextReadableDataType, [ch, OUT, 0, 0]),
        MvStatus::Okay
    );
    assert_eq!(k.board().u32_at(OUT), 3, "CONNECTRESPONSE");
    assert_eq!(
        call(&mut k, Slot::MqttReadPublishResponse, [ch, OUT, 0, 0]),
        MvStatus::WrongDataRequested
    );
    assert_eq!(
        call(&mut k, Slot::MqttReadConnectResponse, [ch, OUT, 0, 0]),
        MvStatus::Okay
    );
    assert_eq!((k.board().u32_at(OUT), k.board().u32_at(OUT + 4)), (0, 0));
    assert_eq!(
        call(&mut k, Slot::MqttGetNextReadableDataType, [ch, OUT, 0, 0]),
        MvStatus::Okay
    );
    assert_eq!(k.board().u32_at(OUT), 0, "NONE: the item was taken");
}

#[test]
fn a_connect_is_checked_whole_before_anything_happens() {
    let mut k = Kernel::new(FakeBoard::default());
    let (_, ch) = channel(&mut k, MvChannelType::Mqtt);
    put_connect(&mut k, 0, 0, 0);
    assert_eq!(
        call(&mut k, Slot::MqttRequestConnect, [ch, SCRATCH, 0, 0]),
        MvStatus::RequiredElementMissing
    );
    // A Will without a payload.
    let will = RAM + 0x600;
    put_struct(
        &mut k,
        will,
        &mv_abi::MvMqttWill {
            topic: MvSizedString {
                data: STRINGS,
                length: 3,
            },
            payload: MvSizedString {
                data: STRINGS,
                length: 0,
            },
            qos: 1,
            retain: 0,
        },
    );
    put_connect(&mut k, 3, 0, will);
    assert_eq!(
        call(&mut k, Slot::MqttRequestConnect, [ch, SCRATCH, 0, 0]),
        MvStatus::RequiredElementMissing
    );
    // Nine client certificates; then one, with username and password too.
    let tls = RAM + 0x640;
    let certs = RAM + 0x680;
    for i in 0..9 {
        put_struct(
            &mut k,
            certs + 8 * i,
            &MvSizedString {
                data: STRINGS,
                length: 4,
            },
        );
    }
    let creds = |n: u32| mv_abi::MvTlsCredentials {
        cacert: mv_abi::MvTlsCertificateChain {
            num_certs: 0,
            certs: 0,
        },
        clientcert: mv_abi::MvOwnTlsCertificateChain {
            chain: mv_abi::MvTlsCertificateChain {
                num_certs: n,
                certs,
            },
            key: MvSizedString {
                data: STRINGS,
                length: 2,
            },
        },
    };
    put_struct(&mut k, tls, &creds(9));
    put_connect(&mut k, 3, tls, 0);
    assert_eq!(
        call(&mut k, Slot::MqttRequestConnect, [ch, SCRATCH, 0, 0]),
        MvStatus::TooManyElements
    );
    put_struct(&mut k, tls, &creds(1));
    put_connect(&mut k, 3, tls, 0);
    k.board_mut().put(SCRATCH + 24, &[1]);
    assert_eq!(
        call(&mut k, Slot::MqttRequestConnect, [ch, SCRATCH, 0, 0]),
        MvStatus::InvalidAuthentication
    );
    assert!(events(&mut k).is_empty(), "nothing was sent");
    // A host in secure memory: LATEFAULT, and the channel is done.
    put_connect(&mut k, 3, 0, 0);
    put_struct(
        &mut k,
        SCRATCH + 4,
        &MvSizedString {
            data: 0x1000_0000,
            length: 3,
        },
    );
    assert_eq!(
        call(&mut k, Slot::MqttRequestConnect, [ch, SCRATCH, 0, 0]),
        MvStatus::LateFault
    );
    assert!(events(&mut k).is_empty(), "nothing was sent");
    assert_eq!(
        call(&mut k, Slot::MqttRequestDisconnect, [ch, 0, 0, 0]),
        MvStatus::ChannelClosed
    );
}

/// A message stored in the 64-byte receive buffer is read back whole; one
/// that can never fit is lost; a QoS 1 one without room now is refused
/// until the app reads.
#[test]
fn messages_are_stored_lost_or_refused_and_read_back_exactly() {
    use mv_kernel::net_mqtt::MqttDelivery::{Lost, Refused, Stored};
    let mut k = Kernel::new(FakeBoard::default());
    let ch = connected(&mut k);
    assert_eq!(
        k.cloud_mqtt_message(ch, 1, 1, true, b"a/b", &[7; 40]),
        Stored
    );
    assert_eq!(
        k.cloud_mqtt_message(ch, 2, 0, false, b"a/c", &[1; 100]),
        Lost
    );
    assert_eq!(
        k.cloud_mqtt_message(ch, 3, 1, false, b"a/d", &[2; 30]),
        Refused
    );
    assert_eq!(
        k.cloud_mqtt_message(ch, 4, 0, false, b"a/e", &[3; 30]),
        Lost
    );
    let buf = RAM + 0x700;
    let msg = |k: &mut Kernel<FakeBoard>, topic_size: u32| {
        put_struct(
            k,
            SCRATCH,
            &mv_abi::MvMqttMessage {
                correlation_id: OUT,
                topic: mv_abi::MvSizedStringBuffer {
                    data: buf,
                    size: topic_size,
                    length: OUT + 4,
                },
                payload: mv_abi::MvSizedStringBuffer {
                    data: buf + 16,
                    size: 64,
                    length: OUT + 8,
                },
                qos: OUT + 12,
                retain: OUT + 16,
            },
        );
    };
    msg(&mut k, 2);
    assert_eq!(
        call(&mut k, Slot::MqttReceiveMessage, [ch, SCRATCH, 0, 0]),
        MvStatus::InvalidBufferSize
    );
    msg(&mut k, 16);
    assert_eq!(
        call(&mut k, Slot::MqttReceiveMessage, [ch, SCRATCH, 0, 0]),
        MvStatus::Okay
    );
    assert_eq!(k.board().bytes(buf, 3), b"a/b");
    assert_eq!(k.board().bytes(buf + 16, 40), &[7; 40][..]);
    assert_eq!(
        (
            k.board().u32_at(OUT),
            k.board().u32_at(OUT + 4),
            k.board().u32_at(OUT + 8)
        ),
        (1, 3, 40)
    );
    assert_eq!(
        (k.board().u32_at(OUT + 12), k.board().bytes(OUT + 16, 1)),
        (1, &[1u8][..])
    );
    assert_eq!(
        events(&mut k),
        [NetEvent::MqttRoom { channel: ch }],
        "the refused delivery may come again"
    );
    put_struct(
        &mut k,
        SCRATCH,
        &mv_abi::MvMqttLostMessageInfo {
            reason: OUT,
            topic: mv_abi::MvSizedStringBuffer {
                data: buf,
                size: 16,
                length: OUT + 4,
            },
            message_len: OUT + 8,
        },
    );
    assert_eq!(
        call(
            &mut k,
            Slot::MqttReceiveLostMessageInfo,
            [ch, SCRATCH, 0, 0]
        ),
        MvStatus::Okay
    );
    assert_eq!(
        (
            k.board().u32_at(OUT),
            k.board().u32_at(OUT + 4),
            k.board().u32_at(OUT + 8)
        ),
        (0, 3, 100)
    );
    assert_eq!(k.board().bytes(buf, 3), b"a/c");
    assert_eq!(
        call(
            &mut k,
            Slot::MqttReceiveLostMessageInfo,
            [ch, SCRATCH, 0, 0]
        ),
        MvStatus::Okay
    );
    assert_eq!(
        k.board().u32_at(OUT + 8),
        30,
        "the QoS 0 message without room"
    );
    assert_eq!(
        call(
            &mut k,
            Slot::MqttReceiveLostMessageInfo,
            [ch, SCRATCH, 0, 0]
        ),
        MvStatus::ResponseNotPresent
    );
    assert_eq!(
        k.cloud_mqtt_message(ch, 3, 1, false, b"a/d", &[2; 30]),
        Stored,
        "redelivered"
    );
}

#[test]
fn requests_in_flight_are_bounded() {
    let mut k = Kernel::new(FakeBoard::default());
    let ch = connected(&mut k);
    k.board_mut().put(STRINGS, b"t/x");
    put_struct(
        &mut k,
        SCRATCH,
        &mv_abi::MvMqttPublishRequest {
            correlation_id: 5,
            topic: MvSizedString {
                data: STRINGS,
                length: 3,
            },
            payload: MvSizedString {
                data: STRINGS,
                length: 1,
            },
            desired_qos: 1,
            retain: 0,
        },
    );
    for _ in 0..4 {
        assert_eq!(
            call(&mut k, Slot::MqttRequestPublish, [ch, SCRATCH, 0, 0]),
            MvStatus::Okay
        );
        mqtt_request(&mut k);
    }
    assert_eq!(
        call(&mut k, Slot::MqttRequestPublish, [ch, SCRATCH, 0, 0]),
        MvStatus::RateLimited
    );
    k.cloud_mqtt_publish_response(ch, 0, 5, 0);
    assert_eq!(
        call(&mut k, Slot::MqttRequestPublish, [ch, SCRATCH, 0, 0]),
        MvStatus::Okay
    );
    mqtt_request(&mut k);
    put_struct(
        &mut k,
        RAM + 0x600,
        &mv_abi::MvMqttSubscription {
            topic: MvSizedString {
                data: STRINGS,
                length: 3,
            },
            desired_qos: 1,
            nl: 0,
            rap: 0,
            rh: 0,
        },
    );
    put_struct(
        &mut k,
        SCRATCH,
        &mv_abi::MvMqttSubscribeRequest {
            correlation_id: 6,
            subscriptions: RAM + 0x600,
            num_subscriptions: 1,
        },
    );
    assert_eq!(
        call(&mut k, Slot::MqttRequestSubscribe, [ch, SCRATCH, 0, 0]),
        MvStatus::Okay
    );
    mqtt_request(&mut k);
    assert_eq!(
        call(&mut k, Slot::MqttRequestSubscribe, [ch, SCRATCH, 0, 0]),
        MvStatus::RateLimited
    );
    k.board_mut().put(SCRATCH + 8, &9u32.to_le_bytes());
    assert_eq!(
        call(&mut k, Slot::MqttRequestUnsubscribe, [ch, SCRATCH, 0, 0]),
        MvStatus::TooManyElements
    );
    for _ in 0..4 {
        assert_eq!(
            call(&mut k, Slot::MqttAcknowledgeMessage, [ch, 1, 0, 0]),
            MvStatus::Okay
        );
        mqtt_request(&mut k);
    }
    assert_eq!(
        call(&mut k, Slot::MqttAcknowledgeMessage, [ch, 1, 0, 0]),
        MvStatus::RateLimited
    );
    k.cloud_mqtt_acked(ch);
    assert_eq!(
        call(&mut k, Slot::MqttAcknowledgeMessage, [ch, 1, 0, 0]),
        MvStatus::Okay
    );
}
