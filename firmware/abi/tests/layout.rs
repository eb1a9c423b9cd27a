//! Every struct layout against a table transcribed by hand from microvisor-abi.md §4.
//!
//! `v1.x` means field `x` of the `v1` union payload, at its offset in the parent.

use core::mem::{align_of, size_of};

use mv_abi::{
    struct_by_name, AbiStruct, FieldKind, MvConfigKeyFetchParams, MvConfigKeyToFetch,
    MvConfigResponseData, MvConfigResponseReadItemParams, MvExternalFlashInfo, MvHttpHeader,
    MvHttpRequest, MvHttpResponseData, MvMqttAuthentication, MvMqttConnectRequest,
    MvMqttConnectResponse, MvMqttDisconnectResponse, MvMqttLostMessageInfo, MvMqttMessage,
    MvMqttPublishRequest, MvMqttPublishResponse, MvMqttSubscribeRequest, MvMqttSubscribeResponse,
    MvMqttSubscription, MvMqttUnsubscribeRequest, MvMqttUnsubscribeResponse, MvMqttWill,
    MvNotification, MvNotificationSetup, MvOpenChannelParams, MvOpenSystemNotificationParams,
    MvOwnTlsCertificateChain, MvRequestNetworkParams, MvSizedString, MvSizedStringBuffer,
    MvTlsCertificateChain, MvTlsCredentials, MvUsernamePassword, MvWifiConfig, MvWifiConfigOut,
    StructLayout, STRUCTS, V1_STRUCTS,
};

