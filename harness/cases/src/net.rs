//! Steps about the cloud's network services: `server`, `expect_server_request`, `config`, `relay`, `expect_relay`.

use mv_abi::{MvConfigKeyFetchScope, MvConfigKeyFetchStore};

use crate::error::{join, Issue};
use crate::model::{ConfigEntry, ConfigValue, ExpectRelay, ExpectServerRequest, NetAction, Route};
use crate::raw;
use crate::suggest;
use crate::validate::exactly_one;
use crate::values::{self, Target};

/// The largest body a route may give with `body_bytes` (the cases run on a
/// ~16 KB/s UART on QEMU; bigger bodies belong in `hil bench`).
pub(crate) const MAX_BODY_BYTES: u32 = 16 * 1024;

/// Validates `server:` at `path`.
pub(crate) fn server(raw: &raw::Server, path: &str) -> Result<NetAction, Issue> {
    let key = exactly_one(
        path,
        &[
            ("routes", raw.routes.is_some()),
            ("down", raw.down.is_some()),
        ],
    )?;
    if key == "down" {
        return Ok(NetAction::ServerDown(raw.down == Some(true)));
    }
    let routes = raw.routes.as_deref().unwrap_or_default();
    routes
        .iter()
        .enumerate()
        .map(|(n, r)| route(r, &format!("{}[{n}]", join(path, "routes"))))
        .collect::<Result<Vec<_>, _>>()
        .map(NetAction::Routes)
}

fn route(raw: &raw::Route, path: &str) -> Result<Route, Issue> {
    if !raw.path.starts_with('/') {
        return Err(Issue::new(
            join(path, "path"),
            format!("`{}` must start with `/`", raw.path),
        ));
    }
    if let Some(m) = &raw.method {
        method(m, &join(path, "method"))?;
    }
    let status = raw.status.unwrap_or(200);
    if !(100..=599).contains(&status) {
        return Err(Issue::new(
            join(path, "status"),
            format!("{status} is not an HTTP status code (100 to 599)"),
        ));
    }
    let headers = raw
        .headers
        .iter()
        .enumerate()
        .map(|(n, h)| header(h, &format!("{}[{n}]", join(path, "headers"))))
        .collect::<Result<Vec<_>, _>>()?;
    let body = match (&raw.body, raw.body_bytes) {
        (Some(_), Some(_)) => {
            return Err(Issue::new(
                join(path, "body_bytes"),
                "give `body` or `body_bytes`, not both",
            ))
        }
        (Some(text), None) => text.as_bytes().to_vec(),
        (None, Some(n)) if n > MAX_BODY_BYTES => {
            return Err(Issue::new(
                join(path, "body_bytes"),
                format!("{n} bytes is more than the {MAX_BODY_BYTES} a case may serve"),
            ))
        }
        (None, Some(n)) => (0..n).map(|i| b'a' + (i % 26) as u8).collect(),
        (None, None) => Vec::new(),
    };
    if let Some(n) = raw.drop_link_after {
        if n as usize > body.len() {
            return Err(Issue::new(
                join(path, "drop_link_after"),
                format!(
                    "the body has {} bytes, so the link cannot drop after {n}",
                    body.len()
                ),
            ));
        }
    }
    Ok(Route {
        method: raw.method.clone(),
        path: raw.path.clone(),
        status,
        headers,
        body,
        delay_ms: raw.delay_ms.unwrap_or(0),
        drop_link_after: raw.drop_link_after,
    })
}

/// One of the methods the cloud proxies.
fn method(m: &str, path: &str) -> Result<(), Issue> {
    if hil_cloud::net::METHODS.contains(&m) {
        return Ok(());
    }
    Err(Issue::new(
        path,
        format!(
            "`{m}` is not a method the cloud passes on{}; one of {}",
            suggest::hint(m, hil_cloud::net::METHODS.iter().copied()),
            hil_cloud::net::METHODS.join(", ")
        ),
    ))
}

