//! Bit-exact Rust description of the Microvisor system-call ABI (SDK 0.7.0 `mv_syscalls.h`).
//!
//! The Microvisor calls are TrustZone non-secure-callable functions at fixed
//! 8-byte slots, using plain AAPCS with an `enum MvStatus` result in r0. This
//! crate holds the facts both sides agree on: slot numbers ([`Slot`]), every
//! enum with its exact values, every struct with its exact layout, and a
//! little-endian codec for the structs. It has no `unsafe`, no `asm!`, and
//! builds for the host and for `thumbv8m.main-none-eabi`.
//!
//! Source of truth: `shared/reference/microvisor-abi.md` §2–§4.
#![no_std]
#![forbid(unsafe_code)]

mod catalog;
mod enum_desc;
mod enums;
pub mod exit;
mod handles;
pub mod handoff;
mod layout;
mod layout_pins;
mod mqtt_structs;
mod retvals;
mod slots;
mod status;
mod structs;

pub use catalog::{constant_by_name, struct_by_name, ENUMS, STRUCTS, V1_STRUCTS};
pub use enum_desc::{EnumDesc, UnknownValue};
pub use enums::{
    MvChannelType, MvClosureReason, MvConfigFetchResult, MvConfigKeyFetchResult,
    MvConfigKeyFetchScope, MvConfigKeyFetchStore, MvDeepSleepMode, MvEventType, MvHttpResult,
    MvMqttAuthenticationMethod, MvMqttLostMessageReason, MvMqttProtocolVersion,
    MvMqttReadableDataType, MvMqttRequestState, MvNetworkReason, MvNetworkStatus,
    MvPowerSavingMode, MvRestartMode, MvSystemNotificationSource, MvWakeReason, MvWifiConfigMode,
};
pub use handles::{
    MvChannelHandle, MvExternalFlashHandle, MvHandle, MvNetworkHandle, MvNotificationHandle,
    MvSystemEventHandle, INVALID_HANDLE,
};
pub use layout::{AbiStruct, FieldKind, FieldLayout, StructLayout};
pub use mqtt_structs::{
    MvMqttAuthentication, MvMqttConnectRequest, MvMqttConnectResponse, MvMqttDisconnectResponse,
    MvMqttLostMessageInfo, MvMqttMessage, MvMqttPublishRequest, MvMqttPublishResponse,
    MvMqttSubscribeRequest, MvMqttSubscribeResponse, MvMqttSubscription, MvMqttUnsubscribeRequest,
    MvMqttUnsubscribeResponse, MvMqttWill, MvOwnTlsCertificateChain, MvTlsCertificateChain,
    MvTlsCredentials, MvUsernamePassword,
};
pub use retvals::SDK_RETVALS_YAML;
pub use slots::{Slot, NSC_ENTRY_SIZE, NSC_TABLE_ENTRIES, SLOT_COUNT, STM32U585_NSC_TABLE_BASE};
pub use status::MvStatus;
pub use structs::{
    MvConfigKeyFetchParams, MvConfigKeyToFetch, MvConfigResponseData,
    MvConfigResponseReadItemParams, MvExternalFlashInfo, MvExternalFlashInfoV1, MvHttpHeader,
    MvHttpRequest, MvHttpResponseData, MvNotification, MvNotificationSetup, MvOpenChannelParams,
    MvOpenChannelParamsV1, MvOpenSystemNotificationParams, MvRequestNetworkParams,
    MvRequestNetworkParamsV1, MvSizedString, MvSizedStringBuffer, MvWifiConfig, MvWifiConfigOut,
    MvWifiConfigOutV1, MvWifiConfigV1,
};
