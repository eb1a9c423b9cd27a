//! The emulated cloud's network services against their real servers on loopback.

use hil_cloud::net::{CloudEvent, ConfigEntry, ConfigValue, HttpOutcome, NetCloud, Route};
use mv_abi::{MvClosureReason, MvConfigKeyFetchResult, MvHttpResult};
use mv_proto::{CloudToDevice, ConfigKey, DeviceToCloud, HttpRequest};

fn get(url: &str) -> DeviceToCloud {
    DeviceToCloud::HttpRequest {
        channel: 7,
        request: HttpRequest {
            method: b"GET".to_vec(),
            url: url.as_bytes().to_vec(),
            headers: vec![b"X-Demo: 1".to_vec()],
            body: Vec::new(),
            timeout_ms: 5000,
        },
    }
}

fn route(path: &str, body: &[u8]) -> Route {
    Route {
        method: None,
        path: path.into(),
        status: 200,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: body.to_vec(),
        delay_ms: 0,
        drop_link_after: None,
    }
}

#[test]
fn an_https_request_is_made_against_the_lab_server_and_streamed_back() {
    let mut cloud = NetCloud::new();
    cloud
        .set_routes(vec![route("/todos/1", &[b'x'; 2500])])
        .unwrap();
    let out = cloud
        .handle(get("https://jsonplaceholder.typicode.com/todos/1"))
        .unwrap();
    let CloudToDevice::HttpResponse {
        channel,
        result,
        status_code,
        headers,
        body_len,
    } = &out[0]
    else {
        panic!("{out:?}");
    };
    assert_eq!(
        (*channel, *result, *status_code, *body_len),
        (7, 0, 200, 2500)
    );
    assert_eq!(
        headers,
        &[
            b"content-type: text/plain".to_vec(),
            b"content-length: 2500".to_vec()
        ],
        "the server's headers in order, without `date`"
    );
    let body: Vec<u8> = out[1..]
        .iter()
        .flat_map(|m| match m {
            CloudToDevice::HttpBody { data, .. } => {
                assert!(data.len() <= hil_cloud::net::CHUNK);
                data.clone()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(body, vec![b'x'; 2500]);
    let received = cloud.take_received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/todos/1");
    assert!(received[0]
        .headers
        .contains(&("host".into(), "jsonplaceholder.typicode.com".into())));
    assert!(received[0].headers.contains(&("x-demo".into(), "1".into())));
}

#[test]
fn a_server_that_is_down_refuses_and_the_request_fails() {
    let mut cloud = NetCloud::new();
    cloud.set_routes(vec![route("/", b"up")]).unwrap();
    cloud.set_server_down(true);
    let out = cloud.handle(get("https://lab.test/")).unwrap();
    assert!(matches!(
        out[..],
        [CloudToDevice::HttpResponse { result, status_code: 0, body_len: 0, .. }] if result == MvHttpResult::RequestFailed as u32
    ));
    assert!(
        cloud.take_received().is_empty(),
        "nothing reached the server"
    );
    assert!(matches!(
        cloud.take_events()[..],
        [CloudEvent::Http {
            outcome: HttpOutcome::Failed,
            ..
        }]
    ));
}

#[test]
fn a_link_drop_cuts_the_body_where_the_route_says() {
    let mut cloud = NetCloud::new();
    let mut r = route("/long", &[b'y'; 400]);
    r.drop_link_after = Some(100);
    cloud.set_routes(vec![r]).unwrap();
    let out = cloud.handle(get("https://lab.test/long")).unwrap();
    let body: usize = out
        .iter()
        .map(|m| match m {
            CloudToDevice::HttpBody { data, .. } => data.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(body, 100);
    assert_eq!(out.last(), Some(&CloudToDevice::Link { online: false }));
}

#[test]
fn the_echo_endpoint_sends_back_within_the_device_window() {
    let mut cloud = NetCloud::new();
    let opened = cloud
        .handle(DeviceToCloud::ChannelOpened {
            channel: 3,
            endpoint: "echo".into(),
            rx_window: 4,
        })
        .unwrap();
    assert_eq!(
        opened,
        [CloudToDevice::ChannelWindow {
            channel: 3,
            bytes: hil_cloud::net::ECHO_CAPACITY
        }]
    );
    cloud
        .handle(DeviceToCloud::ChannelData {
            channel: 3,
            data: b"hello".to_vec(),
        })
        .unwrap();
    assert_eq!(
        cloud.poll(),
        [
            CloudToDevice::ChannelData {
                channel: 3,
                data: b"hell".to_vec()
            },
            CloudToDevice::ChannelWindow {
                channel: 3,
                bytes: 4
            }
        ]
    );
    assert_eq!(cloud.poll(), [], "the device's window is full");
    cloud
        .handle(DeviceToCloud::ChannelRead {
            channel: 3,
            bytes: 4,
        })
        .unwrap();
    assert_eq!(
        cloud.poll()[0],
        CloudToDevice::ChannelData {
            channel: 3,
            data: b"o".to_vec()
        }
    );
}

#[test]
fn the_relay_carries_bytes_to_a_real_tcp_server_and_back() {
    let mut cloud = NetCloud::new();
    let opened = cloud
        .handle(DeviceToCloud::ChannelOpened {
            channel: 9,
            endpoint: "relay".into(),
            rx_window: 64,
        })
        .unwrap();
    assert!(matches!(
        opened[..],
        [CloudToDevice::ChannelWindow { channel: 9, .. }]
    ));
    cloud
        .handle(DeviceToCloud::ChannelData {
            channel: 9,
            data: b"ping".to_vec(),
        })
        .unwrap();
    assert_eq!(
        cloud.relay_received(4, false).unwrap(),
        (b"ping".to_vec(), false)
    );
    cloud.relay_send(b"pong").unwrap();
    cloud.relay_close().unwrap();
    assert_eq!(
        cloud.poll(),
        [
            CloudToDevice::ChannelData {
                channel: 9,
                data: b"pong".to_vec()
            },
            CloudToDevice::ChannelClosed {
                channel: 9,
                reason: MvClosureReason::ChannelClosedByServer as u32
            }
        ],
        "the server's bytes first, then its end"
    );
}

#[test]
fn a_relay_whose_server_is_down_is_closed_at_once() {
    let mut cloud = NetCloud::new();
    cloud.set_relay_down(true);
    let opened = cloud
        .handle(DeviceToCloud::ChannelOpened {
            channel: 5,
            endpoint: "relay".into(),
            rx_window: 64,
        })
        .unwrap();
    assert_eq!(
        opened,
        [CloudToDevice::ChannelClosed {
            channel: 5,
            reason: MvClosureReason::ConnectionTerminated as u32
        }]
    );
}

#[test]
fn config_items_come_back_in_request_order() {
    let mut cloud = NetCloud::new();
    cloud.set_config(ConfigEntry {
        scope: 0,
        store: 0,
        key: "api_key".into(),
        value: ConfigValue::Value(b"secret".to_vec()),
    });
    cloud.set_config(ConfigEntry {
        scope: 1,
        store: 1,
        key: "broken".into(),
        value: ConfigValue::ServerError,
    });
    let key = |scope, store, key: &str| ConfigKey {
        scope,
        store,
        key: key.into(),
    };
    let out = cloud
        .handle(DeviceToCloud::ConfigFetch {
            channel: 1,
            keys: vec![
                key(1, 1, "broken"),
                key(0, 1, "api_key"),
                key(0, 0, "api_key"),
            ],
        })
        .unwrap();
    let CloudToDevice::ConfigResponse {
        result: 0, items, ..
    } = &out[0]
    else {
        panic!("{out:?}");
    };
    let results: Vec<u32> = items.iter().map(|i| i.result).collect();
    assert_eq!(
        results,
        [
            MvConfigKeyFetchResult::ServerError as u32,
            MvConfigKeyFetchResult::KeyNotFound as u32,
            MvConfigKeyFetchResult::Ok as u32
        ]
    );
    assert_eq!(items[2].value, b"secret");
}
