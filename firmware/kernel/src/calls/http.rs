//! `mvSendHttpRequest`, `mvReadHttpResponseData`, `mvReadHttpResponseHeader`, `mvReadHttpResponseBody`.

use mv_abi::{AbiStruct, MvHttpHeader, MvHttpRequest, MvHttpResponseData, MvSizedString, MvStatus};

use crate::board::{Access, Board};
use crate::channels::http::{HttpHead, MAX_HEADERS};
use crate::channels::{wire, Kind};
use crate::usermem::{copy_within_ns, read_struct, write_at, NsRange};
use crate::Kernel;

use super::channels::Want;

/// Writes the request into the send buffer, front to back.
pub(crate) struct SendWriter {
    pub(crate) base: u32,
    pub(crate) at: u32,
}

impl SendWriter {
    pub(crate) fn u32<B: Board>(&mut self, board: &mut B, v: u32) -> Result<(), MvStatus> {
        board
            .write_ns(self.base + self.at, &v.to_le_bytes())
            .map_err(|_| MvStatus::LateFault)?;
        self.at += 4;
        Ok(())
    }

    /// A length and then the bytes of a checked app range.
    pub(crate) fn bytes<B: Board>(&mut self, board: &mut B, from: NsRange) -> Result<(), MvStatus> {
        self.u32(board, from.len())?;
        copy_within_ns(board, from.addr(), self.base + self.at, from.len())
            .map_err(|_| MvStatus::LateFault)?;
        self.at += from.len();
        Ok(())
    }
}

/// Claims a sized string's bytes for reading.
pub(crate) fn claim_string<B: Board>(board: &B, s: &MvSizedString) -> Result<NsRange, MvStatus> {
    NsRange::claim(board, s.data, s.length, 1, Access::Read)
}

impl<B: Board> Kernel<B> {
    fn http_channel_mut(&mut self, handle: u32) -> Option<&mut crate::channels::http::HttpState> {
        match &mut self.channels.get_mut(handle)?.kind {
            Kind::Http(h) => Some(h),
            _ => None,
        }
    }

    pub(crate) fn send_http_request(&mut self, handle: u32, request: u32) -> Result<(), MvStatus> {
        let c = *self.channel(handle, Want::Http)?;
        let request =
            NsRange::claim_struct::<MvHttpRequest, _>(&self.board, request, Access::Read)?;
        let req: MvHttpRequest =
            read_struct(&mut self.board, &request).map_err(|_| MvStatus::ParameterFault)?;
        if !c.is_open() {
            return Err(MvStatus::ChannelClosed);
        }
        if matches!(c.kind, Kind::Http(h) if h.sent) {
            return Err(MvStatus::RequestAlreadySent);
        }
        if req.num_headers as usize > MAX_HEADERS {
            return Err(MvStatus::TooManyElements);
        }
        // "LATEFAULT Some of `request`'s nested pointers are illegal. The
        // stream is not usable after that" [H]: every nested claim is
        // checked before anything is written, and a refused one uses up the
        // channel's one request.
        let nested = self.http_nested(&req);
        let (method, url, headers, body) = match nested {
            Ok(parts) => parts,
            Err(status) => {
                if let Some(h) = self.http_channel_mut(handle) {
                    h.sent = true;
                }
                return Err(status);
            }
        };
        let headers = &headers[..req.num_headers as usize];
        let size = wire::http_len(
            method.len(),
            url.len(),
            headers.iter().map(NsRange::len),
            body.len(),
        );
        if size > u64::from(c.tx.len()) {
            return Err(MvStatus::InvalidBufferSize);
        }
        if let Some(h) = self.http_channel_mut(handle) {
            h.sent = true;
        }
        let mut w = SendWriter {
            base: c.tx.addr(),
            at: 0,
        };
        let written = (|| {
            w.u32(&mut self.board, req.timeout_ms)?;
            w.bytes(&mut self.board, method)?;
            w.bytes(&mut self.board, url)?;
            w.u32(&mut self.board, headers.len() as u32)?;
            for &h in headers {
                w.bytes(&mut self.board, h)?;
            }
            w.bytes(&mut self.board, body)
        })();
        written?;
        if let Some(c) = self.channels.get_mut(handle) {
            c.request = Some(size as u32);
        }
        Ok(())
    }

