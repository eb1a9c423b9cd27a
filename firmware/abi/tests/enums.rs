//! Every enum value against a table transcribed by hand from microvisor-abi.md §3.

use mv_abi::{
    constant_by_name, EnumDesc, MvChannelType, MvClosureReason, MvConfigFetchResult,
    MvConfigKeyFetchResult, MvConfigKeyFetchScope, MvConfigKeyFetchStore, MvDeepSleepMode,
    MvEventType, MvHttpResult, MvMqttAuthenticationMethod, MvMqttLostMessageReason,
    MvMqttProtocolVersion, MvMqttReadableDataType, MvMqttRequestState, MvNetworkReason,
    MvNetworkStatus, MvPowerSavingMode, MvRestartMode, MvStatus, MvSystemNotificationSource,
    MvWakeReason, MvWifiConfigMode, UnknownValue, ENUMS,
};

type Table = &'static [(&'static str, u32)];

const STATUS: Table = &[
    ("MV_STATUS_OKAY", 0x0),
    ("MV_STATUS_TIMENOTSET", 0x1),
    ("MV_STATUS_PARAMETERFAULT", 0x2),
    ("MV_STATUS_INVALIDBUFFERSIZE", 0x3),
    ("MV_STATUS_PERIPHERALACCESSFAULT", 0x4),
    ("MV_STATUS_BUFFERALREADYINUSE", 0x5),
    ("MV_STATUS_INVALIDINTERRUPT", 0x6),
    ("MV_STATUS_INVALIDHANDLE", 0x7),
    ("MV_STATUS_TOOMANYNOTIFICATIONBUFFERS", 0x8),
    ("MV_STATUS_INVALIDVECTOR", 0x9),
    ("MV_STATUS_UNAVAILABLE", 0xa),
    ("MV_STATUS_UNSUPPORTEDSTRUCTUREVERSION", 0xb),
    ("MV_STATUS_TOOMANYCHANNELS", 0xc),
    ("MV_STATUS_UNKNOWNCHANNELENDPOINT", 0xd),
    ("MV_STATUS_UNKNOWNCHANNELTYPE", 0xe),
    ("MV_STATUS_CHANNELCLOSED", 0xf),
    ("MV_STATUS_NETWORKNOTCONNECTED", 0x10),
    ("MV_STATUS_RATELIMITED", 0x11),
    ("MV_STATUS_INVALIDBUFFERALIGNMENT", 0x12),
    ("MV_STATUS_LATEFAULT", 0x13),
    ("MV_STATUS_RESPONSENOTPRESENT", 0x14),
    ("MV_STATUS_INDEXINVALID", 0x15),
    ("MV_STATUS_OFFSETINVALID", 0x16),
    ("MV_STATUS_REQUESTALREADYSENT", 0x17),
    ("MV_STATUS_REQUESTUNSUCCESSFUL", 0x18),
    ("MV_STATUS_LOGMESSAGETOOLONG", 0x19),
    ("MV_STATUS_LOGGINGDISABLEDBYSERVER", 0x1a),
    ("MV_STATUS_TOOMANYCONFIGKEYS", 0x1b),
    ("MV_STATUS_UNKNOWNCONFIGSTORE", 0x1c),
    ("MV_STATUS_UNKNOWNCONFIGSCOPE", 0x1d),
    ("MV_STATUS_INVALIDCONFIGKEY", 0x1e),
    ("MV_STATUS_INVALIDAUTHENTICATION", 0x1f),
    ("MV_STATUS_WRONGDATAREQUESTED", 0x20),
    ("MV_STATUS_INTERNALERROR", 0x21),
    ("MV_STATUS_TOOMANYELEMENTS", 0x22),
    ("MV_STATUS_REQUIREDELEMENTMISSING", 0x23),
    ("MV_STATUS_MICROVISORBUSY", 0x24),
    ("MV_STATUS_ADDRESSOUTOFRANGE", 0x25),
    ("MV_STATUS_INPUTTOOLONG", 0x26),
];
const EVENT_TYPE: Table = &[
    ("MV_EVENTTYPE_NOEVENT", 0x0),
    ("MV_EVENTTYPE_NETWORKSTATUSCHANGED", 0x1),
    ("MV_EVENTTYPE_CHANNELDATAREADABLE", 0x2),
    ("MV_EVENTTYPE_CHANNELDATAWRITESPACE", 0x3),
    ("MV_EVENTTYPE_CHANNELNOTCONNECTED", 0x4),
    ("MV_EVENTTYPE_UPDATEDOWNLOADED", 0x5),
];
const NETWORK_STATUS: Table = &[
    ("MV_NETWORKSTATUS_DELIBERATELYOFFLINE", 0x0),
    ("MV_NETWORKSTATUS_CONNECTED", 0x1),
    ("MV_NETWORKSTATUS_CONNECTING", 0x2),
    ("MV_NETWORKSTATUS_DISCONNECTEDWITHLINKUP", 0x3),
];
const NETWORK_REASON: Table = &[
    ("MV_NETWORKREASON_NOTCONNECTING", 0x0),
    ("MV_NETWORKREASON_USINGNETWORK", 0x1),
    ("MV_NETWORKREASON_NEVERUSEDNETWORKAPI", 0x2),
    ("MV_NETWORKREASON_MINIMUMCHECKINEXPIRED", 0x4),
    ("MV_NETWORKREASON_RTCNOTSET", 0x8),
    ("MV_NETWORKREASON_KERNELERROR", 0x10),
    ("MV_NETWORKREASON_APPLICATIONERROR", 0x20),
    ("MV_NETWORKREASON_COLDBOOTCONNECTION", 0x40),
    ("MV_NETWORKREASON_FETCHINGUPDATE", 0x80),
    ("MV_NETWORKREASON_DEBUGGERATTACHED", 0x100),
    ("MV_NETWORKREASON_NOAPPLICATIONCODE", 0x200),
    ("MV_NETWORKREASON_ENHANCECALM", 0x800),
];
const CHANNEL_TYPE: Table = &[
    ("MV_CHANNELTYPE_OPAQUEBYTES", 0x0),
    ("MV_CHANNELTYPE_MQTT", 0x1),
    ("MV_CHANNELTYPE_HTTP", 0x2),
    ("MV_CHANNELTYPE_CONFIGFETCH", 0x3),
];
const CLOSURE_REASON: Table = &[
    ("MV_CLOSUREREASON_NONE", 0x0),
    ("MV_CLOSUREREASON_CHANNELCLOSEDBYSERVER", 0x1),
    ("MV_CLOSUREREASON_CHANNELRESETBYSERVER", 0x2),
    ("MV_CLOSUREREASON_NETWORKDISCONNECTED", 0x3),
    ("MV_CLOSUREREASON_CONNECTIONTERMINATED", 0x4),
    ("MV_CLOSUREREASON_NOTYETOPEN", 0x5),
    ("MV_CLOSUREREASON_CLOSEDBYAPPLICATION", 0x6),
    ("MV_CLOSUREREASON_UNEXPECTEDLYTERMINATED", 0x7),
];
const HTTP_RESULT: Table = &[
    ("MV_HTTPRESULT_OK", 0x0),
    ("MV_HTTPRESULT_UNSUPPORTEDURISCHEME", 0x1),
    ("MV_HTTPRESULT_UNSUPPORTEDMETHOD", 0x2),
    ("MV_HTTPRESULT_INVALIDHEADERS", 0x3),
    ("MV_HTTPRESULT_INVALIDTIMEOUT", 0x4),
    ("MV_HTTPRESULT_REQUESTFAILED", 0x5),
    ("MV_HTTPRESULT_RESPONSETOOLARGE", 0x6),
];
const FETCH_SCOPE: Table = &[
    ("MV_CONFIGKEYFETCHSCOPE_ACCOUNT", 0x0),
    ("MV_CONFIGKEYFETCHSCOPE_DEVICE", 0x1),
];
const FETCH_STORE: Table = &[
    ("MV_CONFIGKEYFETCHSTORE_SECRET", 0x0),
    ("MV_CONFIGKEYFETCHSTORE_CONFIG", 0x1),
];
const FETCH_RESULT: Table = &[
    ("MV_CONFIGFETCHRESULT_OK", 0x0),
    ("MV_CONFIGFETCHRESULT_RESPONSETOOLARGE", 0x1),
];
const KEY_FETCH_RESULT: Table = &[
    ("MV_CONFIGKEYFETCHRESULT_OK", 0x0),
    ("MV_CONFIGKEYFETCHRESULT_KEYNOTFOUND", 0x1),
    ("MV_CONFIGKEYFETCHRESULT_SERVERERROR", 0x2),
];
const READABLE: Table = &[
    ("MV_MQTTREADABLEDATATYPE_NONE", 0x0),
    ("MV_MQTTREADABLEDATATYPE_MESSAGERECEIVED", 0x1),
    ("MV_MQTTREADABLEDATATYPE_MESSAGELOST", 0x2),
    ("MV_MQTTREADABLEDATATYPE_CONNECTRESPONSE", 0x3),
    ("MV_MQTTREADABLEDATATYPE_SUBSCRIBERESPONSE", 0x4),
    ("MV_MQTTREADABLEDATATYPE_UNSUBSCRIBERESPONSE", 0x5),
    ("MV_MQTTREADABLEDATATYPE_PUBLISHRESPONSE", 0x6),
    ("MV_MQTTREADABLEDATATYPE_DISCONNECTRESPONSE", 0x7),
];
const PROTOCOL: Table = &[
    ("MV_MQTTPROTOCOLVERSION_V3_1_1", 0x0),
    ("MV_MQTTPROTOCOLVERSION_V5", 0x1),
];
const AUTH_METHOD: Table = &[
    ("MV_MQTTAUTHENTICATIONMETHOD_NONE", 0x0),
    ("MV_MQTTAUTHENTICATIONMETHOD_USERNAMEPASSWORD", 0x1),
];
const REQUEST_STATE: Table = &[
    ("MV_MQTTREQUESTSTATE_REQUESTCOMPLETED", 0x0),
    ("MV_MQTTREQUESTSTATE_INVALIDPARAMETERS", 0x1),
    ("MV_MQTTREQUESTSTATE_ALREADYCONNECTED", 0x2),
    ("MV_MQTTREQUESTSTATE_NOTCONNECTED", 0x3),
    ("MV_MQTTREQUESTSTATE_NXDOMAIN", 0x4),
    ("MV_MQTTREQUESTSTATE_UNKNOWNCA", 0x5),
    ("MV_MQTTREQUESTSTATE_CERTIFICATEEXPIRED", 0x6),
    ("MV_MQTTREQUESTSTATE_SOCKETERROR", 0x7),
    ("MV_MQTTREQUESTSTATE_CONNECTIONCIRCUITBREAKER", 0x8),
];
const LOST_REASON: Table = &[("MV_MQTTLOSTMESSAGEREASON_DEVICERECEIVEBUFFERTOOSMALL", 0x0)];
const POWER_SAVING: Table = &[
    ("MV_POWERSAVINGMODE_SLEEP", 0),
    ("MV_POWERSAVINGMODE_STOP0", 1),
    ("MV_POWERSAVINGMODE_STOP1", 2),
    ("MV_POWERSAVINGMODE_STOP2", 3),
    ("MV_POWERSAVINGMODE_STOP3", 4),
];
const DEEP_SLEEP: Table = &[
    ("MV_DEEPSLEEPMODE_STANDBY", 0),
    ("MV_DEEPSLEEPMODE_SHUTDOWN", 1),
];
const SYSTEM_SOURCE: Table = &[
    ("MV_SYSTEMNOTIFICATIONSOURCE_NETWORK", 0x0),
    ("MV_SYSTEMNOTIFICATIONSOURCE_UPDATE", 0x1),
];
const WAKE_REASON: Table = &[
    ("MV_WAKEREASON_COLDBOOT", 0x0),
    ("MV_WAKEREASON_REMOTEMICROVISORRESTART", 0x1),
    ("MV_WAKEREASON_REMOTEAPPLICATIONRESTART", 0x2),
    ("MV_WAKEREASON_DEBUGGERRESTART", 0x3),
    ("MV_WAKEREASON_MICROVISORCRASH", 0x4),
    ("MV_WAKEREASON_MICROVISORWATCHDOG", 0x5),
    ("MV_WAKEREASON_MICROVISOROUTOFMEMORY", 0x6),
    ("MV_WAKEREASON_MICROVISORERROR", 0x7),
    ("MV_WAKEREASON_APPLICATIONCRASH", 0x8),
    ("MV_WAKEREASON_APPLICATIONUPDATE", 0x9),
    ("MV_WAKEREASON_MICROVISORUPDATE", 0xa),
    ("MV_WAKEREASON_OPTIONBYTES", 0xb),
    ("MV_WAKEREASON_DEEPSLEEPCHECKIN", 0xc),
    ("MV_WAKEREASON_DEEPSLEEPAPPLICATION", 0xd),
    ("MV_WAKEREASON_DEEPSLEEPMODEM", 0xe),
    ("MV_WAKEREASON_DEEPSLEEPAPPLICATIONRTC", 0xf),
    ("MV_WAKEREASON_DEEPSLEEPOTHER", 0x10),
];
const RESTART: Table = &[("MV_RESTARTMODE_AUTOAPPLYUPDATE", 0x0)];
const WIFI_MODE: Table = &[
    ("MV_WIFICONFIGMODE_APPLYNOW", 0x0),
    ("MV_WIFICONFIGMODE_CLEARNOW", 0x1),
];

