//! The boundary fuzz's plans: plausible arguments per slot, and the handles the kernel handed out.

use crate::fake_board::{EXT_FLASH_SIZE, RAM, RAM_SIZE, SECURE, VTOR};
use crate::Rng;

/// Words to plant at an address, and the call's arguments pointing there.
pub(crate) struct Plan {
    pub(crate) plant: Vec<(u32, Vec<u32>)>,
    pub(crate) args: [u32; 4],
}

/// Handles the kernel handed out, by kind (the slot that made them), and
/// where it wrote each one (close and release calls aim there).
#[derive(Default)]
pub(crate) struct Live {
    centres: Vec<u32>,
    networks: Vec<u32>,
    channels: Vec<u32>,
    system: Vec<u32>,
    /// External-flash handles.
    flash: Vec<u32>,
    /// `[centres, networks, channels, system, flash]`: where the handles were written.
    written_at: [Vec<u32>; 5],
}

impl Live {
    pub(crate) fn all(&self) -> Vec<u32> {
        [
            &self.centres,
            &self.networks,
            &self.channels,
            &self.system,
            &self.flash,
        ]
        .into_iter()
        .flatten()
        .copied()
        .collect()
    }

    pub(crate) fn kind(slot: u32) -> usize {
        match slot {
            16 | 10 | 28 => 0,
            8 | 26 | 29 => 1,
            24 | 31 => 2,
            68 | 65 => 4,
            _ => 3,
        }
    }

    /// A close or release call succeeded: the handle is dead.
    pub(crate) fn forget(&mut self, handle: u32) {
        for (list, at) in [
            &mut self.centres,
            &mut self.networks,
            &mut self.channels,
            &mut self.system,
            &mut self.flash,
        ]
        .into_iter()
        .zip(self.written_at.iter_mut())
        {
            while let Some(i) = list.iter().position(|&h| h == handle) {
                list.remove(i);
                at.remove(i);
            }
        }
    }

    pub(crate) fn note(&mut self, slot: u32, handle: u32, at: u32) {
        let k = Self::kind(slot);
        let list = match k {
            0 => &mut self.centres,
            1 => &mut self.networks,
            2 => &mut self.channels,
            4 => &mut self.flash,
            _ => &mut self.system,
        };
        list.push(handle);
        self.written_at[k].push(at);
        if list.len() > 64 {
            list.remove(0);
            self.written_at[k].remove(0);
        }
    }
}

