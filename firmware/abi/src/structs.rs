//! The non-MQTT structs of `mv_syscalls.h` (SDK 0.7.0), laid out exactly as arm-none-eabi-gcc does.
//!
//! Pointers and handles are `u32` target addresses, never Rust pointers; enum
//! fields hold the raw integer so decoding untrusted bytes cannot produce an
//! invalid enum. A versioned struct `{u32 version; union { struct {..} v1; }}`
//! is modelled as `{ version, v1: <Name>V1 }`: a one-member union has the
//! member's layout.

use crate::enums::{
    MvChannelType, MvConfigFetchResult, MvConfigKeyFetchScope, MvConfigKeyFetchStore, MvEventType,
    MvHttpResult, MvSystemNotificationSource, MvWifiConfigMode,
};
use crate::layout::{abi_struct, AbiStruct, FieldKind};

// ---- notifications ---------------------------------------------------------

abi_struct! {
    /// One record of a notification ring (16 bytes, 8-aligned).
    pub struct MvNotification {
        /// When issued, on the `mvGetMicroseconds` time base.
        pub microseconds: u64 => FieldKind::U64,
        /// Raw `enum MvEventType`.
        pub event_type: u32 => FieldKind::Enum(&MvEventType::DESC),
        /// User value given when the source was set up.
        pub tag: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// Argument of `mvSetupNotifications`.
    pub struct MvNotificationSetup {
        /// IRQ Microvisor pends when a record is written.
        pub irq: u32 => FieldKind::U32,
        /// `struct MvNotification *`: the ring.
        pub buffer: u32 => FieldKind::Ptr,
        /// Ring size in bytes: a multiple of 16, at least 32.
        pub buffer_size: u32 => FieldKind::U32,
    }
}

// ---- networking ------------------------------------------------------------

abi_struct! {
    /// Version 1 payload of [`MvRequestNetworkParams`].
    pub struct MvRequestNetworkParamsV1 {
        pub notification_handle: u32 => FieldKind::Handle,
        pub notification_tag: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// Argument of `mvRequestNetwork` (versioned; only version 1 exists).
    pub struct MvRequestNetworkParams {
        pub version: u32 => FieldKind::U32,
        pub v1: MvRequestNetworkParamsV1 => FieldKind::Struct(MvRequestNetworkParamsV1::LAYOUT),
    }
}

// ---- strings ---------------------------------------------------------------

abi_struct! {
    /// `{const u8 *data; u32 length}`: need not be NUL-terminated.
    pub struct MvSizedString {
        pub data: u32 => FieldKind::Ptr,
        pub length: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// An output string buffer: Microvisor writes `data` and stores the byte count through `length`.
    pub struct MvSizedStringBuffer {
        pub data: u32 => FieldKind::Ptr,
        pub size: u32 => FieldKind::U32,
        /// `u32 *`: where the number of bytes written goes.
        pub length: u32 => FieldKind::Ptr,
    }
}

// ---- channels --------------------------------------------------------------

abi_struct! {
    /// Version 1 payload of [`MvOpenChannelParams`].
    pub struct MvOpenChannelParamsV1 {
        pub notification_handle: u32 => FieldKind::Handle,
        pub notification_tag: u32 => FieldKind::U32,
        pub network_handle: u32 => FieldKind::Handle,
        pub receive_buffer: u32 => FieldKind::Ptr,
        pub receive_buffer_len: u32 => FieldKind::U32,
        pub send_buffer: u32 => FieldKind::Ptr,
        pub send_buffer_len: u32 => FieldKind::U32,
        pub channel_type: u32 => FieldKind::Enum(&MvChannelType::DESC),
        pub endpoint: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
    }
}

abi_struct! {
    /// Argument of `mvOpenChannel` (versioned).
    pub struct MvOpenChannelParams {
        pub version: u32 => FieldKind::U32,
        pub v1: MvOpenChannelParamsV1 => FieldKind::Struct(MvOpenChannelParamsV1::LAYOUT),
    }
}

// ---- HTTP ------------------------------------------------------------------

abi_struct! {
    /// One HTTP header. Note: **length first**, unlike [`MvSizedString`].
    pub struct MvHttpHeader {
        pub length: u32 => FieldKind::U32,
        pub data: u32 => FieldKind::Ptr,
    }
}

abi_struct! {
    /// Argument of `mvSendHttpRequest`.
    pub struct MvHttpRequest {
        pub method: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        pub url: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        pub num_headers: u32 => FieldKind::U32,
        /// `const struct MvHttpHeader *`.
        pub headers: u32 => FieldKind::Ptr,
        pub body: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        /// 5000..=10000.
        pub timeout_ms: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// Filled by `mvReadHttpResponseData`.
    pub struct MvHttpResponseData {
        pub result: u32 => FieldKind::Enum(&MvHttpResult::DESC),
        pub status_code: u32 => FieldKind::U32,
        pub num_headers: u32 => FieldKind::U32,
        pub body_length: u32 => FieldKind::U32,
    }
}

// ---- config / secrets ------------------------------------------------------

abi_struct! {
    /// One key requested by `mvSendConfigFetchRequest`.
    pub struct MvConfigKeyToFetch {
        pub scope: u32 => FieldKind::Enum(&MvConfigKeyFetchScope::DESC),
        pub store: u32 => FieldKind::Enum(&MvConfigKeyFetchStore::DESC),
        pub key: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
    }
}

abi_struct! {
    /// Argument of `mvSendConfigFetchRequest`.
    pub struct MvConfigKeyFetchParams {
        pub num_items: u32 => FieldKind::U32,
        /// `const struct MvConfigKeyToFetch *`.
        pub keys_to_fetch: u32 => FieldKind::Ptr,
    }
}

abi_struct! {
    /// Filled by `mvReadConfigFetchResponseData`.
    pub struct MvConfigResponseData {
        pub result: u32 => FieldKind::Enum(&MvConfigFetchResult::DESC),
        pub num_items: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// Argument of `mvReadConfigResponseItem`: an input holding output pointers.
    pub struct MvConfigResponseReadItemParams {
        pub item_index: u32 => FieldKind::U32,
        /// `enum MvConfigKeyFetchResult *`.
        pub result: u32 => FieldKind::Ptr,
        pub buf: MvSizedStringBuffer => FieldKind::Struct(MvSizedStringBuffer::LAYOUT),
    }
}

// ---- system notifications, external flash, Wi-Fi --------------------------

abi_struct! {
    /// Argument of `mvOpenSystemNotification` (**not** versioned).
    pub struct MvOpenSystemNotificationParams {
        pub notification_handle: u32 => FieldKind::Handle,
        pub notification_tag: u32 => FieldKind::U32,
        pub notification_source: u32 => FieldKind::Enum(&MvSystemNotificationSource::DESC),
    }
}

abi_struct! {
    /// Version 1 payload of [`MvExternalFlashInfo`].
    pub struct MvExternalFlashInfoV1 {
        pub chip_id: u32 => FieldKind::U32,
        /// Bytes available to the application.
        pub size: u32 => FieldKind::U32,
        pub num_handles: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// Filled by `mvExternalFlashGetInfo`; the caller sets `version = 1`.
    pub struct MvExternalFlashInfo {
        pub version: u32 => FieldKind::U32,
        pub v1: MvExternalFlashInfoV1 => FieldKind::Struct(MvExternalFlashInfoV1::LAYOUT),
    }
}

abi_struct! {
    /// Version 1 payload of [`MvWifiConfig`]; 3 padding bytes follow `config_mode`.
    pub struct MvWifiConfigV1 {
        /// Raw 1-byte `enum MvWifiConfigMode`.
        pub config_mode: u8 => FieldKind::Enum(&MvWifiConfigMode::DESC),
        pub wifi_ssid: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        pub wifi_password: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
    }
}

abi_struct! {
    /// Argument of `mvSetWifiConfig` (versioned).
    pub struct MvWifiConfig {
        pub version: u32 => FieldKind::U32,
        pub v1: MvWifiConfigV1 => FieldKind::Struct(MvWifiConfigV1::LAYOUT),
    }
}

abi_struct! {
    /// Version 1 payload of [`MvWifiConfigOut`].
    pub struct MvWifiConfigOutV1 {
        pub ssid: MvSizedStringBuffer => FieldKind::Struct(MvSizedStringBuffer::LAYOUT),
        /// `u8 *`: where the has-encryption flag goes.
        pub has_encryption: u32 => FieldKind::Ptr,
    }
}

abi_struct! {
    /// Argument of `mvGetWifiConfig` (versioned): an input holding output pointers.
    pub struct MvWifiConfigOut {
        pub version: u32 => FieldKind::U32,
        pub v1: MvWifiConfigOutV1 => FieldKind::Struct(MvWifiConfigOutV1::LAYOUT),
    }
}
