//! Channels: the app's data paths through the cloud, and the buffers it lends them.
//!
//! A channel (`mvOpenChannel`) carries opaque bytes to an endpoint the cloud
//! offers, one HTTP request and its response, one config fetch, or an MQTT
//! session. The app
//! lends it a receive and a send buffer; the kernel keeps each buffer's
//! geometry ([`ring::ByteRing`]) and everything it knows about a response
//! in secure memory, and copies through the board. "The limit of four
//! simultaneously in use channels" and "called too often (limit is 8). Wait
//! one second then retry" [H] are enforced here.
//!
//! Towards the cloud the kernel only keeps *what is owed*: a channel to
//! announce, send bytes the cloud has room for, a request to forward, room
//! freed in a receive buffer, a channel gone. The device core asks for these
//! as [`NetEvent`]s after every call and every cloud message
//! (`Kernel::next_net_event`) and turns them into cloud messages.

pub mod config;
pub mod http;
pub mod mqtt;
pub mod ring;
pub mod wire;

use mv_abi::MvClosureReason;

use crate::usermem::NsRange;
use config::ConfigState;
use http::HttpState;
use mqtt::MqttState;
use ring::ByteRing;

/// "The limit of four simultaneously in use channels" [H].
pub const MAX_CHANNELS: usize = 4;
/// "called too often (limit is 8). Wait one second then retry" [H].
pub const OPENS_PER_WINDOW: usize = 8;
pub const OPEN_WINDOW_US: u64 = 1_000_000;
/// Send buffers: 512-aligned, a non-zero multiple of 512 bytes (**Choice**:
/// every public demo's send buffer is `aligned(512)` and a multiple of 512).
pub const SEND_BUFFER_ALIGN: u32 = 512;
pub const SEND_BUFFER_GRANULE: u32 = 512;
/// Receive buffers: any alignment, a non-zero multiple of 16 bytes
/// (**Choice**: fits every public demo, the 16-byte buffer of the 2022 log
/// channel included).
pub const RECEIVE_BUFFER_GRANULE: u32 = 16;
/// The longest endpoint name the kernel reads; a longer one is unknown.
pub const MAX_ENDPOINT_LEN: u32 = 32;
/// Most bytes one [`NetEvent::ChannelData`] carries.
pub const MAX_DATA_CHUNK: u32 = 1024;

/// The `OPAQUEBYTES` endpoints the lab's cloud offers (**Choice**,
/// `firmware/ABI.md` §11): the public SDK names none but the retired `log`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// Every byte sent comes back.
    Echo,
    /// Bytes go to a TCP server behind the cloud, and its bytes come back.
    Relay,
}

impl Endpoint {
    pub const ALL: [Endpoint; 2] = [Endpoint::Echo, Endpoint::Relay];

    pub const fn name(self) -> &'static str {
        match self {
            Endpoint::Echo => "echo",
            Endpoint::Relay => "relay",
        }
    }

    pub fn from_name(name: &[u8]) -> Option<Endpoint> {
        Endpoint::ALL
            .into_iter()
            .find(|e| e.name().as_bytes() == name)
    }
}

/// What a channel carries.
// The kernel has no heap: each of the four channel slots holds whichever
// kind it opens as, so the largest (an MQTT channel's item queue) sizes
// them all; boxing it would need the allocator the kernel does without.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Opaque(Endpoint),
    Http(HttpState),
    Config(ConfigState),
    Mqtt(MqttState),
}

/// One open (or server-closed, not yet app-closed) channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel {
    pub handle: u32,
    pub centre: u32,
    pub tag: u32,
    pub rx: NsRange,
    pub tx: NsRange,
    pub kind: Kind,
    /// Why the channel is no longer connected; `None` while it is.
    pub closed: Option<MvClosureReason>,
    /// Received bytes not yet consumed (opaque channels).
    pub rx_ring: ByteRing,
    /// Bytes written and not yet taken by the cloud (opaque channels).
    pub tx_ring: ByteRing,
    /// Bytes the cloud has room for.
    pub tx_credit: u32,
    /// A write did not fit: `CHANNELDATAWRITESPACE` is owed once room frees.
    pub write_blocked: bool,
    /// Receive-buffer bytes the app freed that the cloud was not told of.
    pub rx_grant: u32,
    /// The cloud was not told about this (opaque) channel yet.
    pub announce: bool,
    /// A request of this many bytes waits at the start of the send buffer.
    pub request: Option<u32>,
    /// The cloud knows the channel: it must hear when it goes.
    pub cloud_knows: bool,
}

