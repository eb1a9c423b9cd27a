//! One safe entry for all 74 NSC slots: decode the slot, run the call.
//!
//! The veneer (on target) or the sim hands over the slot number and r0–r3;
//! from here on everything is safe Rust returning `Result<(), MvStatus>`.
//! Narrow C parameters (`uint16_t`, one-byte enums) are truncated here, since
//! a CMSE entry must not rely on the caller having zero-extended them.

use mv_abi::{MvStatus, Slot};

use crate::board::Board;
use crate::Kernel;

/// The status of every call this kernel does not implement yet, and of the
/// unassigned slots 20 and 71 (`firmware/ABI.md` §"Unimplemented slots").
pub const NOT_IMPLEMENTED: MvStatus = MvStatus::Unavailable;

/// The raw syscall registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Args(pub [u32; 4]);

impl Args {
    pub fn r0(&self) -> u32 {
        self.0[0]
    }
    pub fn r1(&self) -> u32 {
        self.0[1]
    }
    pub fn r2(&self) -> u32 {
        self.0[2]
    }
    pub fn r3(&self) -> u32 {
        self.0[3]
    }
}

impl<B: Board> Kernel<B> {
    /// The system-call entry: slot number and r0–r3 in, `MvStatus` out. Never
    /// panics on app input and never faults.
    ///
    /// The fast path (`firmware/ABI.md` §1): `mvNoOp` has no argument to
    /// check and nothing to do, so it is answered here, inline in the
    /// caller, before the frame and jump table every other call needs. The
    /// caller's checks (the call mask, the device's try-lock and the busy
    /// answer, the work after every call) are the same for it as for any
    /// call.
    #[inline]
    pub fn dispatch(&mut self, slot: u32, args: [u32; 4]) -> u32 {
        if slot == Slot::NoOp as u32 {
            return MvStatus::Okay as u32;
        }
        self.dispatch_call(slot, args)
    }

    #[inline(never)]
    fn dispatch_call(&mut self, slot: u32, args: [u32; 4]) -> u32 {
        let status = match Slot::from_number(slot) {
            Some(slot) => self.call(slot, Args(args)),
            None => Err(NOT_IMPLEMENTED),
        };
        match status {
            Ok(()) => MvStatus::Okay as u32,
            Err(status) => status as u32,
        }
    }

