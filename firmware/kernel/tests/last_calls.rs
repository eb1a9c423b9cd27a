//! The calls that completed the ABI (fast interrupts, power, the LED, external flash, Wi-Fi, application test), and the walk of all 72 slots.

mod fake_board;

use fake_board::{FakeBoard, EXT_FLASH_SIZE, RAM, SECURE, VTOR};
use mv_abi::{MvDeepSleepMode, MvStatus, Slot};
use mv_kernel::{Kernel, RestartRequest};

use MvStatus::*;

const OUT: u32 = RAM + 0x1000;
const BUF: u32 = RAM + 0x2000;
const PARAMS: u32 = RAM + 0x3000;
const TEXT: u32 = RAM + 0x3800;
const LOG: u32 = RAM + 0x4000;
/// The one handler every vector of the fake app's table names.
const HANDLER: u32 = RAM + 0x101;

fn call(k: &mut Kernel<FakeBoard>, slot: Slot, args: [u32; 4]) -> MvStatus {
    MvStatus::try_from(k.dispatch(slot.number(), args)).expect("an MvStatus")
}

fn put_words(k: &mut Kernel<FakeBoard>, at: u32, words: &[u32]) {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    k.board_mut().put(at, &bytes);
}

/// A kernel whose app has a vector table (every vector → [`HANDLER`]).
fn kernel() -> Kernel<FakeBoard> {
    let mut k = Kernel::new(FakeBoard::default());
    let table: Vec<u32> = std::iter::once(RAM + 0x800)
        .chain(std::iter::repeat_n(HANDLER, 15 + 100))
        .collect();
    put_words(&mut k, VTOR, &table);
    k
}

fn open_flash(k: &mut Kernel<FakeBoard>) -> u32 {
    assert_eq!(call(k, Slot::ExternalFlashOpen, [OUT, 0, 0, 0]), Okay);
    k.board().u32_at(OUT)
}

#[test]
fn fast_interrupt_enable_states_persist_under_the_global_gate() {
    let mut k = kernel();
    assert_eq!(
        call(&mut k, Slot::SetFastInterrupt, [3, 0, 0, 0]),
        InvalidInterrupt
    );
    assert_eq!(
        call(&mut k, Slot::EnableFastInterrupt, [40, 0, 0, 0]),
        InvalidInterrupt
    );
    assert_eq!(call(&mut k, Slot::SetFastInterrupt, [40, 0, 0, 0]), Okay);
    assert_eq!(call(&mut k, Slot::SetFastInterrupt, [41, 0, 0, 0]), Okay);
    assert_eq!(k.board().fast, [40, 41]);
    assert_eq!(call(&mut k, Slot::EnableFastInterrupt, [40, 0, 0, 0]), Okay);
    assert_eq!(k.board().enabled, [40]);
    assert_eq!(call(&mut k, Slot::DisableAllFastInterrupts, [0; 4]), Okay);
    assert!(k.board().enabled.is_empty());
    assert_eq!(call(&mut k, Slot::EnableFastInterrupt, [41, 0, 0, 0]), Okay);
    assert!(k.board().enabled.is_empty(), "the gate is closed");
    assert_eq!(call(&mut k, Slot::EnableAllFastInterrupts, [0; 4]), Okay);
    k.board_mut().enabled.sort();
    assert_eq!(k.board().enabled, [40, 41], "each IRQ's own state survived");
    assert_eq!(call(&mut k, Slot::ClearFastInterrupt, [41, 0, 0, 0]), Okay);
    assert_eq!(
        (k.board().fast.clone(), k.board().enabled.clone()),
        (vec![40], vec![40])
    );
    k.shut_down_fast_interrupts();
    for slot in [
        Slot::SetFastInterrupt,
        Slot::EnableFastInterrupt,
        Slot::ClearFastInterrupt,
    ] {
        assert_eq!(call(&mut k, slot, [40, 0, 0, 0]), Unavailable);
    }
    assert!(k.board().fast.is_empty() && k.board().enabled.is_empty());
    k.restart_app(mv_abi::MvWakeReason::ColdBoot);
    assert_eq!(call(&mut k, Slot::SetFastInterrupt, [40, 0, 0, 0]), Okay);
}

