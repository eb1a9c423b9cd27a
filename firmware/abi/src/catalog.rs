//! Tables of every enum and struct, and name lookups over them, for host tooling.

use crate::enum_desc::EnumDesc;
use crate::enums::{
    MvChannelType, MvClosureReason, MvConfigFetchResult, MvConfigKeyFetchResult,
    MvConfigKeyFetchScope, MvConfigKeyFetchStore, MvDeepSleepMode, MvEventType, MvHttpResult,
    MvMqttAuthenticationMethod, MvMqttLostMessageReason, MvMqttProtocolVersion,
    MvMqttReadableDataType, MvMqttRequestState, MvNetworkReason, MvNetworkStatus,
    MvPowerSavingMode, MvRestartMode, MvSystemNotificationSource, MvWakeReason, MvWifiConfigMode,
};
use crate::layout::{AbiStruct, StructLayout};
use crate::mqtt_structs::{
    MvMqttAuthentication, MvMqttConnectRequest, MvMqttConnectResponse, MvMqttDisconnectResponse,
    MvMqttLostMessageInfo, MvMqttMessage, MvMqttPublishRequest, MvMqttPublishResponse,
    MvMqttSubscribeRequest, MvMqttSubscribeResponse, MvMqttSubscription, MvMqttUnsubscribeRequest,
    MvMqttUnsubscribeResponse, MvMqttWill, MvOwnTlsCertificateChain, MvTlsCertificateChain,
    MvTlsCredentials, MvUsernamePassword,
};
use crate::status::MvStatus;
use crate::structs::{
    MvConfigKeyFetchParams, MvConfigKeyToFetch, MvConfigResponseData,
    MvConfigResponseReadItemParams, MvExternalFlashInfo, MvExternalFlashInfoV1, MvHttpHeader,
    MvHttpRequest, MvHttpResponseData, MvNotification, MvNotificationSetup, MvOpenChannelParams,
    MvOpenChannelParamsV1, MvOpenSystemNotificationParams, MvRequestNetworkParams,
    MvRequestNetworkParamsV1, MvSizedString, MvSizedStringBuffer, MvWifiConfig, MvWifiConfigOut,
    MvWifiConfigOutV1, MvWifiConfigV1,
};

/// Every enum of the SDK 0.7.0 header, in header order (`MvNetworkReason` included).
pub const ENUMS: &[&EnumDesc] = &[
    &MvStatus::DESC,
    &MvEventType::DESC,
    &MvNetworkStatus::DESC,
    &MvNetworkReason::DESC,
    &MvChannelType::DESC,
    &MvClosureReason::DESC,
    &MvHttpResult::DESC,
    &MvConfigKeyFetchScope::DESC,
    &MvConfigKeyFetchStore::DESC,
    &MvConfigFetchResult::DESC,
    &MvConfigKeyFetchResult::DESC,
    &MvMqttReadableDataType::DESC,
    &MvMqttProtocolVersion::DESC,
    &MvMqttAuthenticationMethod::DESC,
    &MvMqttRequestState::DESC,
    &MvMqttLostMessageReason::DESC,
    &MvPowerSavingMode::DESC,
    &MvSystemNotificationSource::DESC,
    &MvDeepSleepMode::DESC,
    &MvWakeReason::DESC,
    &MvRestartMode::DESC,
    &MvWifiConfigMode::DESC,
];

/// The enum and value of a full C constant name, e.g. `"MV_EVENTTYPE_UPDATEDOWNLOADED"`.
pub fn constant_by_name(c_name: &str) -> Option<(&'static EnumDesc, u32)> {
    ENUMS.iter().find_map(|&desc| {
        let short = c_name.strip_prefix(desc.prefix)?;
        desc.value_of(short).map(|v| (desc, v))
    })
}

/// Every struct of the SDK 0.7.0 header (the `V1` payloads are in [`V1_STRUCTS`]).
pub const STRUCTS: &[&StructLayout] = &[
    MvNotification::LAYOUT,
    MvNotificationSetup::LAYOUT,
    MvRequestNetworkParams::LAYOUT,
    MvSizedString::LAYOUT,
    MvSizedStringBuffer::LAYOUT,
    MvOpenChannelParams::LAYOUT,
    MvHttpHeader::LAYOUT,
    MvHttpRequest::LAYOUT,
    MvHttpResponseData::LAYOUT,
    MvConfigKeyToFetch::LAYOUT,
    MvConfigKeyFetchParams::LAYOUT,
    MvConfigResponseData::LAYOUT,
    MvConfigResponseReadItemParams::LAYOUT,
    MvUsernamePassword::LAYOUT,
    MvMqttAuthentication::LAYOUT,
    MvTlsCertificateChain::LAYOUT,
    MvOwnTlsCertificateChain::LAYOUT,
    MvTlsCredentials::LAYOUT,
    MvMqttWill::LAYOUT,
    MvMqttConnectRequest::LAYOUT,
    MvMqttConnectResponse::LAYOUT,
    MvMqttSubscription::LAYOUT,
    MvMqttSubscribeRequest::LAYOUT,
    MvMqttSubscribeResponse::LAYOUT,
    MvMqttUnsubscribeRequest::LAYOUT,
    MvMqttUnsubscribeResponse::LAYOUT,
    MvMqttPublishRequest::LAYOUT,
    MvMqttPublishResponse::LAYOUT,
    MvMqttMessage::LAYOUT,
    MvMqttLostMessageInfo::LAYOUT,
    MvMqttDisconnectResponse::LAYOUT,
    MvOpenSystemNotificationParams::LAYOUT,
    MvExternalFlashInfo::LAYOUT,
    MvWifiConfig::LAYOUT,
    MvWifiConfigOut::LAYOUT,
];

/// The `v1` union payloads of the versioned structs (no C name of their own).
pub const V1_STRUCTS: &[&StructLayout] = &[
    MvRequestNetworkParamsV1::LAYOUT,
    MvOpenChannelParamsV1::LAYOUT,
    MvExternalFlashInfoV1::LAYOUT,
    MvWifiConfigV1::LAYOUT,
    MvWifiConfigOutV1::LAYOUT,
];

/// The layout named `name`: a header struct (`"MvNotificationSetup"`) or a V1 payload (`"MvWifiConfigV1"`).
pub fn struct_by_name(name: &str) -> Option<&'static StructLayout> {
    STRUCTS
        .iter()
        .chain(V1_STRUCTS)
        .find(|s| s.name == name)
        .copied()
}
