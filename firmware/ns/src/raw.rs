//! One raw function per Microvisor system call, named and typed as in `mv_syscalls.h`.
//!
//! These are the C prototypes of SDK 0.7.0 in Rust spelling: pointers stay
//! raw, enums are passed as their integer, and the result is the raw
//! `MvStatus` value in r0. They are `unsafe` because the secure world writes
//! through the pointers given. The gaps at slots 20 and 71 have no function.

use mv_abi::{
    MvChannelHandle, MvConfigKeyFetchParams, MvConfigResponseData, MvConfigResponseReadItemParams,
    MvExternalFlashHandle, MvExternalFlashInfo, MvHttpRequest, MvHttpResponseData,
    MvMqttConnectRequest, MvMqttConnectResponse, MvMqttDisconnectResponse, MvMqttLostMessageInfo,
    MvMqttMessage, MvMqttPublishRequest, MvMqttPublishResponse, MvMqttSubscribeRequest,
    MvMqttSubscribeResponse, MvMqttUnsubscribeRequest, MvMqttUnsubscribeResponse, MvNetworkHandle,
    MvNotificationHandle, MvNotificationSetup, MvOpenChannelParams, MvOpenSystemNotificationParams,
    MvRequestNetworkParams, MvSystemEventHandle, MvWifiConfig, MvWifiConfigOut, Slot,
};

/// A value that travels in one argument register.
pub trait Register {
    fn to_register(self) -> u32;
}

impl Register for u32 {
    fn to_register(self) -> u32 {
        self
    }
}

impl Register for u16 {
    fn to_register(self) -> u32 {
        u32::from(self)
    }
}

impl<T> Register for *const T {
    fn to_register(self) -> u32 {
        // Addresses are 32 bits on the target; the host build calls nothing.
        self as usize as u32
    }
}

impl<T> Register for *mut T {
    fn to_register(self) -> u32 {
        self as usize as u32
    }
}

