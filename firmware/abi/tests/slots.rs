//! Slot numbers, names and veneer addresses against the table in microvisor-abi.md §2.

use mv_abi::{Slot, NSC_ENTRY_SIZE, NSC_TABLE_ENTRIES, SLOT_COUNT, STM32U585_NSC_TABLE_BASE};

/// (slot, SDK name) for all 74 slot numbers; the gaps use the crate's placeholder names.
const SLOTS: [(u32, &str); 74] = [
    (0, "mvEnableFastInterrupt"),
    (1, "mvWriteChannelStream"),
    (2, "mvGetMicroseconds"),
    (3, "mvGetSysClk"),
    (4, "mvDisableAllFastInterrupts"),
    (5, "mvGetDeviceId"),
    (6, "mvWriteChannel"),
    (7, "mvGetWallTime"),
    (8, "mvRequestNetwork"),
    (9, "mvGetChannelClosureReason"),
    (10, "mvCloseNotifications"),
    (11, "mvSetFastInterrupt"),
    (12, "mvTemporaryStructTest"),
    (13, "mvDisableFastInterrupt"),
    (14, "mvReadChannelComplete"),
    (15, "mvClearFastInterrupt"),
    (16, "mvSetupNotifications"),
    (17, "mvGetPClk1"),
    (18, "mvGetPClk2"),
    (19, "mvEnableAllFastInterrupts"),
    (20, "unassigned20"),
    (21, "mvPeriphPoke32"),
    (22, "mvReadChannel"),
    (23, "mvGetHClk"),
    (24, "mvOpenChannel"),
    (25, "mvGetNetworkReasons"),
    (26, "mvReleaseNetwork"),
    (27, "mvNoOp"),
    (28, "mvTempTriggerNotification"),
    (29, "mvGetNetworkStatus"),
    (30, "mvPeriphPeek32"),
    (31, "mvCloseChannel"),
    (32, "mvSendHttpRequest"),
    (33, "mvReadHttpResponseBody"),
    (34, "mvReadHttpResponseHeader"),
    (35, "mvReadHttpResponseData"),
    (36, "mvServerLoggingInit"),
    (37, "mvServerLog"),
    (38, "mvSendConfigFetchRequest"),
    (39, "mvReadConfigFetchResponseData"),
    (40, "mvReadConfigResponseItem"),
    (41, "mvMqttReadUnsubscribeResponse"),
    (42, "mvMqttAcknowledgeMessage"),
    (43, "mvMqttReadDisconnectResponse"),
    (44, "mvMqttRequestDisconnect"),
    (45, "mvMqttReadConnectResponse"),
    (46, "mvMqttRequestPublish"),
    (47, "mvMqttRequestSubscribe"),
    (48, "mvMqttReadPublishResponse"),
    (49, "mvMqttReceiveLostMessageInfo"),
    (50, "mvMqttReceiveMessage"),
    (51, "mvMqttGetNextReadableDataType"),
    (52, "mvMqttRequestUnsubscribe"),
    (53, "mvMqttRequestConnect"),
    (54, "mvMqttReadSubscribeResponse"),
    (55, "mvTestingComplete"),
    (56, "mvTestLog"),
    (57, "mvTestLoggingInit"),
    (58, "mvPowerSave"),
    (59, "mvSystemLedEnable"),
    (60, "mvOpenSystemNotification"),
    (61, "mvCloseSystemNotification"),
    (62, "mvDeepSleep"),
    (63, "mvGetWakeReason"),
    (64, "mvRestart"),
    (65, "mvExternalFlashClose"),
    (66, "mvExternalFlashGetInfo"),
    (67, "mvExternalFlashWriteBlocking"),
    (68, "mvExternalFlashOpen"),
    (69, "mvExternalFlashEraseBlocking"),
    (70, "mvExternalFlashReadBlocking"),
    (71, "unassigned71"),
    (72, "mvSetWifiConfig"),
    (73, "mvGetWifiConfig"),
];

