//! Network figures: HTTP GET round trips through the emulated cloud to the real lab server, and echo-channel throughput.
//!
//! Both run the app's side with agent primitives on any rig session, so the
//! sim and QEMU are measured the same way. An HTTP round trip is timed from
//! `mvSendHttpRequest` to the last body byte read back (the request, the
//! cloud's real HTTP exchange with the loopback server, the response over the
//! cloud link, `mvReadHttpResponseData` and `mvReadHttpResponseBody`). Opening
//! and closing the channel are outside the timing: a channel carries one
//! request, and the ABI allows eight opens a second ("called too often
//! (limit is 8). Wait one second then retry"), so the bench waits 125 ms of
//! the device's clock before each open (virtual on the sim, real on QEMU).

use std::time::{Duration, Instant};

use hil_cases::{NetAction, Route};
use hil_rig::{RigError, RigSession};
use mv_abi::{MvHttpRequest, MvSizedString, Slot};
use mv_proto::Primitive;

use super::Figure;
use crate::app::App;

/// The body of the benchmark's GET.
pub const BODY: usize = 1024;
/// Device time between two opens: eight a second, the ABI's limit.
const OPEN_SPACING_US: u32 = 125_000;

/// [`http_round_trips`] on a fresh sim device.
pub fn sim_http_round_trips(n: u32) -> Result<Figure, RigError> {
    let mut sim = hil_rig::SimSession::new("sim", hil_sim::SimConfig::default());
    let mut figure = http_round_trips(&mut sim, n)?;
    figure.name = format!("sim: {}", figure.name);
    Ok(figure)
}

/// HTTP GET round trips per second with a [`BODY`]-byte body, over `n`
/// requests (each on its own channel).
pub fn http_round_trips(s: &mut dyn RigSession, n: u32) -> Result<Figure, RigError> {
    s.reset()?;
    s.network(&NetAction::Routes(vec![Route {
        method: Some("GET".into()),
        path: "/kib".into(),
        status: 200,
        headers: Vec::new(),
        body: vec![b'k'; BODY],
        delay_ms: 0,
        drop_link_after: None,
    }]))?;
    let mut app = App { s };
    let net = app.network()?;
    let open = app.open_params(net, mv_abi::MvChannelType::Http as u32, b"", 2048, 512)?;
    let text = app.bytes(b"GEThttps://lab.test/kib")?;
    let request = app.put(&MvHttpRequest {
        method: MvSizedString {
            data: text,
            length: 3,
        },
        url: MvSizedString {
            data: text + 3,
            length: 20,
        },
        num_headers: 0,
        headers: 0,
        body: MvSizedString { data: 0, length: 0 },
        timeout_ms: 10_000,
    })?;
    let (ch, response, body) = (
        app.alloc(4, 4)?,
        app.alloc(16, 4)?,
        app.alloc(BODY as u32, 4)?,
    );
    let mut timed = Duration::ZERO;
    for _ in 0..n {
        app.s.exec(vec![Primitive::DelayUs(OPEN_SPACING_US)])?;
        app.calls(&[(Slot::OpenChannel, [open, ch, 0, 0])])?;
        let handle = app.read_u32(ch)?;
        let started = Instant::now();
        app.calls(&[(Slot::SendHttpRequest, [handle, request, 0, 0])])?;
        app.s.serve_network()?;
        app.calls(&[
            (Slot::ReadHttpResponseData, [handle, response, 0, 0]),
            (Slot::ReadHttpResponseBody, [handle, 0, body, BODY as u32]),
        ])?;
        timed += started.elapsed();
        let status = app.read_u32(response + 4)?;
        let length = app.read_u32(response + 12)?;
        if (status, length) != (200, BODY as u32) {
            return Err(RigError::Link(format!(
                "the bench's GET came back {status} with {length} body bytes"
            )));
        }
        app.calls(&[(Slot::CloseChannel, [ch, 0, 0, 0])])?;
        app.s.serve_network()?;
    }
    Ok(Figure {
        name: format!("HTTP GET round trips/s ({BODY} B body, {n} requests)"),
        value: f64::from(n) / timed.as_secs_f64(),
        unit: "GET/s",
        target: None,
    })
}

/// Bytes per second through an `echo` channel: the app writes `chunk`
/// bytes, the cloud sends them back, the app reads and frees them; each
/// byte crosses the cloud link twice.
pub fn echo_throughput(
    s: &mut dyn RigSession,
    rounds: u32,
    chunk: u32,
) -> Result<Figure, RigError> {
    s.reset()?;
    let mut app = App { s };
    let net = app.network()?;
    let open = app.open_params(
        net,
        mv_abi::MvChannelType::OpaqueBytes as u32,
        b"echo",
        chunk,
        chunk,
    )?;
    let (ch, out, len) = (app.alloc(4, 4)?, app.alloc(4, 4)?, app.alloc(4, 4)?);
    let data = app.bytes(&vec![0x5A; chunk as usize])?;
    app.calls(&[(Slot::OpenChannel, [open, ch, 0, 0])])?;
    let handle = app.read_u32(ch)?;
    app.s.serve_network()?;
    let started = Instant::now();
    let mut moved = 0u64;
    for _ in 0..rounds {
        app.calls(&[(Slot::WriteChannel, [handle, data, chunk, out])])?;
        let mut back = 0;
        // The echo holds 256 bytes: the rest follows as the app frees room.
        while back < chunk {
            app.s.serve_network()?;
            app.calls(&[(Slot::ReadChannel, [handle, out, len, 0])])?;
            let n = app.read_u32(len)?;
            if n == 0 {
                return Err(RigError::Link("the echo stopped sending back".into()));
            }
            app.calls(&[(Slot::ReadChannelComplete, [handle, n, 0, 0])])?;
            back += n;
        }
        moved += u64::from(chunk);
    }
    Ok(Figure {
        name: format!("echo channel, app to cloud and back ({chunk} B writes, {rounds} rounds)"),
        value: moved as f64 / started.elapsed().as_secs_f64(),
        unit: "B/s",
        target: None,
    })
}
