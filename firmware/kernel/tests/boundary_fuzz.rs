//! Fuzz the syscall boundary: the app controls every register and every byte
//! of its memory, so random slots, arguments and memory must never make the
//! kernel panic, return a non-status, touch memory outside app RAM, or change
//! anything when it refuses a call ("all checks before the first side effect"),
//! or answer a status that neither the header's `@retval` list of the call
//! nor a Choice of `firmware/ABI.md` allows (`documented_statuses`).
//!
//! Between calls a random cloud acts on the app's channels (windows, data,
//! HTTP and config responses, closures, link drops) through the device
//! core's interface to the kernel, as `mv-device` does; every byte those
//! deliveries write must land in a buffer the app lent a channel or in a
//! notification ring. Every eighth call of the random stream comes from one
//! of the app's interrupt handlers.
//!
//! `cargo test` runs 200 000 calls; more of this quick one:
//! `MV_FUZZ_CALLS=1000000 cargo test --release -p mv-kernel --test boundary_fuzz`
//! (`MV_FUZZ_SEED` picks another stream).
//!
//! The one at scale is `hil fuzz` (`mv_agent_core`'s fuzzer): any count and
//! seed on the sim and on QEMU's real secure image, with no change when
//! calls are added.

mod documented_statuses;
mod fake_board;
#[path = "boundary_fuzz/plans.rs"]
mod plans;

use fake_board::{FakeBoard, RAM, RAM_SIZE, SECURE};
use mv_abi::MvStatus;
use mv_kernel::channels::NetEvent;
use mv_kernel::logging::LinkState;
use mv_kernel::Kernel;
use plans::{plausible, Live};

/// xorshift64*: a reproducible stream; a failure prints the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick(&mut self, values: &[u32]) -> u32 {
        if values.is_empty() {
            return 0;
        }
        values[self.below(values.len() as u64) as usize]
    }
    /// A RAM address aligned to `align`, with room for `len` bytes.
    fn ram(&mut self, align: u32, len: u32) -> u32 {
        let span = (RAM_SIZE - len.min(RAM_SIZE)) / align;
        RAM + self.below(u64::from(span.max(1))) as u32 * align
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    let Ok(text) = std::env::var(name) else {
        return default;
    };
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.unwrap_or_else(|e| panic!("{name}={text:?} is not a decimal or 0x-hex u64: {e}"))
}

/// Values an attacker would try: edges of app RAM, secure memory, NULL,
/// wrap-around, small integers (sizes, IRQs, enum values) and noise.
fn interesting(rng: &mut Rng, live_handles: &[u32], handle_slots: &[u32]) -> u32 {
    let edge = RAM + RAM_SIZE;
    match rng.below(14) {
        0 => 0,
        1 => u32::MAX - rng.below(64) as u32,
        2 => RAM + rng.below(u64::from(RAM_SIZE)) as u32,
        3 => RAM + (rng.below(u64::from(RAM_SIZE) / 16) as u32) * 16,
        4 => edge - rng.below(64) as u32,
        5 => edge + rng.below(16) as u32,
        6 => RAM - rng.below(16) as u32,
        7 => SECURE + rng.below(0x1000) as u32,
        8 => rng.below(200) as u32,
        9 => [16, 32, 34, 48, 64, 512, 1024, 1025][rng.below(8) as usize],
        10 if !live_handles.is_empty() => rng.pick(live_handles),
        11 if !handle_slots.is_empty() => rng.pick(handle_slots),
        12 => rng.ram(512, 1024),
        _ => rng.next() as u32,
    }
}