#[test]
fn a_vector_outside_app_memory_is_invalidvector() {
    let mut k = kernel();
    put_words(&mut k, VTOR + 4 * (16 + 42), &[SECURE | 1]);
    assert_eq!(
        call(&mut k, Slot::SetFastInterrupt, [42, 0, 0, 0]),
        InvalidVector
    );
    k.board_mut().vtor = SECURE;
    assert_eq!(
        call(&mut k, Slot::SetFastInterrupt, [40, 0, 0, 0]),
        InvalidVector
    );
    assert!(k.board().fast.is_empty());
}

#[test]
fn power_calls_check_caller_mode_and_network() {
    let mut k = kernel();
    assert_eq!(call(&mut k, Slot::PowerSave, [5, 0, 0, 0]), ParameterFault);
    // One-byte enums: the upper bits are not the app's promise.
    assert_eq!(call(&mut k, Slot::PowerSave, [0x100, 0, 0, 0]), Okay);
    k.board_mut().in_interrupt = true;
    assert_eq!(call(&mut k, Slot::DeepSleep, [0, 0, 0, 0]), Unavailable);
    assert_eq!(
        call(&mut k, Slot::SystemLedEnable, [1, 0, 0, 0]),
        Unavailable
    );
    k.board_mut().in_interrupt = false;
    assert_eq!(
        call(&mut k, Slot::SystemLedEnable, [2, 0, 0, 0]),
        ParameterFault
    );
    assert_eq!(call(&mut k, Slot::SystemLedEnable, [0, 0, 0, 0]), Okay);
    assert_eq!(k.board().led, Some(false));
    // A held network request keeps the network active.
    put_words(&mut k, PARAMS, &[40, BUF, 64]);
    assert_eq!(
        call(&mut k, Slot::SetupNotifications, [PARAMS, OUT, 0, 0]),
        Okay
    );
    let centre = k.board().u32_at(OUT);
    put_words(&mut k, PARAMS, &[1, centre, 7]);
    assert_eq!(
        call(&mut k, Slot::RequestNetwork, [PARAMS, OUT, 0, 0]),
        Okay
    );
    assert_eq!(call(&mut k, Slot::DeepSleep, [1, 0, 0, 0]), MicrovisorBusy);
    assert_eq!(call(&mut k, Slot::PowerSave, [1, 0, 0, 0]), MicrovisorBusy);
    assert_eq!(call(&mut k, Slot::ReleaseNetwork, [OUT, 0, 0, 0]), Okay);
    assert_eq!(k.take_restart_request(), None);
    assert_eq!(call(&mut k, Slot::DeepSleep, [1, 0, 0, 0]), Okay);
    assert_eq!(
        k.take_restart_request(),
        Some(RestartRequest::DeepSleep(MvDeepSleepMode::Shutdown))
    );
}

