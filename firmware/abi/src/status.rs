//! `enum MvStatus`: the 32-bit result of every Microvisor call, returned in r0.
//!
//! Success is always 0 (`MV_STATUS_OKAY`). Values were only ever appended across
//! SDK history, never renumbered.

use crate::enum_desc::abi_enum;

abi_enum! {
    /// Result code of every system call (`enum MvStatus`, 4 bytes).
    pub enum MvStatus: u32, prefix = "MV_STATUS_" {
        /// Success.
        Okay = 0x0 => "OKAY",
        /// The RTC has not been set by the server yet.
        TimeNotSet = 0x1 => "TIMENOTSET",
        /// A pointer parameter references unreadable/unwritable memory.
        ParameterFault = 0x2 => "PARAMETERFAULT",
        /// The buffer size is not sufficient for the call.
        InvalidBufferSize = 0x3 => "INVALIDBUFFERSIZE",
        /// Unsupported or non-word-aligned peripheral address.
        PeripheralAccessFault = 0x4 => "PERIPHERALACCESSFAULT",
        /// The buffer is already used by another object.
        BufferAlreadyInUse = 0x5 => "BUFFERALREADYINUSE",
        /// The interrupt is not usable by the application or already in use.
        InvalidInterrupt = 0x6 => "INVALIDINTERRUPT",
        /// Invalid handle, or a handle to a different type of object.
        InvalidHandle = 0x7 => "INVALIDHANDLE",
        /// Limit of simultaneous notification buffers reached.
        TooManyNotificationBuffers = 0x8 => "TOOMANYNOTIFICATIONBUFFERS",
        /// Invalid interrupt vector address for a fast interrupt.
        InvalidVector = 0x9 => "INVALIDVECTOR",
        /// Functionality unavailable in the current state (e.g. from an ISR).
        Unavailable = 0xa => "UNAVAILABLE",
        /// A versioned structure has a version Microvisor does not support.
        UnsupportedStructureVersion = 0xb => "UNSUPPORTEDSTRUCTUREVERSION",
        /// Limit of simultaneous channels reached.
        TooManyChannels = 0xc => "TOOMANYCHANNELS",
        /// Unknown channel endpoint.
        UnknownChannelEndpoint = 0xd => "UNKNOWNCHANNELENDPOINT",
        /// Unknown channel type.
        UnknownChannelType = 0xe => "UNKNOWNCHANNELTYPE",
        /// The channel was unexpectedly closed.
        ChannelClosed = 0xf => "CHANNELCLOSED",
        /// The device is offline.
        NetworkNotConnected = 0x10 => "NETWORKNOTCONNECTED",
        /// Called too often; try again later.
        RateLimited = 0x11 => "RATELIMITED",
        /// The buffer alignment is not sufficient for the call.
        InvalidBufferAlignment = 0x12 => "INVALIDBUFFERALIGNMENT",
        /// A fault found after the action was taken.
        LateFault = 0x13 => "LATEFAULT",
        /// There is no HTTP response to read.
        ResponseNotPresent = 0x14 => "RESPONSENOTPRESENT",
        /// Invalid item index (named HEADERINDEXINVALID in the 2022-08 SDK).
        IndexInvalid = 0x15 => "INDEXINVALID",
        /// Offset past the end of the HTTP response body.
        OffsetInvalid = 0x16 => "OFFSETINVALID",
        /// A request was already sent on this channel.
        RequestAlreadySent = 0x17 => "REQUESTALREADYSENT",
        /// The request failed; no data can be read.
        RequestUnsuccessful = 0x18 => "REQUESTUNSUCCESSFUL",
        /// The log message exceeds the maximum size.
        LogMessageTooLong = 0x19 => "LOGMESSAGETOOLONG",
        /// The server has disabled logging.
        LoggingDisabledByServer = 0x1a => "LOGGINGDISABLEDBYSERVER",
        /// Too many config keys requested at once.
        TooManyConfigKeys = 0x1b => "TOOMANYCONFIGKEYS",
        /// Unknown config store.
        UnknownConfigStore = 0x1c => "UNKNOWNCONFIGSTORE",
        /// Unknown config scope.
        UnknownConfigScope = 0x1d => "UNKNOWNCONFIGSCOPE",
        /// Invalid config key; only printable ASCII is allowed.
        InvalidConfigKey = 0x1e => "INVALIDCONFIGKEY",
        /// The authentication supplied is invalid.
        InvalidAuthentication = 0x1f => "INVALIDAUTHENTICATION",
        /// The data requested is not what the object has.
        WrongDataRequested = 0x20 => "WRONGDATAREQUESTED",
        /// Unexpected internal error.
        InternalError = 0x21 => "INTERNALERROR",
        /// Too many elements (meaning depends on the request).
        TooManyElements = 0x22 => "TOOMANYELEMENTS",
        /// A required element is missing from a request.
        RequiredElementMissing = 0x23 => "REQUIREDELEMENTMISSING",
        /// Microvisor is busy (e.g. network still active).
        MicrovisorBusy = 0x24 => "MICROVISORBUSY",
        /// Address out of range (0.7.0).
        AddressOutOfRange = 0x25 => "ADDRESSOUTOFRANGE",
        /// Input buffer too long for its use (0.7.0).
        InputTooLong = 0x26 => "INPUTTOOLONG",
    }
}

impl MvStatus {
    /// True for `MV_STATUS_OKAY`.
    pub const fn is_ok(self) -> bool {
        matches!(self, MvStatus::Okay)
    }
}