/// What a random cloud does to the app's channels between two calls:
/// drains what the device owes it (as `mv-device` does) and sends
/// something back. Returns the handles of the channels it heard of.
fn cloud_turn(
    rng: &mut Rng,
    kernel: &mut Kernel<FakeBoard>,
    channels: &mut Vec<u32>,
    requests: &mut Vec<u32>,
) {
    let mut data = [0u8; 1024];
    for _ in 0..64 {
        let Some(event) = kernel.next_net_event(&mut data) else {
            break;
        };
        match event {
            NetEvent::ChannelOpened { channel, .. } => channels.push(channel),
            NetEvent::HttpRequest { channel, len }
            | NetEvent::ConfigFetch { channel, len }
            | NetEvent::MqttRequest { channel, len } => {
                let mut bytes = vec![0u8; len as usize];
                assert!(
                    kernel.copy_request(channel, &mut bytes),
                    "an owed request is there"
                );
                channels.push(channel);
                requests.push(channel);
            }
            _ => {}
        }
    }
    for list in [&mut *channels, &mut *requests] {
        if list.len() > 64 {
            list.drain(..list.len() - 64);
        }
    }
    let channel = match rng.below(4) {
        0 => rng.next() as u32,
        1 => rng.pick(channels),
        _ => rng.pick(requests),
    };
    let bytes: Vec<u8> = (0..rng.below(300)).map(|_| rng.next() as u8).collect();
    let count = if rng.below(4) == 0 {
        rng.below(40)
    } else {
        rng.below(5)
    };
    let headers: Vec<Vec<u8>> = (0..count)
        .map(|_| (0..rng.below(20)).map(|_| rng.next() as u8).collect())
        .collect();
    match rng.below(52) {
        0..=11 => kernel.cloud_channel_window(channel, rng.below(2000) as u32),
        12..=21 => {
            kernel.cloud_channel_data(channel, &bytes);
        }
        22 => kernel.cloud_channel_closed(channel, rng.below(9) as u32),
        23..=28 => kernel.cloud_http_response(
            channel,
            if rng.below(2) == 0 {
                0
            } else {
                rng.below(8) as u32
            },
            rng.below(600) as u32,
            &headers,
            rng.below(200) as u32,
        ),
        29..=32 => kernel.cloud_http_body(channel, &bytes),
        33..=36 => {
            let items: Vec<(u32, &[u8])> = headers
                .iter()
                .take(20)
                .map(|v| (rng.below(4) as u32, v.as_slice()))
                .collect();
            kernel.cloud_config_response(channel, rng.below(3) as u32, &items);
        }
        37..=49 => mqtt_cloud_turn(rng, kernel, channel, &bytes),
        _ => {}
    }
}

/// What a random cloud says to an MQTT channel: answers (whether or not
/// a request is in flight) and messages of every size and QoS.
fn mqtt_cloud_turn(rng: &mut Rng, kernel: &mut Kernel<FakeBoard>, channel: u32, bytes: &[u8]) {
    let state = rng.below(9) as u32;
    let id = rng.below(8) as u32;
    let codes: Vec<u8> = (0..rng.below(12)).map(|_| rng.next() as u8).collect();
    match rng.below(7) {
        0 => kernel.cloud_mqtt_connect_response(channel, state, rng.below(6) as u32),
        1 => kernel.cloud_mqtt_subscription_response(channel, rng.below(2) == 0, state, id, &codes),
        2 => kernel.cloud_mqtt_publish_response(channel, state, id, rng.below(3) as u32),
        3 => kernel.cloud_mqtt_disconnect_response(channel, state, 0),
        4 => kernel.cloud_mqtt_acked(channel),
        _ => {
            let split = rng.below(bytes.len() as u64 + 1) as usize;
            let big = vec![0x5A; if rng.below(8) == 0 { 2000 } else { 0 }];
            let payload = if big.is_empty() {
                &bytes[split..]
            } else {
                &big
            };
            kernel.cloud_mqtt_message(
                channel,
                id,
                rng.below(3) as u8,
                rng.below(2) == 0,
                &bytes[..split],
                payload,
            );
        }
    }
}

/// Every byte a delivery wrote lies in a receive buffer the app lent a
/// channel, or in a notification ring (both checked when they were set up).
fn assert_delivery_writes_stay_in_lent_buffers(
    writes: &[(u32, usize)],
    lent: &[(u32, u32)],
    seed: u64,
    i: u64,
) {
    for &(addr, len) in writes {
        let inside = lent.iter().any(|&(base, size)| {
            u64::from(addr) >= u64::from(base)
                && u64::from(addr) + len as u64 <= u64::from(base) + u64::from(size)
        });
        assert!(
            inside,
            "seed {seed:#x} call {i}: a cloud delivery wrote {len} bytes at {addr:#x}, outside every buffer the app lent"
        );
    }
}

