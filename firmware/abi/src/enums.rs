//! Every SDK 0.7.0 enum other than `MvStatus`, with exact values and sizes.
//!
//! Five enums end in `__MAX = 0xff` and are 1 byte in the demos' (short-enum)
//! build, so they are `#[repr(u8)]`; all others end in `__MAX = 0xffffffff`
//! and are `#[repr(u32)]`. `MvNetworkReason` is a bitfield, so it is a newtype.

use crate::enum_desc::{abi_enum, EnumDesc};

abi_enum! {
    /// `enum MvEventType`: the kind of a notification record.
    pub enum MvEventType: u32, prefix = "MV_EVENTTYPE_" {
        /// Sentinel meaning an illegal or absent event.
        NoEvent = 0x0 => "NOEVENT",
        NetworkStatusChanged = 0x1 => "NETWORKSTATUSCHANGED",
        ChannelDataReadable = 0x2 => "CHANNELDATAREADABLE",
        ChannelDataWriteSpace = 0x3 => "CHANNELDATAWRITESPACE",
        ChannelNotConnected = 0x4 => "CHANNELNOTCONNECTED",
        /// 0.6.5+.
        UpdateDownloaded = 0x5 => "UPDATEDOWNLOADED",
    }
}

abi_enum! {
    /// `enum MvNetworkStatus`. The header's comments for 1 and 2 are swapped;
    /// the demos treat 1 as connected.
    pub enum MvNetworkStatus: u32, prefix = "MV_NETWORKSTATUS_" {
        DeliberatelyOffline = 0x0 => "DELIBERATELYOFFLINE",
        Connected = 0x1 => "CONNECTED",
        Connecting = 0x2 => "CONNECTING",
        /// 0.6.5+.
        DisconnectedWithLinkUp = 0x3 => "DISCONNECTEDWITHLINKUP",
    }
}

/// `enum MvNetworkReason`: a 32-bit bitfield, so any combination is valid.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MvNetworkReason(pub u32);

impl MvNetworkReason {
    pub const NOTCONNECTING: Self = Self(0x0);
    pub const USINGNETWORK: Self = Self(0x1);
    pub const NEVERUSEDNETWORKAPI: Self = Self(0x2);
    pub const MINIMUMCHECKINEXPIRED: Self = Self(0x4);
    pub const RTCNOTSET: Self = Self(0x8);
    pub const KERNELERROR: Self = Self(0x10);
    pub const APPLICATIONERROR: Self = Self(0x20);
    pub const COLDBOOTCONNECTION: Self = Self(0x40);
    pub const FETCHINGUPDATE: Self = Self(0x80);
    pub const DEBUGGERATTACHED: Self = Self(0x100);
    pub const NOAPPLICATIONCODE: Self = Self(0x200);
    /// `[PREVENTING]` taking a break from connection attempts. (0x400 is unused.)
    pub const ENHANCECALM: Self = Self(0x800);

    /// Description of the bit constants for tooling.
    pub const DESC: EnumDesc = EnumDesc {
        name: "MvNetworkReason",
        prefix: "MV_NETWORKREASON_",
        size: 4,
        variants: &[
            ("NOTCONNECTING", 0x0),
            ("USINGNETWORK", 0x1),
            ("NEVERUSEDNETWORKAPI", 0x2),
            ("MINIMUMCHECKINEXPIRED", 0x4),
            ("RTCNOTSET", 0x8),
            ("KERNELERROR", 0x10),
            ("APPLICATIONERROR", 0x20),
            ("COLDBOOTCONNECTION", 0x40),
            ("FETCHINGUPDATE", 0x80),
            ("DEBUGGERATTACHED", 0x100),
            ("NOAPPLICATIONCODE", 0x200),
            ("ENHANCECALM", 0x800),
        ],
    };

    /// Union of every defined bit.
    pub const ALL_BITS: u32 = 0xBFF;

    /// True if every bit of `other` is set in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// `self` with the bits of `other` added.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

impl core::ops::BitOr for MvNetworkReason {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        self.union(rhs)
    }
}

impl From<MvNetworkReason> for u32 {
    fn from(value: MvNetworkReason) -> u32 {
        value.0
    }
}

impl From<u32> for MvNetworkReason {
    fn from(value: u32) -> Self {
        Self(value)
    }
}

abi_enum! {
    /// `enum MvChannelType`: what a channel carries.
    pub enum MvChannelType: u32, prefix = "MV_CHANNELTYPE_" {
        OpaqueBytes = 0x0 => "OPAQUEBYTES",
        Mqtt = 0x1 => "MQTT",
        Http = 0x2 => "HTTP",
        ConfigFetch = 0x3 => "CONFIGFETCH",
    }
}