/// Declares `pub unsafe fn name(args) -> u32` calling the slot with the
/// prototype's arity.
macro_rules! syscalls {
    ( $( $(#[$meta:meta])* fn $name:ident( $( $arg:ident : $ty:ty ),* ) = $slot:ident; )+ ) => {
        $(
            $(#[$meta])*
            ///
            /// # Safety
            /// Every pointer argument must be valid for the access the C
            /// prototype implies for as long as the call runs (and, for
            /// buffers Microvisor keeps, for as long as Microvisor keeps them).
            #[inline]
            pub unsafe fn $name( $( $arg : $ty ),* ) -> u32 {
                // SAFETY: forwarded to the caller, see above.
                unsafe { crate::table::call(Slot::$slot, &[ $( Register::to_register($arg) ),* ]) }
            }
        )+
    };
}

syscalls! {
    /// Slot 0.
    fn mv_enable_fast_interrupt(irqn: u32) = EnableFastInterrupt;
    /// Slot 1.
    fn mv_write_channel_stream(handle: MvChannelHandle, data: *const u8, length: u32, written: *mut u32) = WriteChannelStream;
    /// Slot 2.
    fn mv_get_microseconds(usec: *mut u64) = GetMicroseconds;
    /// Slot 3.
    fn mv_get_sys_clk(hz: *mut u32) = GetSysClk;
    /// Slot 4.
    fn mv_disable_all_fast_interrupts() = DisableAllFastInterrupts;
    /// Slot 5.
    fn mv_get_device_id(buf: *mut u8, len: u32) = GetDeviceId;
    /// Slot 6.
    fn mv_write_channel(handle: MvChannelHandle, data: *const u8, length: u32, available: *mut u32) = WriteChannel;
    /// Slot 7.
    fn mv_get_wall_time(usec: *mut u64) = GetWallTime;
    /// Slot 8.
    fn mv_request_network(params: *const MvRequestNetworkParams, handle: *mut MvNetworkHandle) = RequestNetwork;
    /// Slot 9; `reason_out` is `enum MvClosureReason *`.
    fn mv_get_channel_closure_reason(handle: MvChannelHandle, reason_out: *mut u32) = GetChannelClosureReason;
    /// Slot 10.
    fn mv_close_notifications(handle_in_out: *mut MvNotificationHandle) = CloseNotifications;
    /// Slot 11.
    fn mv_set_fast_interrupt(irqn: u32) = SetFastInterrupt;
    /// Slot 12; the struct is not in the 0.7.0 header.
    fn mv_temporary_struct_test(input: *const u8) = TemporaryStructTest;
    /// Slot 13.
    fn mv_disable_fast_interrupt(irqn: u32) = DisableFastInterrupt;
    /// Slot 14.
    fn mv_read_channel_complete(handle: MvChannelHandle, consumed: u32) = ReadChannelComplete;
    /// Slot 15.
    fn mv_clear_fast_interrupt(irqn: u32) = ClearFastInterrupt;
    /// Slot 16.
    fn mv_setup_notifications(setup: *const MvNotificationSetup, handle_out: *mut MvNotificationHandle) = SetupNotifications;
    /// Slot 17.
    fn mv_get_pclk1(hz: *mut u32) = GetPClk1;
    /// Slot 18.
    fn mv_get_pclk2(hz: *mut u32) = GetPClk2;
    /// Slot 19.
    fn mv_enable_all_fast_interrupts() = EnableAllFastInterrupts;
    /// Slot 21.
    fn mv_periph_poke32(reg: u32, mask: u32, xorvalue: u32) = PeriphPoke32;
    /// Slot 22.
    fn mv_read_channel(handle: MvChannelHandle, read_pointer_out: *mut *const u8, length_out: *mut u32) = ReadChannel;
    /// Slot 23.
    fn mv_get_hclk(hz: *mut u32) = GetHClk;
    /// Slot 24.
    fn mv_open_channel(params: *const MvOpenChannelParams, handle: *mut MvChannelHandle) = OpenChannel;
    /// Slot 25; `reasons` is `enum MvNetworkReason *`.
    fn mv_get_network_reasons(reasons: *mut u32, request_ref_count: *mut u32) = GetNetworkReasons;
    /// Slot 26.
    fn mv_release_network(handle: *mut MvNetworkHandle) = ReleaseNetwork;
    /// Slot 27.
    fn mv_no_op() = NoOp;
    /// Slot 28; `event_type` is `enum MvEventType`.
    fn mv_temp_trigger_notification(handle: MvNotificationHandle, event_type: u32, tag: u32) = TempTriggerNotification;
    /// Slot 29; `status` is `enum MvNetworkStatus *`.
    fn mv_get_network_status(handle: MvNetworkHandle, status: *mut u32) = GetNetworkStatus;
    /// Slot 30.
    fn mv_periph_peek32(reg: u32, output: *mut u32) = PeriphPeek32;
    /// Slot 31.
    fn mv_close_channel(handle: *mut MvChannelHandle) = CloseChannel;
    /// Slot 32.
    fn mv_send_http_request(handle: MvChannelHandle, request: *const MvHttpRequest) = SendHttpRequest;
    /// Slot 33.
    fn mv_read_http_response_body(handle: MvChannelHandle, offset: u32, buf: *mut u8, size: u32) = ReadHttpResponseBody;
    /// Slot 34.
    fn mv_read_http_response_header(handle: MvChannelHandle, header_index: u32, buf: *mut u8, size: u32) = ReadHttpResponseHeader;
    /// Slot 35.
    fn mv_read_http_response_data(handle: MvChannelHandle, response_data: *mut MvHttpResponseData) = ReadHttpResponseData;
    /// Slot 36.
    fn mv_server_logging_init(buffer: *mut u8, length_bytes: u32) = ServerLoggingInit;
    /// Slot 37.
    fn mv_server_log(message: *const u8, length_bytes: u16) = ServerLog;
    /// Slot 38.
    fn mv_send_config_fetch_request(handle: MvChannelHandle, request: *const MvConfigKeyFetchParams) = SendConfigFetchRequest;
    /// Slot 39.
    fn mv_read_config_fetch_response_data(handle: MvChannelHandle, response_data: *mut MvConfigResponseData) = ReadConfigFetchResponseData;
    /// Slot 40.
    fn mv_read_config_response_item(handle: MvChannelHandle, params: *const MvConfigResponseReadItemParams) = ReadConfigResponseItem;
    /// Slot 41.
    fn mv_mqtt_read_unsubscribe_response(handle: MvChannelHandle, response: *mut MvMqttUnsubscribeResponse) = MqttReadUnsubscribeResponse;
    /// Slot 42.
    fn mv_mqtt_acknowledge_message(handle: MvChannelHandle, correlation_id: u32) = MqttAcknowledgeMessage;
    /// Slot 43.
    fn mv_mqtt_read_disconnect_response(handle: MvChannelHandle, response: *mut MvMqttDisconnectResponse) = MqttReadDisconnectResponse;
    /// Slot 44.
    fn mv_mqtt_request_disconnect(handle: MvChannelHandle) = MqttRequestDisconnect;
    /// Slot 45.
    fn mv_mqtt_read_connect_response(handle: MvChannelHandle, response: *mut MvMqttConnectResponse) = MqttReadConnectResponse;
    /// Slot 46.
    fn mv_mqtt_request_publish(handle: MvChannelHandle, request: *const MvMqttPublishRequest) = MqttRequestPublish;
    /// Slot 47.
    fn mv_mqtt_request_subscribe(handle: MvChannelHandle, request: *const MvMqttSubscribeRequest) = MqttRequestSubscribe;
    /// Slot 48.
    fn mv_mqtt_read_publish_response(handle: MvChannelHandle, response: *mut MvMqttPublishResponse) = MqttReadPublishResponse;
    /// Slot 49.
    fn mv_mqtt_receive_lost_message_info(handle: MvChannelHandle, info: *const MvMqttLostMessageInfo) = MqttReceiveLostMessageInfo;
    /// Slot 50.
    fn mv_mqtt_receive_message(handle: MvChannelHandle, message: *const MvMqttMessage) = MqttReceiveMessage;
    /// Slot 51; `data_type` is `enum MvMqttReadableDataType *`.
    fn mv_mqtt_get_next_readable_data_type(handle: MvChannelHandle, data_type: *mut u32) = MqttGetNextReadableDataType;
    /// Slot 52.
    fn mv_mqtt_request_unsubscribe(handle: MvChannelHandle, request: *const MvMqttUnsubscribeRequest) = MqttRequestUnsubscribe;
    /// Slot 53.
    fn mv_mqtt_request_connect(handle: MvChannelHandle, request: *const MvMqttConnectRequest) = MqttRequestConnect;
    /// Slot 54.
    fn mv_mqtt_read_subscribe_response(handle: MvChannelHandle, response: *const MvMqttSubscribeResponse) = MqttReadSubscribeResponse;
    /// Slot 55.
    fn mv_testing_complete(status: u32) = TestingComplete;
    /// Slot 56.
    fn mv_test_log(message: *const u8, length_bytes: u16) = TestLog;
    /// Slot 57.
    fn mv_test_logging_init(buffer: *mut u8, length_bytes: u32) = TestLoggingInit;
    /// Slot 58; `mode` is `enum MvPowerSavingMode`.
    fn mv_power_save(mode: u32) = PowerSave;
    /// Slot 59.
    fn mv_system_led_enable(enable: u32) = SystemLedEnable;
    /// Slot 60.
    fn mv_open_system_notification(params: *const MvOpenSystemNotificationParams, handle: *mut MvSystemEventHandle) = OpenSystemNotification;
    /// Slot 61.
    fn mv_close_system_notification(handle: *mut MvSystemEventHandle) = CloseSystemNotification;
    /// Slot 62; `mode` is `enum MvDeepSleepMode`.
    fn mv_deep_sleep(mode: u32) = DeepSleep;
    /// Slot 63; `reason` is a one-byte `enum MvWakeReason *`.
    fn mv_get_wake_reason(reason: *mut u8) = GetWakeReason;
    /// Slot 64; `mode` is `enum MvRestartMode`.
    fn mv_restart(mode: u32) = Restart;
    /// Slot 65.
    fn mv_external_flash_close(handle: *mut MvExternalFlashHandle) = ExternalFlashClose;
    /// Slot 66.
    fn mv_external_flash_get_info(handle: MvExternalFlashHandle, info: *mut MvExternalFlashInfo) = ExternalFlashGetInfo;
    /// Slot 67.
    fn mv_external_flash_write_blocking(handle: MvExternalFlashHandle, address: u32, length: u32, buffer: *const u8) = ExternalFlashWriteBlocking;
    /// Slot 68.
    fn mv_external_flash_open(handle: *mut MvExternalFlashHandle) = ExternalFlashOpen;
    /// Slot 69.
    fn mv_external_flash_erase_blocking(handle: MvExternalFlashHandle, address: u32, length: u32) = ExternalFlashEraseBlocking;
    /// Slot 70.
    fn mv_external_flash_read_blocking(handle: MvExternalFlashHandle, address: u32, length: u32, buffer: *mut u8) = ExternalFlashReadBlocking;
    /// Slot 72.
    fn mv_set_wifi_config(params: *const MvWifiConfig) = SetWifiConfig;
    /// Slot 73.
    fn mv_get_wifi_config(params: *const MvWifiConfigOut) = GetWifiConfig;
}