/// The fuzz's state: the kernel and what it handed out.
struct Fuzz {
    seed: u64,
    kernel: Kernel<FakeBoard>,
    live: Live,
    /// Where the kernel wrote handles.
    slots: Vec<u32>,
    /// Channels the cloud heard of, and those that made a request.
    channels: Vec<u32>,
    requests: Vec<u32>,
    /// Receive buffers and rings the kernel accepted: where deliveries may write.
    lent: Vec<(u32, u32)>,
    accepted: [u32; 80],
    calls: u64,
}

fn word(ram: &[u8], addr: u32) -> u32 {
    let at = (addr.wrapping_sub(RAM)) as usize;
    ram.get(at..at + 4)
        .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap()))
}

impl Fuzz {
    fn put(&mut self, at: u32, words: &[u32]) {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        self.kernel.board_mut().put(at, &bytes);
    }

    /// One call, with the boundary's invariants checked, and what it
    /// handed out remembered.
    fn call(&mut self, slot: u32, args: [u32; 4]) -> MvStatus {
        let (seed, i) = (self.seed, self.calls);
        self.calls += 1;
        let before = self.kernel.board().ram.clone();
        let writes_before = self.kernel.board().writes;
        let raw = self.kernel.dispatch(slot, args);
        let status = MvStatus::try_from(raw).unwrap_or_else(|_| {
            panic!("seed {seed:#x} call {i}: slot {slot} {args:x?} returned {raw:#x}")
        });
        assert!(
            documented_statuses::allowed(slot).contains(&status),
            "seed {seed:#x} call {i}: slot {slot} {args:x?} returned {status:?}, which neither the header nor firmware/ABI.md documents for it"
        );
        match status {
            MvStatus::Okay => self.accepted[slot as usize] += 1,
            MvStatus::LateFault => {}
            refused => assert!(
                self.kernel.board().ram == before && self.kernel.board().writes == writes_before,
                "seed {seed:#x} call {i}: slot {slot} {args:x?} was refused with {refused:?} but changed app memory"
            ),
        }
        if status != MvStatus::Okay {
            return status;
        }
        if matches!(slot, 10 | 26 | 31 | 61 | 65) {
            self.live.forget(word(&before, args[0]));
        }
        if matches!(slot, 8 | 16 | 24 | 60 | 68) {
            // The handle goes where the call's last pointer argument points.
            let at = if slot == 68 { args[0] } else { args[1] };
            let handle = word(&self.kernel.board().ram, at);
            self.live.note(slot, handle, at);
            self.slots.push(at);
            if self.slots.len() > 256 {
                self.slots.remove(0);
            }
        }
        match slot {
            16 => self
                .lent
                .push((word(&before, args[0] + 4), word(&before, args[0] + 8))),
            24 => self
                .lent
                .push((word(&before, args[0] + 16), word(&before, args[0] + 20))),
            _ => {}
        }
        status
    }

    /// The cloud's turn, with every byte it makes the kernel write checked.
    fn cloud(&mut self, rng: &mut Rng) {
        self.kernel.board_mut().write_log = Some(Vec::new());
        if rng.below(512) == 0 {
            self.kernel.set_link(LinkState {
                online: rng.below(4) != 0,
                logging_enabled: true,
            });
        }
        cloud_turn(
            rng,
            &mut self.kernel,
            &mut self.channels,
            &mut self.requests,
        );
        let writes = self.kernel.board_mut().write_log.take().unwrap_or_default();
        assert_delivery_writes_stay_in_lent_buffers(&writes, &self.lent, self.seed, self.calls);
    }

