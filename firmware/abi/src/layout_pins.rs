//! Compile-time pins of the §4 sizes and alignments, so a cross build fails on any drift.
//!
//! The host tests check every offset too; these asserts make the
//! `thumbv8m.main-none-eabi` build itself refuse a wrong layout.

use core::mem::{align_of, size_of};

use crate::mqtt_structs::{
    MvMqttAuthentication, MvMqttConnectRequest, MvMqttConnectResponse, MvMqttDisconnectResponse,
    MvMqttLostMessageInfo, MvMqttMessage, MvMqttPublishRequest, MvMqttPublishResponse,
    MvMqttSubscribeRequest, MvMqttSubscribeResponse, MvMqttSubscription, MvMqttUnsubscribeRequest,
    MvMqttUnsubscribeResponse, MvMqttWill, MvOwnTlsCertificateChain, MvTlsCertificateChain,
    MvTlsCredentials, MvUsernamePassword,
};
use crate::structs::{
    MvConfigKeyFetchParams, MvConfigKeyToFetch, MvConfigResponseData,
    MvConfigResponseReadItemParams, MvExternalFlashInfo, MvHttpHeader, MvHttpRequest,
    MvHttpResponseData, MvNotification, MvNotificationSetup, MvOpenChannelParams,
    MvOpenSystemNotificationParams, MvRequestNetworkParams, MvSizedString, MvSizedStringBuffer,
    MvWifiConfig, MvWifiConfigOut,
};

macro_rules! pin {
    ($($t:ty => $size:literal / $align:literal;)+) => {
        $( const _: () = assert!(
            size_of::<$t>() == $size && align_of::<$t>() == $align,
            concat!(stringify!($t), " must be ", $size, "/", $align),
        ); )+
    };
}

pin! {
    MvNotification => 16 / 8;
    MvNotificationSetup => 12 / 4;
    MvRequestNetworkParams => 12 / 4;
    MvSizedString => 8 / 4;
    MvSizedStringBuffer => 12 / 4;
    MvOpenChannelParams => 44 / 4;
    MvHttpHeader => 8 / 4;
    MvHttpRequest => 36 / 4;
    MvHttpResponseData => 16 / 4;
    MvConfigKeyToFetch => 16 / 4;
    MvConfigKeyFetchParams => 8 / 4;
    MvConfigResponseData => 8 / 4;
    MvConfigResponseReadItemParams => 20 / 4;
    MvUsernamePassword => 16 / 4;
    MvMqttAuthentication => 20 / 4;
    MvTlsCertificateChain => 8 / 4;
    MvOwnTlsCertificateChain => 16 / 4;
    MvTlsCredentials => 24 / 4;
    MvMqttWill => 24 / 4;
    MvMqttConnectRequest => 60 / 4;
    MvMqttConnectResponse => 8 / 4;
    MvMqttSubscription => 24 / 4;
    MvMqttSubscribeRequest => 12 / 4;
    MvMqttSubscribeResponse => 20 / 4;
    MvMqttUnsubscribeResponse => 20 / 4;
    MvMqttUnsubscribeRequest => 12 / 4;
    MvMqttPublishRequest => 28 / 4;
    MvMqttPublishResponse => 12 / 4;
    MvMqttMessage => 36 / 4;
    MvMqttLostMessageInfo => 20 / 4;
    MvMqttDisconnectResponse => 8 / 4;
    MvOpenSystemNotificationParams => 12 / 4;
    MvExternalFlashInfo => 16 / 4;
    MvWifiConfig => 24 / 4;
    MvWifiConfigOut => 20 / 4;
}