/// Plausible arguments for `slot`: structs planted in RAM with fields
/// that pass some checks, live handles of the kind the call takes, output
/// pointers in RAM. They get calls past the first checks to the deep
/// paths; the random arguments and the app's scribbling try everything else.
pub(crate) fn plausible(
    rng: &mut Rng,
    slot: u32,
    live: &Live,
    slots: &[u32],
    requested: &[u32],
) -> Plan {
    let kind = |rng: &mut Rng, list: &[u32]| match rng.below(8) {
        0 => rng.next() as u32,
        1 => rng.pick(&live.all()),
        _ => rng.pick(list),
    };
    let centre = |rng: &mut Rng| kind(rng, &live.centres);
    let network = |rng: &mut Rng| kind(rng, &live.networks);
    let h = |rng: &mut Rng| kind(rng, &live.channels);
    let flash = |rng: &mut Rng| kind(rng, &live.flash);
    let ext_address = |rng: &mut Rng| match rng.below(4) {
        0 => EXT_FLASH_SIZE - rng.below(700) as u32,
        1 => rng.next() as u32,
        _ => rng.below(u64::from(EXT_FLASH_SIZE)) as u32,
    };
    // Reads of a response aim at channels that made a request.
    let asked = |rng: &mut Rng| {
        if requested.is_empty() || rng.below(4) == 0 {
            kind(rng, &live.channels)
        } else {
            rng.pick(requested)
        }
    };
    // An output pointer: mostly good, now and then bad in one of the ways
    // that must be refused before anything else happens.
    let out = |rng: &mut Rng| match rng.below(16) {
        0 => SECURE + 4 * rng.below(64) as u32,
        1 => rng.ram(4, 16) + 1 + rng.below(3) as u32,
        2 => RAM + RAM_SIZE - rng.below(4) as u32,
        _ => rng.ram(4, 16),
    };
    let at = |rng: &mut Rng, words: usize| rng.ram(4, words as u32 * 4);
    let one = |at: u32, words: Vec<u32>, args: [u32; 4]| Plan {
        plant: vec![(at, words)],
        args,
    };
    match slot {
        // mvSetupNotifications
        16 => {
            let a = at(rng, 3);
            let words = vec![
                rng.below(100) as u32,
                rng.ram(8, 128),
                16 * rng.below(9) as u32,
            ];
            one(a, words, [a, out(rng), 0, 0])
        }
        // mvOpenSystemNotification
        60 => {
            let a = at(rng, 3);
            one(
                a,
                vec![centre(rng), rng.next() as u32, rng.below(3) as u32],
                [a, out(rng), 0, 0],
            )
        }
        // mvRequestNetwork
        8 => {
            let a = at(rng, 3);
            let words = vec![
                1 + u32::from(rng.below(8) == 0),
                centre(rng),
                rng.next() as u32,
            ];
            one(a, words, [a, out(rng), 0, 0])
        }
        // mvOpenChannel (the endpoint name is planted too)
        24 => {
            let a = at(rng, 11);
            let name = rng.ram(4, 8);
            let tx_len = 512 * rng.below(3) as u32;
            // Mostly a type with a fitting endpoint; now and then neither.
            let channel_type = [0, 0, 2, 3, 1, 4][rng.below(6) as usize];
            let (name_words, name_len) = match (channel_type, rng.below(8)) {
                (_, 0) => (vec![rng.next() as u32], rng.below(5) as u32),
                (0, n) if n % 2 == 0 => (vec![u32::from_le_bytes(*b"echo")], 4),
                (0, _) => (vec![u32::from_le_bytes(*b"rela"), u32::from(b'y')], 5),
                _ => (vec![0], 0),
            };
            let words = vec![
                1 + u32::from(rng.below(16) == 0),
                centre(rng),
                rng.next() as u32,
                network(rng),
                rng.ram(1, 256),
                16 * rng.below(17) as u32,
                rng.ram(512, tx_len),
                tx_len,
                channel_type,
                name,
                name_len,
            ];
            Plan {
                plant: vec![(a, words), (name, name_words)],
                args: [a, out(rng), 0, 0],
            }
        }
        // mvSendHttpRequest: the request, its header array, in RAM
        32 => {
            let a = at(rng, 9);
            let headers = rng.ram(4, 24);
            let words = vec![
                rng.ram(1, 8),
                rng.below(8) as u32,
                rng.ram(1, 64),
                rng.below(64) as u32,
                rng.below(3) as u32,
                headers,
                rng.ram(1, 32),
                rng.below(32) as u32,
                5000 + rng.below(6000) as u32,
            ];
            let header_words = vec![
                rng.below(16) as u32,
                rng.ram(1, 16),
                rng.below(16) as u32,
                rng.ram(1, 16),
            ];
            Plan {
                plant: vec![(a, words), (headers, header_words)],
                args: [h(rng), a, 0, 0],
            }
        }
        // mvSendConfigFetchRequest: the params and one key
        38 => {
            let a = at(rng, 2);
            let key = rng.ram(4, 16);
            Plan {
                plant: vec![
                    (a, vec![rng.below(3) as u32, key]),
                    (
                        key,
                        vec![
                            rng.below(3) as u32,
                            rng.below(3) as u32,
                            rng.ram(1, 16),
                            rng.below(12) as u32,
                        ],
                    ),
                ],
                args: [h(rng), a, 0, 0],
            }
        }
        // mvReadConfigResponseItem
        40 => {
            let a = at(rng, 5);
            let words = vec![
                rng.below(3) as u32,
                out(rng),
                rng.ram(1, 64),
                rng.below(64) as u32,
                out(rng),
            ];
            one(a, words, [asked(rng), a, 0, 0])
        }
        // mvMqttRequestConnect: the request, and now and then a Will and
        // TLS credentials with one certificate each way
        53 => {
            let a = at(rng, 15);
            let (will, tls, cert) = (rng.ram(4, 24), rng.ram(4, 24), rng.ram(4, 8));
            let s = |rng: &mut Rng| (rng.ram(1, 16), rng.below(16) as u32);
            let (host, id, user, pass) = (s(rng), s(rng), s(rng), s(rng));
            let words = vec![
                rng.below(3) as u32,
                host.0,
                host.1,
                1883,
                id.0,
                id.1,
                rng.below(3) as u32,
                user.0,
                user.1,
                pass.0,
                pass.1,
                if rng.below(4) == 0 { tls } else { 0 },
                60,
                rng.below(2) as u32,
                if rng.below(4) == 0 { will } else { 0 },
            ];
            let (t, p) = (s(rng), s(rng));
            let will_words = vec![t.0, t.1, p.0, p.1, rng.below(3) as u32, 0];
            let n = |rng: &mut Rng| [0, 1, 9][rng.below(3) as usize];
            let tls_words = vec![n(rng), cert, n(rng), cert, t.0, t.1];
            Plan {
                plant: vec![
                    (a, words),
                    (will, will_words),
                    (tls, tls_words),
                    (cert, vec![p.0, p.1]),
                ],
                args: [h(rng), a, 0, 0],
            }
        }
        // mvMqttRequestSubscribe: the request and one or two subscriptions
        47 => {
            let (a, subs) = (at(rng, 3), rng.ram(4, 48));
            let n = [0, 1, 2, 9][rng.below(4) as usize];
            let sub = |rng: &mut Rng| {
                vec![
                    rng.ram(1, 16),
                    rng.below(16) as u32,
                    rng.below(3) as u32,
                    0,
                    0,
                    0,
                ]
            };
            let mut sub_words = sub(rng);
            sub_words.extend(sub(rng));
            Plan {
                plant: vec![(a, vec![rng.next() as u32, subs, n]), (subs, sub_words)],
                args: [h(rng), a, 0, 0],
            }
        }
        // mvMqttRequestUnsubscribe: the request and its topics
        52 => {
            let (a, topics) = (at(rng, 3), rng.ram(4, 16));
            let n = [0, 1, 2, 9][rng.below(4) as usize];
            let topic_words = vec![
                rng.ram(1, 16),
                rng.below(16) as u32,
                rng.ram(1, 16),
                rng.below(16) as u32,
            ];
            Plan {
                plant: vec![
                    (a, vec![rng.next() as u32, topics, n]),
                    (topics, topic_words),
                ],
                args: [h(rng), a, 0, 0],
            }
        }
        // mvMqttRequestPublish
        46 => {
            let a = at(rng, 7);
            let words = vec![
                rng.next() as u32,
                rng.ram(1, 16),
                rng.below(16) as u32,
                rng.ram(1, 700),
                [0, 8, 100, 700][rng.below(4) as usize],
                rng.below(3) as u32,
                rng.below(2) as u32,
            ];
            one(a, words, [h(rng), a, 0, 0])
        }
        // mvMqttAcknowledgeMessage: mostly an id the cloud handed out
        42 => Plan {
            plant: Vec::new(),
            args: [asked(rng), rng.below(8) as u32, 0, 0],
        },
        // mvMqttReadSubscribeResponse, mvMqttReadUnsubscribeResponse
        54 | 41 => {
            let a = at(rng, 5);
            let words = vec![
                out(rng),
                out(rng),
                rng.ram(4, 32),
                4 * rng.below(9) as u32,
                out(rng),
            ];
            one(a, words, [asked(rng), a, 0, 0])
        }
        // mvMqttReceiveMessage: three outputs and two string buffers
        50 => {
            let a = at(rng, 9);
            let words = vec![
                out(rng),
                rng.ram(1, 64),
                rng.below(64) as u32,
                out(rng),
                rng.ram(1, 300),
                rng.below(300) as u32,
                out(rng),
                out(rng),
                rng.ram(1, 1),
            ];
            one(a, words, [asked(rng), a, 0, 0])
        }
        // mvMqttReceiveLostMessageInfo
        49 => {
            let a = at(rng, 5);
            let words = vec![
                out(rng),
                rng.ram(1, 64),
                rng.below(64) as u32,
                out(rng),
                out(rng),
            ];
            one(a, words, [asked(rng), a, 0, 0])
        }
        // mvMqttReadConnectResponse, …PublishResponse, …DisconnectResponse,
        // mvMqttGetNextReadableDataType, mvMqttRequestDisconnect
        45 | 48 | 43 | 51 | 44 => Plan {
            plant: Vec::new(),
            args: [asked(rng), out(rng), 0, 0],
        },
        // mvReadHttpResponseData, mvReadConfigFetchResponseData
        35 | 39 => Plan {
            plant: Vec::new(),
            args: [asked(rng), out(rng), 0, 0],
        },
        // close and release calls take a pointer to a handle: one the
        // kernel wrote, or a live one of the right kind copied anywhere
        10 | 26 | 31 | 61 | 65 => {
            if rng.below(4) == 0 {
                let written = &live.written_at[Live::kind(slot)];
                let at = if rng.below(2) == 0 {
                    rng.pick(slots)
                } else {
                    rng.pick(written)
                };
                return Plan {
                    plant: Vec::new(),
                    args: [at, 0, 0, 0],
                };
            }
            let list = match Live::kind(slot) {
                0 => &live.centres,
                1 => &live.networks,
                2 => &live.channels,
                4 => &live.flash,
                _ => &live.system,
            };
            let a = rng.ram(4, 4);
            one(a, vec![kind(rng, list)], [a, 0, 0, 0])
        }
        // mvWriteChannel, mvWriteChannelStream
        1 | 6 => Plan {
            plant: Vec::new(),
            args: [h(rng), rng.ram(1, 600), rng.below(600) as u32, out(rng)],
        },
        // mvReadHttpResponseHeader, mvReadHttpResponseBody
        33 | 34 => Plan {
            plant: Vec::new(),
            args: [
                asked(rng),
                rng.below(6) as u32,
                rng.ram(1, 64),
                rng.below(64) as u32,
            ],
        },
        // mvGetDeviceId
        5 => Plan {
            plant: Vec::new(),
            args: [rng.ram(1, 40), 33 + rng.below(3) as u32, 0, 0],
        },
        // mvServerLoggingInit
        36 => Plan {
            plant: Vec::new(),
            args: [rng.ram(512, 1024), 512 * (1 + rng.below(2) as u32), 0, 0],
        },
        // mvServerLog
        37 => Plan {
            plant: Vec::new(),
            args: [rng.ram(1, 64), rng.below(64) as u32, 0, 0],
        },
        // mvTempTriggerNotification
        28 => Plan {
            plant: Vec::new(),
            args: [centre(rng), rng.below(6) as u32, rng.next() as u32, 0],
        },
        // mvExternalFlashOpen
        68 => Plan {
            plant: Vec::new(),
            args: [out(rng), 0, 0, 0],
        },
        // mvExternalFlashGetInfo: the info struct with a version (mostly 1)
        66 => {
            let a = at(rng, 4);
            let version = 1 + u32::from(rng.below(8) == 0);
            one(a, vec![version, 0, 0, 0], [flash(rng), a, 0, 0])
        }
        // mvExternalFlashReadBlocking, mvExternalFlashWriteBlocking: an
        // address near the window, a length, a buffer in RAM
        67 | 70 => Plan {
            plant: Vec::new(),
            args: [
                flash(rng),
                ext_address(rng),
                rng.below(600) as u32,
                rng.ram(1, 600),
            ],
        },
        // mvExternalFlashEraseBlocking: mostly whole sectors
        69 => {
            let (address, length) = if rng.below(4) == 0 {
                (ext_address(rng), rng.below(9000) as u32)
            } else {
                (
                    4096 * rng.below(u64::from(EXT_FLASH_SIZE / 4096 + 1)) as u32,
                    4096 * rng.below(3) as u32,
                )
            };
            Plan {
                plant: Vec::new(),
                args: [flash(rng), address, length, 0],
            }
        }
        // mvSetWifiConfig: the config and its strings
        72 => {
            let a = at(rng, 6);
            let text = rng.ram(1, 80);
            let words = vec![
                1 + u32::from(rng.below(8) == 0),
                rng.below(3) as u32,
                text,
                rng.below(40) as u32,
                text + 8,
                rng.below(70) as u32,
            ];
            one(a, words, [a, 0, 0, 0])
        }
        // mvGetWifiConfig: the output pointers
        73 => {
            let a = at(rng, 5);
            let words = vec![
                1 + u32::from(rng.below(8) == 0),
                rng.ram(1, 40),
                rng.below(40) as u32,
                out(rng),
                rng.ram(1, 4) + rng.below(3) as u32,
            ];
            one(a, words, [a, 0, 0, 0])
        }
        // mvTemporaryStructTest: the struct and its nested sub-struct
        12 => {
            let a = at(rng, 5);
            let sub = if rng.below(8) == 0 {
                out(rng)
            } else {
                rng.ram(8, 16)
            };
            one(a, vec![1, rng.next() as u32, 0, sub, 0], [a, 0, 0, 0])
        }
        // the fast-interrupt calls: an IRQ, and mostly a vector for it in
        // the app's table (in app memory, as the app's image would have it)
        0 | 11 | 13 | 15 => {
            let irq = rng.below(110) as u32;
            let vector = if rng.below(8) == 0 {
                SECURE | 1
            } else {
                RAM + 0x101
            };
            one(VTOR + 4 * (16 + irq), vec![vector], [irq, 0, 0, 0])
        }
        // the power calls: a mode
        58 | 59 | 62 => Plan {
            plant: Vec::new(),
            args: [rng.below(8) as u32, 0, 0, 0],
        },
        // mvTestLoggingInit, mvTestLog: as the server-log calls
        57 => Plan {
            plant: Vec::new(),
            args: [rng.ram(512, 1024), 512 * (1 + rng.below(2) as u32), 0, 0],
        },
        56 => Plan {
            plant: Vec::new(),
            args: [rng.ram(1, 64), rng.below(64) as u32, 0, 0],
        },
        // mvGetNetworkStatus
        29 => Plan {
            plant: Vec::new(),
            args: [network(rng), out(rng), 0, 0],
        },
        // a handle and outputs: status, closure reason, reads, response data
        _ => Plan {
            plant: Vec::new(),
            args: [h(rng), out(rng), out(rng), rng.below(64) as u32],
        },
    }
}