    fn call(&mut self, slot: Slot, a: Args) -> Result<(), MvStatus> {
        match slot {
            Slot::NoOp => Ok(()),
            Slot::Restart => self.restart(a.r0()),
            Slot::GetMicroseconds => self.get_microseconds(a.r0()),
            Slot::GetWallTime => self.get_wall_time(a.r0()),
            Slot::GetDeviceId => self.get_device_id(a.r0(), a.r1()),
            Slot::GetSysClk => self.get_clock(a.r0(), |c| c.sysclk_hz),
            Slot::GetHClk => self.get_clock(a.r0(), |c| c.hclk_hz),
            Slot::GetPClk1 => self.get_clock(a.r0(), |c| c.pclk1_hz),
            Slot::GetPClk2 => self.get_clock(a.r0(), |c| c.pclk2_hz),
            Slot::PeriphPeek32 => self.periph_peek32(a.r0(), a.r1()),
            Slot::PeriphPoke32 => self.periph_poke32(a.r0(), a.r1(), a.r2()),
            Slot::SetupNotifications => self.setup_notifications(a.r0(), a.r1()),
            Slot::CloseNotifications => self.close_notifications(a.r0()),
            Slot::TempTriggerNotification => self.temp_trigger_notification(a.r0(), a.r1(), a.r2()),
            Slot::ServerLoggingInit => self.server_logging_init(a.r0(), a.r1()),
            Slot::ServerLog => self.server_log(a.r0(), a.r1() as u16),
            Slot::OpenSystemNotification => self.open_system_notification(a.r0(), a.r1()),
            Slot::CloseSystemNotification => self.close_system_notification(a.r0()),
            Slot::GetWakeReason => self.get_wake_reason(a.r0()),
            Slot::RequestNetwork => self.request_network(a.r0(), a.r1()),
            Slot::ReleaseNetwork => self.release_network(a.r0()),
            Slot::GetNetworkStatus => self.get_network_status(a.r0(), a.r1()),
            Slot::GetNetworkReasons => self.get_network_reasons(a.r0(), a.r1()),
            Slot::OpenChannel => self.open_channel(a.r0(), a.r1()),
            Slot::CloseChannel => self.close_channel(a.r0()),
            Slot::GetChannelClosureReason => self.get_channel_closure_reason(a.r0(), a.r1()),
            Slot::WriteChannel => self.write_channel(a.r0(), a.r1(), a.r2(), a.r3(), true),
            Slot::WriteChannelStream => self.write_channel(a.r0(), a.r1(), a.r2(), a.r3(), false),
            Slot::ReadChannel => self.read_channel(a.r0(), a.r1(), a.r2()),
            Slot::ReadChannelComplete => self.read_channel_complete(a.r0(), a.r1()),
            Slot::SendHttpRequest => self.send_http_request(a.r0(), a.r1()),
            Slot::ReadHttpResponseData => self.read_http_response_data(a.r0(), a.r1()),
            Slot::ReadHttpResponseHeader => {
                self.read_http_response_header(a.r0(), a.r1(), a.r2(), a.r3())
            }
            Slot::ReadHttpResponseBody => {
                self.read_http_response_body(a.r0(), a.r1(), a.r2(), a.r3())
            }
            Slot::SendConfigFetchRequest => self.send_config_fetch_request(a.r0(), a.r1()),
            Slot::ReadConfigFetchResponseData => {
                self.read_config_fetch_response_data(a.r0(), a.r1())
            }
            Slot::ReadConfigResponseItem => self.read_config_response_item(a.r0(), a.r1()),
            Slot::MqttRequestConnect => self.mqtt_request_connect(a.r0(), a.r1()),
            Slot::MqttReadConnectResponse => self.mqtt_read_connect_response(a.r0(), a.r1()),
            Slot::MqttRequestSubscribe => self.mqtt_request_subscribe(a.r0(), a.r1()),
            Slot::MqttReadSubscribeResponse => {
                self.mqtt_read_subscription_response(a.r0(), a.r1(), false)
            }
            Slot::MqttRequestUnsubscribe => self.mqtt_request_unsubscribe(a.r0(), a.r1()),
            Slot::MqttReadUnsubscribeResponse => {
                self.mqtt_read_subscription_response(a.r0(), a.r1(), true)
            }
            Slot::MqttRequestPublish => self.mqtt_request_publish(a.r0(), a.r1()),
            Slot::MqttReadPublishResponse => self.mqtt_read_publish_response(a.r0(), a.r1()),
            Slot::MqttGetNextReadableDataType => {
                self.mqtt_get_next_readable_data_type(a.r0(), a.r1())
            }
            Slot::MqttReceiveMessage => self.mqtt_receive_message(a.r0(), a.r1()),
            Slot::MqttAcknowledgeMessage => self.mqtt_acknowledge_message(a.r0(), a.r1()),
            Slot::MqttReceiveLostMessageInfo => self.mqtt_receive_lost_message_info(a.r0(), a.r1()),
            Slot::MqttRequestDisconnect => self.mqtt_request_disconnect(a.r0()),
            Slot::MqttReadDisconnectResponse => self.mqtt_read_disconnect_response(a.r0(), a.r1()),
            Slot::SetFastInterrupt => self.set_fast_interrupt(a.r0()),
            Slot::ClearFastInterrupt => self.clear_fast_interrupt(a.r0()),
            Slot::EnableFastInterrupt => self.enable_fast_interrupt(a.r0(), true),
            Slot::DisableFastInterrupt => self.enable_fast_interrupt(a.r0(), false),
            Slot::EnableAllFastInterrupts => self.all_fast_interrupts(true),
            Slot::DisableAllFastInterrupts => self.all_fast_interrupts(false),
            // One-byte enums (`MvPowerSavingMode`, `MvDeepSleepMode`): truncated.
            Slot::PowerSave => self.power_save(a.r0() as u8),
            Slot::DeepSleep => self.deep_sleep(a.r0() as u8),
            Slot::SystemLedEnable => self.system_led_enable(a.r0()),
            Slot::ExternalFlashOpen => self.external_flash_open(a.r0()),
            Slot::ExternalFlashClose => self.external_flash_close(a.r0()),
            Slot::ExternalFlashGetInfo => self.external_flash_get_info(a.r0(), a.r1()),
            Slot::ExternalFlashReadBlocking => {
                self.external_flash_read(a.r0(), a.r1(), a.r2(), a.r3())
            }
            Slot::ExternalFlashWriteBlocking => {
                self.external_flash_write(a.r0(), a.r1(), a.r2(), a.r3())
            }
            Slot::ExternalFlashEraseBlocking => self.external_flash_erase(a.r0(), a.r1(), a.r2()),
            Slot::SetWifiConfig => self.set_wifi_config(a.r0()),
            Slot::GetWifiConfig => self.get_wifi_config(a.r0()),
            Slot::TestingComplete => self.testing_complete(a.r0()),
            Slot::TestLoggingInit => self.test_logging_init(a.r0(), a.r1()),
            Slot::TestLog => self.test_log(a.r0(), a.r1() as u16),
            Slot::TemporaryStructTest => self.temporary_struct_test(a.r0()),
            _ => Err(NOT_IMPLEMENTED),
        }
    }
}
