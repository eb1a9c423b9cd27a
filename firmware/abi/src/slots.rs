//! The NSC veneer table: one 8-byte entry per system call, at a fixed slot.
//!
//! Slot numbers and addresses come from the symbols of the SDK's
//! `mv_syscalls.o`; the table is append-only and no slot was ever reassigned.
//! Slots 20 and 71 have no exported function in SDK 0.7.0. Slot 12
//! (`mvTemporaryStructTest`) is still exported, so it counts as assigned.

/// Number of slot numbers, 0..=73 (72 assigned plus the gaps 20 and 71).
pub const SLOT_COUNT: u32 = 74;

/// Entries in this kernel's veneer table: the 74 slot numbers and 54 more
/// reserved for calls a later SDK appends (the table is append-only). A
/// reserved entry is a system call like any other and answers
/// `UNAVAILABLE`; a number past the table has no entry at all, and a branch
/// there is not a system call (`firmware/ABI.md` §1).
pub const NSC_TABLE_ENTRIES: u32 = 128;

// Reserved entries follow the 74 numbers, and the table fits the last 8 KiB
// of the STM32U585's flash, where the SDK puts it.
const _: () =
    assert!(NSC_TABLE_ENTRIES > SLOT_COUNT && NSC_TABLE_ENTRIES * NSC_ENTRY_SIZE <= 8 * 1024);

/// Size in bytes of one veneer entry (`SG` + `B.W`).
pub const NSC_ENTRY_SIZE: u32 = 8;

/// Secure address of slot 0 on the STM32U585 (last 8 KB of the 2 MB flash).
pub const STM32U585_NSC_TABLE_BASE: u32 = 0x0C1F_E000;