#[test]
fn external_flash_is_nor_within_the_apps_window() {
    let mut k = kernel();
    let h = open_flash(&mut k);
    put_words(&mut k, PARAMS, &[1, 0, 0, 0]);
    assert_eq!(
        call(&mut k, Slot::ExternalFlashGetInfo, [h, PARAMS, 0, 0]),
        Okay
    );
    let info: Vec<u32> = (0..4).map(|i| k.board().u32_at(PARAMS + 4 * i)).collect();
    assert_eq!(info, [1, 0x00C2_2814, EXT_FLASH_SIZE, 1]);
    put_words(&mut k, PARAMS, &[2]);
    assert_eq!(
        call(&mut k, Slot::ExternalFlashGetInfo, [h, PARAMS, 0, 0]),
        UnsupportedStructureVersion
    );

    k.board_mut().put(BUF, &[0x0F, 0xF0, 0x55]);
    assert_eq!(
        call(&mut k, Slot::ExternalFlashWriteBlocking, [h, 100, 3, BUF]),
        Okay
    );
    k.board_mut().put(BUF, &[0xF3, 0xFF, 0xFF]);
    assert_eq!(
        call(&mut k, Slot::ExternalFlashWriteBlocking, [h, 100, 3, BUF]),
        Okay
    );
    assert_eq!(
        call(&mut k, Slot::ExternalFlashReadBlocking, [h, 99, 5, OUT]),
        Okay
    );
    assert_eq!(k.board().bytes(OUT, 5), [0xFF, 0x03, 0xF0, 0x55, 0xFF]);

    let end = EXT_FLASH_SIZE;
    assert_eq!(
        call(
            &mut k,
            Slot::ExternalFlashReadBlocking,
            [h, end - 2, 3, OUT]
        ),
        AddressOutOfRange
    );
    assert_eq!(
        call(
            &mut k,
            Slot::ExternalFlashWriteBlocking,
            [h, u32::MAX, 2, BUF]
        ),
        AddressOutOfRange
    );
    assert_eq!(
        call(
            &mut k,
            Slot::ExternalFlashEraseBlocking,
            [h, 0, end + 4096, 0]
        ),
        AddressOutOfRange
    );
    assert_eq!(
        call(&mut k, Slot::ExternalFlashEraseBlocking, [h, 16, 4096, 0]),
        InvalidBufferAlignment
    );
    assert_eq!(
        call(&mut k, Slot::ExternalFlashEraseBlocking, [h, 0, 100, 0]),
        InvalidBufferAlignment
    );
    assert_eq!(
        call(&mut k, Slot::ExternalFlashReadBlocking, [h, 0, 4, SECURE]),
        ParameterFault
    );
    assert_eq!(
        call(&mut k, Slot::ExternalFlashReadBlocking, [h + 1, 0, 4, OUT]),
        InvalidHandle
    );
    assert_eq!(
        call(&mut k, Slot::ExternalFlashEraseBlocking, [h, 0, 4096, 0]),
        Okay
    );
    assert_eq!(
        call(&mut k, Slot::ExternalFlashReadBlocking, [h, 99, 5, OUT]),
        Okay
    );
    assert_eq!(k.board().bytes(OUT, 5), [0xFF; 5]);

    k.board_mut().in_interrupt = true;
    assert_eq!(
        call(&mut k, Slot::ExternalFlashReadBlocking, [h, 0, 4, OUT]),
        Unavailable
    );
    k.board_mut().in_interrupt = false;

    put_words(&mut k, BUF, &[h]);
    assert_eq!(call(&mut k, Slot::ExternalFlashClose, [BUF, 0, 0, 0]), Okay);
    assert_eq!(k.board().u32_at(BUF), 0);
    assert_eq!(
        call(&mut k, Slot::ExternalFlashGetInfo, [h, PARAMS, 0, 0]),
        InvalidHandle
    );
}

#[test]
fn thirty_two_external_flash_handles_at_most() {
    let mut k = kernel();
    let handles: Vec<u32> = (0..32).map(|_| open_flash(&mut k)).collect();
    let mut unique = handles.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 32);
    assert_eq!(
        call(&mut k, Slot::ExternalFlashOpen, [OUT + 64, 0, 0, 0]),
        TooManyChannels
    );
    assert_eq!(k.board().u32_at(OUT + 64), 0);
}

