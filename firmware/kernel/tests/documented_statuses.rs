//! Which statuses each implemented call may return: the header's `@retval` list, plus the Choices of `firmware/ABI.md`.
//!
//! The header lists (SDK 0.7.0 `mv_syscalls.h`) are read from the one copy
//! of them, `firmware/abi/sdk-retvals.yaml` ([`mv_abi::SDK_RETVALS_YAML`],
//! which `hil coverage` reads too); every status outside them that the kernel
//! returns must be a marked **Choice** in `firmware/ABI.md` and appear in
//! `choices` here, so the boundary fuzz (`boundary_fuzz.rs`) fails when a
//! call answers something neither the header nor the normative page says it
//! may.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use mv_abi::MvStatus::{self, *};
use mv_abi::Slot;

/// One implemented call.
pub struct Documented {
    pub slot: Slot,
    /// Statuses outside the header's `@retval` list, each a Choice in
    /// `firmware/ABI.md`.
    pub choices: &'static [MvStatus],
}

/// Every call that writes app memory may answer LATEFAULT after its side
/// effect (`firmware/ABI.md` §2); no `@retval` list names it.
pub const ANY_CALL: &[MvStatus] = &[Okay, LateFault];

pub const IMPLEMENTED: &[Documented] = &[
    Documented {
        slot: Slot::GetMicroseconds,
        choices: &[],
    },
    Documented {
        slot: Slot::GetWallTime,
        choices: &[],
    },
    Documented {
        slot: Slot::GetDeviceId,
        choices: &[],
    },
    Documented {
        slot: Slot::GetSysClk,
        choices: &[],
    },
    Documented {
        slot: Slot::GetHClk,
        choices: &[],
    },
    Documented {
        slot: Slot::GetPClk1,
        choices: &[],
    },
    Documented {
        slot: Slot::GetPClk2,
        choices: &[],
    },
    // §6: a bad `output` pointer.
    Documented {
        slot: Slot::PeriphPeek32,
        choices: &[ParameterFault],
    },
    Documented {
        slot: Slot::PeriphPoke32,
        choices: &[],
    },
    Documented {
        slot: Slot::NoOp,
        choices: &[],
    },
    // §4: a misaligned buffer; a handle that cannot be minted (a stuck RNG).
    Documented {
        slot: Slot::SetupNotifications,
        choices: &[InvalidBufferAlignment, InternalError],
    },
    Documented {
        slot: Slot::CloseNotifications,
        choices: &[],
    },
    Documented {
        slot: Slot::TempTriggerNotification,
        choices: &[],
    },
    // §7: a second init, or a buffer that is a notification ring.
    Documented {
        slot: Slot::ServerLoggingInit,
        choices: &[BufferAlreadyInUse],
    },
    Documented {
        slot: Slot::ServerLog,
        choices: &[],
    },
    // §8: a full table; a handle that cannot be minted.
    Documented {
        slot: Slot::OpenSystemNotification,
        choices: &[TooManyElements, InternalError],
    },
    // §8: a bad handle pointer.
    Documented {
        slot: Slot::CloseSystemNotification,
        choices: &[ParameterFault],
    },
    Documented {
        slot: Slot::GetWakeReason,
        choices: &[],
    },
    Documented {
        slot: Slot::Restart,
        choices: &[],
    },
    // §10: a bad centre; a full request table; a handle that cannot be minted.
    Documented {
        slot: Slot::RequestNetwork,
        choices: &[InvalidHandle, Unavailable, InternalError],
    },
    Documented {
        slot: Slot::ReleaseNetwork,
        choices: &[],
    },
    Documented {
        slot: Slot::GetNetworkStatus,
        choices: &[],
    },
    Documented {
        slot: Slot::GetNetworkReasons,
        choices: &[],
    },
    // §11: a struct version; buffers already in use; a handle that cannot be minted.
    Documented {
        slot: Slot::OpenChannel,
        choices: &[
            UnsupportedStructureVersion,
            BufferAlreadyInUse,
            InternalError,
        ],
    },
    Documented {
        slot: Slot::CloseChannel,
        choices: &[],
    },
    Documented {
        slot: Slot::GetChannelClosureReason,
        choices: &[],
    },
    Documented {
        slot: Slot::WriteChannel,
        choices: &[],
    },
    Documented {
        slot: Slot::WriteChannelStream,
        choices: &[],
    },
    Documented {
        slot: Slot::ReadChannel,
        choices: &[],
    },
    Documented {
        slot: Slot::ReadChannelComplete,
        choices: &[],
    },
    // §12.
    Documented {
        slot: Slot::SendHttpRequest,
        choices: &[],
    },
    Documented {
        slot: Slot::ReadHttpResponseData,
        choices: &[],
    },
    Documented {
        slot: Slot::ReadHttpResponseHeader,
        choices: &[],
    },
    Documented {
        slot: Slot::ReadHttpResponseBody,
        choices: &[],
    },
    // §13: the key checks, whose statuses only the status enum names.
    Documented {
        slot: Slot::SendConfigFetchRequest,
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
        choices: &[InvalidHandle, ResponseNotPresent],
    },
    Documented {
        slot: Slot::ReadConfigResponseItem,
        choices: &[],
    },
    // §16: fast interrupts.
    Documented {
        slot: Slot::SetFastInterrupt,
        choices: &[],
    },
    Documented {
        slot: Slot::ClearFastInterrupt,
        choices: &[],
    },
    Documented {
        slot: Slot::EnableFastInterrupt,
        choices: &[],
    },
    Documented {
        slot: Slot::DisableFastInterrupt,
        choices: &[],
    },
    Documented {
        slot: Slot::EnableAllFastInterrupts,
        choices: &[],
    },
    Documented {
        slot: Slot::DisableAllFastInterrupts,
        choices: &[],
    },
    // §17: power.
    Documented {
        slot: Slot::PowerSave,
        choices: &[],
    },
    Documented {
        slot: Slot::DeepSleep,
        choices: &[],
    },
    // §17: a reserved `enable` value.
    Documented {
        slot: Slot::SystemLedEnable,
        choices: &[ParameterFault],
    },
    // §18: external flash. Open: a handle that cannot be minted; close: a
    // bad handle pointer; erase's header list names PARAMETERFAULT, which it
    // never returns (it has no pointer).
    Documented {
        slot: Slot::ExternalFlashOpen,
        choices: &[InternalError],
    },
    Documented {
        slot: Slot::ExternalFlashClose,
        choices: &[ParameterFault],
    },
    Documented {
        slot: Slot::ExternalFlashGetInfo,
        choices: &[],
    },
    Documented {
        slot: Slot::ExternalFlashReadBlocking,
        choices: &[],
    },
    Documented {
        slot: Slot::ExternalFlashWriteBlocking,
        choices: &[],
    },
    Documented {
        slot: Slot::ExternalFlashEraseBlocking,
        choices: &[],
    },
    // §19: Wi-Fi; the header lists nothing.
    Documented {
        slot: Slot::SetWifiConfig,
        choices: &[ParameterFault, UnsupportedStructureVersion, InputTooLong],
    },
    Documented {
        slot: Slot::GetWifiConfig,
        choices: &[ParameterFault, UnsupportedStructureVersion],
    },
    // §20: application test; a second init or a buffer in use.
    Documented {
        slot: Slot::TestingComplete,
        choices: &[],
    },
    Documented {
        slot: Slot::TestLoggingInit,
        choices: &[BufferAlreadyInUse],
    },
    Documented {
        slot: Slot::TestLog,
        choices: &[],
    },
    Documented {
        slot: Slot::TemporaryStructTest,
        choices: &[],
    },
    // §15: a request that does not fit the send buffer.
    Documented {
        slot: Slot::MqttRequestConnect,
        choices: &[InvalidBufferSize],
    },
    Documented {
        slot: Slot::MqttRequestSubscribe,
        choices: &[InvalidBufferSize],
    },
    Documented {
        slot: Slot::MqttRequestUnsubscribe,
        choices: &[InvalidBufferSize],
    },
    Documented {
        slot: Slot::MqttRequestPublish,
        choices: &[InvalidBufferSize],
    },
    Documented {
        slot: Slot::MqttAcknowledgeMessage,
        choices: &[],
    },
    Documented {
        slot: Slot::MqttRequestDisconnect,
        choices: &[],
    },
    Documented {
        slot: Slot::MqttGetNextReadableDataType,
        choices: &[],
    },
    // §15: nothing to read, or the next item is of another type.
    Documented {
        slot: Slot::MqttReadConnectResponse,
        choices: &[ResponseNotPresent, WrongDataRequested],
    },
    Documented {
        slot: Slot::MqttReadSubscribeResponse,
        choices: &[ResponseNotPresent, WrongDataRequested],
    },
    Documented {
        slot: Slot::MqttReadUnsubscribeResponse,
        choices: &[ResponseNotPresent, WrongDataRequested],
    },
    Documented {
        slot: Slot::MqttReadPublishResponse,
        choices: &[ResponseNotPresent, WrongDataRequested],
    },
    Documented {
        slot: Slot::MqttReceiveMessage,
        choices: &[ResponseNotPresent, WrongDataRequested],
    },
    Documented {
        slot: Slot::MqttReceiveLostMessageInfo,
        choices: &[ResponseNotPresent, WrongDataRequested],
    },
    Documented {
        slot: Slot::MqttReadDisconnectResponse,
        choices: &[ResponseNotPresent, WrongDataRequested],
    },
];

