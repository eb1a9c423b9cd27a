//! The kernel's side of the cloud for channels: what it owes the cloud, and what the cloud delivers.
//!
//! The device core (`mv-device`) owns the cloud link; the kernel owns the
//! channels and the app's buffers. After every call and every cloud message
//! the device core drains [`Kernel::next_net_event`] (which copies send-buffer
//! bytes into the device's buffer; a request is copied out with
//! [`Kernel::copy_request`]) and hands what the cloud sends to the methods
//! below. Each of them writes
//! only inside a buffer the app lent the channel (checked when it opened)
//! and inside notification rings; a message for a channel that is gone, or
//! no longer connected, changes nothing.

use mv_abi::{
    MvClosureReason, MvConfigFetchResult, MvConfigKeyFetchResult, MvEventType, MvHttpResult,
};

use crate::board::Board;
use crate::channels::config::{ConfigItem, ConfigResponse, MAX_KEYS};
use crate::channels::http::{HttpHead, Response, MAX_HEADERS};
use crate::channels::{Kind, NetEvent};
use crate::Kernel;

impl<B: Board> Kernel<B> {
    /// Might the cloud be owed something about a channel? When `false`,
    /// [`Self::next_net_event`] answers `None`: the caller need not set up
    /// its data buffer (every system call passes here).
    #[inline]
    pub fn net_events_pending(&self) -> bool {
        self.channels.may_owe()
    }

    /// The next thing the cloud must hear about a channel; `None` when
    /// nothing is owed. Send data goes into `data` (at most its length):
    /// a [`NetEvent::ChannelData`] says how much, and those bytes are
    /// already freed from the send buffer.
    pub fn next_net_event(&mut self, data: &mut [u8]) -> Option<NetEvent> {
        let room = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let event = self.channels.next_event(room)?;
        if let NetEvent::ChannelData { channel, len } = event {
            let n = self.take_channel_data(channel, &mut data[..len as usize]);
            return Some(NetEvent::ChannelData {
                channel,
                len: n as u32,
            });
        }
        Some(event)
    }

    /// Copies the oldest send-buffer bytes of `channel` into `out` (at most
    /// what is held and what the cloud has room for) and frees them;
    /// returns how many. A writer that found the buffer full hears
    /// `CHANNELDATAWRITESPACE` now.
    fn take_channel_data(&mut self, channel: u32, out: &mut [u8]) -> usize {
        let Some(c) = self.channels.get(channel).copied().filter(|c| c.is_open()) else {
            return 0;
        };
        let n = (out.len() as u32).min(c.tx_ring.len()).min(c.tx_credit);
        let mut done = 0usize;
        for (offset, len) in c.tx_ring.read_spans(n) {
            let dst = &mut out[done..done + len as usize];
            if self.board.read_ns(c.tx.addr() + offset, dst).is_err() {
                dst.fill(0);
            }
            done += len as usize;
        }
        let Some(c) = self.channels.get_mut(channel) else {
            return 0;
        };
        c.tx_ring.consume(n);
        c.tx_credit -= n;
        if n > 0 && core::mem::take(&mut c.write_blocked) {
            let (centre, tag) = (c.centre, c.tag);
            self.post_channel_event(centre, MvEventType::ChannelDataWriteSpace, tag);
        }
        n as usize
    }

    /// Copies the request waiting at the front of `channel`'s send buffer
    /// (as long as the [`NetEvent`] said) into `out`.
    pub fn copy_request(&mut self, channel: u32, out: &mut [u8]) -> bool {
        let Some(c) = self.channels.get(channel).copied() else {
            return false;
        };
        out.len() as u32 <= c.tx.len() && self.board.read_ns(c.tx.addr(), out).is_ok()
    }

    /// The cloud has room for `bytes` more of `channel`'s send data.
    pub fn cloud_channel_window(&mut self, channel: u32, bytes: u32) {
        if let Some(c) = self.channels.get_mut(channel).filter(|c| c.is_open()) {
            c.tx_credit = c.tx_credit.saturating_add(bytes);
        }
    }

    /// Bytes from the cloud for an opaque channel: as many as fit go into
    /// its receive buffer (the cloud sends no more than the room it was
    /// told of), and its centre hears `CHANNELDATAREADABLE`. Returns how
    /// many were taken.
    pub fn cloud_channel_data(&mut self, channel: u32, data: &[u8]) -> u32 {
        let Some(c) = self
            .channels
            .get(channel)
            .copied()
            .filter(|c| c.is_open() && matches!(c.kind, Kind::Opaque(_)))
        else {
            return 0;
        };
        let n = (data.len() as u32).min(c.rx_ring.free());
        let mut done = 0usize;
        for (offset, len) in c.rx_ring.write_spans(n) {
            let _ = self
                .board
                .write_ns(c.rx.addr() + offset, &data[done..done + len as usize]);
            done += len as usize;
        }
        if let Some(c) = self.channels.get_mut(channel) {
            c.rx_ring.commit_write(n);
        }
        if n > 0 {
            self.post_channel_event(c.centre, MvEventType::ChannelDataReadable, c.tag);
        }
        n
    }

    /// The cloud's end of `channel` closed (`reason`: `enum MvClosureReason`).
    pub fn cloud_channel_closed(&mut self, channel: u32, reason: u32) {
        let reason =
            MvClosureReason::try_from(reason).unwrap_or(MvClosureReason::UnexpectedlyTerminated);
        self.close_one_channel(channel, reason);
    }