#[test]
fn wifi_config_round_trips_without_the_password() {
    let mut k = kernel();
    k.board_mut().put(TEXT, b"lab-netsecret");
    // { version, mode APPLYNOW, ssid {data, len}, password {data, len} }
    put_words(&mut k, PARAMS, &[1, 0, TEXT, 7, TEXT + 7, 6]);
    assert_eq!(call(&mut k, Slot::SetWifiConfig, [PARAMS, 0, 0, 0]), Okay);
    // { version, ssid buffer {data, size, *length}, *has_encryption }
    put_words(&mut k, PARAMS + 64, &[1, BUF, 4, OUT, OUT + 4]);
    assert_eq!(
        call(&mut k, Slot::GetWifiConfig, [PARAMS + 64, 0, 0, 0]),
        Okay
    );
    assert_eq!(k.board().bytes(BUF, 4), b"lab-");
    assert_eq!(
        (k.board().u32_at(OUT), k.board().bytes(OUT + 4, 1)[0]),
        (4, 1)
    );
    put_words(&mut k, PARAMS, &[1, 0, TEXT, 33, TEXT, 0]);
    assert_eq!(
        call(&mut k, Slot::SetWifiConfig, [PARAMS, 0, 0, 0]),
        InputTooLong
    );
    put_words(&mut k, PARAMS, &[2]);
    assert_eq!(
        call(&mut k, Slot::SetWifiConfig, [PARAMS, 0, 0, 0]),
        UnsupportedStructureVersion
    );
    put_words(&mut k, PARAMS, &[1, 1]);
    assert_eq!(call(&mut k, Slot::SetWifiConfig, [PARAMS, 0, 0, 0]), Okay);
    // A bad nested pointer is refused before anything is written.
    put_words(&mut k, PARAMS + 64, &[1, BUF, 4, SECURE, OUT + 4]);
    assert_eq!(
        call(&mut k, Slot::GetWifiConfig, [PARAMS + 64, 0, 0, 0]),
        ParameterFault
    );
    put_words(&mut k, PARAMS + 64, &[1, BUF, 4, OUT, OUT + 4]);
    assert_eq!(
        call(&mut k, Slot::GetWifiConfig, [PARAMS + 64, 0, 0, 0]),
        Okay
    );
    assert_eq!(
        (k.board().u32_at(OUT), k.board().bytes(OUT + 4, 1)[0]),
        (0, 0)
    );
}

#[test]
fn application_test_calls_answer_only_in_test_mode() {
    let mut k = kernel();
    k.board_mut().put(TEXT, b"self-test ok");
    assert_eq!(call(&mut k, Slot::TestingComplete, [0; 4]), Unavailable);
    assert_eq!(
        call(&mut k, Slot::TestLoggingInit, [LOG, 512, 0, 0]),
        Unavailable
    );
    assert_eq!(call(&mut k, Slot::TestLog, [TEXT, 12, 0, 0]), Unavailable);
    k.set_app_test_mode(true);
    assert_eq!(call(&mut k, Slot::TestLog, [TEXT, 12, 0, 0]), Unavailable);
    assert_eq!(
        call(&mut k, Slot::TestLoggingInit, [LOG + 4, 512, 0, 0]),
        InvalidBufferAlignment
    );
    assert_eq!(
        call(&mut k, Slot::TestLoggingInit, [LOG, 100, 0, 0]),
        InvalidBufferSize
    );
    assert_eq!(call(&mut k, Slot::TestLoggingInit, [LOG, 512, 0, 0]), Okay);
    assert_eq!(
        call(&mut k, Slot::ServerLoggingInit, [LOG, 512, 0, 0]),
        BufferAlreadyInUse
    );
    assert_eq!(call(&mut k, Slot::TestLog, [TEXT, 12, 0, 0]), Okay);
    assert_eq!(k.board().test_log, [b"self-test ok".to_vec()]);
    assert!(k.board().sent.is_empty(), "nothing went to the server");
    assert_eq!(call(&mut k, Slot::TestingComplete, [3, 0, 0, 0]), Okay);
    assert_eq!(
        k.take_restart_request(),
        Some(RestartRequest::TestingComplete { status: 3 })
    );
}

#[test]
fn temporary_struct_test_reads_the_struct_and_its_nested_one() {
    let mut k = kernel();
    put_words(&mut k, PARAMS, &[1, 7, 0, BUF, 0]);
    assert_eq!(
        call(&mut k, Slot::TemporaryStructTest, [PARAMS, 0, 0, 0]),
        Okay
    );
    put_words(&mut k, PARAMS, &[1, 7, 0, BUF + 4, 0]);
    assert_eq!(
        call(&mut k, Slot::TemporaryStructTest, [PARAMS, 0, 0, 0]),
        ParameterFault
    );
    put_words(&mut k, PARAMS, &[2]);
    assert_eq!(
        call(&mut k, Slot::TemporaryStructTest, [PARAMS, 0, 0, 0]),
        UnsupportedStructureVersion
    );
    assert_eq!(
        call(&mut k, Slot::TemporaryStructTest, [SECURE, 0, 0, 0]),
        ParameterFault
    );
}

