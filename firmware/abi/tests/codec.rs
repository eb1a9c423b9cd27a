//! Little-endian encode/decode of ABI structs: round trips, zeroed padding, short buffers.

use mv_abi::{
    AbiStruct, MvEventType, MvMqttAuthentication, MvMqttConnectRequest, MvMqttWill, MvNotification,
    MvNotificationSetup, MvOpenChannelParams, MvOpenChannelParamsV1,
    MvOpenSystemNotificationParams, MvRequestNetworkParams, MvRequestNetworkParamsV1,
    MvSizedString, MvUsernamePassword, MvWifiConfig, MvWifiConfigV1,
};

fn encoded<T: AbiStruct>(value: &T) -> Vec<u8> {
    // Pre-fill with garbage so a byte the encoder skips would show up.
    let mut out = vec![0xAA; T::SIZE + 4];
    value.encode(&mut out);
    assert_eq!(&out[T::SIZE..], &[0xAA; 4], "encode wrote past SIZE");
    out.truncate(T::SIZE);
    out
}

#[test]
fn notification_is_little_endian_at_the_documented_offsets() {
    let n = MvNotification {
        microseconds: 0x0102_0304_0506_0708,
        event_type: MvEventType::ChannelDataReadable as u32,
        tag: 0xDEAD_BEEF,
    };
    let bytes = encoded(&n);
    assert_eq!(
        bytes,
        [8, 7, 6, 5, 4, 3, 2, 1, 2, 0, 0, 0, 0xEF, 0xBE, 0xAD, 0xDE]
    );
    assert_eq!(MvNotification::decode(&bytes), n);
}

#[test]
fn decoding_an_unknown_enum_value_keeps_the_raw_value() {
    let mut bytes = [0u8; 16];
    bytes[8] = 0x99;
    let n = MvNotification::decode(&bytes);
    assert_eq!(n.event_type, 0x99);
    assert!(MvEventType::try_from(n.event_type).is_err());
}

#[test]
fn kernel_structs_round_trip() {
    let setup = MvNotificationSetup {
        irq: 43,
        buffer: 0x2000_1000,
        buffer_size: 128,
    };
    let bytes = encoded(&setup);
    assert_eq!(&bytes[4..8], &0x2000_1000u32.to_le_bytes());
    assert_eq!(MvNotificationSetup::decode(&bytes), setup);

    let req = MvRequestNetworkParams {
        version: 1,
        v1: MvRequestNetworkParamsV1 {
            notification_handle: 0x1234_5678,
            notification_tag: 7,
        },
    };
    let bytes = encoded(&req);
    assert_eq!(bytes, [1, 0, 0, 0, 0x78, 0x56, 0x34, 0x12, 7, 0, 0, 0]);
    assert_eq!(MvRequestNetworkParams::decode(&bytes), req);

    let sys = MvOpenSystemNotificationParams {
        notification_handle: 5,
        notification_tag: 6,
        notification_source: 1,
    };
    assert_eq!(MvOpenSystemNotificationParams::decode(&encoded(&sys)), sys);

    let s = MvSizedString {
        data: 0x0800_0100,
        length: 3,
    };
    assert_eq!(encoded(&s), [0x00, 0x01, 0x00, 0x08, 3, 0, 0, 0]);
    assert_eq!(MvSizedString::decode(&encoded(&s)), s);
}

#[test]
fn nested_versioned_struct_round_trips() {
    let p = MvOpenChannelParams {
        version: 1,
        v1: MvOpenChannelParamsV1 {
            notification_handle: 1,
            notification_tag: 2,
            network_handle: 3,
            receive_buffer: 0x2000_0200,
            receive_buffer_len: 512,
            send_buffer: 0x2000_0400,
            send_buffer_len: 1024,
            channel_type: 2,
            endpoint: MvSizedString {
                data: 0x0800_0000,
                length: 0,
            },
        },
    };
    let bytes = encoded(&p);
    assert_eq!(&bytes[32..36], &2u32.to_le_bytes(), "channel_type @32");
    assert_eq!(
        &bytes[36..40],
        &0x0800_0000u32.to_le_bytes(),
        "endpoint.data @36"
    );
    assert_eq!(MvOpenChannelParams::decode(&bytes), p);
}

#[test]
fn padding_bytes_are_written_as_zero() {
    let auth = MvMqttAuthentication {
        method: 1,
        username_password: MvUsernamePassword {
            username: MvSizedString {
                data: 0x1111_1111,
                length: 0x2222_2222,
            },
            password: MvSizedString {
                data: 0x3333_3333,
                length: 0x4444_4444,
            },
        },
    };
    let bytes = encoded(&auth);
    assert_eq!(
        &bytes[..4],
        &[1, 0, 0, 0],
        "1-byte method then 3 zero pad bytes"
    );
    assert_eq!(MvMqttAuthentication::decode(&bytes), auth);

    let will = MvMqttWill {
        retain: 0xFF,
        qos: 1,
        ..Default::default()
    };
    let bytes = encoded(&will);
    assert_eq!(
        &bytes[20..24],
        &[0xFF, 0, 0, 0],
        "retain then 3 zero tail pad bytes"
    );

    let connect = MvMqttConnectRequest {
        protocol_version: 1,
        port: 0x22B3,
        clean_start: 1,
        will: 0x2000_0000,
        authentication: auth,
        ..Default::default()
    };
    let bytes = encoded(&connect);
    assert_eq!(
        &bytes[12..16],
        &[0xB3, 0x22, 0, 0],
        "u16 port then 2 zero pad bytes"
    );
    assert_eq!(
        &bytes[52..56],
        &[1, 0, 0, 0],
        "u8 clean_start then 3 zero pad bytes"
    );
    assert_eq!(
        &bytes[24..28],
        &[1, 0, 0, 0],
        "nested authentication padding"
    );
    assert_eq!(MvMqttConnectRequest::decode(&bytes), connect);

    let wifi = MvWifiConfig {
        version: 1,
        v1: MvWifiConfigV1 {
            config_mode: 1,
            wifi_ssid: MvSizedString {
                data: 0xA,
                length: 0xB,
            },
            wifi_password: MvSizedString {
                data: 0xC,
                length: 0xD,
            },
        },
    };
    let bytes = encoded(&wifi);
    assert_eq!(&bytes[4..8], &[1, 0, 0, 0]);
    assert_eq!(&bytes[8..12], &[0xA, 0, 0, 0]);
    assert_eq!(MvWifiConfig::decode(&bytes), wifi);
}

#[test]
fn decode_ignores_padding_contents() {
    let mut bytes = [0xFFu8; 24];
    bytes[20] = 1;
    let will = MvMqttWill::decode(&bytes);
    assert_eq!(will.retain, 1);
    assert_eq!(will.qos, u32::MAX);
}

#[test]
#[should_panic(expected = "MvNotification")]
fn encode_into_a_short_buffer_panics() {
    MvNotification::default().encode(&mut [0u8; 15]);
}

#[test]
#[should_panic(expected = "MvNotificationSetup")]
fn decode_from_a_short_buffer_panics() {
    MvNotificationSetup::decode(&[0u8; 11]);
}