/// Checks one typed enum against its table: values, names, conversions, unknowns.
macro_rules! check_enum {
    ($e:ty, $table:expr, $size:literal, $prefix:literal) => {{
        let table: Table = $table;
        let name = stringify!($e);
        assert_eq!(<$e>::ALL.len(), table.len(), "{name} variant count");
        assert_eq!(core::mem::size_of::<$e>(), $size, "{name} size");
        check_desc(&<$e>::DESC, name, $prefix, $size, table);
        for (i, &(c_name, value)) in table.iter().enumerate() {
            let v = <$e>::try_from(value).unwrap_or_else(|e| panic!("{c_name}: {e}"));
            assert_eq!(<$e>::ALL[i], v, "{name}::ALL order");
            assert_eq!(v.c_name(), c_name);
            assert_eq!(concat!($prefix).to_owned() + v.short_name(), c_name);
            assert_eq!(u32::from(v), value);
            assert_eq!(v.to_string(), c_name);
        }
        let max = table.iter().map(|&(_, v)| v).max().unwrap();
        // The SDK's `__MAX` sentinel (0xff or 0xffffffff) is not a member.
        for unknown in [max + 1, 0xff, 0xffff_ffff] {
            assert_eq!(
                <$e>::try_from(unknown),
                Err(UnknownValue { enum_name: name, value: unknown }),
                "{name} {unknown:#x}"
            );
        }
    }};
}

