//! The `relay` endpoint: a real TCP connection from the cloud to the lab's TCP server on loopback.
//!
//! [`RelayTarget`] is the server a case talks through: it accepts
//! connections, keeps every byte each one received, and sends or closes
//! when a case says so. [`RelayConn`] is the cloud's end of one channel's
//! connection. Both count bytes, so the cloud can wait for exactly the
//! bytes a case made the server send (loopback TCP is fast, but it is not
//! synchronous) instead of sleeping and hoping.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long the cloud waits for bytes it knows are on their way.
pub(crate) const SETTLE: Duration = Duration::from_secs(5);

/// One accepted connection, server side.
#[derive(Default)]
struct ServerConn {
    stream: Option<TcpStream>,
    /// Bytes received and not yet taken by a case.
    received: Vec<u8>,
    /// Bytes received in all.
    received_total: u64,
    /// Bytes the server sent in all.
    sent_total: u64,
    /// The server closed its end.
    closed: bool,
    /// The peer (the cloud) closed its end.
    peer_closed: bool,
}

#[derive(Default)]
struct TargetState {
    conns: Vec<ServerConn>,
}

/// The lab's TCP server behind the `relay` endpoint.
pub(crate) struct RelayTarget {
    pub(crate) addr: SocketAddr,
    state: Arc<(Mutex<TargetState>, Condvar)>,
}

impl RelayTarget {
    pub(crate) fn start() -> std::io::Result<RelayTarget> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let state: Arc<(Mutex<TargetState>, Condvar)> = Arc::default();
        let accept_state = state.clone();
        std::thread::Builder::new()
            .name("hil-relay-server".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { return };
                    let Ok(reader) = stream.try_clone() else {
                        continue;
                    };
                    let index = {
                        let (lock, cv) = &*accept_state;
                        let mut s = lock.lock().expect("relay server state");
                        s.conns.push(ServerConn {
                            stream: Some(stream),
                            ..ServerConn::default()
                        });
                        cv.notify_all();
                        s.conns.len() - 1
                    };
                    let conn_state = accept_state.clone();
                    let _ = std::thread::Builder::new()
                        .name("hil-relay-conn".into())
                        .spawn(move || serve(reader, index, &conn_state));
                }
            })?;
        Ok(RelayTarget { addr, state })
    }

    /// Forget every connection (a new case).
    pub(crate) fn reset(&self) {
        let (lock, _) = &*self.state;
        for c in &mut lock.lock().expect("relay server state").conns {
            if let Some(s) = c.stream.take() {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }

    fn with_latest<T>(&self, f: impl FnOnce(&mut ServerConn) -> T) -> Option<T> {
        let (lock, _) = &*self.state;
        let mut s = lock.lock().expect("relay server state");
        s.conns.last_mut().filter(|c| c.stream.is_some()).map(f)
    }

    /// The server sends `bytes` on the newest connection; returns the
    /// server's total sent, or `None` if no connection is open.
    pub(crate) fn send(&self, bytes: &[u8]) -> Option<u64> {
        self.with_latest(|c| {
            let stream = c.stream.as_mut()?;
            stream.write_all(bytes).ok()?;
            c.sent_total += bytes.len() as u64;
            Some(c.sent_total)
        })
        .flatten()
    }

    /// The server closes the newest connection (the cloud sees the end).
    pub(crate) fn close(&self) -> bool {
        self.with_latest(|c| {
            if let Some(s) = &c.stream {
                let _ = s.shutdown(Shutdown::Write);
            }
            c.closed = true;
        })
        .is_some()
    }

    /// Connections accepted so far.
    pub(crate) fn accepted(&self) -> usize {
        let (lock, _) = &*self.state;
        lock.lock().expect("relay server state").conns.len()
    }

    /// Waits (at most [`SETTLE`]) until more than `before` connections
    /// were accepted; the index of the newest one.
    pub(crate) fn wait_accepted(&self, before: usize) -> Option<usize> {
        let (lock, cv) = &*self.state;
        let deadline = Instant::now() + SETTLE;
        let mut s = lock.lock().expect("relay server state");
        while s.conns.len() <= before {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            s = cv.wait_timeout(s, left).expect("relay server state").0;
        }
        Some(s.conns.len() - 1)
    }

    /// What the server sent on connection `index` and whether it closed.
    pub(crate) fn sent(&self, index: usize) -> (u64, bool) {
        let (lock, _) = &*self.state;
        let s = lock.lock().expect("relay server state");
        s.conns
            .get(index)
            .map_or((0, false), |c| (c.sent_total, c.closed))
    }

    /// Bytes the newest connection received since the last call: waits
    /// (at most [`SETTLE`]) until at least `expected` bytes are there (and,
    /// with `until_closed`, the peer closed), or until `expected` is 0 and
    /// the connection has been quiet a moment.
    pub(crate) fn take_received(&self, expected: usize, until_closed: bool) -> (Vec<u8>, bool) {
        let (lock, cv) = &*self.state;
        let deadline = Instant::now() + SETTLE;
        let mut s = lock.lock().expect("relay server state");
        loop {
            let (have, closed) = s
                .conns
                .last()
                .map_or((0, false), |c| (c.received.len(), c.peer_closed));
            let left = deadline.saturating_duration_since(Instant::now());
            let enough = have >= expected && (closed || !until_closed);
            if ((expected > 0 || until_closed) && enough) || left.is_zero() {
                break;
            }
            let wait = if expected == 0 && !until_closed {
                left.min(Duration::from_millis(20))
            } else {
                left
            };
            let (next, timeout) = cv.wait_timeout(s, wait).expect("relay server state");
            s = next;
            if expected == 0 && !until_closed && timeout.timed_out() {
                break;
            }
        }
        match s.conns.last_mut() {
            Some(c) => (std::mem::take(&mut c.received), c.peer_closed),
            None => (Vec::new(), false),
        }
    }
}

/// Reads one connection until the peer closes it.
fn serve(mut stream: TcpStream, index: usize, state: &(Mutex<TargetState>, Condvar)) {
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).unwrap_or(0);
        let (lock, cv) = state;
        let mut s = lock.lock().expect("relay server state");
        let Some(c) = s.conns.get_mut(index) else {
            return;
        };
        if n == 0 {
            c.peer_closed = true;
            cv.notify_all();
            return;
        }
        c.received.extend_from_slice(&chunk[..n]);
        c.received_total += n as u64;
        cv.notify_all();
    }
}

/// The cloud's end of one relay channel.
pub(crate) struct RelayConn {
    stream: TcpStream,
    /// Bytes read from the server in all.
    pub(crate) received_total: u64,
    /// The server's end closed (read returned 0).
    pub(crate) eof: bool,
}

impl RelayConn {
    pub(crate) fn connect(addr: SocketAddr) -> std::io::Result<RelayConn> {
        let stream = TcpStream::connect_timeout(&addr, SETTLE)?;
        stream.set_nodelay(true)?;
        Ok(RelayConn {
            stream,
            received_total: 0,
            eof: false,
        })
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads until `total` bytes have come in all (and, with `until_eof`,
    /// the end), at most [`SETTLE`]; appends them to `into`.
    pub(crate) fn read_until(&mut self, total: u64, until_eof: bool, into: &mut Vec<u8>) {
        let deadline = Instant::now() + SETTLE;
        let mut chunk = [0u8; 4096];
        while !self.eof && (self.received_total < total || until_eof) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                return;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    into.extend_from_slice(&chunk[..n]);
                    self.received_total += n as u64;
                }
                Err(_) => return,
            }
        }
    }
}

impl Drop for RelayConn {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}