abi_enum! {
    /// `enum MvClosureReason`: why a channel was closed.
    pub enum MvClosureReason: u32, prefix = "MV_CLOSUREREASON_" {
        None = 0x0 => "NONE",
        ChannelClosedByServer = 0x1 => "CHANNELCLOSEDBYSERVER",
        ChannelResetByServer = 0x2 => "CHANNELRESETBYSERVER",
        NetworkDisconnected = 0x3 => "NETWORKDISCONNECTED",
        ConnectionTerminated = 0x4 => "CONNECTIONTERMINATED",
        NotYetOpen = 0x5 => "NOTYETOPEN",
        ClosedByApplication = 0x6 => "CLOSEDBYAPPLICATION",
        UnexpectedlyTerminated = 0x7 => "UNEXPECTEDLYTERMINATED",
    }
}

abi_enum! {
    /// `enum MvHttpResult`: outcome of an HTTP request.
    pub enum MvHttpResult: u32, prefix = "MV_HTTPRESULT_" {
        Ok = 0x0 => "OK",
        UnsupportedUriScheme = 0x1 => "UNSUPPORTEDURISCHEME",
        UnsupportedMethod = 0x2 => "UNSUPPORTEDMETHOD",
        InvalidHeaders = 0x3 => "INVALIDHEADERS",
        InvalidTimeout = 0x4 => "INVALIDTIMEOUT",
        RequestFailed = 0x5 => "REQUESTFAILED",
        ResponseTooLarge = 0x6 => "RESPONSETOOLARGE",
    }
}

abi_enum! {
    /// `enum MvConfigKeyFetchScope`: account-wide or per-device item.
    pub enum MvConfigKeyFetchScope: u32, prefix = "MV_CONFIGKEYFETCHSCOPE_" {
        Account = 0x0 => "ACCOUNT",
        Device = 0x1 => "DEVICE",
    }
}

abi_enum! {
    /// `enum MvConfigKeyFetchStore`: secret (write-only via the web API) or config.
    pub enum MvConfigKeyFetchStore: u32, prefix = "MV_CONFIGKEYFETCHSTORE_" {
        Secret = 0x0 => "SECRET",
        Config = 0x1 => "CONFIG",
    }
}

abi_enum! {
    /// `enum MvConfigFetchResult`: result of a whole config fetch.
    pub enum MvConfigFetchResult: u32, prefix = "MV_CONFIGFETCHRESULT_" {
        Ok = 0x0 => "OK",
        ResponseTooLarge = 0x1 => "RESPONSETOOLARGE",
    }
}

abi_enum! {
    /// `enum MvConfigKeyFetchResult`: result of one fetched key.
    pub enum MvConfigKeyFetchResult: u32, prefix = "MV_CONFIGKEYFETCHRESULT_" {
        Ok = 0x0 => "OK",
        KeyNotFound = 0x1 => "KEYNOTFOUND",
        ServerError = 0x2 => "SERVERERROR",
    }
}

abi_enum! {
    /// `enum MvMqttReadableDataType`: what an MQTT channel has to read next.
    pub enum MvMqttReadableDataType: u32, prefix = "MV_MQTTREADABLEDATATYPE_" {
        None = 0x0 => "NONE",
        MessageReceived = 0x1 => "MESSAGERECEIVED",
        MessageLost = 0x2 => "MESSAGELOST",
        ConnectResponse = 0x3 => "CONNECTRESPONSE",
        SubscribeResponse = 0x4 => "SUBSCRIBERESPONSE",
        UnsubscribeResponse = 0x5 => "UNSUBSCRIBERESPONSE",
        PublishResponse = 0x6 => "PUBLISHRESPONSE",
        DisconnectResponse = 0x7 => "DISCONNECTRESPONSE",
    }
}

abi_enum! {
    /// `enum MvMqttProtocolVersion`.
    pub enum MvMqttProtocolVersion: u32, prefix = "MV_MQTTPROTOCOLVERSION_" {
        V3_1_1 = 0x0 => "V3_1_1",
        V5 = 0x1 => "V5",
    }
}

abi_enum! {
    /// `enum MvMqttAuthenticationMethod` (1 byte; v5 only).
    pub enum MvMqttAuthenticationMethod: u8, prefix = "MV_MQTTAUTHENTICATIONMETHOD_" {
        None = 0x0 => "NONE",
        UsernamePassword = 0x1 => "USERNAMEPASSWORD",
    }
}

