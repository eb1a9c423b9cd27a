//! How a request sits in a channel's send buffer, between the kernel and the device core.
//!
//! `mvSendHttpRequest` and `mvSendConfigFetchRequest` copy the app's request
//! into the channel's send buffer ("`INVALIDBUFFERSIZE` Request doesn't fit
//! the send buffer" [H]); the device core copies it out again and turns it
//! into a cloud message. This module is the one description of that layout:
//! the kernel measures and writes it, the device core parses it. Every
//! integer is a little-endian `u32`; nothing is padded.
//!
//! ```text
//! HTTP:   timeout_ms | method_len method | url_len url | num_headers { len bytes }* | body_len body
//! config: num_items { scope store key_len key }*
//! MQTT:   kind, then by kind (strings are `len bytes`):
//!   0 connect      version port keepalive clean_start auth_method username password
//!                  num_ca { cert }* num_client { cert }* key has_will [topic payload qos retain] host clientid
//!   1 subscribe    correlation_id n { topic qos nl rap rh }*
//!   2 unsubscribe  correlation_id n { topic }*
//!   3 publish      correlation_id qos retain topic payload
//!   4 acknowledge  correlation_id
//!   5 disconnect
//! ```

/// Bytes an HTTP request takes, from its parts' lengths (`u64`: the app's
/// lengths are untrusted and may add up past 4 GiB).
pub fn http_len(method: u32, url: u32, headers: impl Iterator<Item = u32>, body: u32) -> u64 {
    let headers: u64 = headers.map(|h| 4 + u64::from(h)).sum();
    4 + (4 + u64::from(method)) + (4 + u64::from(url)) + 4 + headers + (4 + u64::from(body))
}

/// Bytes a config fetch request takes, from its keys' lengths.
pub fn config_len(keys: impl Iterator<Item = u32>) -> u64 {
    4 + keys.map(|k| 12 + u64::from(k)).sum::<u64>()
}

/// The kinds of MQTT request (the first word of one).
pub const MQTT_CONNECT: u32 = 0;
pub const MQTT_SUBSCRIBE: u32 = 1;
pub const MQTT_UNSUBSCRIBE: u32 = 2;
pub const MQTT_PUBLISH: u32 = 3;
pub const MQTT_ACKNOWLEDGE: u32 = 4;
pub const MQTT_DISCONNECT: u32 = 5;

/// Bytes of length-prefixed strings of these lengths.
pub fn strings_len(lens: impl Iterator<Item = u32>) -> u64 {
    lens.map(|l| 4 + u64::from(l)).sum()
}

/// Reads the layout from the front of a byte slice.
#[derive(Clone, Copy, Debug)]
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn u32(&mut self) -> Option<u32> {
        let (head, rest) = self.bytes.split_first_chunk::<4>()?;
        self.bytes = rest;
        Some(u32::from_le_bytes(*head))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        if len > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Some(head)
    }
}

/// An HTTP request as the send buffer holds it.
#[derive(Clone, Copy, Debug)]
pub struct HttpView<'a> {
    pub timeout_ms: u32,
    pub method: &'a [u8],
    pub url: &'a [u8],
    pub headers: Items<'a>,
    pub body: &'a [u8],
}

/// The length-prefixed items of a request, in order.
#[derive(Clone, Copy, Debug)]
pub struct Items<'a> {
    reader: Reader<'a>,
    left: u32,
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        self.reader.bytes()
    }
}

/// Parses an HTTP request; `None` if the bytes do not hold one.
pub fn parse_http(bytes: &[u8]) -> Option<HttpView<'_>> {
    let mut r = Reader { bytes };
    let timeout_ms = r.u32()?;
    let method = r.bytes()?;
    let url = r.bytes()?;
    let count = r.u32()?;
    let headers = Items {
        reader: r,
        left: count,
    };
    for _ in 0..count {
        r.bytes()?;
    }
    let body = r.bytes()?;
    Some(HttpView {
        timeout_ms,
        method,
        url,
        headers,
        body,
    })
}