#[test]
fn constants() {
    assert_eq!(SLOT_COUNT, 74);
    assert_eq!(NSC_ENTRY_SIZE, 8);
    assert_eq!(STM32U585_NSC_TABLE_BASE, 0x0C1F_E000);
    assert_eq!(Slot::ALL.len(), 74);
    assert_eq!(NSC_TABLE_ENTRIES, 128);
}

#[test]
fn every_slot_number_and_name_matches_section_2() {
    for (i, &(n, name)) in SLOTS.iter().enumerate() {
        assert_eq!(i as u32, n);
        let slot = Slot::ALL[i];
        assert_eq!(slot.number(), n, "{name}");
        assert_eq!(slot as u32, n, "{name}");
        assert_eq!(slot.name(), name);
        assert_eq!(Slot::from_number(n), Some(slot));
        assert_eq!(Slot::from_name(name), Some(slot));
        assert_eq!(slot.entry_offset(), 8 * n);
        assert_eq!(slot.stm32u585_entry_address(), 0x0C1F_E000 + 8 * n);
        assert!(slot.arg_count() <= 4, "{name}");
    }
    assert!(
        Slot::ALL.windows(2).all(|w| w[0] < w[1]),
        "ALL is in slot order"
    );
}

#[test]
fn out_of_range_and_unknown_names_are_rejected() {
    assert_eq!(Slot::from_number(74), None);
    assert_eq!(Slot::from_number(u32::MAX), None);
    assert_eq!(Slot::from_name("mvNoSuchCall"), None);
    assert_eq!(Slot::from_name("mvnoop"), None, "names are exact");
    assert_eq!(
        Slot::from_name("mvTemporaryServerLog"),
        None,
        "removed in 2021-09"
    );
}

#[test]
fn gaps_are_unassigned_and_everything_else_is_assigned() {
    for slot in Slot::ALL {
        let gap = matches!(slot.number(), 20 | 71);
        assert_eq!(slot.is_assigned(), !gap, "{slot:?}");
        if gap {
            assert_eq!(slot.arg_count(), 0);
        }
    }
    assert_eq!(Slot::Unassigned20.number(), 20);
    assert_eq!(Slot::Unassigned71.number(), 71);
    assert!(
        Slot::TemporaryStructTest.is_assigned(),
        "slot 12 is still exported"
    );
    assert_eq!(Slot::ALL.iter().filter(|s| s.is_assigned()).count(), 72);
}

#[test]
fn addresses_match_the_hex_column() {
    let addr = |s: Slot| s.stm32u585_entry_address();
    assert_eq!(addr(Slot::EnableFastInterrupt), 0x0C1F_E000);
    assert_eq!(addr(Slot::SetupNotifications), 0x0C1F_E080);
    assert_eq!(addr(Slot::Unassigned20), 0x0C1F_E0A0);
    assert_eq!(addr(Slot::NoOp), 0x0C1F_E0D8);
    assert_eq!(addr(Slot::SendHttpRequest), 0x0C1F_E100);
    assert_eq!(addr(Slot::OpenSystemNotification), 0x0C1F_E1E0);
    assert_eq!(addr(Slot::Unassigned71), 0x0C1F_E238);
    assert_eq!(addr(Slot::SetWifiConfig), 0x0C1F_E240);
    assert_eq!(addr(Slot::GetWifiConfig), 0x0C1F_E248);
    assert_eq!(Slot::NoOp.entry_offset(), 0xD8);
}

#[test]
fn arg_counts_follow_the_prototypes() {
    let cases = [
        ("mvNoOp", 0),
        ("mvDisableAllFastInterrupts", 0),
        ("mvGetMicroseconds", 1),
        ("mvMqttRequestDisconnect", 1),
        ("mvSetupNotifications", 2),
        ("mvServerLog", 2),
        ("mvTempTriggerNotification", 3),
        ("mvPeriphPoke32", 3),
        ("mvExternalFlashEraseBlocking", 3),
        ("mvWriteChannel", 4),
        ("mvReadHttpResponseBody", 4),
        ("mvExternalFlashReadBlocking", 4),
    ];
    for (name, args) in cases {
        assert_eq!(Slot::from_name(name).unwrap().arg_count(), args, "{name}");
    }
}