abi_enum! {
    /// `enum MvMqttRequestState`: result of an MQTT operation.
    pub enum MvMqttRequestState: u32, prefix = "MV_MQTTREQUESTSTATE_" {
        RequestCompleted = 0x0 => "REQUESTCOMPLETED",
        InvalidParameters = 0x1 => "INVALIDPARAMETERS",
        AlreadyConnected = 0x2 => "ALREADYCONNECTED",
        NotConnected = 0x3 => "NOTCONNECTED",
        NxDomain = 0x4 => "NXDOMAIN",
        UnknownCa = 0x5 => "UNKNOWNCA",
        CertificateExpired = 0x6 => "CERTIFICATEEXPIRED",
        SocketError = 0x7 => "SOCKETERROR",
        ConnectionCircuitBreaker = 0x8 => "CONNECTIONCIRCUITBREAKER",
    }
}

abi_enum! {
    /// `enum MvMqttLostMessageReason`.
    pub enum MvMqttLostMessageReason: u32, prefix = "MV_MQTTLOSTMESSAGEREASON_" {
        DeviceReceiveBufferTooSmall = 0x0 => "DEVICERECEIVEBUFFERTOOSMALL",
    }
}

abi_enum! {
    /// `enum MvPowerSavingMode` (1 byte; STM32U5 modes).
    pub enum MvPowerSavingMode: u8, prefix = "MV_POWERSAVINGMODE_" {
        Sleep = 0x0 => "SLEEP",
        Stop0 = 0x1 => "STOP0",
        Stop1 = 0x2 => "STOP1",
        Stop2 = 0x3 => "STOP2",
        Stop3 = 0x4 => "STOP3",
    }
}

abi_enum! {
    /// `enum MvDeepSleepMode` (1 byte; STM32U5 modes).
    pub enum MvDeepSleepMode: u8, prefix = "MV_DEEPSLEEPMODE_" {
        Standby = 0x0 => "STANDBY",
        Shutdown = 0x1 => "SHUTDOWN",
    }
}

abi_enum! {
    /// `enum MvSystemNotificationSource`: what a system notification reports.
    pub enum MvSystemNotificationSource: u32, prefix = "MV_SYSTEMNOTIFICATIONSOURCE_" {
        /// `NetworkStatusChanged` events.
        Network = 0x0 => "NETWORK",
        /// `UpdateDownloaded` events.
        Update = 0x1 => "UPDATE",
    }
}

abi_enum! {
    /// `enum MvWakeReason` (1 byte): `mvGetWakeReason` writes exactly one byte.
    pub enum MvWakeReason: u8, prefix = "MV_WAKEREASON_" {
        /// Cold boot, or wake from Shutdown.
        ColdBoot = 0x0 => "COLDBOOT",
        RemoteMicrovisorRestart = 0x1 => "REMOTEMICROVISORRESTART",
        RemoteApplicationRestart = 0x2 => "REMOTEAPPLICATIONRESTART",
        DebuggerRestart = 0x3 => "DEBUGGERRESTART",
        MicrovisorCrash = 0x4 => "MICROVISORCRASH",
        MicrovisorWatchdog = 0x5 => "MICROVISORWATCHDOG",
        MicrovisorOutOfMemory = 0x6 => "MICROVISOROUTOFMEMORY",
        MicrovisorError = 0x7 => "MICROVISORERROR",
        ApplicationCrash = 0x8 => "APPLICATIONCRASH",
        ApplicationUpdate = 0x9 => "APPLICATIONUPDATE",
        MicrovisorUpdate = 0xa => "MICROVISORUPDATE",
        OptionBytes = 0xb => "OPTIONBYTES",
        DeepSleepCheckIn = 0xc => "DEEPSLEEPCHECKIN",
        DeepSleepApplication = 0xd => "DEEPSLEEPAPPLICATION",
        DeepSleepModem = 0xe => "DEEPSLEEPMODEM",
        DeepSleepApplicationRtc = 0xf => "DEEPSLEEPAPPLICATIONRTC",
        DeepSleepOther = 0x10 => "DEEPSLEEPOTHER",
    }
}

abi_enum! {
    /// `enum MvRestartMode`.
    pub enum MvRestartMode: u32, prefix = "MV_RESTARTMODE_" {
        /// Application or device restart, depending on pending updates.
        AutoApplyUpdate = 0x0 => "AUTOAPPLYUPDATE",
    }
}

abi_enum! {
    /// `enum MvWifiConfigMode` (1 byte).
    pub enum MvWifiConfigMode: u8, prefix = "MV_WIFICONFIGMODE_" {
        ApplyNow = 0x0 => "APPLYNOW",
        ClearNow = 0x1 => "CLEARNOW",
    }
}