/// `name: value`, a token name and a printable value.
fn header(text: &str, path: &str) -> Result<(String, String), Issue> {
    let bad = || {
        Issue::new(
            path,
            format!("`{text}` is not a header: write `name: value` (a token name, printable text)"),
        )
    };
    let (name, value) = text.split_once(':').ok_or_else(bad)?;
    let value = value.trim();
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty()
        || !name.chars().all(token)
        || !value.chars().all(|c| c == ' ' || c.is_ascii_graphic())
    {
        return Err(bad());
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// Validates `expect_server_request:` at `path`.
pub(crate) fn expect_server_request(
    raw: &raw::ExpectServerRequest,
    path: &str,
) -> Result<ExpectServerRequest, Issue> {
    let details =
        raw.method.is_some() || raw.path.is_some() || !raw.headers.is_empty() || raw.body.is_some();
    match raw.count {
        Some(0) if !details => return Ok(ExpectServerRequest::None),
        Some(0) => return Err(Issue::new(
            join(path, "count"),
            "`count: 0` says no request came; it takes no `method`, `path`, `headers` or `body`",
        )),
        Some(n) => {
            return Err(Issue::new(
                join(path, "count"),
                format!("`count` can only be 0 (got {n}); check requests one step each"),
            ))
        }
        None if !details => return Err(Issue::new(
            path,
            "give what the request must have (`method`, `path`, `headers`, `body`), or `count: 0`",
        )),
        None => {}
    }
    if let Some(m) = &raw.method {
        method(m, &join(path, "method"))?;
    }
    let headers = raw
        .headers
        .iter()
        .enumerate()
        .map(|(n, h)| header(h, &format!("{}[{n}]", join(path, "headers"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ExpectServerRequest::Request {
        method: raw.method.clone(),
        path: raw.path.clone(),
        headers,
        body: raw.body.as_ref().map(|b| b.as_bytes().to_vec()),
    })
}

/// Validates `config:` at `path`.
pub(crate) fn config(raw: &[raw::ConfigSet], path: &str) -> Result<NetAction, Issue> {
    if raw.is_empty() {
        return Err(Issue::new(path, "give at least one value to set"));
    }
    raw.iter()
        .enumerate()
        .map(|(n, c)| config_entry(c, &format!("{path}[{n}]")))
        .collect::<Result<Vec<_>, _>>()
        .map(NetAction::Config)
}

fn config_entry(raw: &raw::ConfigSet, path: &str) -> Result<ConfigEntry, Issue> {
    let scope = values::number(
        &raw.scope,
        Target {
            size: 4,
            enumeration: Some(&MvConfigKeyFetchScope::DESC),
            what: "a config scope",
        },
    )
    .map_err(|m| Issue::new(join(path, "scope"), m))?;
    let store = values::number(
        &raw.store,
        Target {
            size: 4,
            enumeration: Some(&MvConfigKeyFetchStore::DESC),
            what: "a config store",
        },
    )
    .map_err(|m| Issue::new(join(path, "store"), m))?;
    if raw.key.is_empty() {
        return Err(Issue::new(join(path, "key"), "a key is not empty"));
    }
    let key = exactly_one(
        path,
        &[
            ("value", raw.value.is_some()),
            ("error", raw.error.is_some()),
        ],
    )?;
    let value = match (key, &raw.value, raw.error) {
        ("value", Some(v), _) => ConfigValue::Value(v.as_bytes().to_vec()),
        (_, _, Some(true)) => ConfigValue::ServerError,
        _ => {
            return Err(Issue::new(
                join(path, "error"),
                "`error` can only be `true` (the fetch of this key fails on the server)",
            ))
        }
    };
    Ok(ConfigEntry {
        scope: scope as u32,
        store: store as u32,
        key: raw.key.clone(),
        value,
    })
}

/// Validates `relay:` at `path`.
pub(crate) fn relay(raw: &raw::Relay, path: &str) -> Result<NetAction, Issue> {
    let key = exactly_one(
        path,
        &[
            ("send", raw.send.is_some()),
            ("close", raw.close.is_some()),
            ("down", raw.down.is_some()),
        ],
    )?;
    Ok(match key {
        "send" => NetAction::RelaySend(raw.send.clone().unwrap_or_default().into_bytes()),
        "close" if raw.close == Some(true) => NetAction::RelayClose,
        "close" => {
            return Err(Issue::new(
                join(path, "close"),
                "`close` can only be `true`",
            ))
        }
        _ => NetAction::RelayDown(raw.down == Some(true)),
    })
}

/// Validates `expect_relay:` at `path`.
pub(crate) fn expect_relay(raw: &raw::ExpectRelay, _path: &str) -> ExpectRelay {
    ExpectRelay {
        received: raw.received.as_bytes().to_vec(),
        closed: raw.closed,
    }
}
