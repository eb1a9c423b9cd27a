//! MQTT channels as the device core sees them: the connect, what the cloud delivers (stored, lost, refused) and the bounds on requests in flight.

mod fake_board;
mod net_common;

use fake_board::{FakeBoard, RAM};
use mv_abi::{MvChannelType, MvEventType, MvSizedString, MvStatus, Slot};
use mv_kernel::channels::{wire, NetEvent};
use mv_kernel::Kernel;

use net_common::*;

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
