//! The cloud's HTTP proxy: what it accepts from an app, and how it fetches from the lab server.
//!
//! Microvisor's cloud, not the device, reports an HTTP request's result
//! ("HTTP request result as reported by Microvisor server" [H]); these are
//! the rules it applies, in this order (**Choice**, `firmware/ABI.md` §12):
//! the method is one of the seven the header names (`UNSUPPORTEDMETHOD`),
//! the URL starts `https://` ("only `https://` is supported":
//! `UNSUPPORTEDURISCHEME`), every header is `name: value` with a token name
//! and a printable value (`INVALIDHEADERS`), the timeout is 5000–10000 ms
//! (`INVALIDTIMEOUT`). A request that passes is made with a real HTTP client
//! against the lab's server on loopback: `https://HOST/PATH` becomes
//! `http://127.0.0.1:PORT/PATH` with `Host: HOST` (the lab has no TLS, and no
//! name resolution is involved). A refused connection, a timeout or a
//! broken response is `REQUESTFAILED`.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use mv_abi::MvHttpResult;
use mv_proto::HttpRequest;

/// "HTTP method (GET, HEAD, POST, PUT, DELETE, PATCH or OPTIONS)" [H].
pub const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"];
/// "Microvisor supports timeouts from 5000 to 10000 milliseconds" [H].
pub const TIMEOUT_MS: std::ops::RangeInclusive<u32> = 5000..=10000;
const SCHEME: &str = "https://";

/// A request the cloud will make: where, and with what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Outgoing {
    pub(crate) method: String,
    /// The host the app named (sent as `Host`).
    pub(crate) host: String,
    /// Path and query (`/` if the URL had none).
    pub(crate) path: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) timeout: Duration,
}

/// What the cloud got back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fetched {
    pub(crate) status: u16,
    /// `name: value` each, in the order received, without `date`.
    pub(crate) headers: Vec<Vec<u8>>,
    pub(crate) body: Vec<u8>,
}

/// Checks an app's request as the cloud does; the result is the
/// `MvHttpResult` of a refusal.
pub(crate) fn accept(request: &HttpRequest) -> Result<Outgoing, MvHttpResult> {
    let method = std::str::from_utf8(&request.method)
        .ok()
        .filter(|m| METHODS.contains(m))
        .ok_or(MvHttpResult::UnsupportedMethod)?;
    let url = std::str::from_utf8(&request.url)
        .ok()
        .and_then(|u| u.strip_prefix(SCHEME))
        .ok_or(MvHttpResult::UnsupportedUriScheme)?;
    let (host, path) = match url.find(['/', '?']) {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    };
    let headers = request
        .headers
        .iter()
        .map(|h| header(h).ok_or(MvHttpResult::InvalidHeaders))
        .collect::<Result<Vec<_>, _>>()?;
    if !TIMEOUT_MS.contains(&request.timeout_ms) {
        return Err(MvHttpResult::InvalidTimeout);
    }
    Ok(Outgoing {
        method: method.to_owned(),
        host: host.to_owned(),
        path,
        headers,
        body: request.body.clone(),
        timeout: Duration::from_millis(u64::from(request.timeout_ms)),
    })
}

/// `name: value` with an RFC 9110 token for a name and a visible-ASCII
/// value (spaces and tabs allowed inside).
fn header(raw: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(raw).ok()?;
    let (name, value) = text.split_once(':')?;
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    let value = value.trim_matches([' ', '\t']);
    let printable = |c: char| c == ' ' || c == '\t' || c.is_ascii_graphic();
    (!name.is_empty() && name.chars().all(token) && value.chars().all(printable))
        .then(|| (name.to_owned(), value.to_owned()))
}

/// Makes the request against `server` and waits for the answer (at most
/// the request's timeout, which the client enforces).
pub(crate) fn fetch(
    runtime: &tokio::runtime::Handle,
    client: &reqwest::Client,
    server: SocketAddr,
    out: &Outgoing,
) -> Result<Fetched, String> {
    let url = format!("http://{server}{}", out.path);
    let method = reqwest::Method::from_bytes(out.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut request = client
        .request(method, url)
        .timeout(out.timeout)
        .header(reqwest::header::HOST, out.host.as_str())
        .body(out.body.clone());
    for (name, value) in &out.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let (tx, rx) = mpsc::channel();
    runtime.spawn(async move {
        let result = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .filter(|(name, _)| *name != reqwest::header::DATE)
                .map(|(name, value)| {
                    let mut h = name.as_str().as_bytes().to_vec();
                    h.extend_from_slice(b": ");
                    h.extend_from_slice(value.as_bytes());
                    h
                })
                .collect();
            let body = response.bytes().await?.to_vec();
            Ok::<_, reqwest::Error>(Fetched {
                status,
                headers,
                body,
            })
        }
        .await;
        let _ = tx.send(result.map_err(|e| e.to_string()));
    });
    rx.recv_timeout(out.timeout + Duration::from_secs(2))
        .map_err(|_| "the HTTP client did not finish".to_owned())?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, url: &str, headers: &[&str], timeout_ms: u32) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            url: url.into(),
            headers: headers.iter().map(|h| h.as_bytes().to_vec()).collect(),
            body: Vec::new(),
            timeout_ms,
        }
    }

    #[test]
    fn the_cloud_refuses_what_the_header_rules_out_in_field_order() {
        let ok = accept(&request("GET", "https://lab.test/a?b=1", &["X-A: 1"], 5000)).unwrap();
        assert_eq!((ok.host.as_str(), ok.path.as_str()), ("lab.test", "/a?b=1"));
        assert_eq!(ok.headers, [("X-A".to_owned(), "1".to_owned())]);
        let no_path = accept(&request("GET", "https://lab.test", &[], 10000)).unwrap();
        assert_eq!(no_path.path, "/");
        for (r, want) in [
            (
                request("get", "https://x/", &[], 5000),
                MvHttpResult::UnsupportedMethod,
            ),
            (
                request("CONNECT", "http://x/", &[], 1),
                MvHttpResult::UnsupportedMethod,
            ),
            (
                request("GET", "http://x/", &[], 1),
                MvHttpResult::UnsupportedUriScheme,
            ),
            (
                request("GET", "https://x/", &["nocolon"], 1),
                MvHttpResult::InvalidHeaders,
            ),
            (
                request("GET", "https://x/", &["bad name: v"], 1),
                MvHttpResult::InvalidHeaders,
            ),
            (
                request("GET", "https://x/", &["A: \u{1}"], 1),
                MvHttpResult::InvalidHeaders,
            ),
            (
                request("GET", "https://x/", &[], 4999),
                MvHttpResult::InvalidTimeout,
            ),
            (
                request("GET", "https://x/", &[], 10001),
                MvHttpResult::InvalidTimeout,
            ),
        ] {
            assert_eq!(accept(&r).unwrap_err(), want, "{r:?}");
        }
    }
}
