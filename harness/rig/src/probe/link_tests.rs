//! The pump against an in-memory device: frames both ways, the log, a fault.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hil_report::LogLine;
use mv_proto::{encode_frame, FaultKind, FaultReport};

use super::{finish, pump, RttLink, RttPort, Up};
use crate::probe::ProbeError;
use crate::RigError;

/// What the fake device's RTT holds.
#[derive(Default)]
struct Device {
    cloud_up: Vec<u8>,
    defmt_up: Vec<u8>,
    /// Everything the host wrote into the down channel, in order.
    down: Vec<u8>,
    fault: Option<FaultReport>,
}

/// Moves a few bytes a call, as a small ring buffer would, so frames
/// cross calls in pieces.
const PIECE: usize = 5;

struct Fake(Arc<Mutex<Device>>);

impl RttPort for Fake {
    fn read_up(&mut self, channel: Up, buf: &mut [u8]) -> Result<usize, ProbeError> {
        let mut device = self.0.lock().unwrap();
        let bytes = match channel {
            Up::Cloud => &mut device.cloud_up,
            Up::Defmt => &mut device.defmt_up,
        };
        let n = bytes.len().min(buf.len()).min(PIECE);
        buf[..n].copy_from_slice(&bytes[..n]);
        bytes.drain(..n);
        Ok(n)
    }