/// An MQTT channel in the place of the spare opaque one (four channels
/// are the limit), with the item `slot` reads waiting at the head of its
/// queue: the request made and drained, the cloud's answer delivered.
fn mqtt_ready(k: &mut Kernel<FakeBoard>, slot: Slot, o: &Objects) -> u32 {
    use Slot::*;
    put_words(k, OUT, &[o.spare_channel]);
    assert_eq!(call(k, CloseChannel, [OUT, 0, 0, 0]), Okay);
    let at = RAM + 0x6400;
    put_words(
        k,
        PARAMS,
        &[1, o.centre, 1, o.network, at, 256, at + 0x200, 512, 1, 0, 0],
    );
    let m = okay(k, OpenChannel, [PARAMS, OUT, 0, 0]);
    let drain = |k: &mut Kernel<FakeBoard>| {
        let mut data = [0u8; 1024];
        while k.next_net_event(&mut data).is_some() {}
    };
    let request = |k: &mut Kernel<FakeBoard>, slot: Slot| {
        let args = mqtt_request_args(k, slot, m);
        assert_eq!(call(k, slot, args), Okay, "setting up with {}", slot.name());
        drain(k);
    };
    match slot {
        MqttReadConnectResponse => {
            request(k, MqttRequestConnect);
            k.cloud_mqtt_connect_response(m, 0, 0);
        }
        MqttReadSubscribeResponse | MqttReadUnsubscribeResponse => {
            let unsubscribe = slot == MqttReadUnsubscribeResponse;
            let req = if unsubscribe {
                MqttRequestUnsubscribe
            } else {
                MqttRequestSubscribe
            };
            request(k, req);
            k.cloud_mqtt_subscription_response(m, unsubscribe, 0, 1, &[1]);
        }
        MqttReadPublishResponse => {
            request(k, MqttRequestPublish);
            k.cloud_mqtt_publish_response(m, 0, 3, 0);
        }
        MqttReadDisconnectResponse => {
            request(k, MqttRequestDisconnect);
            k.cloud_mqtt_disconnect_response(m, 0, 0);
        }
        MqttReceiveMessage => {
            k.cloud_mqtt_message(m, 1, 1, false, b"t", b"payload");
        }
        MqttReceiveLostMessageInfo => {
            k.cloud_mqtt_message(m, 1, 0, false, b"t", &[0; 300]);
        }
        _ => {}
    }
    m
}

/// Valid arguments of an MQTT call on channel `m` (structs planted at `PARAMS`).
fn mqtt_request_args(k: &mut Kernel<FakeBoard>, slot: Slot, m: u32) -> [u32; 4] {
    use Slot::*;
    let sub = PARAMS + 0x100;
    match slot {
        MqttRequestConnect => {
            put_words(
                k,
                PARAMS,
                &[0, TEXT, 4, 1883, TEXT, 4, 0, 0, 0, 0, 0, 0, 60, 1, 0],
            );
            [m, PARAMS, 0, 0]
        }
        MqttRequestSubscribe => {
            put_words(k, sub, &[TEXT, 4, 1, 0, 0, 0]);
            put_words(k, PARAMS, &[1, sub, 1]);
            [m, PARAMS, 0, 0]
        }
        MqttRequestUnsubscribe => {
            put_words(k, sub, &[TEXT, 4]);
            put_words(k, PARAMS, &[2, sub, 1]);
            [m, PARAMS, 0, 0]
        }
        MqttRequestPublish => {
            put_words(k, PARAMS, &[3, TEXT, 4, TEXT, 4, 1, 0]);
            [m, PARAMS, 0, 0]
        }
        MqttAcknowledgeMessage => [m, 1, 0, 0],
        MqttRequestDisconnect => [m, 0, 0, 0],
        MqttReadSubscribeResponse | MqttReadUnsubscribeResponse => {
            put_words(k, PARAMS, &[OUT, OUT + 4, BUF, 32, OUT + 8]);
            [m, PARAMS, 0, 0]
        }
        MqttReceiveMessage => {
            put_words(
                k,
                PARAMS,
                &[
                    OUT,
                    BUF,
                    16,
                    OUT + 4,
                    BUF + 16,
                    16,
                    OUT + 8,
                    OUT + 12,
                    OUT + 16,
                ],
            );
            [m, PARAMS, 0, 0]
        }
        MqttReceiveLostMessageInfo => {
            put_words(k, PARAMS, &[OUT, BUF, 16, OUT + 4, OUT + 8]);
            [m, PARAMS, 0, 0]
        }
        // GetNextReadableDataType and the plain response reads.
        _ => [m, OUT, 0, 0],
    }
}