/// One key of a config fetch as the send buffer holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyView<'a> {
    pub scope: u32,
    pub store: u32,
    pub key: &'a [u8],
}

/// Parses a config fetch request into its keys; `None` if malformed.
pub fn parse_config(bytes: &[u8]) -> Option<ConfigKeys<'_>> {
    let mut r = Reader { bytes };
    let left = r.u32()?;
    let keys = ConfigKeys { reader: r, left };
    // Validate the whole request once, so iteration cannot stop early.
    let mut check = keys;
    for _ in 0..left {
        check.next_key()?;
    }
    Some(keys)
}

/// The keys of a config fetch, in request order.
#[derive(Clone, Copy, Debug)]
pub struct ConfigKeys<'a> {
    reader: Reader<'a>,
    left: u32,
}

impl<'a> ConfigKeys<'a> {
    fn next_key(&mut self) -> Option<KeyView<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let scope = self.reader.u32()?;
        let store = self.reader.u32()?;
        let key = self.reader.bytes()?;
        Some(KeyView { scope, store, key })
    }
}

impl<'a> Iterator for ConfigKeys<'a> {
    type Item = KeyView<'a>;

    fn next(&mut self) -> Option<KeyView<'a>> {
        self.next_key()
    }
}

/// An MQTT connect as the send buffer holds it.
#[derive(Clone, Copy, Debug)]
pub struct ConnectView<'a> {
    pub version: u32,
    pub port: u32,
    pub keepalive: u32,
    pub clean_start: bool,
    pub auth_method: u32,
    pub username: &'a [u8],
    pub password: &'a [u8],
    pub ca_certs: Items<'a>,
    pub client_certs: Items<'a>,
    pub key: &'a [u8],
    /// `(topic, payload, qos, retain)`.
    pub will: Option<(&'a [u8], &'a [u8], u32, bool)>,
    pub host: &'a [u8],
    pub client_id: &'a [u8],
}

/// One topic of a subscribe as the send buffer holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscriptionView<'a> {
    pub topic: &'a [u8],
    pub qos: u32,
    pub nl: u32,
    pub rap: u32,
    pub rh: u32,
}

/// An MQTT request as the send buffer holds it.
#[derive(Clone, Debug)]
pub enum MqttView<'a> {
    Connect(ConnectView<'a>),
    Subscribe {
        correlation_id: u32,
        topics: alloc_free::Topics<'a>,
    },
    Unsubscribe {
        correlation_id: u32,
        topics: Items<'a>,
    },
    Publish {
        correlation_id: u32,
        qos: u32,
        retain: bool,
        topic: &'a [u8],
        payload: &'a [u8],
    },
    Acknowledge {
        correlation_id: u32,
    },
    Disconnect,
}

/// Iterators over the parts of a request, without allocating.
pub mod alloc_free {
    use super::{Reader, SubscriptionView};

    /// The topics of a subscribe, in order.
    #[derive(Clone, Copy, Debug)]
    pub struct Topics<'a> {
        pub(super) reader: Reader<'a>,
        pub(super) left: u32,
    }

    impl<'a> Iterator for Topics<'a> {
        type Item = SubscriptionView<'a>;

        fn next(&mut self) -> Option<SubscriptionView<'a>> {
            if self.left == 0 {
                return None;
            }
            self.left -= 1;
            let r = &mut self.reader;
            Some(SubscriptionView {
                topic: r.bytes()?,
                qos: r.u32()?,
                nl: r.u32()?,
                rap: r.u32()?,
                rh: r.u32()?,
            })
        }
    }
}

/// Skips `count` strings, checking they are there; the items and the reader after them.
fn items<'a>(r: &mut Reader<'a>) -> Option<Items<'a>> {
    let count = r.u32()?;
    let items = Items {
        reader: *r,
        left: count,
    };
    for _ in 0..count {
        r.bytes()?;
    }
    Some(items)
}