fn check_desc(desc: &EnumDesc, name: &str, prefix: &str, size: usize, table: Table) {
    assert_eq!(desc.name, name);
    assert_eq!(desc.prefix, prefix);
    assert_eq!(desc.size, size, "{name} size");
    assert_eq!(desc.variants.len(), table.len(), "{name}");
    assert!(ENUMS.contains(&desc), "{name} not in ENUMS");
    for &(c_name, value) in table {
        let short = c_name.strip_prefix(prefix).expect("table uses the prefix");
        assert_eq!(desc.value_of(c_name), Some(value), "{c_name}");
        assert_eq!(desc.value_of(short), Some(value), "{c_name}");
        assert_eq!(desc.name_of(value), Some(short), "{c_name}");
        let (found, v) = constant_by_name(c_name).unwrap_or_else(|| panic!("{c_name}"));
        assert_eq!((found.name, v), (name, value), "{c_name}");
    }
    assert_eq!(desc.value_of("NOSUCHNAME"), None);
}

#[test]
fn status_matches_section_3() {
    check_enum!(MvStatus, STATUS, 4, "MV_STATUS_");
    assert!(MvStatus::Okay.is_ok());
    assert_eq!(MvStatus::LateFault as u32, 0x13);
    assert_eq!(MvStatus::InputTooLong as u32, 0x26);
}