/// Arguments of a valid call of `slot` on [`walk_kernel`]'s objects (the
/// same for every call that takes a handle of a kind: the live one).
fn valid_args(k: &mut Kernel<FakeBoard>, slot: Slot, o: &Objects) -> [u32; 4] {
    use Slot::*;
    match slot {
        // Time, device: an output word (8-aligned for the u64 ones).
        GetMicroseconds | GetWallTime => [OUT, 0, 0, 0],
        GetSysClk | GetHClk | GetPClk1 | GetPClk2 | GetWakeReason => [OUT, 0, 0, 0],
        GetDeviceId => [BUF, 34, 0, 0],
        PeriphPeek32 => [0x4602_0CA8, OUT, 0, 0],
        PeriphPoke32 => [0x4602_0CA8, 0, 0, 0],
        NoOp | EnableAllFastInterrupts | DisableAllFastInterrupts => [0; 4],
        SetupNotifications => {
            put_words(k, PARAMS, &[41, BUF + 0x400, 32]);
            [PARAMS, OUT, 0, 0]
        }
        CloseNotifications => {
            put_words(k, OUT, &[o.spare_centre]);
            [OUT, 0, 0, 0]
        }
        TempTriggerNotification => [o.centre, 2, 7, 0],
        ServerLoggingInit => [LOG, 512, 0, 0],
        TestLoggingInit => [LOG + 0x400, 512, 0, 0],
        ServerLog | TestLog => {
            let init = if slot == ServerLog {
                ServerLoggingInit
            } else {
                TestLoggingInit
            };
            let args = valid_args(k, init, o);
            assert_eq!(call(k, init, args), Okay);
            [TEXT, 4, 0, 0]
        }
        OpenSystemNotification => {
            put_words(k, PARAMS, &[o.centre, 1, 0]);
            [PARAMS, OUT, 0, 0]
        }
        CloseSystemNotification => {
            put_words(k, OUT, &[o.system]);
            [OUT, 0, 0, 0]
        }
        Restart | TestingComplete | SystemLedEnable => [0; 4],
        // The network must not be active: release the app's requests.
        PowerSave | DeepSleep => {
            for network in [o.network, o.spare_network] {
                put_words(k, OUT, &[network]);
                assert_eq!(call(k, ReleaseNetwork, [OUT, 0, 0, 0]), Okay);
            }
            [0; 4]
        }
        RequestNetwork => {
            put_words(k, PARAMS, &[1, o.centre, 3]);
            [PARAMS, OUT, 0, 0]
        }
        ReleaseNetwork => {
            put_words(k, OUT, &[o.spare_network]);
            [OUT, 0, 0, 0]
        }
        GetNetworkStatus => [o.network, OUT, 0, 0],
        GetNetworkReasons => [OUT, OUT + 4, 0, 0],
        OpenChannel => {
            // Four channels are open: the limit. Close one first.
            put_words(k, OUT, &[o.spare_channel]);
            assert_eq!(call(k, CloseChannel, [OUT, 0, 0, 0]), Okay);
            put_words(
                k,
                PARAMS,
                &[
                    1,
                    o.centre,
                    1,
                    o.network,
                    BUF + 0x800,
                    256,
                    BUF + 0xA00,
                    512,
                    2,
                    0,
                    0,
                ],
            );
            [PARAMS, OUT, 0, 0]
        }
        CloseChannel => {
            put_words(k, OUT, &[o.spare_channel]);
            [OUT, 0, 0, 0]
        }
        GetChannelClosureReason => [o.channel, OUT, 0, 0],
        WriteChannel | WriteChannelStream => [o.channel, TEXT, 0, OUT],
        ReadChannel => [o.channel, OUT, OUT + 4, 0],
        ReadChannelComplete => [o.channel, 0, 0, 0],
        SendHttpRequest => {
            k.board_mut().put(TEXT + 64, b"GEThttps://lab/x");
            put_words(k, PARAMS, &[TEXT + 64, 3, TEXT + 67, 13, 0, 0, 0, 0, 5000]);
            [o.http, PARAMS, 0, 0]
        }
        ReadHttpResponseData | ReadHttpResponseHeader | ReadHttpResponseBody => {
            let request = valid_args(k, SendHttpRequest, o);
            assert_eq!(call(k, SendHttpRequest, request), Okay);
            k.cloud_http_response(o.http, 0, 200, &[&b"a: b"[..]], 4);
            k.cloud_http_body(o.http, b"body");
            match slot {
                ReadHttpResponseData => [o.http, OUT, 0, 0],
                _ => [o.http, 0, BUF, 8],
            }
        }
        SendConfigFetchRequest => {
            k.board_mut().put(TEXT + 96, b"key1");
            put_words(k, PARAMS + 64, &[0, 1, TEXT + 96, 4]);
            put_words(k, PARAMS, &[1, PARAMS + 64]);
            [o.config, PARAMS, 0, 0]
        }
        ReadConfigFetchResponseData | ReadConfigResponseItem => {
            let request = valid_args(k, SendConfigFetchRequest, o);
            assert_eq!(call(k, SendConfigFetchRequest, request), Okay);
            k.cloud_config_response(o.config, 0, &[(0, &b"value"[..])]);
            if slot == ReadConfigFetchResponseData {
                [o.config, OUT, 0, 0]
            } else {
                put_words(k, PARAMS, &[0, OUT, BUF, 16, OUT + 4]);
                [o.config, PARAMS, 0, 0]
            }
        }
        SetFastInterrupt | ClearFastInterrupt => [40, 0, 0, 0],
        EnableFastInterrupt | DisableFastInterrupt => [o.fast_irq, 0, 0, 0],
        ExternalFlashOpen => [OUT, 0, 0, 0],
        ExternalFlashClose => {
            put_words(k, OUT, &[o.spare_flash]);
            [OUT, 0, 0, 0]
        }
        ExternalFlashGetInfo => {
            put_words(k, PARAMS, &[1]);
            [o.flash, PARAMS, 0, 0]
        }
        ExternalFlashReadBlocking | ExternalFlashWriteBlocking => [o.flash, 0, 16, BUF],
        ExternalFlashEraseBlocking => [o.flash, 0, 4096, 0],
        SetWifiConfig => {
            put_words(k, PARAMS, &[1, 0, TEXT, 4, TEXT, 0]);
            [PARAMS, 0, 0, 0]
        }
        GetWifiConfig => {
            put_words(k, PARAMS, &[1, BUF, 32, OUT, OUT + 4]);
            [PARAMS, 0, 0, 0]
        }
        TemporaryStructTest => {
            put_words(k, PARAMS, &[1, 0, 0, BUF, 0]);
            [PARAMS, 0, 0, 0]
        }
        // MQTT: an MQTT channel with what the call reads waiting.
        _ => {
            let m = mqtt_ready(k, slot, o);
            mqtt_request_args(k, slot, m)
        }
    }
}