type Expected = (&'static str, usize, usize, &'static [(&'static str, usize)]);

/// (struct, size, align, [(field, offset)]) straight from the §4 table.
const EXPECTED: &[Expected] = &[
    (
        "MvNotification",
        16,
        8,
        &[("microseconds", 0), ("event_type", 8), ("tag", 12)],
    ),
    (
        "MvNotificationSetup",
        12,
        4,
        &[("irq", 0), ("buffer", 4), ("buffer_size", 8)],
    ),
    (
        "MvRequestNetworkParams",
        12,
        4,
        &[
            ("version", 0),
            ("v1.notification_handle", 4),
            ("v1.notification_tag", 8),
        ],
    ),
    ("MvSizedString", 8, 4, &[("data", 0), ("length", 4)]),
    (
        "MvSizedStringBuffer",
        12,
        4,
        &[("data", 0), ("size", 4), ("length", 8)],
    ),
    (
        "MvOpenChannelParams",
        44,
        4,
        &[
            ("version", 0),
            ("v1.notification_handle", 4),
            ("v1.notification_tag", 8),
            ("v1.network_handle", 12),
            ("v1.receive_buffer", 16),
            ("v1.receive_buffer_len", 20),
            ("v1.send_buffer", 24),
            ("v1.send_buffer_len", 28),
            ("v1.channel_type", 32),
            ("v1.endpoint", 36),
        ],
    ),
    ("MvHttpHeader", 8, 4, &[("length", 0), ("data", 4)]),
    (
        "MvHttpRequest",
        36,
        4,
        &[
            ("method", 0),
            ("url", 8),
            ("num_headers", 16),
            ("headers", 20),
            ("body", 24),
            ("timeout_ms", 32),
        ],
    ),
    (
        "MvHttpResponseData",
        16,
        4,
        &[
            ("result", 0),
            ("status_code", 4),
            ("num_headers", 8),
            ("body_length", 12),
        ],
    ),
    (
        "MvConfigKeyToFetch",
        16,
        4,
        &[("scope", 0), ("store", 4), ("key", 8)],
    ),
    (
        "MvConfigKeyFetchParams",
        8,
        4,
        &[("num_items", 0), ("keys_to_fetch", 4)],
    ),
    (
        "MvConfigResponseData",
        8,
        4,
        &[("result", 0), ("num_items", 4)],
    ),
    (
        "MvConfigResponseReadItemParams",
        20,
        4,
        &[("item_index", 0), ("result", 4), ("buf", 8)],
    ),
    (
        "MvUsernamePassword",
        16,
        4,
        &[("username", 0), ("password", 8)],
    ),
    (
        "MvMqttAuthentication",
        20,
        4,
        &[("method", 0), ("username_password", 4)],
    ),
    (
        "MvTlsCertificateChain",
        8,
        4,
        &[("num_certs", 0), ("certs", 4)],
    ),
    (
        "MvOwnTlsCertificateChain",
        16,
        4,
        &[("chain", 0), ("key", 8)],
    ),
    (
        "MvTlsCredentials",
        24,
        4,
        &[("cacert", 0), ("clientcert", 8)],
    ),
    (
        "MvMqttWill",
        24,
        4,
        &[("topic", 0), ("payload", 8), ("qos", 16), ("retain", 20)],
    ),
    (
        "MvMqttConnectRequest",
        60,
        4,
        &[
            ("protocol_version", 0),
            ("host", 4),
            ("port", 12),
            ("clientid", 16),
            ("authentication", 24),
            ("tls_credentials", 44),
            ("keepalive", 48),
            ("clean_start", 52),
            ("will", 56),
        ],
    ),
    (
        "MvMqttConnectResponse",
        8,
        4,
        &[("request_state", 0), ("reason_code", 4)],
    ),
    (
        "MvMqttSubscription",
        24,
        4,
        &[
            ("topic", 0),
            ("desired_qos", 8),
            ("nl", 12),
            ("rap", 16),
            ("rh", 20),
        ],
    ),
    (
        "MvMqttSubscribeRequest",
        12,
        4,
        &[
            ("correlation_id", 0),
            ("subscriptions", 4),
            ("num_subscriptions", 8),
        ],
    ),
    (
        "MvMqttSubscribeResponse",
        20,
        4,
        &[
            ("request_state", 0),
            ("correlation_id", 4),
            ("reason_codes", 8),
            ("reason_codes_size", 12),
            ("reason_codes_len", 16),
        ],
    ),
    (
        "MvMqttUnsubscribeResponse",
        20,
        4,
        &[
            ("request_state", 0),
            ("correlation_id", 4),
            ("reason_codes", 8),
            ("reason_codes_size", 12),
            ("reason_codes_len", 16),
        ],
    ),
    (
        "MvMqttUnsubscribeRequest",
        12,
        4,
        &[("correlation_id", 0), ("topics", 4), ("num_topics", 8)],
    ),
    (
        "MvMqttPublishRequest",
        28,
        4,
        &[
            ("correlation_id", 0),
            ("topic", 4),
            ("payload", 12),
            ("desired_qos", 20),
            ("retain", 24),
        ],
    ),
    (
        "MvMqttPublishResponse",
        12,
        4,
        &[
            ("request_state", 0),
            ("correlation_id", 4),
            ("reason_code", 8),
        ],
    ),
    (
        "MvMqttMessage",
        36,
        4,
        &[
            ("correlation_id", 0),
            ("topic", 4),
            ("payload", 16),
            ("qos", 28),
            ("retain", 32),
        ],
    ),
    (
        "MvMqttLostMessageInfo",
        20,
        4,
        &[("reason", 0), ("topic", 4), ("message_len", 16)],
    ),
    (
        "MvMqttDisconnectResponse",
        8,
        4,
        &[("request_state", 0), ("disconnect_code", 4)],
    ),
    (
        "MvOpenSystemNotificationParams",
        12,
        4,
        &[
            ("notification_handle", 0),
            ("notification_tag", 4),
            ("notification_source", 8),
        ],
    ),
    (
        "MvExternalFlashInfo",
        16,
        4,
        &[
            ("version", 0),
            ("v1.chip_id", 4),
            ("v1.size", 8),
            ("v1.num_handles", 12),
        ],
    ),
    (
        "MvWifiConfig",
        24,
        4,
        &[
            ("version", 0),
            ("v1.config_mode", 4),
            ("v1.wifi_ssid", 8),
            ("v1.wifi_password", 16),
        ],
    ),
    (
        "MvWifiConfigOut",
        20,
        4,
        &[("version", 0), ("v1.ssid", 4), ("v1.has_encryption", 16)],
    ),
];

/// Offset of `path` (`"x"` or `"v1.x"`) within `layout`, through nested layouts.
fn offset_of_path(layout: &StructLayout, path: &str) -> Option<usize> {
    match path.split_once('.') {
        None => layout.field(path).map(|f| f.offset),
        Some((outer, inner)) => {
            let f = layout.field(outer)?;
            match f.kind {
                FieldKind::Struct(nested) => Some(f.offset + offset_of_path(nested, inner)?),
                other => panic!("{}.{outer} is {other:?}, not a struct", layout.name),
            }
        }
    }
}

/// Number of leaf-or-struct fields, expanding only `v1` payloads (how the table counts).
fn table_field_count(layout: &StructLayout) -> usize {
    layout
        .fields
        .iter()
        .map(|f| match (f.name, f.kind) {
            ("v1", FieldKind::Struct(v1)) => v1.fields.len(),
            _ => 1,
        })
        .sum()
}

#[test]
fn every_struct_matches_the_reference_table() {
    for &(name, size, align, fields) in EXPECTED {
        let layout = struct_by_name(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(layout.name, name);
        assert_eq!(
            (layout.size, layout.align),
            (size, align),
            "{name} size/align"
        );
        for &(path, offset) in fields {
            assert_eq!(
                offset_of_path(layout, path),
                Some(offset),
                "{name}.{path} offset"
            );
        }
        assert_eq!(
            table_field_count(layout),
            fields.len(),
            "{name} has fields the table does not list"
        );
    }
}

#[test]
fn structs_table_is_exactly_section_4() {
    assert_eq!(STRUCTS.len(), EXPECTED.len());
    for layout in STRUCTS {
        assert!(
            EXPECTED.iter().any(|e| e.0 == layout.name),
            "{} is not in §4",
            layout.name
        );
    }
    for e in EXPECTED {
        assert_eq!(
            STRUCTS.iter().filter(|l| l.name == e.0).count(),
            1,
            "{}",
            e.0
        );
    }
}

#[test]
fn v1_payloads_are_reachable_and_named() {
    for v1 in V1_STRUCTS {
        let parent_name = v1.name.strip_suffix("V1").expect("V1 suffix");
        let parent = struct_by_name(parent_name).expect("parent exists");
        let field = parent.field("v1").expect("parent has v1");
        assert_eq!(field.offset, 4, "{parent_name}.v1 follows the u32 version");
        assert_eq!(field.kind, FieldKind::Struct(v1));
        assert_eq!(parent.field("version").map(|f| f.offset), Some(0));
        assert_eq!(parent.size, 4 + v1.size, "{parent_name}");
        assert_eq!(struct_by_name(v1.name), Some(*v1));
    }
}

#[test]
fn field_kinds_fit_their_offsets_and_do_not_overlap() {
    for layout in STRUCTS.iter().chain(V1_STRUCTS) {
        let mut end = 0;
        for f in layout.fields {
            assert_eq!(
                f.offset % f.kind.align(),
                0,
                "{}.{} misaligned",
                layout.name,
                f.name
            );
            assert!(f.offset >= end, "{}.{} overlaps", layout.name, f.name);
            end = f.offset + f.kind.size();
        }
        assert!(end <= layout.size, "{} overruns its size", layout.name);
        assert_eq!(layout.size % layout.align, 0, "{}", layout.name);
    }
}

#[test]
fn field_kinds_are_the_documented_ones() {
    let kind = |s: &str, f: &str| struct_by_name(s).unwrap().field(f).unwrap().kind;
    assert_eq!(kind("MvNotification", "microseconds"), FieldKind::U64);
    assert_eq!(
        kind("MvNotification", "event_type"),
        FieldKind::Enum(&mv_abi::MvEventType::DESC)
    );
    assert_eq!(kind("MvNotificationSetup", "buffer"), FieldKind::Ptr);
    assert_eq!(
        kind("MvRequestNetworkParamsV1", "notification_handle"),
        FieldKind::Handle
    );
    assert_eq!(
        kind("MvOpenChannelParamsV1", "network_handle"),
        FieldKind::Handle
    );
    assert_eq!(
        kind("MvOpenSystemNotificationParams", "notification_source"),
        FieldKind::Enum(&mv_abi::MvSystemNotificationSource::DESC)
    );
    assert_eq!(
        kind("MvMqttAuthentication", "method"),
        FieldKind::Enum(&mv_abi::MvMqttAuthenticationMethod::DESC)
    );
    assert_eq!(kind("MvMqttAuthentication", "method").size(), 1);
    assert_eq!(kind("MvWifiConfigV1", "config_mode").size(), 1);
    assert_eq!(kind("MvMqttConnectRequest", "port"), FieldKind::U16);
    assert_eq!(kind("MvMqttWill", "retain"), FieldKind::U8);
    assert_eq!(
        kind("MvMqttSubscribeResponse", "request_state"),
        FieldKind::Ptr
    );
    assert_eq!(
        kind("MvHttpRequest", "method"),
        FieldKind::Struct(MvSizedString::LAYOUT)
    );
    assert!(struct_by_name("MvNoSuchStruct").is_none());
}

macro_rules! rust_types_match {
    ($($t:ty => $size:literal / $align:literal),+ $(,)?) => {$(
        assert_eq!(size_of::<$t>(), $size, stringify!($t));
        assert_eq!(align_of::<$t>(), $align, stringify!($t));
        assert_eq!(<$t as AbiStruct>::SIZE, $size, stringify!($t));
        assert_eq!(<$t as AbiStruct>::LAYOUT.size, $size, stringify!($t));
        assert_eq!(<$t as AbiStruct>::LAYOUT.name, stringify!($t));
    )+};
}

#[test]
fn rust_types_have_the_reference_size_and_align() {
    rust_types_match! {
        MvNotification => 16 / 8,
        MvNotificationSetup => 12 / 4,
        MvRequestNetworkParams => 12 / 4,
        MvSizedString => 8 / 4,
        MvSizedStringBuffer => 12 / 4,
        MvOpenChannelParams => 44 / 4,
        MvHttpHeader => 8 / 4,
        MvHttpRequest => 36 / 4,
        MvHttpResponseData => 16 / 4,
        MvConfigKeyToFetch => 16 / 4,
        MvConfigKeyFetchParams => 8 / 4,
        MvConfigResponseData => 8 / 4,
        MvConfigResponseReadItemParams => 20 / 4,
        MvUsernamePassword => 16 / 4,
        MvMqttAuthentication => 20 / 4,
        MvTlsCertificateChain => 8 / 4,
        MvOwnTlsCertificateChain => 16 / 4,
        MvTlsCredentials => 24 / 4,
        MvMqttWill => 24 / 4,
        MvMqttConnectRequest => 60 / 4,
        MvMqttConnectResponse => 8 / 4,
        MvMqttSubscription => 24 / 4,
        MvMqttSubscribeRequest => 12 / 4,
        MvMqttSubscribeResponse => 20 / 4,
        MvMqttUnsubscribeResponse => 20 / 4,
        MvMqttUnsubscribeRequest => 12 / 4,
        MvMqttPublishRequest => 28 / 4,
        MvMqttPublishResponse => 12 / 4,
        MvMqttMessage => 36 / 4,
        MvMqttLostMessageInfo => 20 / 4,
        MvMqttDisconnectResponse => 8 / 4,
        MvOpenSystemNotificationParams => 12 / 4,
        MvExternalFlashInfo => 16 / 4,
        MvWifiConfig => 24 / 4,
        MvWifiConfigOut => 20 / 4,
    }
}