    /// A well-formed MQTT session on a new channel: connect, subscribe,
    /// unsubscribe, publish, a message and a lost one received, an
    /// acknowledgement and a disconnect, each answer read back.
    fn mqtt_session(&mut self, rng: &mut Rng, centre: u32, network: u32) {
        let (s, out, text) = (rng.ram(4, 64), rng.ram(4, 64), rng.ram(4, 32));
        let (rx, tx) = (rng.ram(16, 256), rng.ram(512, 512));
        self.put(s, &[1, centre, 9, network, rx, 256, tx, 512, 1, 0, 0]);
        if self.call(24, [s, out, 0, 0]) != MvStatus::Okay {
            return;
        }
        let ch = word(&self.kernel.board().ram, out);
        self.kernel.board_mut().put(text, b"lab.test/client-1/t");
        // host, client id; no auth, TLS or Will
        self.put(
            s,
            &[1, text, 8, 1883, text + 9, 8, 0, 0, 0, 0, 0, 0, 60, 0, 0],
        );
        if self.call(53, [ch, s, 0, 0]) != MvStatus::Okay {
            return;
        }
        self.cloud(rng);
        self.deliver(|k| k.cloud_mqtt_connect_response(ch, 0, 0));
        self.call(51, [ch, out, 0, 0]);
        self.call(45, [ch, out, 0, 0]);
        // subscribe, then unsubscribe, to one topic
        self.put(s + 32, &[text + 9, 10, 1, 0, 0, 0]);
        self.put(s, &[7, s + 32, 1]);
        self.call(47, [ch, s, 0, 0]);
        self.deliver(|k| k.cloud_mqtt_subscription_response(ch, false, 0, 7, &[1]));
        let response = |f: &mut Self| f.put(s, &[out, out + 4, out + 8, 32, out + 40]);
        response(self);
        self.call(54, [ch, s, 0, 0]);
        self.put(s + 32, &[text + 9, 10]);
        self.put(s, &[8, s + 32, 1]);
        self.call(52, [ch, s, 0, 0]);
        self.deliver(|k| k.cloud_mqtt_subscription_response(ch, true, 0, 8, &[0]));
        response(self);
        self.call(41, [ch, s, 0, 0]);
        // publish
        self.put(s, &[9, text + 9, 10, text, 8, 1, 0]);
        self.call(46, [ch, s, 0, 0]);
        self.deliver(|k| k.cloud_mqtt_publish_response(ch, 0, 9, 0));
        self.call(48, [ch, out, 0, 0]);
        // a message that fits, then one that never can
        self.deliver(|k| {
            k.cloud_mqtt_message(ch, 3, 1, false, b"t/1", b"hello");
            k.cloud_mqtt_message(ch, 4, 0, false, b"t/2", &[0; 300]);
        });
        let buf = rng.ram(4, 64);
        self.put(
            s,
            &[
                out,
                buf,
                16,
                out + 4,
                buf + 16,
                32,
                out + 8,
                out + 12,
                out + 16,
            ],
        );
        self.call(50, [ch, s, 0, 0]);
        self.put(s, &[out, buf, 16, out + 4, out + 8]);
        self.call(49, [ch, s, 0, 0]);
        self.call(42, [ch, 3, 0, 0]);
        self.deliver(|k| k.cloud_mqtt_acked(ch));
        self.call(44, [ch, 0, 0, 0]);
        self.deliver(|k| k.cloud_mqtt_disconnect_response(ch, 0, 0));
        self.call(43, [ch, out, 0, 0]);
        self.put(s, &[ch]);
        self.call(31, [s, 0, 0, 0]);
    }

    /// A cloud delivery, with every byte it makes the kernel write checked.
    /// First the device core takes what the kernel owes the cloud.
    fn deliver(&mut self, f: impl FnOnce(&mut Kernel<FakeBoard>)) {
        let mut data = [0u8; 1024];
        while let Some(event) = self.kernel.next_net_event(&mut data) {
            if let NetEvent::MqttRequest { channel, len } = event {
                let mut bytes = vec![0u8; len as usize];
                assert!(self.kernel.copy_request(channel, &mut bytes));
                assert!(
                    mv_kernel::channels::wire::parse_mqtt(&bytes).is_some(),
                    "seed {:#x}: the kernel wrote an MQTT request that does not parse",
                    self.seed
                );
            }
        }
        self.kernel.board_mut().write_log = Some(Vec::new());
        f(&mut self.kernel);
        let writes = self.kernel.board_mut().write_log.take().unwrap_or_default();
        assert_delivery_writes_stay_in_lent_buffers(&writes, &self.lent, self.seed, self.calls);
    }