    /// Claims every nested range of a request: method, URL, the header
    /// array and each header's bytes, the body. Any refusal is `LATEFAULT`.
    #[allow(clippy::type_complexity)]
    fn http_nested(
        &mut self,
        req: &MvHttpRequest,
    ) -> Result<(NsRange, NsRange, [NsRange; MAX_HEADERS], NsRange), MvStatus> {
        let late = |_| MvStatus::LateFault;
        let method = claim_string(&self.board, &req.method).map_err(late)?;
        let url = claim_string(&self.board, &req.url).map_err(late)?;
        let array = NsRange::claim(
            &self.board,
            req.headers,
            req.num_headers * MvHttpHeader::SIZE as u32,
            MvHttpHeader::LAYOUT.align as u32,
            Access::Read,
        )
        .map_err(late)?;
        let mut headers = [NsRange::EMPTY; MAX_HEADERS];
        for (i, slot) in headers
            .iter_mut()
            .enumerate()
            .take(req.num_headers as usize)
        {
            let mut bytes = [0u8; MvHttpHeader::SIZE];
            self.board
                .read_ns(array.addr() + (i * MvHttpHeader::SIZE) as u32, &mut bytes)
                .map_err(|_| MvStatus::LateFault)?;
            let h = MvHttpHeader::decode(&bytes);
            *slot = NsRange::claim(&self.board, h.data, h.length, 1, Access::Read).map_err(late)?;
        }
        let body = claim_string(&self.board, &req.body).map_err(late)?;
        Ok((method, url, headers, body))
    }

    /// The channel's complete response, after the checks every read makes:
    /// the channel is open, and the response is all there.
    fn http_response(&self, handle: u32) -> Result<(HttpHead, crate::channels::Channel), MvStatus> {
        let c = *self.channel(handle, Want::Http)?;
        if !c.is_open() {
            return Err(MvStatus::ChannelClosed);
        }
        match &c.kind {
            Kind::Http(h) => h
                .present()
                .map(|head| (*head, c))
                .ok_or(MvStatus::ResponseNotPresent),
            _ => Err(MvStatus::InvalidHandle),
        }
    }

    pub(crate) fn read_http_response_data(
        &mut self,
        handle: u32,
        out: u32,
    ) -> Result<(), MvStatus> {
        self.channel(handle, Want::Http)?;
        let out =
            NsRange::claim_struct::<MvHttpResponseData, _>(&self.board, out, Access::ReadWrite)?;
        let (head, _) = self.http_response(handle)?;
        let data = MvHttpResponseData {
            result: head.result,
            status_code: head.status_code,
            num_headers: head.num_headers,
            body_length: head.body_len,
        };
        let mut bytes = [0u8; MvHttpResponseData::SIZE];
        data.encode(&mut bytes);
        write_at(&mut self.board, &out, 0, &bytes).map_err(|_| MvStatus::ParameterFault)
    }

    pub(crate) fn read_http_response_header(
        &mut self,
        handle: u32,
        index: u32,
        buf: u32,
        size: u32,
    ) -> Result<(), MvStatus> {
        self.channel(handle, Want::Http)?;
        let out = NsRange::claim(&self.board, buf, size, 1, Access::ReadWrite)?;
        let (head, c) = self.http_response(handle)?;
        if index >= head.num_headers {
            return Err(MvStatus::IndexInvalid);
        }
        let (offset, len) = head.headers[index as usize];
        copy_out(&mut self.board, c.rx.addr() + offset, out, len.min(size))
    }

    pub(crate) fn read_http_response_body(
        &mut self,
        handle: u32,
        offset: u32,
        buf: u32,
        size: u32,
    ) -> Result<(), MvStatus> {
        self.channel(handle, Want::Http)?;
        let out = NsRange::claim(&self.board, buf, size, 1, Access::ReadWrite)?;
        let (head, c) = self.http_response(handle)?;
        if offset > head.body_len {
            return Err(MvStatus::OffsetInvalid);
        }
        let n = (head.body_len - offset).min(size);
        copy_out(
            &mut self.board,
            c.rx.addr() + head.body_offset + offset,
            out,
            n,
        )
    }
}

/// Copies `n` bytes of the receive buffer to the front of `out`; "the
/// remainder are left alone" [H]. A fault before anything changed is
/// `PARAMETERFAULT`, after is `LATEFAULT`.
pub(crate) fn copy_out<B: Board>(
    board: &mut B,
    from: u32,
    out: NsRange,
    n: u32,
) -> Result<(), MvStatus> {
    copy_within_ns(board, from, out.addr(), n).map_err(|f| {
        if f.written == 0 {
            MvStatus::ParameterFault
        } else {
            MvStatus::LateFault
        }
    })
}