#[test]
fn u32_enums_match_section_3() {
    check_enum!(MvEventType, EVENT_TYPE, 4, "MV_EVENTTYPE_");
    check_enum!(MvNetworkStatus, NETWORK_STATUS, 4, "MV_NETWORKSTATUS_");
    check_enum!(MvChannelType, CHANNEL_TYPE, 4, "MV_CHANNELTYPE_");
    check_enum!(MvClosureReason, CLOSURE_REASON, 4, "MV_CLOSUREREASON_");
    check_enum!(MvHttpResult, HTTP_RESULT, 4, "MV_HTTPRESULT_");
    check_enum!(
        MvConfigKeyFetchScope,
        FETCH_SCOPE,
        4,
        "MV_CONFIGKEYFETCHSCOPE_"
    );
    check_enum!(
        MvConfigKeyFetchStore,
        FETCH_STORE,
        4,
        "MV_CONFIGKEYFETCHSTORE_"
    );
    check_enum!(
        MvConfigFetchResult,
        FETCH_RESULT,
        4,
        "MV_CONFIGFETCHRESULT_"
    );
    check_enum!(
        MvConfigKeyFetchResult,
        KEY_FETCH_RESULT,
        4,
        "MV_CONFIGKEYFETCHRESULT_"
    );
    check_enum!(
        MvMqttReadableDataType,
        READABLE,
        4,
        "MV_MQTTREADABLEDATATYPE_"
    );
    check_enum!(
        MvMqttProtocolVersion,
        PROTOCOL,
        4,
        "MV_MQTTPROTOCOLVERSION_"
    );
    check_enum!(MvMqttRequestState, REQUEST_STATE, 4, "MV_MQTTREQUESTSTATE_");
    check_enum!(
        MvMqttLostMessageReason,
        LOST_REASON,
        4,
        "MV_MQTTLOSTMESSAGEREASON_"
    );
    check_enum!(
        MvSystemNotificationSource,
        SYSTEM_SOURCE,
        4,
        "MV_SYSTEMNOTIFICATIONSOURCE_"
    );
    check_enum!(MvRestartMode, RESTART, 4, "MV_RESTARTMODE_");
}