impl Channel {
    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }
}

/// Something the cloud must hear about a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetEvent {
    /// An `OPAQUEBYTES` channel to `endpoint` opened; the cloud may send up
    /// to `rx_window` bytes.
    ChannelOpened {
        channel: u32,
        endpoint: Endpoint,
        rx_window: u32,
    },
    /// `len` bytes of the send buffer went out: `Kernel::next_net_event`
    /// copied them into the caller's buffer and freed them.
    ChannelData { channel: u32, len: u32 },
    /// The app consumed `bytes` of the receive buffer: room for that many more.
    ChannelRead { channel: u32, bytes: u32 },
    /// An HTTP request of `len` bytes (`Kernel::copy_request`).
    HttpRequest { channel: u32, len: u32 },
    /// A config fetch of `len` bytes (`Kernel::copy_request`).
    ConfigFetch { channel: u32, len: u32 },
    /// The channel is gone (the app closed it, or the app restarted).
    ChannelGone { channel: u32 },
    /// An MQTT request of `len` bytes (`Kernel::copy_request`).
    MqttRequest { channel: u32, len: u32 },
    /// The app read an MQTT item after a delivery was refused for want of
    /// room: the cloud may deliver again.
    MqttRoom { channel: u32 },
}

/// Channels gone whose end the cloud still holds, until the device drains them.
const GONE_CAPACITY: usize = 2 * MAX_CHANNELS;

/// The sliding window of successful opens.
#[derive(Clone, Copy, Debug)]
struct OpenTimes {
    at: [u64; OPENS_PER_WINDOW],
    count: usize,
    next: usize,
}

impl OpenTimes {
    const fn new() -> Self {
        OpenTimes {
            at: [0; OPENS_PER_WINDOW],
            count: 0,
            next: 0,
        }
    }

    /// Eight opens already happened within the last second.
    fn limited(&self, now: u64) -> bool {
        // With eight recorded, `next` is the oldest of them.
        self.count == OPENS_PER_WINDOW && now.saturating_sub(self.at[self.next]) < OPEN_WINDOW_US
    }

    fn record(&mut self, now: u64) {
        self.at[self.next] = now;
        self.next = (self.next + 1) % OPENS_PER_WINDOW;
        self.count = (self.count + 1).min(OPENS_PER_WINDOW);
    }
}

/// The running app's channels, and what the cloud is owed about them.
#[derive(Clone, Debug)]
pub struct Channels {
    slots: [Option<Channel>; MAX_CHANNELS],
    opens: OpenTimes,
    gone: [u32; GONE_CAPACITY],
    gone_len: usize,
    /// Something may be owed to the cloud (saves a scan after most calls).
    dirty: bool,
}

impl Default for Channels {
    fn default() -> Self {
        Self::new()
    }
}

impl Channels {
    pub const fn new() -> Self {
        Channels {
            slots: [None; MAX_CHANNELS],
            opens: OpenTimes::new(),
            gone: [0; GONE_CAPACITY],
            gone_len: 0,
            dirty: false,
        }
    }

    /// The app restarted: its channels are gone (the cloud hears of those it
    /// knew), and so is its record of opens.
    pub fn reset_app(&mut self) {
        for i in 0..MAX_CHANNELS {
            if let Some(c) = self.slots[i].take() {
                self.note_gone(&c);
            }
        }
        self.opens = OpenTimes::new();
    }

    pub fn is_full(&self) -> bool {
        self.slots.iter().all(Option::is_some)
    }

    pub fn rate_limited(&self, now: u64) -> bool {
        self.opens.limited(now)
    }

    /// Adds a channel opened at `now` (the caller checked there is room).
    pub fn insert(&mut self, channel: Channel, now: u64) {
        if let Some(slot) = self.slots.iter_mut().find(|s| s.is_none()) {
            *slot = Some(channel);
            self.opens.record(now);
            self.dirty = true;
        }
    }

    pub fn get(&self, handle: u32) -> Option<&Channel> {
        self.iter().find(|c| c.handle == handle && handle != 0)
    }

    pub fn get_mut(&mut self, handle: u32) -> Option<&mut Channel> {
        self.dirty = true;
        self.slots
            .iter_mut()
            .flatten()
            .find(|c| c.handle == handle && handle != 0)
    }

