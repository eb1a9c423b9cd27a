//! The bridge's TCP path to the broker: a loopback forwarder a case can cut (links dropped) or silence (keepalive expiry).
//!
//! rumqttc owns its sockets, so the only honest way to break one bridge
//! connection mid-session — without touching the broker — is to own the
//! path: every bridge client connects to the tap, and the tap opens its own
//! connection to the broker and copies bytes both ways. `cut` shuts both
//! sockets of every connection (the client and the broker each see the
//! connection close, as on a lost link); `silence` makes every open
//! connection swallow what it carries, so pings go unanswered and the
//! keepalive expires. Connections made later are served normally. Every
//! socket has `TCP_NODELAY`: MQTT packets are small and each waits for an
//! answer, so Nagle's delay would only add latency.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One forwarded connection: both sockets, and whether it went silent.
struct Pair {
    client: TcpStream,
    upstream: TcpStream,
    silent: Arc<AtomicBool>,
}

#[derive(Default)]
struct Shared {
    pairs: Mutex<Vec<Pair>>,
    stop: AtomicBool,
}

/// A running tap in front of one broker address.
pub(crate) struct Tap {
    pub(crate) addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Tap {
    /// Listens on a free loopback port; forwards every connection to `upstream`.
    pub(crate) fn start(upstream: SocketAddr) -> std::io::Result<Tap> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let accept = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("mqtt-tap".into())
                .spawn(move || accept_loop(&listener, upstream, &shared))?
        };
        Ok(Tap {
            addr,
            shared,
            accept: Some(accept),
        })
    }

    /// Closes every open connection at both ends; how many there were.
    pub(crate) fn cut(&self) -> usize {
        let mut pairs = self.shared.pairs.lock().expect("tap connections");
        let n = pairs.len();
        for p in pairs.drain(..) {
            let _ = p.client.shutdown(Shutdown::Both);
            let _ = p.upstream.shutdown(Shutdown::Both);
        }
        n
    }

    /// Every open connection swallows what it carries from now on; how many there were.
    pub(crate) fn silence(&self) -> usize {
        let pairs = self.shared.pairs.lock().expect("tap connections");
        for p in pairs.iter() {
            p.silent.store(true, Ordering::SeqCst);
        }
        pairs.len()
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        self.cut();
    }
}

fn accept_loop(listener: &TcpListener, upstream: SocketAddr, shared: &Arc<Shared>) {
    for client in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(client) = client else { continue };
        // A broker that is down refuses the tap: the client sees its
        // connection close at once, as if the broker had refused it.
        let Ok(upstream) = TcpStream::connect(upstream) else {
            let _ = client.shutdown(Shutdown::Both);
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = upstream.set_nodelay(true);
        let silent = Arc::new(AtomicBool::new(false));
        let clones = (
            client.try_clone(),
            upstream.try_clone(),
            client.try_clone(),
            upstream.try_clone(),
        );
        let (Ok(c1), Ok(u1), Ok(c2), Ok(u2)) = clones else {
            continue;
        };
        for (from, to) in [(c1, u1), (u2, c2)] {
            let silent = Arc::clone(&silent);
            let _ = std::thread::Builder::new()
                .name("mqtt-tap-copy".into())
                .spawn(move || copy(from, to, &silent));
        }
        let mut pairs = shared.pairs.lock().expect("tap connections");
        pairs.retain(|p| p.client.peer_addr().is_ok());
        pairs.push(Pair {
            client,
            upstream,
            silent,
        });
    }
}

/// Copies until either side closes; then closes the other side too.
fn copy(mut from: TcpStream, mut to: TcpStream, silent: &AtomicBool) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if silent.load(Ordering::SeqCst) {
                    continue;
                }
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}
