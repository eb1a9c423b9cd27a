//! The lab's real servers on loopback, started by the harness: the HTTP server, the relay's TCP server, a refusing port.
//!
//! Everything listens on `127.0.0.1` at a port the OS picks, so parallel
//! sessions (and parallel test threads) never collide. The HTTP server is
//! axum on a tokio runtime that runs on its own thread (the rig sessions
//! stay synchronous: they hand requests over and wait on a channel). The
//! refusing port is a socket bound but never listening: connecting to it
//! is refused by the host's TCP stack, which is what "the server is down"
//! means here.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::relay::RelayTarget;
use super::NetError;

/// What the HTTP server answers on one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// `None`: any method.
    pub method: Option<String>,
    /// The path (and query, if it has one) the request must have.
    pub path: String,
    pub status: u16,
    /// In order; names as given.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The server waits this long before it answers.
    pub delay_ms: u32,
    /// The cloud's link to the device drops after this many body bytes of
    /// the response reached the device (a cut mid-transfer).
    pub drop_link_after: Option<u32>,
}

impl Route {
    /// Does this route answer `method` on `path_and_query`?
    pub fn matches(&self, method: &str, path_and_query: &str) -> bool {
        let path = if self.path.contains('?') {
            path_and_query
        } else {
            path_and_query.split('?').next().unwrap_or("")
        };
        self.method.as_deref().is_none_or(|m| m == method) && self.path == path
    }
}

/// A request as the HTTP server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedRequest {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Every header, names lower-case (as HTTP/1.1 servers see them).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What the HTTP server shares with the harness.
#[derive(Default)]
pub(crate) struct HttpShared {
    pub(crate) routes: Vec<Route>,
    pub(crate) received: Vec<ReceivedRequest>,
}

type Shared = Arc<Mutex<HttpShared>>;

/// The running servers. Dropping it stops them.
pub(crate) struct Services {
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) http: SocketAddr,
    pub(crate) shared: Shared,
    /// Bound, never listening: connections are refused.
    pub(crate) refusing: SocketAddr,
    _refusing_socket: tokio::net::TcpSocket,
    pub(crate) relay: RelayTarget,
    pub(crate) client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Services {
    pub(crate) fn start() -> Result<Services, NetError> {
        let io = |what: &'static str| move |e: std::io::Error| NetError::Start { what, source: e };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("hil-cloud")
            .enable_all()
            .build()
            .map_err(io("the cloud's tokio runtime"))?;
        let handle = runtime.handle().clone();
        let shared: Shared = Arc::default();
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").map_err(io("the HTTP server's socket"))?;
        listener
            .set_nonblocking(true)
            .map_err(io("the HTTP server's socket"))?;
        let http = listener
            .local_addr()
            .map_err(io("the HTTP server's port"))?;
        let refusing_socket = {
            let _guard = runtime.enter();
            let s = tokio::net::TcpSocket::new_v4().map_err(io("the refusing socket"))?;
            s.bind("127.0.0.1:0".parse().expect("a literal address"))
                .map_err(io("the refusing socket"))?;
            s
        };
        let refusing = refusing_socket
            .local_addr()
            .map_err(io("the refusing port"))?;
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(shared.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("hil-cloud-http".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                        let _ = stopped.await;
                    });
                    let _ = serve.await;
                });
            })
            .map_err(io("the HTTP server's thread"))?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| NetError::Client(e.to_string()))?;
        Ok(Services {
            runtime: handle,
            http,
            shared,
            refusing,
            _refusing_socket: refusing_socket,
            relay: RelayTarget::start().map_err(io("the relay's TCP server"))?,
            client,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The HTTP server's one handler: record the request, answer from the
/// first route that matches (404 with no body if none does).
async fn answer(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let route = {
        let mut shared = shared.lock().expect("the HTTP server's state");
        shared.received.push(ReceivedRequest {
            method: method.as_str().to_owned(),
            path: path.clone(),
            headers: headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
        });
        shared
            .routes
            .iter()
            .find(|r| r.matches(method.as_str(), &path))
            .cloned()
    };
    let Some(route) = route else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if route.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(u64::from(route.delay_ms))).await;
    }
    // Only the route's headers (hyper adds `content-length` and `date`):
    // no content type is guessed for the body.
    let mut response = Response::builder().status(route.status);
    for (name, value) in &route.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    response
        .body(axum::body::Body::from(route.body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