/// Declares [`Slot`] and its lookups from one table of
/// `Variant = number, "sdkName", argument count;`.
macro_rules! slot_table {
    ( $( $(#[$meta:meta])* $variant:ident = $n:literal, $name:literal, $args:literal; )+ ) => {
        /// One NSC slot; the discriminant is the slot number.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u32)]
        pub enum Slot {
            $( $(#[$meta])* $variant = $n, )+
        }

        impl Slot {
            /// Every slot, in slot order.
            pub const ALL: [Slot; SLOT_COUNT as usize] = [$(Slot::$variant),+];

            /// The slot with number `n`, or `None` past 73. Inline: it is on
            /// the path of every system call, where it folds into the
            /// dispatch's own jump table.
            #[inline]
            pub fn from_number(n: u32) -> Option<Slot> {
                match n {
                    $( $n => Some(Slot::$variant), )+
                    _ => None,
                }
            }

            /// SDK function name (`"mvGetMicroseconds"`); `"unassigned20"`/`"unassigned71"` for the gaps.
            pub const fn name(self) -> &'static str {
                match self {
                    $( Slot::$variant => $name, )+
                }
            }

            /// Number of C parameters of the prototype (0..=4); 0 for the gaps.
            pub const fn arg_count(self) -> u8 {
                match self {
                    $( Slot::$variant => $args, )+
                }
            }
        }
    };
}

slot_table! {
    /// `mvEnableFastInterrupt(uint32_t irqn)`
    EnableFastInterrupt = 0, "mvEnableFastInterrupt", 1;
    /// `mvWriteChannelStream(handle, const uint8_t *data, uint32_t len, uint32_t *written)`
    WriteChannelStream = 1, "mvWriteChannelStream", 4;
    /// `mvGetMicroseconds(uint64_t *ms)`
    GetMicroseconds = 2, "mvGetMicroseconds", 1;
    /// `mvGetSysClk(uint32_t *hz)`
    GetSysClk = 3, "mvGetSysClk", 1;
    /// `mvDisableAllFastInterrupts(void)`
    DisableAllFastInterrupts = 4, "mvDisableAllFastInterrupts", 0;
    /// `mvGetDeviceId(uint8_t *buf, uint32_t len)`
    GetDeviceId = 5, "mvGetDeviceId", 2;
    /// `mvWriteChannel(handle, const uint8_t *data, uint32_t len, uint32_t *available)`
    WriteChannel = 6, "mvWriteChannel", 4;
    /// `mvGetWallTime(uint64_t *usec)`
    GetWallTime = 7, "mvGetWallTime", 1;
    /// `mvRequestNetwork(const struct MvRequestNetworkParams *params, MvNetworkHandle *handle)`
    RequestNetwork = 8, "mvRequestNetwork", 2;
    /// `mvGetChannelClosureReason(handle, enum MvClosureReason *reason_out)`
    GetChannelClosureReason = 9, "mvGetChannelClosureReason", 2;
    /// `mvCloseNotifications(MvNotificationHandle *handle_in_out)`
    CloseNotifications = 10, "mvCloseNotifications", 1;
    /// `mvSetFastInterrupt(uint32_t irqn)`
    SetFastInterrupt = 11, "mvSetFastInterrupt", 1;
    /// `mvTemporaryStructTest(const struct MvTemporaryTestVersionedStruct *in)`; exported, not in the 0.7.0 header.
    TemporaryStructTest = 12, "mvTemporaryStructTest", 1;
    /// `mvDisableFastInterrupt(uint32_t irqn)`
    DisableFastInterrupt = 13, "mvDisableFastInterrupt", 1;
    /// `mvReadChannelComplete(handle, uint32_t consumed)`
    ReadChannelComplete = 14, "mvReadChannelComplete", 2;
    /// `mvClearFastInterrupt(uint32_t irqn)`
    ClearFastInterrupt = 15, "mvClearFastInterrupt", 1;
    /// `mvSetupNotifications(const struct MvNotificationSetup *, MvNotificationHandle *handle_out)`
    SetupNotifications = 16, "mvSetupNotifications", 2;
    /// `mvGetPClk1(uint32_t *hz)`
    GetPClk1 = 17, "mvGetPClk1", 1;
    /// `mvGetPClk2(uint32_t *hz)`
    GetPClk2 = 18, "mvGetPClk2", 1;
    /// `mvEnableAllFastInterrupts(void)`
    EnableAllFastInterrupts = 19, "mvEnableAllFastInterrupts", 0;
    /// Gap: was `mvTemporaryServerLog` 2021-09-09..2021-09-29.
    Unassigned20 = 20, "unassigned20", 0;
    /// `mvPeriphPoke32(uint32_t reg, uint32_t mask, uint32_t xorvalue)`
    PeriphPoke32 = 21, "mvPeriphPoke32", 3;
    /// `mvReadChannel(handle, uint8_t **read_pointer_out, uint32_t *length_out)`
    ReadChannel = 22, "mvReadChannel", 3;
    /// `mvGetHClk(uint32_t *hz)`
    GetHClk = 23, "mvGetHClk", 1;
    /// `mvOpenChannel(const struct MvOpenChannelParams *params, MvChannelHandle *handle)`
    OpenChannel = 24, "mvOpenChannel", 2;
    /// `mvGetNetworkReasons(enum MvNetworkReason *reasons, uint32_t *request_ref_count)`
    GetNetworkReasons = 25, "mvGetNetworkReasons", 2;
    /// `mvReleaseNetwork(MvNetworkHandle *handle)`
    ReleaseNetwork = 26, "mvReleaseNetwork", 1;
    /// `mvNoOp(void)`
    NoOp = 27, "mvNoOp", 0;
    /// `mvTempTriggerNotification(MvNotificationHandle handle, enum MvEventType type, uint32_t tag)`
    TempTriggerNotification = 28, "mvTempTriggerNotification", 3;
    /// `mvGetNetworkStatus(MvNetworkHandle handle, enum MvNetworkStatus *status)`
    GetNetworkStatus = 29, "mvGetNetworkStatus", 2;
    /// `mvPeriphPeek32(uint32_t reg, uint32_t *output)`
    PeriphPeek32 = 30, "mvPeriphPeek32", 2;
    /// `mvCloseChannel(MvChannelHandle *handle)`
    CloseChannel = 31, "mvCloseChannel", 1;
    /// `mvSendHttpRequest(handle, const struct MvHttpRequest *request)`
    SendHttpRequest = 32, "mvSendHttpRequest", 2;
    /// `mvReadHttpResponseBody(handle, uint32_t offset, uint8_t *buf, uint32_t size)`
    ReadHttpResponseBody = 33, "mvReadHttpResponseBody", 4;
    /// `mvReadHttpResponseHeader(handle, uint32_t header_index, uint8_t *buf, uint32_t size)`
    ReadHttpResponseHeader = 34, "mvReadHttpResponseHeader", 4;
    /// `mvReadHttpResponseData(handle, struct MvHttpResponseData *response_data)`
    ReadHttpResponseData = 35, "mvReadHttpResponseData", 2;
    /// `mvServerLoggingInit(uint8_t *buffer, uint32_t length_bytes)`
    ServerLoggingInit = 36, "mvServerLoggingInit", 2;
    /// `mvServerLog(const uint8_t *message, uint16_t length_bytes)`
    ServerLog = 37, "mvServerLog", 2;
    /// `mvSendConfigFetchRequest(handle, const struct MvConfigKeyFetchParams *request)`
    SendConfigFetchRequest = 38, "mvSendConfigFetchRequest", 2;
    /// `mvReadConfigFetchResponseData(handle, struct MvConfigResponseData *response_data)`
    ReadConfigFetchResponseData = 39, "mvReadConfigFetchResponseData", 2;
    /// `mvReadConfigResponseItem(handle, const struct MvConfigResponseReadItemParams *params)`
    ReadConfigResponseItem = 40, "mvReadConfigResponseItem", 2;
    /// `mvMqttReadUnsubscribeResponse(handle, const struct MvMqttUnsubscribeResponse *)`
    MqttReadUnsubscribeResponse = 41, "mvMqttReadUnsubscribeResponse", 2;
    /// `mvMqttAcknowledgeMessage(handle, uint32_t correlation_id)`
    MqttAcknowledgeMessage = 42, "mvMqttAcknowledgeMessage", 2;
    /// `mvMqttReadDisconnectResponse(handle, struct MvMqttDisconnectResponse *)`
    MqttReadDisconnectResponse = 43, "mvMqttReadDisconnectResponse", 2;
    /// `mvMqttRequestDisconnect(handle)`
    MqttRequestDisconnect = 44, "mvMqttRequestDisconnect", 1;
    /// `mvMqttReadConnectResponse(handle, struct MvMqttConnectResponse *)`
    MqttReadConnectResponse = 45, "mvMqttReadConnectResponse", 2;
    /// `mvMqttRequestPublish(handle, const struct MvMqttPublishRequest *)`
    MqttRequestPublish = 46, "mvMqttRequestPublish", 2;
    /// `mvMqttRequestSubscribe(handle, const struct MvMqttSubscribeRequest *)`
    MqttRequestSubscribe = 47, "mvMqttRequestSubscribe", 2;
    /// `mvMqttReadPublishResponse(handle, struct MvMqttPublishResponse *)`
    MqttReadPublishResponse = 48, "mvMqttReadPublishResponse", 2;
    /// `mvMqttReceiveLostMessageInfo(handle, const struct MvMqttLostMessageInfo *)`
    MqttReceiveLostMessageInfo = 49, "mvMqttReceiveLostMessageInfo", 2;
    /// `mvMqttReceiveMessage(handle, const struct MvMqttMessage *)`
    MqttReceiveMessage = 50, "mvMqttReceiveMessage", 2;
    /// `mvMqttGetNextReadableDataType(handle, enum MvMqttReadableDataType *)`
    MqttGetNextReadableDataType = 51, "mvMqttGetNextReadableDataType", 2;
    /// `mvMqttRequestUnsubscribe(handle, const struct MvMqttUnsubscribeRequest *)`
    MqttRequestUnsubscribe = 52, "mvMqttRequestUnsubscribe", 2;
    /// `mvMqttRequestConnect(handle, const struct MvMqttConnectRequest *)`
    MqttRequestConnect = 53, "mvMqttRequestConnect", 2;
    /// `mvMqttReadSubscribeResponse(handle, const struct MvMqttSubscribeResponse *)`
    MqttReadSubscribeResponse = 54, "mvMqttReadSubscribeResponse", 2;
    /// `mvTestingComplete(uint32_t status)`
    TestingComplete = 55, "mvTestingComplete", 1;
    /// `mvTestLog(const uint8_t *message, uint16_t length_bytes)`
    TestLog = 56, "mvTestLog", 2;
    /// `mvTestLoggingInit(uint8_t *buffer, uint32_t length_bytes)`
    TestLoggingInit = 57, "mvTestLoggingInit", 2;
    /// `mvPowerSave(enum MvPowerSavingMode mode)`
    PowerSave = 58, "mvPowerSave", 1;
    /// `mvSystemLedEnable(uint32_t enable)`
    SystemLedEnable = 59, "mvSystemLedEnable", 1;
    /// `mvOpenSystemNotification(const struct MvOpenSystemNotificationParams *, MvSystemEventHandle *)`
    OpenSystemNotification = 60, "mvOpenSystemNotification", 2;
    /// `mvCloseSystemNotification(MvSystemEventHandle *handle)`
    CloseSystemNotification = 61, "mvCloseSystemNotification", 1;
    /// `mvDeepSleep(enum MvDeepSleepMode mode)`
    DeepSleep = 62, "mvDeepSleep", 1;
    /// `mvGetWakeReason(enum MvWakeReason *mode)` (writes 1 byte)
    GetWakeReason = 63, "mvGetWakeReason", 1;
    /// `mvRestart(enum MvRestartMode mode)`
    Restart = 64, "mvRestart", 1;
    /// `mvExternalFlashClose(MvExternalFlashHandle *handle)`
    ExternalFlashClose = 65, "mvExternalFlashClose", 1;
    /// `mvExternalFlashGetInfo(handle, struct MvExternalFlashInfo *info)`
    ExternalFlashGetInfo = 66, "mvExternalFlashGetInfo", 2;
    /// `mvExternalFlashWriteBlocking(handle, uint32_t address, uint32_t length, const uint8_t *buffer)`
    ExternalFlashWriteBlocking = 67, "mvExternalFlashWriteBlocking", 4;
    /// `mvExternalFlashOpen(MvExternalFlashHandle *handle)`
    ExternalFlashOpen = 68, "mvExternalFlashOpen", 1;
    /// `mvExternalFlashEraseBlocking(handle, uint32_t address, uint32_t length)`
    ExternalFlashEraseBlocking = 69, "mvExternalFlashEraseBlocking", 3;
    /// `mvExternalFlashReadBlocking(handle, uint32_t address, uint32_t length, uint8_t *buffer)`
    ExternalFlashReadBlocking = 70, "mvExternalFlashReadBlocking", 4;
    /// Gap: no symbol at 0x0C1FE238 in 0.7.0.
    Unassigned71 = 71, "unassigned71", 0;
    /// `mvSetWifiConfig(const struct MvWifiConfig *params)`
    SetWifiConfig = 72, "mvSetWifiConfig", 1;
    /// `mvGetWifiConfig(const struct MvWifiConfigOut *params)`
    GetWifiConfig = 73, "mvGetWifiConfig", 1;
}

impl Slot {
    /// The slot number (the discriminant).
    pub const fn number(self) -> u32 {
        self as u32
    }

    /// The slot whose SDK name is exactly `name`.
    pub fn from_name(name: &str) -> Option<Slot> {
        Slot::ALL.into_iter().find(|s| s.name() == name)
    }

    /// False for the gaps at 20 and 71.
    pub const fn is_assigned(self) -> bool {
        !matches!(self, Slot::Unassigned20 | Slot::Unassigned71)
    }

    /// Byte offset of this slot's veneer in the table: `8 * n`.
    pub const fn entry_offset(self) -> u32 {
        NSC_ENTRY_SIZE * self.number()
    }

    /// Secure address of the veneer on the STM32U585 (the `.o` symbol value is this + 1).
    pub const fn stm32u585_entry_address(self) -> u32 {
        STM32U585_NSC_TABLE_BASE + self.entry_offset()
    }
}