    /// A well-formed session, the way an app uses the calls: a centre, a
    /// network, an HTTP channel with a request and its answer read back, a
    /// config channel with a fetch and an item read back, an MQTT session. Random calls in
    /// between hit the same objects in every state this leaves them in.
    fn app_session(&mut self, rng: &mut Rng) {
        let ring = rng.ram(8, 64);
        let (s, out, text) = (rng.ram(4, 64), rng.ram(4, 8), rng.ram(4, 32));
        self.put(s, &[40 + rng.below(40) as u32, ring, 64]);
        if self.call(16, [s, out, 0, 0]) != MvStatus::Okay {
            return;
        }
        let centre = word(&self.kernel.board().ram, out);
        self.put(s, &[1, centre, 7]);
        if self.call(8, [s, out, 0, 0]) != MvStatus::Okay {
            return;
        }
        let network = word(&self.kernel.board().ram, out);
        for channel_type in [2u32, 3] {
            let (rx, tx) = (rng.ram(16, 256), rng.ram(512, 512));
            self.put(
                s,
                &[1, centre, 9, network, rx, 256, tx, 512, channel_type, 0, 0],
            );
            if self.call(24, [s, out, 0, 0]) != MvStatus::Okay {
                continue;
            }
            let ch = word(&self.kernel.board().ram, out);
            let request = if channel_type == 2 {
                self.kernel.board_mut().put(text, b"GEThttps://lab/x");
                self.put(s, &[text, 3, text + 3, 13, 0, 0, 0, 0, 5000]);
                self.call(32, [ch, s, 0, 0])
            } else {
                self.kernel.board_mut().put(text, b"key1");
                self.put(s + 32, &[0, 1, text, 4]);
                self.put(s, &[1, s + 32]);
                self.call(38, [ch, s, 0, 0])
            };
            if request != MvStatus::Okay {
                continue;
            }
            self.cloud(rng);
            self.kernel.board_mut().write_log = Some(Vec::new());
            if channel_type == 2 {
                self.kernel
                    .cloud_http_response(ch, 0, 200, &[&b"a: b"[..], b"c: d"], 20);
                self.kernel.cloud_http_body(ch, &[0x42; 20]);
            } else {
                self.kernel
                    .cloud_config_response(ch, 0, &[(0, &b"value"[..])]);
            }
            let writes = self.kernel.board_mut().write_log.take().unwrap_or_default();
            assert_delivery_writes_stay_in_lent_buffers(&writes, &self.lent, self.seed, self.calls);
            let buf = rng.ram(4, 64);
            if channel_type == 2 {
                self.call(35, [ch, out, 0, 0]);
                self.call(34, [ch, rng.below(3) as u32, buf, 8]);
                self.call(33, [ch, rng.below(24) as u32, buf, 16]);
            } else {
                self.call(39, [ch, out, 0, 0]);
                self.put(s, &[0, out, buf, 16, out + 4]);
                self.call(40, [ch, s, 0, 0]);
            }
        }
        self.mqtt_session(rng, centre, network);
    }
}