    fn write_down(&mut self, bytes: &[u8]) -> Result<usize, ProbeError> {
        let n = bytes.len().min(PIECE);
        self.0.lock().unwrap().down.extend_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn kernel_fault(&mut self) -> Result<Option<FaultReport>, ProbeError> {
        Ok(self.0.lock().unwrap().fault.clone())
    }
}

/// A pump over `device` on its own thread; the log "decoder" turns each
/// zero-terminated frame into a line holding its bytes.
fn start(device: &Arc<Mutex<Device>>) -> (RttLink, JoinHandle<()>) {
    let mut tail = Vec::new();
    start_decoding(device, move |bytes: &[u8]| {
        tail.extend_from_slice(bytes);
        let mut lines = Vec::new();
        while let Some(end) = tail.iter().position(|&b| b == 0) {
            let frame: Vec<u8> = tail.drain(..=end).collect();
            lines.push(LogLine {
                source: "defmt:secure".into(),
                text: format!("{frame:02x?}"),
                location: None,
            });
        }
        lines
    })
}

fn start_decoding(
    device: &Arc<Mutex<Device>>,
    decode: impl FnMut(&[u8]) -> Vec<LogLine> + Send + 'static,
) -> (RttLink, JoinHandle<()>) {
    let (link, ends, ended) = RttLink::pair();
    let mut port = Fake(device.clone());
    let pump = std::thread::spawn(move || {
        finish(pump(&mut port, decode, &ends), &ended);
    });
    (link, pump)
}

fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn report() -> FaultReport {
    FaultReport {
        kind: FaultKind::SecureFault,
        registers: vec![("SFSR".into(), 0x48), ("SFAR".into(), 0x3000_0000)],
    }
}

#[test]
fn frames_the_device_writes_arrive_as_frames() {
    let device = Arc::new(Mutex::new(Device::default()));
    let (mut link, _pump) = start(&device);
    let first = (7u32, String::from("hello cloud"));
    let second = (8u32, String::from("a second frame, longer than a piece"));
    {
        let mut d = device.lock().unwrap();
        d.cloud_up.extend(encode_frame(&first).unwrap());
        d.cloud_up.extend(encode_frame(&second).unwrap());
    }
    let wait = Duration::from_secs(5);
    assert_eq!(link.cloud.receive::<(u32, String)>(wait).unwrap(), first);
    assert_eq!(link.cloud.receive::<(u32, String)>(wait).unwrap(), second);
}

#[test]
fn frames_sent_reach_the_down_channel_byte_exact() {
    let device = Arc::new(Mutex::new(Device::default()));
    let (mut link, _pump) = start(&device);
    let messages = [(1u32, String::from("to the device")), (2, "again".into())];
    let mut expected = Vec::new();
    for m in &messages {
        link.cloud.send(m).unwrap();
        expected.extend(encode_frame(m).unwrap());
    }
    until("both frames in the down channel", || {
        device.lock().unwrap().down.len() >= expected.len()
    });
    assert_eq!(device.lock().unwrap().down, expected);
}

#[test]
fn defmt_bytes_reach_the_decoder_and_come_out_as_log_lines() {
    let device = Arc::new(Mutex::new(Device::default()));
    let (link, _pump) = start(&device);
    device
        .lock()
        .unwrap()
        .defmt_up
        .extend([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x00, 0x77, 0x00]);
    let mut lines = Vec::new();
    until("two log lines", || {
        lines.extend(link.take_log());
        lines.len() >= 2
    });
    let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(text, ["[11, 22, 33, 44, 55, 66, 00]", "[77, 00]"]);
    assert!(lines.iter().all(|l| l.source == "defmt:secure"));
}

#[test]
fn a_kernel_fault_ends_the_link_with_the_fault_after_what_came_before() {
    let device = Arc::new(Mutex::new(Device::default()));
    let (mut link, pump) = start(&device);
    {
        let mut d = device.lock().unwrap();
        d.cloud_up
            .extend(encode_frame(&(3u32, String::from("last words"))).unwrap());
        d.defmt_up.extend([0x42, 0x00]);
        d.fault = Some(report());
    }
    pump.join().unwrap();
    let wait = Duration::from_secs(1);
    // What the device sent before it faulted still arrives, then the fault.
    assert_eq!(
        link.cloud.receive::<(u32, String)>(wait).unwrap(),
        (3, "last words".into())
    );
    assert_eq!(link.take_log().len(), 1);
    match link.cloud.receive::<(u32, String)>(wait) {
        Err(RigError::DeviceFault(r)) => assert_eq!(r, report()),
        other => panic!("expected the device fault, got {other:?}"),
    }
    match link.cloud.send(&(4u32, String::new())) {
        Err(RigError::DeviceFault(r)) => assert_eq!(r, report()),
        other => panic!("expected the device fault, got {other:?}"),
    }
}

#[test]
fn dropping_the_link_stops_the_pump() {
    let device = Arc::new(Mutex::new(Device::default()));
    let (link, pump) = start(&device);
    drop(link);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !pump.is_finished() {
        assert!(Instant::now() < deadline, "the pump still runs");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// rzCOBS, as defmt's encoder writes it (`defmt/src/encoding/rzcobs.rs`):
/// what the secure image's logger puts on the channel.
fn rzcobs(data: &[u8]) -> Vec<u8> {
    let (mut out, mut run, mut zeros) = (Vec::new(), 0u8, 0u8);
    for &byte in data {
        if run < 7 {
            if byte == 0 {
                zeros |= 1 << run;
            } else {
                out.push(byte);
            }
            run += 1;
            if run == 7 && zeros != 0 {
                out.push(zeros);
                (run, zeros) = (0, 0);
            }
        } else if byte == 0 {
            out.push((run - 7) | 0x80);
            (run, zeros) = (0, 0);
        } else {
            out.push(byte);
            run += 1;
            if run == 134 {
                out.push(0xFF);
                (run, zeros) = (0, 0);
            }
        }
    }
    match run {
        0 => {}
        1..=6 => out.push((zeros | (0xFF << run)) & 0x7F),
        _ => out.push((run - 7) | 0x80),
    }
    out.push(0);
    out
}

#[test]
fn a_real_defmt_frame_of_the_u585_secure_image_becomes_its_line_with_its_location() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    let images = crate::qemu::build_board_images(&root, crate::qemu::ImageBoard::Stm32u585)
        .unwrap_or_else(|e| panic!("building the firmware images: {e}"));
    let elf = std::fs::read(&images.secure).unwrap();
    // The boot message (`firmware/secure/src/u585/main.rs`): its index is
    // the table's, found by decoding each index with a timestamp of 0.
    let table = defmt_decoder::Table::parse(&elf).unwrap().unwrap();
    let boot = "mv-secure: boot on stm32u585";
    let payload = table
        .indices()
        .map(|i| {
            let mut p = (i as u16).to_le_bytes().to_vec();
            p.extend(1234u64.to_le_bytes());
            p
        })
        .find(|p| {
            table
                .decode(p)
                .is_ok_and(|(f, _)| f.display_message().to_string() == boot)
        })
        .expect("the boot message is in the secure image's defmt table");
    let mut decoder = crate::DefmtDecoder::new("defmt:secure", &elf, &root)
        .unwrap()
        .unwrap();
    let device = Arc::new(Mutex::new(Device::default()));
    let (link, _pump) = start_decoding(&device, move |b: &[u8]| decoder.feed(b));
    device.lock().unwrap().defmt_up.extend(rzcobs(&payload));
    let mut lines = Vec::new();
    until("the boot line", || {
        lines.extend(link.take_log());
        !lines.is_empty()
    });
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].text, format!("INFO {boot}"));
    assert_eq!(lines[0].source, "defmt:secure");
    let location = lines[0].location.as_deref().unwrap_or("");
    assert!(
        location.starts_with("firmware/secure/src/u585/main.rs:"),
        "{location}"
    );
}
