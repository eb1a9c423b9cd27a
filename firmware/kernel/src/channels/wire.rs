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