/// The live objects the walk's calls name, and spares for the close calls.
struct Objects {
    centre: u32,
    spare_centre: u32,
    network: u32,
    spare_network: u32,
    system: u32,
    channel: u32,
    spare_channel: u32,
    http: u32,
    config: u32,
    flash: u32,
    spare_flash: u32,
    fast_irq: u32,
}

fn okay(k: &mut Kernel<FakeBoard>, slot: Slot, args: [u32; 4]) -> u32 {
    assert_eq!(call(k, slot, args), Okay, "setting up with {}", slot.name());
    k.board().u32_at(args[1])
}

/// A kernel in application-test mode with every kind of object alive.
fn walk_kernel() -> (Kernel<FakeBoard>, Objects) {
    let mut k = kernel();
    k.set_app_test_mode(true);
    k.board_mut().put(TEXT, b"echo");
    let centre = |k: &mut Kernel<FakeBoard>, irq: u32, ring: u32| {
        put_words(k, PARAMS, &[irq, ring, 64]);
        okay(k, Slot::SetupNotifications, [PARAMS, OUT, 0, 0])
    };
    let c = centre(&mut k, 50, RAM + 0x5000);
    let spare_centre = centre(&mut k, 51, RAM + 0x5100);
    let network = |k: &mut Kernel<FakeBoard>| {
        put_words(k, PARAMS, &[1, c, 2]);
        okay(k, Slot::RequestNetwork, [PARAMS, OUT, 0, 0])
    };
    let net = network(&mut k);
    let spare_network = network(&mut k);
    put_words(&mut k, PARAMS, &[c, 1, 0]);
    let system = okay(&mut k, Slot::OpenSystemNotification, [PARAMS, OUT, 0, 0]);
    let channel = |k: &mut Kernel<FakeBoard>, at: u32, kind: u32, name_len: u32| {
        put_words(
            k,
            PARAMS,
            &[1, c, 1, net, at, 256, at + 0x200, 512, kind, TEXT, name_len],
        );
        okay(k, Slot::OpenChannel, [PARAMS, OUT, 0, 0])
    };
    let ch = channel(&mut k, RAM + 0x6000, 0, 4);
    let spare_channel = channel(&mut k, RAM + 0x6400, 0, 4);
    let http = channel(&mut k, RAM + 0x6800, 2, 0);
    let config = channel(&mut k, RAM + 0x7000, 3, 0);
    // `okay` reads the handle from `args[1]`; the open call's pointer is `args[0]`.
    let flash = okay(&mut k, Slot::ExternalFlashOpen, [OUT, OUT, 0, 0]);
    let spare_flash = okay(&mut k, Slot::ExternalFlashOpen, [OUT, OUT, 0, 0]);
    k.set_wall_time(1_700_000_000_000_000);
    assert_eq!(call(&mut k, Slot::SetFastInterrupt, [45, 0, 0, 0]), Okay);
    let objects = Objects {
        centre: c,
        spare_centre,
        network: net,
        spare_network,
        system,
        channel: ch,
        spare_channel,
        http,
        config,
        flash,
        spare_flash,
        fast_irq: 45,
    };
    (k, objects)
}

/// `firmware/ABI.md` §1: every one of the 72 assigned slots, called with
/// valid arguments on a kernel where its preconditions hold, answers `OKAY`.
/// (The three calls that end the app — `mvRestart`, `mvDeepSleep`,
/// `mvTestingComplete` — answer `OKAY` here and ask the device for the
/// restart.)
#[test]
fn all_72_assigned_slots_are_implemented() {
    let assigned: Vec<Slot> = Slot::ALL.into_iter().filter(|s| s.is_assigned()).collect();
    assert_eq!(assigned.len(), 72);
    for slot in assigned {
        let (mut k, objects) = walk_kernel();
        let args = valid_args(&mut k, slot, &objects);
        let status = call(&mut k, slot, args);
        assert_eq!(status, Okay, "{}({args:x?})", slot.name());
    }
}
