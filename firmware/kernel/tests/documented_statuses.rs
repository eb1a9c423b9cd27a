//! Which statuses each implemented call may return: the header's `@retval` list, plus the Choices of `firmware/ABI.md`.
//!
//! The header lists (SDK 0.7.0 `mv_syscalls.h`) are copied here verbatim as
//! status names; every status outside them that the kernel returns must be a
//! marked **Choice** in `firmware/ABI.md` and appear in `choices`, so the
//! boundary fuzz (`boundary_fuzz.rs`) fails when a call answers something
//! neither the header nor the normative page says it may.
#![allow(dead_code)]

use mv_abi::MvStatus::{self, *};
use mv_abi::Slot;

/// One implemented call.
pub struct Documented {
    pub slot: Slot,
    /// The header's `@retval` list (OKAY is implied).
    pub header: &'static [MvStatus],
    /// Statuses outside that list, each a Choice in `firmware/ABI.md`.
    pub choices: &'static [MvStatus],
}

/// Every call that writes app memory may answer LATEFAULT after its side
/// effect (`firmware/ABI.md` §2); no `@retval` list names it.
pub const ANY_CALL: &[MvStatus] = &[Okay, LateFault];

pub const IMPLEMENTED: &[Documented] = &[
    Documented {
        slot: Slot::GetMicroseconds,
        header: &[ParameterFault],
        choices: &[],
    },
    Documented {
        slot: Slot::GetWallTime,
        header: &[ParameterFault, TimeNotSet],
        choices: &[],
    },
    Documented {
        slot: Slot::GetDeviceId,
        header: &[ParameterFault, InvalidBufferSize],
        choices: &[],
    },
    Documented {
        slot: Slot::GetSysClk,
        header: &[ParameterFault],
        choices: &[],
    },
    Documented {
        slot: Slot::GetHClk,
        header: &[ParameterFault],
        choices: &[],
    },
    Documented {
        slot: Slot::GetPClk1,
        header: &[ParameterFault],
        choices: &[],
    },
    Documented {
        slot: Slot::GetPClk2,
        header: &[ParameterFault],
        choices: &[],
    },
    // §6: a bad `output` pointer.
    Documented {
        slot: Slot::PeriphPeek32,
        header: &[PeripheralAccessFault],
        choices: &[ParameterFault],
    },
    Documented {
        slot: Slot::PeriphPoke32,
        header: &[PeripheralAccessFault],
        choices: &[],
    },
    Documented {
        slot: Slot::NoOp,
        header: &[],
        choices: &[],
    },
    // §4: a misaligned buffer; a handle that cannot be minted (a stuck RNG).
    Documented {
        slot: Slot::SetupNotifications,
        header: &[
            ParameterFault,
            InvalidBufferSize,
            BufferAlreadyInUse,
            InvalidInterrupt,
            TooManyNotificationBuffers,
        ],
        choices: &[InvalidBufferAlignment, InternalError],
    },
    Documented {
        slot: Slot::CloseNotifications,
        header: &[ParameterFault, InvalidHandle],
        choices: &[],
    },
    Documented {
        slot: Slot::TempTriggerNotification,
        header: &[InvalidHandle],
        choices: &[],
    },
    // §7: a second init, or a buffer that is a notification ring.
    Documented {
        slot: Slot::ServerLoggingInit,
        header: &[ParameterFault, InvalidBufferAlignment, InvalidBufferSize],
        choices: &[BufferAlreadyInUse],
    },
    Documented {
        slot: Slot::ServerLog,
        header: &[
            Unavailable,
            ParameterFault,
            InvalidBufferSize,
            LogMessageTooLong,
            LoggingDisabledByServer,
        ],
        choices: &[],
    },
    // §8: a full table; a handle that cannot be minted.
    Documented {
        slot: Slot::OpenSystemNotification,
        header: &[Unavailable, ParameterFault, InvalidHandle],
        choices: &[TooManyElements, InternalError],
    },
    // §8: a bad handle pointer.
    Documented {
        slot: Slot::CloseSystemNotification,
        header: &[Unavailable, InvalidHandle],
        choices: &[ParameterFault],
    },
    Documented {
        slot: Slot::GetWakeReason,
        header: &[Unavailable, ParameterFault],
        choices: &[],
    },
    Documented {
        slot: Slot::Restart,
        header: &[Unavailable, ParameterFault, MicrovisorBusy],
        choices: &[],
    },
    // §10: a bad centre; a full request table; a handle that cannot be minted.
    Documented {
        slot: Slot::RequestNetwork,
        header: &[ParameterFault, UnsupportedStructureVersion],
        choices: &[InvalidHandle, Unavailable, InternalError],
    },
    Documented {
        slot: Slot::ReleaseNetwork,
        header: &[ParameterFault, InvalidHandle, UnsupportedStructureVersion],
        choices: &[],
    },
    Documented {
        slot: Slot::GetNetworkStatus,
        header: &[ParameterFault, InvalidHandle],
        choices: &[],
    },
    Documented {
        slot: Slot::GetNetworkReasons,
        header: &[ParameterFault],
        choices: &[],
    },
    // §11: a struct version; buffers already in use; a handle that cannot be minted.
    Documented {
        slot: Slot::OpenChannel,
        header: &[
            ParameterFault,
            InvalidHandle,
            InvalidBufferAlignment,
            InvalidBufferSize,
            UnknownChannelEndpoint,
            UnknownChannelType,
            NetworkNotConnected,
            RateLimited,
            Unavailable,
            TooManyChannels,
        ],
        choices: &[
            UnsupportedStructureVersion,
            BufferAlreadyInUse,
            InternalError,
        ],
    },
    Documented {
        slot: Slot::CloseChannel,
        header: &[ParameterFault, InvalidHandle],
        choices: &[],
    },
    Documented {
        slot: Slot::GetChannelClosureReason,
        header: &[ParameterFault, InvalidHandle],
        choices: &[],
    },
    Documented {
        slot: Slot::WriteChannel,
        header: &[
            InvalidBufferSize,
            InvalidHandle,
            ParameterFault,
            LateFault,
            ChannelClosed,
        ],
        choices: &[],
    },
    Documented {
        slot: Slot::WriteChannelStream,
        header: &[InvalidHandle, ParameterFault, LateFault, ChannelClosed],
        choices: &[],
    },
    Documented {
        slot: Slot::ReadChannel,
        header: &[ParameterFault, InvalidHandle, ChannelClosed],
        choices: &[],
    },
    Documented {
        slot: Slot::ReadChannelComplete,
        header: &[InvalidHandle, ChannelClosed],
        choices: &[],
    },
    // §12.
    Documented {
        slot: Slot::SendHttpRequest,
        header: &[
            ParameterFault,
            LateFault,
            InvalidHandle,
            InvalidBufferSize,
            TooManyElements,
            ChannelClosed,
            RequestAlreadySent,
        ],
        choices: &[],
    },
    Documented {
        slot: Slot::ReadHttpResponseData,
        header: &[
            ParameterFault,
            InvalidHandle,
            ResponseNotPresent,
            ChannelClosed,
        ],
        choices: &[],
    },
    Documented {
        slot: Slot::ReadHttpResponseHeader,
        header: &[
            ParameterFault,
            InvalidHandle,
            ResponseNotPresent,
            ChannelClosed,
            IndexInvalid,
        ],
        choices: &[],
    },
    Documented {
        slot: Slot::ReadHttpResponseBody,
        header: &[
            ParameterFault,
            InvalidHandle,
            ResponseNotPresent,
            ChannelClosed,
            OffsetInvalid,
        ],
        choices: &[],
    },
    // §13: the key checks, whose statuses only the status enum names.
    Documented {
        slot: Slot::SendConfigFetchRequest,
        header: &[
            ParameterFault,
            LateFault,
            InvalidHandle,
            InvalidBufferSize,
            ChannelClosed,
            RequestAlreadySent,
        ],
        choices: &[
            TooManyConfigKeys,
            UnknownConfigScope,
            UnknownConfigStore,
            InvalidConfigKey,
        ],
    },
    // §13: a handle of another channel; no response yet (the siblings' answers).
    Documented {
        slot: Slot::ReadConfigFetchResponseData,
        header: &[ParameterFault, ChannelClosed],
        choices: &[InvalidHandle, ResponseNotPresent],
    },
    Documented {
        slot: Slot::ReadConfigResponseItem,
        header: &[
            ParameterFault,
            InvalidHandle,
            ResponseNotPresent,
            ChannelClosed,
            IndexInvalid,
        ],
        choices: &[],
    },
];

/// What a slot may answer: its documented list for an implemented call,
/// `UNAVAILABLE` for every other slot number (§1, a Choice).
pub fn allowed(slot: u32) -> Vec<MvStatus> {
    match IMPLEMENTED.iter().find(|d| d.slot.number() == slot) {
        Some(d) => ANY_CALL
            .iter()
            .chain(d.header)
            .chain(d.choices)
            .copied()
            .collect(),
        None => vec![Unavailable],
    }
}