/// One call's entry in `sdk-retvals.yaml` (only the statuses are read here).
#[derive(serde::Deserialize)]
struct HeaderEntry {
    retvals: BTreeMap<String, String>,
}

/// The header's `@retval` statuses of every call, by call name.
fn header_lists() -> &'static BTreeMap<String, Vec<MvStatus>> {
    static LISTS: OnceLock<BTreeMap<String, Vec<MvStatus>>> = OnceLock::new();
    LISTS.get_or_init(|| {
        let entries: BTreeMap<String, HeaderEntry> =
            serde_yaml::from_str(mv_abi::SDK_RETVALS_YAML).expect("sdk-retvals.yaml parses");
        entries
            .into_iter()
            .map(|(call, entry)| {
                let statuses = entry
                    .retvals
                    .keys()
                    .map(|short| {
                        let value = MvStatus::DESC.value_of(short).unwrap_or_else(|| {
                            panic!("sdk-retvals.yaml: {call}: unknown status {short}")
                        });
                        MvStatus::try_from(value).expect("a status the enum describes")
                    })
                    .collect();
                (call, statuses)
            })
            .collect()
    })
}

/// The header's `@retval` list of `slot` (OKAY is implied).
pub fn header(slot: Slot) -> &'static [MvStatus] {
    header_lists()
        .get(slot.name())
        .unwrap_or_else(|| panic!("sdk-retvals.yaml has no entry for {}", slot.name()))
}

/// What a slot may answer: its documented list for an implemented call,
/// `UNAVAILABLE` for every other slot number (§1, a Choice).
pub fn allowed(slot: u32) -> Vec<MvStatus> {
    match IMPLEMENTED.iter().find(|d| d.slot.number() == slot) {
        Some(d) => ANY_CALL
            .iter()
            .chain(header(d.slot))
            .chain(d.choices)
            .copied()
            .collect(),
        None => vec![Unavailable],
    }
}

#[test]
fn every_implemented_call_has_the_headers_list_and_no_choice_repeats_it() {
    for d in IMPLEMENTED {
        let header = header(d.slot);
        for choice in d.choices {
            assert!(
                !header.contains(choice),
                "{}: {choice:?} is in the header's list, not a Choice",
                d.slot.name()
            );
        }
    }
}
