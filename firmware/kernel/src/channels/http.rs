//! An HTTP channel's request and response, as the kernel keeps them.
//!
//! One request per channel ("`REQUESTALREADYSENT` The request has already
//! been sent either successfully or not" [H]). The response arrives from
//! the cloud as a head (result, status, headers, body length) and then body
//! chunks; the kernel lays it out in the app's receive buffer — every header
//! as `name: value`, one after the other, then the body — and keeps where
//! each piece is in secure memory, so an app that scribbles on its buffer
//! garbles only its own text. It is *present* (readable, and
//! `CHANNELDATAREADABLE` posted) once the whole body is in.

use mv_abi::MvHttpResult;

/// "Too many headers (>32) are attached to request" [H]; the same bound
/// holds the headers of a response (**Choice**: more is `RESPONSETOOLARGE`).
pub const MAX_HEADERS: usize = 32;

/// What a response is, wherever it lies in the receive buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpHead {
    /// `enum MvHttpResult` as the cloud reported it (or `RESPONSETOOLARGE`).
    pub result: u32,
    pub status_code: u32,
    pub num_headers: u32,
    /// `(offset, len)` of each header in the receive buffer.
    pub headers: [(u32, u32); MAX_HEADERS],
    pub body_offset: u32,
    pub body_len: u32,
}

impl HttpHead {
    /// A response with nothing to read but its result and status.
    pub const fn bare(result: MvHttpResult, status_code: u32) -> Self {
        HttpHead {
            result: result as u32,
            status_code,
            num_headers: 0,
            headers: [(0, 0); MAX_HEADERS],
            body_offset: 0,
            body_len: 0,
        }
    }
}

/// Where the response is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Response {
    /// Nothing has arrived.
    Absent,
    /// The head is in; `received` body bytes of `head.body_len` so far.
    Arriving { head: HttpHead, received: u32 },
    /// All of it is in the receive buffer.
    Present(HttpHead),
}

/// An HTTP channel's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpState {
    /// A request was made (successfully or not): no second one.
    pub sent: bool,
    pub response: Response,
}

impl HttpState {
    pub const fn new() -> Self {
        HttpState {
            sent: false,
            response: Response::Absent,
        }
    }

    /// The response, once all of it is in.
    pub fn present(&self) -> Option<&HttpHead> {
        match &self.response {
            Response::Present(head) => Some(head),
            _ => None,
        }
    }
}

impl Default for HttpState {
    fn default() -> Self {
        Self::new()
    }
}