    /// The head of an HTTP response: the cloud's result, the status code,
    /// the headers (`name: value` each) and the body's length. Laid out in
    /// the receive buffer, or `RESPONSETOOLARGE` if it does not fit. A
    /// response with no body is present at once.
    pub fn cloud_http_response<H: AsRef<[u8]>>(
        &mut self,
        channel: u32,
        result: u32,
        status_code: u32,
        headers: &[H],
        body_len: u32,
    ) {
        let Some(c) = self.channels.get(channel).copied().filter(|c| c.is_open()) else {
            return;
        };
        if !matches!(c.kind, Kind::Http(h) if h.sent && h.response == Response::Absent) {
            return;
        }
        let total: u64 =
            headers.iter().map(|h| h.as_ref().len() as u64).sum::<u64>() + u64::from(body_len);
        let head = if result != MvHttpResult::Ok as u32 {
            HttpHead::bare(
                MvHttpResult::try_from(result).unwrap_or(MvHttpResult::RequestFailed),
                status_code,
            )
        } else if headers.len() > MAX_HEADERS || total > u64::from(c.rx.len()) {
            HttpHead::bare(MvHttpResult::ResponseTooLarge, status_code)
        } else {
            let mut head = HttpHead::bare(MvHttpResult::Ok, status_code);
            let mut at = 0u32;
            for (slot, h) in head.headers.iter_mut().zip(headers) {
                let h = h.as_ref();
                let _ = self.board.write_ns(c.rx.addr() + at, h);
                *slot = (at, h.len() as u32);
                at += h.len() as u32;
            }
            head.num_headers = headers.len() as u32;
            head.body_offset = at;
            head.body_len = body_len;
            head
        };
        let response = if head.body_len == 0 {
            Response::Present(head)
        } else {
            Response::Arriving { head, received: 0 }
        };
        self.set_http_response(channel, response);
    }

    /// The next chunk of an HTTP response's body.
    pub fn cloud_http_body(&mut self, channel: u32, data: &[u8]) {
        let Some(c) = self.channels.get(channel).copied().filter(|c| c.is_open()) else {
            return;
        };
        let Kind::Http(h) = c.kind else { return };
        let Response::Arriving { head, received } = h.response else {
            return;
        };
        let n = (data.len() as u32).min(head.body_len - received);
        let _ = self.board.write_ns(
            c.rx.addr() + head.body_offset + received,
            &data[..n as usize],
        );
        let received = received + n;
        let response = if received == head.body_len {
            Response::Present(head)
        } else {
            Response::Arriving { head, received }
        };
        self.set_http_response(channel, response);
    }

    fn set_http_response(&mut self, channel: u32, response: Response) {
        let Some(c) = self.channels.get_mut(channel) else {
            return;
        };
        if let Kind::Http(h) = &mut c.kind {
            h.response = response;
        }
        if matches!(response, Response::Present(_)) {
            let (centre, tag) = (c.centre, c.tag);
            self.post_channel_event(centre, MvEventType::ChannelDataReadable, tag);
        }
    }

    /// A config fetch's response: the overall result and one `(result,
    /// value)` per key, in request order. Laid out in the receive buffer, or
    /// `RESPONSETOOLARGE` (no items) if it does not fit.
    pub fn cloud_config_response<V: AsRef<[u8]>>(
        &mut self,
        channel: u32,
        result: u32,
        items: &[(u32, V)],
    ) {
        let Some(c) = self.channels.get(channel).copied().filter(|c| c.is_open()) else {
            return;
        };
        if !matches!(c.kind, Kind::Config(s) if s.sent && s.response.is_none()) {
            return;
        }
        let total: u64 = items.iter().map(|(_, v)| v.as_ref().len() as u64).sum();
        let mut response = ConfigResponse {
            result,
            num_items: 0,
            items: [ConfigItem::default(); MAX_KEYS],
        };
        if MvConfigFetchResult::try_from(result).is_err() {
            response.result = MvConfigFetchResult::ResponseTooLarge as u32;
        } else if result == MvConfigFetchResult::Ok as u32 {
            if items.len() > MAX_KEYS || total > u64::from(c.rx.len()) {
                response.result = MvConfigFetchResult::ResponseTooLarge as u32;
            } else {
                let mut at = 0u32;
                for (slot, (item_result, value)) in response.items.iter_mut().zip(items) {
                    let value = value.as_ref();
                    let ok = *item_result == MvConfigKeyFetchResult::Ok as u32;
                    let len = if ok { value.len() as u32 } else { 0 };
                    let _ = self
                        .board
                        .write_ns(c.rx.addr() + at, &value[..len as usize]);
                    *slot = ConfigItem {
                        result: *item_result,
                        offset: at,
                        len,
                    };
                    at += len;
                }
                response.num_items = items.len() as u32;
            }
        }
        let Some(c) = self.channels.get_mut(channel) else {
            return;
        };
        if let Kind::Config(s) = &mut c.kind {
            s.response = Some(response);
        }
        let (centre, tag) = (c.centre, c.tag);
        self.post_channel_event(centre, MvEventType::ChannelDataReadable, tag);
    }
}
