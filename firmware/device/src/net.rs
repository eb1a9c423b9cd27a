//! Channels on the cloud link, device side: what the kernel owes the cloud goes out, what the cloud sends goes in.
//!
//! The kernel keeps the channels and the app's buffers; this module only
//! moves messages. After every system call and every cloud message the
//! device drains the kernel's [`NetEvent`]s into `DeviceToCloud` messages
//! ([`Device::drain_net`]); the channel messages of `CloudToDevice` are
//! handed to the kernel's `cloud_*` methods ([`Device::on_cloud_net`]).
//! The same code runs on the sim and on every board.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use mv_flash::Flash;
use mv_kernel::board::Board;
use mv_kernel::channels::{wire, NetEvent, MAX_DATA_CHUNK};
use mv_proto::{CloudToDevice, ConfigKey, DeviceToCloud, HttpRequest};

use crate::{Device, Uplink};

/// At most this many messages go out per drain: the kernel owes a bounded
/// amount (four channels, each at most its send buffer), so a drain that
/// hits the bound is a kernel bug, not an app's doing.
const MAX_EVENTS_PER_DRAIN: usize = 256;

impl<B: Board + Uplink, F: Flash> Device<B, F> {
    /// Sends the cloud everything the kernel owes it about channels.
    pub(crate) fn drain_net(&mut self) {
        // Every system call ends here: with nothing owed (the common case)
        // skip zeroing the chunk buffer, a kilobyte per call.
        if !self.kernel.net_events_pending() {
            return;
        }
        let mut data = [0u8; MAX_DATA_CHUNK as usize];
        for _ in 0..MAX_EVENTS_PER_DRAIN {
            let Some(event) = self.kernel.next_net_event(&mut data) else {
                return;
            };
            if let Some(message) = self.net_message(event, &data) {
                self.kernel.board_mut().send(message);
            }
        }
    }

    fn net_message(&mut self, event: NetEvent, data: &[u8]) -> Option<DeviceToCloud> {
        Some(match event {
            NetEvent::ChannelOpened {
                channel,
                endpoint,
                rx_window,
            } => DeviceToCloud::ChannelOpened {
                channel,
                endpoint: String::from(endpoint.name()),
                rx_window,
            },
            NetEvent::ChannelData { channel, len } => DeviceToCloud::ChannelData {
                channel,
                data: data[..len as usize].to_vec(),
            },
            NetEvent::ChannelRead { channel, bytes } => {
                DeviceToCloud::ChannelRead { channel, bytes }
            }
            NetEvent::HttpRequest { channel, len } => {
                let bytes = self.request_bytes(channel, len)?;
                let request = match wire::parse_http(&bytes) {
                    Some(v) => HttpRequest {
                        method: v.method.to_vec(),
                        url: v.url.to_vec(),
                        headers: v.headers.map(<[u8]>::to_vec).collect(),
                        body: v.body.to_vec(),
                        timeout_ms: v.timeout_ms,
                    },
                    // The kernel wrote it and nothing ran since: unreachable
                    // unless the kernel is wrong; the cloud then answers
                    // the empty request with a failure.
                    None => HttpRequest {
                        method: Vec::new(),
                        url: Vec::new(),
                        headers: Vec::new(),
                        body: Vec::new(),
                        timeout_ms: 0,
                    },
                };
                DeviceToCloud::HttpRequest { channel, request }
            }
            NetEvent::ConfigFetch { channel, len } => {
                let bytes = self.request_bytes(channel, len)?;
                let keys = wire::parse_config(&bytes)
                    .map(|keys| {
                        keys.map(|k| ConfigKey {
                            scope: k.scope,
                            store: k.store,
                            key: k.key.to_vec(),
                        })
                        .collect()
                    })
                    .unwrap_or_default();
                DeviceToCloud::ConfigFetch { channel, keys }
            }
            NetEvent::ChannelGone { channel } => DeviceToCloud::ChannelGone { channel },
        })
    }

    fn request_bytes(&mut self, channel: u32, len: u32) -> Option<Vec<u8>> {
        let mut bytes = vec![0u8; len as usize];
        self.kernel
            .copy_request(channel, &mut bytes)
            .then_some(bytes)
    }

    /// Applies a channel message from the cloud; `false` if `message` is
    /// not one (the caller handles it).
    pub(crate) fn on_cloud_net(&mut self, message: &CloudToDevice) -> bool {
        match message {
            CloudToDevice::ChannelWindow { channel, bytes } => {
                self.kernel.cloud_channel_window(*channel, *bytes);
            }
            CloudToDevice::ChannelData { channel, data } => {
                self.kernel.cloud_channel_data(*channel, data);
            }
            CloudToDevice::ChannelClosed { channel, reason } => {
                self.kernel.cloud_channel_closed(*channel, *reason);
            }
            CloudToDevice::HttpResponse {
                channel,
                result,
                status_code,
                headers,
                body_len,
            } => {
                self.kernel.cloud_http_response(
                    *channel,
                    *result,
                    *status_code,
                    headers,
                    *body_len,
                );
            }
            CloudToDevice::HttpBody { channel, data } => {
                self.kernel.cloud_http_body(*channel, data);
            }
            CloudToDevice::ConfigResponse {
                channel,
                result,
                items,
            } => {
                let items: Vec<(u32, &[u8])> = items
                    .iter()
                    .map(|i| (i.result, i.value.as_slice()))
                    .collect();
                self.kernel.cloud_config_response(*channel, *result, &items);
            }
            _ => return false,
        }
        true
    }
}