#[test]
fn random_calls_never_break_the_boundary() {
    let seed = env_u64("MV_FUZZ_SEED", 0x00C0_FFEE);
    let calls = env_u64("MV_FUZZ_CALLS", 200_000);
    let mut rng = Rng(seed | 1);
    let mut fz = Fuzz {
        seed,
        kernel: Kernel::new(FakeBoard::default()),
        live: Live::default(),
        slots: Vec::new(),
        channels: Vec::new(),
        requests: Vec::new(),
        lent: Vec::new(),
        accepted: [0; 80],
        calls: 0,
    };
    while fz.calls < calls {
        // Scribble on app memory now and then, as a hostile app would.
        if rng.below(8) == 0 {
            let at = rng.below(u64::from(RAM_SIZE) - 16) as usize;
            let v = rng.next().to_le_bytes();
            fz.kernel.board_mut().ram[at..at + 8].copy_from_slice(&v);
        }
        // A millisecond passes per call (the open rate limit is per second).
        fz.kernel.board_mut().now += 1000;
        if rng.below(2) == 0 {
            fz.cloud(&mut rng);
        }
        if rng.below(2000) == 0 {
            fz.app_session(&mut rng);
        }
        // Now and then the factory's application test starts or ends.
        if rng.below(5000) == 0 {
            let on = !fz.kernel.app_test_mode();
            fz.kernel.set_app_test_mode(on);
        }
        let slot = rng.below(80) as u32;
        let args = if rng.below(2) == 0 {
            let plan = plausible(&mut rng, slot, &fz.live, &fz.slots, &fz.requests);
            for (at, words) in plan.plant {
                fz.put(at, &words);
            }
            plan.args
        } else {
            let all = fz.live.all();
            [
                interesting(&mut rng, &all, &fz.slots),
                interesting(&mut rng, &all, &fz.slots),
                interesting(&mut rng, &all, &fz.slots),
                interesting(&mut rng, &all, &fz.slots),
            ]
        };
        // Now and then the app calls from one of its interrupt handlers.
        fz.kernel.board_mut().in_interrupt = fz.calls % 8 == 7;
        fz.call(slot, args);
        fz.kernel.board_mut().in_interrupt = false;
    }
    let accepted = fz.accepted;
    eprintln!(
        "{} calls; accepted per slot 0..55: {:?}",
        fz.calls,
        &accepted[..55]
    );
    // The stream must reach the success paths, or it proves little.
    for (slot, name) in [
        (2, "mvGetMicroseconds"),
        (5, "mvGetDeviceId"),
        (10, "mvCloseNotifications"),
        (16, "mvSetupNotifications"),
        (28, "mvTempTriggerNotification"),
        (36, "mvServerLoggingInit"),
        (37, "mvServerLog"),
        (60, "mvOpenSystemNotification"),
        (8, "mvRequestNetwork"),
        (26, "mvReleaseNetwork"),
        (29, "mvGetNetworkStatus"),
        (25, "mvGetNetworkReasons"),
        (24, "mvOpenChannel"),
        (31, "mvCloseChannel"),
        (9, "mvGetChannelClosureReason"),
        (6, "mvWriteChannel"),
        (1, "mvWriteChannelStream"),
        (22, "mvReadChannel"),
        (14, "mvReadChannelComplete"),
        (32, "mvSendHttpRequest"),
        (35, "mvReadHttpResponseData"),
        (34, "mvReadHttpResponseHeader"),
        (33, "mvReadHttpResponseBody"),
        (38, "mvSendConfigFetchRequest"),
        (39, "mvReadConfigFetchResponseData"),
        (40, "mvReadConfigResponseItem"),
        (68, "mvExternalFlashOpen"),
        (65, "mvExternalFlashClose"),
        (66, "mvExternalFlashGetInfo"),
        (67, "mvExternalFlashWriteBlocking"),
        (70, "mvExternalFlashReadBlocking"),
        (69, "mvExternalFlashEraseBlocking"),
        (72, "mvSetWifiConfig"),
        (73, "mvGetWifiConfig"),
        (11, "mvSetFastInterrupt"),
        (0, "mvEnableFastInterrupt"),
        (58, "mvPowerSave"),
        (59, "mvSystemLedEnable"),
        (12, "mvTemporaryStructTest"),
        (57, "mvTestLoggingInit"),
        (56, "mvTestLog"),
        (53, "mvMqttRequestConnect"),
        (45, "mvMqttReadConnectResponse"),
        (47, "mvMqttRequestSubscribe"),
        (54, "mvMqttReadSubscribeResponse"),
        (52, "mvMqttRequestUnsubscribe"),
        (41, "mvMqttReadUnsubscribeResponse"),
        (46, "mvMqttRequestPublish"),
        (48, "mvMqttReadPublishResponse"),
        (51, "mvMqttGetNextReadableDataType"),
        (50, "mvMqttReceiveMessage"),
        (49, "mvMqttReceiveLostMessageInfo"),
        (42, "mvMqttAcknowledgeMessage"),
        (44, "mvMqttRequestDisconnect"),
        (43, "mvMqttReadDisconnectResponse"),
    ] {
        assert!(
            accepted[slot] > 0,
            "seed {seed:#x}: {name} never succeeded in {calls} calls; the fuzz does not reach it"
        );
    }
}