/// Parses an MQTT request; `None` if the bytes do not hold one.
pub fn parse_mqtt(bytes: &[u8]) -> Option<MqttView<'_>> {
    let mut r = Reader { bytes };
    Some(match r.u32()? {
        MQTT_CONNECT => {
            let version = r.u32()?;
            let port = r.u32()?;
            let keepalive = r.u32()?;
            let clean_start = r.u32()? != 0;
            let auth_method = r.u32()?;
            let username = r.bytes()?;
            let password = r.bytes()?;
            let ca_certs = items(&mut r)?;
            let client_certs = items(&mut r)?;
            let key = r.bytes()?;
            let will = if r.u32()? != 0 {
                Some((r.bytes()?, r.bytes()?, r.u32()?, r.u32()? != 0))
            } else {
                None
            };
            MqttView::Connect(ConnectView {
                version,
                port,
                keepalive,
                clean_start,
                auth_method,
                username,
                password,
                ca_certs,
                client_certs,
                key,
                will,
                host: r.bytes()?,
                client_id: r.bytes()?,
            })
        }
        MQTT_SUBSCRIBE => {
            let correlation_id = r.u32()?;
            let left = r.u32()?;
            let topics = alloc_free::Topics { reader: r, left };
            let mut check = topics;
            for _ in 0..left {
                check.next()?;
            }
            MqttView::Subscribe {
                correlation_id,
                topics,
            }
        }
        MQTT_UNSUBSCRIBE => {
            let correlation_id = r.u32()?;
            MqttView::Unsubscribe {
                correlation_id,
                topics: items(&mut r)?,
            }
        }
        MQTT_PUBLISH => MqttView::Publish {
            correlation_id: r.u32()?,
            qos: r.u32()?,
            retain: r.u32()? != 0,
            topic: r.bytes()?,
            payload: r.bytes()?,
        },
        MQTT_ACKNOWLEDGE => MqttView::Acknowledge {
            correlation_id: r.u32()?,
        },
        MQTT_DISCONNECT => MqttView::Disconnect,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn put(out: &mut [u8], at: &mut usize, data: &[u8]) {
        out[*at..*at + data.len()].copy_from_slice(data);
        *at += data.len();
    }

    #[test]
    fn an_http_request_parses_back_and_measures_what_it_takes() {
        let mut buf = [0u8; 128];
        let mut at = 0;
        put(&mut buf, &mut at, &5000u32.to_le_bytes());
        for part in [&b"GET"[..], b"https://a/b"] {
            put(&mut buf, &mut at, &(part.len() as u32).to_le_bytes());
            put(&mut buf, &mut at, part);
        }
        put(&mut buf, &mut at, &2u32.to_le_bytes());
        for h in [&b"A: 1"[..], b"B: 22"] {
            put(&mut buf, &mut at, &(h.len() as u32).to_le_bytes());
            put(&mut buf, &mut at, h);
        }
        put(&mut buf, &mut at, &1u32.to_le_bytes());
        put(&mut buf, &mut at, b"x");
        assert_eq!(http_len(3, 11, [4, 5].into_iter(), 1), at as u64);
        let v = parse_http(&buf[..at]).unwrap();
        assert_eq!(v.timeout_ms, 5000);
        assert_eq!(v.url, b"https://a/b");
        assert_eq!(v.headers.collect::<Vec<_>>(), [&b"A: 1"[..], b"B: 22"]);
        assert_eq!(v.body, b"x");
        assert!(
            parse_http(&buf[..at - 1]).is_none(),
            "a cut request is refused"
        );
    }

    #[test]
    fn config_keys_parse_in_order() {
        let mut buf = [0u8; 64];
        let mut at = 0;
        put(&mut buf, &mut at, &1u32.to_le_bytes());
        put(&mut buf, &mut at, &1u32.to_le_bytes());
        put(&mut buf, &mut at, &0u32.to_le_bytes());
        put(&mut buf, &mut at, &3u32.to_le_bytes());
        put(&mut buf, &mut at, b"key");
        assert_eq!(config_len([3].into_iter()), at as u64);
        let keys: Vec<_> = parse_config(&buf[..at]).unwrap().collect();
        assert_eq!(
            keys,
            [KeyView {
                scope: 1,
                store: 0,
                key: b"key"
            }]
        );
    }
}
