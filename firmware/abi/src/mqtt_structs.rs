//! The MQTT and TLS structs of `mv_syscalls.h` (SDK 0.7.0).
//!
//! Same conventions as `structs.rs`. Several "response"/"message" structs are
//! inputs holding pointers to app-owned outputs; those pointers are `Ptr`.

use crate::enums::{MvMqttAuthenticationMethod, MvMqttProtocolVersion, MvMqttRequestState};
use crate::layout::{abi_struct, AbiStruct, FieldKind};
use crate::structs::{MvSizedString, MvSizedStringBuffer};

abi_struct! {
    /// Username/password credentials.
    pub struct MvUsernamePassword {
        pub username: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        pub password: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
    }
}

abi_struct! {
    /// MQTT authentication; 3 padding bytes follow the 1-byte `method`.
    pub struct MvMqttAuthentication {
        /// Raw 1-byte `enum MvMqttAuthenticationMethod`.
        pub method: u8 => FieldKind::Enum(&MvMqttAuthenticationMethod::DESC),
        pub username_password: MvUsernamePassword => FieldKind::Struct(MvUsernamePassword::LAYOUT),
    }
}

abi_struct! {
    /// A certificate chain.
    pub struct MvTlsCertificateChain {
        pub num_certs: u32 => FieldKind::U32,
        /// `const struct MvSizedString *`.
        pub certs: u32 => FieldKind::Ptr,
    }
}

abi_struct! {
    /// A client certificate chain and its key.
    pub struct MvOwnTlsCertificateChain {
        pub chain: MvTlsCertificateChain => FieldKind::Struct(MvTlsCertificateChain::LAYOUT),
        pub key: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
    }
}

abi_struct! {
    /// Server CA chain plus client credentials.
    pub struct MvTlsCredentials {
        pub cacert: MvTlsCertificateChain => FieldKind::Struct(MvTlsCertificateChain::LAYOUT),
        pub clientcert: MvOwnTlsCertificateChain => FieldKind::Struct(MvOwnTlsCertificateChain::LAYOUT),
    }
}

abi_struct! {
    /// An MQTT Will; 3 tail padding bytes follow `retain`.
    pub struct MvMqttWill {
        pub topic: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        pub payload: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        pub qos: u32 => FieldKind::U32,
        pub retain: u8 => FieldKind::U8,
    }
}

abi_struct! {
    /// Argument of `mvMqttRequestConnect`.
    pub struct MvMqttConnectRequest {
        pub protocol_version: u32 => FieldKind::Enum(&MvMqttProtocolVersion::DESC),
        pub host: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        pub port: u16 => FieldKind::U16,
        pub clientid: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        pub authentication: MvMqttAuthentication => FieldKind::Struct(MvMqttAuthentication::LAYOUT),
        /// `const struct MvTlsCredentials *`; may be NULL.
        pub tls_credentials: u32 => FieldKind::Ptr,
        pub keepalive: u32 => FieldKind::U32,
        pub clean_start: u8 => FieldKind::U8,
        /// `const struct MvMqttWill *`; may be NULL.
        pub will: u32 => FieldKind::Ptr,
    }
}

abi_struct! {
    /// Filled by `mvMqttReadConnectResponse`.
    pub struct MvMqttConnectResponse {
        pub request_state: u32 => FieldKind::Enum(&MvMqttRequestState::DESC),
        pub reason_code: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// One topic of a subscribe request (`nl`/`rap`/`rh` are v5 only).
    pub struct MvMqttSubscription {
        pub topic: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        pub desired_qos: u32 => FieldKind::U32,
        pub nl: u32 => FieldKind::U32,
        pub rap: u32 => FieldKind::U32,
        pub rh: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// Argument of `mvMqttRequestSubscribe`.
    pub struct MvMqttSubscribeRequest {
        pub correlation_id: u32 => FieldKind::U32,
        /// `const struct MvMqttSubscription *`.
        pub subscriptions: u32 => FieldKind::Ptr,
        pub num_subscriptions: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// Argument of `mvMqttReadSubscribeResponse`: pointers to app-owned outputs.
    pub struct MvMqttSubscribeResponse {
        /// `enum MvMqttRequestState *`.
        pub request_state: u32 => FieldKind::Ptr,
        pub correlation_id: u32 => FieldKind::Ptr,
        pub reason_codes: u32 => FieldKind::Ptr,
        /// Size of the `reason_codes` buffer in bytes.
        pub reason_codes_size: u32 => FieldKind::U32,
        pub reason_codes_len: u32 => FieldKind::Ptr,
    }
}

abi_struct! {
    /// Argument of `mvMqttRequestUnsubscribe`.
    pub struct MvMqttUnsubscribeRequest {
        pub correlation_id: u32 => FieldKind::U32,
        /// `const struct MvSizedString *`.
        pub topics: u32 => FieldKind::Ptr,
        pub num_topics: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// Argument of `mvMqttReadUnsubscribeResponse`: same layout as [`MvMqttSubscribeResponse`].
    pub struct MvMqttUnsubscribeResponse {
        /// `enum MvMqttRequestState *`.
        pub request_state: u32 => FieldKind::Ptr,
        pub correlation_id: u32 => FieldKind::Ptr,
        pub reason_codes: u32 => FieldKind::Ptr,
        /// Size of the `reason_codes` buffer in bytes.
        pub reason_codes_size: u32 => FieldKind::U32,
        pub reason_codes_len: u32 => FieldKind::Ptr,
    }
}

abi_struct! {
    /// Argument of `mvMqttRequestPublish`.
    pub struct MvMqttPublishRequest {
        pub correlation_id: u32 => FieldKind::U32,
        pub topic: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        pub payload: MvSizedString => FieldKind::Struct(MvSizedString::LAYOUT),
        pub desired_qos: u32 => FieldKind::U32,
        pub retain: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// Filled by `mvMqttReadPublishResponse`.
    pub struct MvMqttPublishResponse {
        pub request_state: u32 => FieldKind::Enum(&MvMqttRequestState::DESC),
        pub correlation_id: u32 => FieldKind::U32,
        /// Always 0 for MQTT 3.1.1.
        pub reason_code: u32 => FieldKind::U32,
    }
}

abi_struct! {
    /// Argument of `mvMqttReceiveMessage`: pointers to app-owned outputs.
    pub struct MvMqttMessage {
        pub correlation_id: u32 => FieldKind::Ptr,
        pub topic: MvSizedStringBuffer => FieldKind::Struct(MvSizedStringBuffer::LAYOUT),
        pub payload: MvSizedStringBuffer => FieldKind::Struct(MvSizedStringBuffer::LAYOUT),
        pub qos: u32 => FieldKind::Ptr,
        /// `u8 *`.
        pub retain: u32 => FieldKind::Ptr,
    }
}

abi_struct! {
    /// Argument of `mvMqttReceiveLostMessageInfo`: pointers to app-owned outputs.
    pub struct MvMqttLostMessageInfo {
        /// `enum MvMqttLostMessageReason *`.
        pub reason: u32 => FieldKind::Ptr,
        pub topic: MvSizedStringBuffer => FieldKind::Struct(MvSizedStringBuffer::LAYOUT),
        pub message_len: u32 => FieldKind::Ptr,
    }
}

abi_struct! {
    /// Filled by `mvMqttReadDisconnectResponse`.
    pub struct MvMqttDisconnectResponse {
        pub request_state: u32 => FieldKind::Enum(&MvMqttRequestState::DESC),
        pub disconnect_code: u32 => FieldKind::U32,
    }
}