    /// The app closed the channel.
    pub fn remove(&mut self, handle: u32) -> bool {
        let Some(i) = self
            .slots
            .iter()
            .position(|s| matches!(s, Some(c) if c.handle == handle && handle != 0))
        else {
            return false;
        };
        if let Some(c) = self.slots[i].take() {
            self.note_gone(&c);
        }
        true
    }

    fn note_gone(&mut self, c: &Channel) {
        if c.cloud_knows && self.gone_len < GONE_CAPACITY {
            self.gone[self.gone_len] = c.handle;
            self.gone_len += 1;
            self.dirty = true;
        }
    }

    /// Channels in slot order (the order notifications go out).
    pub fn iter(&self) -> impl Iterator<Item = &Channel> {
        self.slots.iter().flatten()
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut Channel> {
        self.dirty = true;
        self.slots.iter_mut().flatten()
    }

    pub fn handle_in_use(&self, handle: u32) -> bool {
        self.iter().any(|c| c.handle == handle)
    }

    /// Does any channel buffer share a byte with `[addr, addr + len)`?
    pub fn overlaps(&self, addr: u32, len: u32) -> bool {
        self.iter()
            .any(|c| c.rx.overlaps(addr, len) || c.tx.overlaps(addr, len))
    }

    /// May the cloud be owed something? `false` means [`Self::next_event`]
    /// would answer `None` (a channel changed since it last did).
    #[inline]
    pub fn may_owe(&self) -> bool {
        self.dirty
    }

    /// The next thing the cloud is owed, marking it as told (send data:
    /// up to `room` bytes, which the caller must then take). `None` when
    /// nothing is (and then nothing is until a channel changes again).
    pub fn next_event(&mut self, room: u32) -> Option<NetEvent> {
        if !self.dirty {
            return None;
        }
        if self.gone_len > 0 {
            let channel = self.gone[0];
            self.gone.copy_within(1..self.gone_len, 0);
            self.gone_len -= 1;
            return Some(NetEvent::ChannelGone { channel });
        }
        for c in self.slots.iter_mut().flatten() {
            if let Some(event) = owed(c, room) {
                return Some(event);
            }
        }
        self.dirty = false;
        None
    }
}

/// What one channel owes the cloud, marked as told (data is marked when
/// the kernel takes it, right after).
fn owed(c: &mut Channel, room: u32) -> Option<NetEvent> {
    let channel = c.handle;
    if !c.is_open() {
        return None;
    }
    if c.announce {
        c.announce = false;
        c.cloud_knows = true;
        if let Kind::Opaque(endpoint) = c.kind {
            return Some(NetEvent::ChannelOpened {
                channel,
                endpoint,
                rx_window: c.rx.len(),
            });
        }
    }
    if let Some(len) = c.request.take() {
        c.cloud_knows = true;
        return Some(match c.kind {
            Kind::Config(_) => NetEvent::ConfigFetch { channel, len },
            Kind::Mqtt(_) => NetEvent::MqttRequest { channel, len },
            _ => NetEvent::HttpRequest { channel, len },
        });
    }
    if let Kind::Mqtt(m) = &mut c.kind {
        if core::mem::take(&mut m.room_owed) {
            return Some(NetEvent::MqttRoom { channel });
        }
    }
    if c.rx_grant > 0 {
        let bytes = core::mem::take(&mut c.rx_grant);
        return Some(NetEvent::ChannelRead { channel, bytes });
    }
    let len = c
        .tx_ring
        .len()
        .min(c.tx_credit)
        .min(MAX_DATA_CHUNK)
        .min(room);
    (len > 0).then_some(NetEvent::ChannelData { channel, len })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ninth_open_within_a_second_is_limited() {
        let mut t = OpenTimes::new();
        for i in 0..8 {
            assert!(!t.limited(i * 10));
            t.record(i * 10);
        }
        assert!(t.limited(100));
        assert!(t.limited(OPEN_WINDOW_US - 1));
        assert!(!t.limited(OPEN_WINDOW_US), "the first open left the window");
        t.record(OPEN_WINDOW_US);
        assert!(t.limited(OPEN_WINDOW_US + 5), "the second is still in it");
        assert!(!t.limited(OPEN_WINDOW_US + 10));
    }

    #[test]
    fn endpoints_are_known_by_exact_name() {
        assert_eq!(Endpoint::from_name(b"echo"), Some(Endpoint::Echo));
        assert_eq!(Endpoint::from_name(b"relay"), Some(Endpoint::Relay));
        assert_eq!(Endpoint::from_name(b"Echo"), None);
        assert_eq!(Endpoint::from_name(b""), None);
    }
}