#[test]
fn one_byte_enums_match_section_3() {
    check_enum!(
        MvMqttAuthenticationMethod,
        AUTH_METHOD,
        1,
        "MV_MQTTAUTHENTICATIONMETHOD_"
    );
    check_enum!(MvPowerSavingMode, POWER_SAVING, 1, "MV_POWERSAVINGMODE_");
    check_enum!(MvDeepSleepMode, DEEP_SLEEP, 1, "MV_DEEPSLEEPMODE_");
    check_enum!(MvWakeReason, WAKE_REASON, 1, "MV_WAKEREASON_");
    check_enum!(MvWifiConfigMode, WIFI_MODE, 1, "MV_WIFICONFIGMODE_");
    assert_eq!(MvWakeReason::ApplicationCrash as u8, 8);
    assert_eq!(MvWakeReason::ApplicationUpdate as u8, 9);
}

#[test]
fn network_reason_bitfield_matches_section_3() {
    check_desc(
        &MvNetworkReason::DESC,
        "MvNetworkReason",
        "MV_NETWORKREASON_",
        4,
        NETWORK_REASON,
    );
    let consts = [
        MvNetworkReason::NOTCONNECTING,
        MvNetworkReason::USINGNETWORK,
        MvNetworkReason::NEVERUSEDNETWORKAPI,
        MvNetworkReason::MINIMUMCHECKINEXPIRED,
        MvNetworkReason::RTCNOTSET,
        MvNetworkReason::KERNELERROR,
        MvNetworkReason::APPLICATIONERROR,
        MvNetworkReason::COLDBOOTCONNECTION,
        MvNetworkReason::FETCHINGUPDATE,
        MvNetworkReason::DEBUGGERATTACHED,
        MvNetworkReason::NOAPPLICATIONCODE,
        MvNetworkReason::ENHANCECALM,
    ];
    for (c, &(_, value)) in consts.iter().zip(NETWORK_REASON) {
        assert_eq!(c.0, value);
    }
    let all = NETWORK_REASON.iter().fold(0, |acc, &(_, v)| acc | v);
    assert_eq!(MvNetworkReason::ALL_BITS, all);
    assert_eq!(all & 0x400, 0, "0x400 is unused");
    let r = MvNetworkReason::USINGNETWORK | MvNetworkReason::RTCNOTSET;
    assert!(r.contains(MvNetworkReason::RTCNOTSET));
    assert!(!r.contains(MvNetworkReason::ENHANCECALM));
    assert_eq!(u32::from(r), 0x9);
}

#[test]
fn enums_list_is_complete_and_unambiguous() {
    let names: Vec<&str> = ENUMS.iter().map(|d| d.name).collect();
    assert_eq!(names.len(), 22, "{names:?}");
    for (i, a) in ENUMS.iter().enumerate() {
        for b in &ENUMS[i + 1..] {
            assert_ne!(a.name, b.name);
            assert!(!a.prefix.starts_with(b.prefix) && !b.prefix.starts_with(a.prefix));
        }
    }
    assert_eq!(
        constant_by_name("MV_EVENTTYPE_UPDATEDOWNLOADED").map(|(d, v)| (d.name, v)),
        Some(("MvEventType", 5))
    );
    assert_eq!(
        constant_by_name("UPDATEDOWNLOADED"),
        None,
        "short names are not C names"
    );
    assert_eq!(constant_by_name("MV_STATUS__MAX"), None);
    assert_eq!(constant_by_name("MV_STATUS_NOPE"), None);
}

#[test]
fn unknown_value_explains_itself() {
    let err = MvStatus::try_from(0x27).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("0x27") && text.contains("MvStatus"), "{text}");
}
