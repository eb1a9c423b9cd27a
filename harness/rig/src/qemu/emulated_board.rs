//! A QEMU-backed board for a lab: stable serial ports and a power switch on HTTP, so labgrid (or any lab engine) drives it like hardware.
//!
//! The design asks that a `board` rig be testable without a board. This is
//! that board: two pseudo-terminals stand for its USB UARTs (they exist
//! whether it is powered or not, as a probe's virtual COM port does), and a
//! power port answers labgrid's `rest` power model (`GET` reads `0`/`1`,
//! `PUT` sets it). As on hardware, power and flashing are separate: power
//! on starts the real secure image and agent under `qemu-system-arm` on the
//! NVM file as the board left it (a cut mid-update leaves what it left) and
//! bridges QEMU's UARTs to the stable ports; power off kills QEMU. `POST
//! /flash` is the flasher: it writes the factory image to the NVM (a
//! powered board is stopped for it and started again, as a probe halts,
//! writes and resets). `POST /reset` is its reset line: QEMU's
//! `system_reset` on the running board, which keeps its power, its NVM and
//! its ports (a board that is off cannot be reset). The board starts
//! flashed with the factory image, as one comes from the lab's bench. `GET
//! /status` reports the power state and every switch, flash and reset so
//! far, and the bytes sent to it while it was off (which it drops, as a
//! board without power does), for tests that check what happened to it.
//! `hil emulate-board` runs it; labgrid's exporter serves the two ports
//! through ser2net and the power port as a `NetworkPowerPort`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serialport::{SerialPort as _, TTYPort};

use super::nvm::{agent_factory, agent_rom, NvmFile, NVM_MIB};
use super::{build_images, Images, Launch, Machine, QemuConfig, Serial};
use crate::RigError;
use hil_sim::Factory;

mod wiring;
use wiring::Wiring;

/// Where the emulated board is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardPorts {
    /// The agent UART (a pty slave, e.g. `/dev/pts/5`).
    pub agent_link: String,
    /// The cloud UART.
    pub cloud_link: String,
    /// The power port, for labgrid's `rest` model (`{index}` is 0).
    pub power_url: String,
    /// The board's HTTP port (`/power/0`, `/flash`, `/reset`, `/status`),
    /// for `hil emulate-board power|flash|reset|status URL`.
    pub url: String,
}

struct Powered {
    /// Stopped once QEMU is killed (power-off kills it first).
    bridges: Wiring,
    machine: Machine,
}

/// One thing that happened to the board, for `GET /status`.
struct Event {
    /// Milliseconds since the board started serving.
    at_ms: u128,
    /// `on`, `off`, `flash` or `reset`.
    what: &'static str,
}

struct Board {
    config: QemuConfig,
    started: Instant,
    events: Vec<Event>,
    images: Images,
    factory: Factory,
    workdir: PathBuf,
    masters: [TTYPort; 2],
    powered: Option<Powered>,
    /// While the board is off: its ports drained.
    drains: Option<Wiring>,
    /// Bytes sent to the board while it was off, and dropped.
    dropped: Arc<AtomicU64>,
}

/// Builds the images, opens the ports and serves the power port on
/// `listen` until `stop` is set; `ready` is told where the board is.
pub fn serve(
    config: QemuConfig,
    listen: &str,
    stop: &AtomicBool,
    ready: impl FnOnce(&BoardPorts),
) -> Result<(), RigError> {
    let images = build_images(&config.root)?;
    let factory = agent_factory(&agent_rom(&images.agent)?);
    let pair = || {
        TTYPort::pair().map_err(|e| RigError::Link(format!("cannot open a pseudo-terminal: {e}")))
    };
    // The slaves stay open (and unread) here, so the ports live while the
    // board is off and the lab's ser2net can open them at any time.
    let (agent_master, agent_slave) = pair()?;
    let (cloud_master, cloud_slave) = pair()?;
    let name = |p: &TTYPort| p.name().unwrap_or_default();
    let listener = TcpListener::bind(listen)
        .map_err(|e| RigError::Link(format!("cannot listen on {listen}: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| RigError::Link(e.to_string()))?;
    // Removed when the board stops (or swept after a killed run).
    let scratch = hil_proc::scratch("emulated-board")
        .map_err(|e| RigError::Link(format!("cannot create a scratch folder: {e}")))?;
    let workdir = scratch.path().to_path_buf();
    let mut board = Board {
        config,
        started: Instant::now(),
        events: Vec::new(),
        images,
        factory,
        workdir,
        masters: [agent_master, cloud_master],
        powered: None,
        drains: None,
        dropped: Arc::default(),
    };
    board.drain()?;
    board.flash()?;
    ready(&BoardPorts {
        agent_link: name(&agent_slave),
        cloud_link: name(&cloud_slave),
        power_url: format!("http://{address}/power/{{index}}"),
        url: format!("http://{address}"),
    });
    let board = Arc::new(Mutex::new(board));
    // A blocking accept answers a request at once (a poll would add its
    // period to every power switch, flash and reset); a watcher wakes it
    // with a connection of its own when `stop` is set.
    let done = AtomicBool::new(false);
    let served = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::SeqCst) && !done.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = TcpStream::connect(address);
        });
        let served = loop {
            let accepted = listener.accept();
            if stop.load(Ordering::SeqCst) {
                break Ok(());
            }
            match accepted {
                Ok((stream, _)) => {
                    let board = board.clone();
                    std::thread::spawn(move || {
                        let _ = answer(stream, &board);
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(RigError::Link(format!("power port: {e}"))),
            }
        };
        done.store(true, Ordering::SeqCst);
        served
    });
    served?;
    {
        let mut board = board
            .lock()
            .map_err(|_| RigError::Link("poisoned".into()))?;
        board.power(false)?;
        if let Some(drains) = board.drains.take() {
            drains.stop();
        }
    }
    drop((agent_slave, cloud_slave));
    Ok(())
}

/// One HTTP request: on `/power/...`, `GET` reads and `PUT`/`POST` with
/// `0` or `1` switches (the answer is the state after it); `POST /flash`
/// writes the factory image; `POST /reset` resets the powered board (QMP
/// `system_reset`); `GET /status` is the state and the event log as JSON.
fn answer(stream: TcpStream, board: &Mutex<Board>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length.min(16)];
    reader.read_exact(&mut body)?;
    let mut words = request.split_whitespace();
    let (method, path) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let result = {
        let mut board = board
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?;
        let state = |board: &Board| u8::from(board.powered.is_some()).to_string();
        match (method, path, body.first()) {
            ("POST", "/flash", _) => board.flash().map(|()| state(&board)),
            ("POST", "/reset", _) => board.reset().map(|()| state(&board)),
            ("GET", "/status", _) => Ok(board.status()),
            (_, "/flash" | "/reset" | "/status", _) => Err(RigError::Link(format!(
                "cannot {method} {path}: POST /flash, POST /reset, GET /status"
            ))),
            ("PUT" | "POST", _, Some(b'1')) => board.power(true).map(|()| state(&board)),
            ("PUT" | "POST", _, Some(b'0')) => board.power(false).map(|()| state(&board)),
            ("GET", _, _) => Ok(state(&board)),
            _ => Err(RigError::Link(format!("cannot {method} the power port"))),
        }
    };
    let (status, text) = match result {
        Ok(text) => ("200 OK", text),
        Err(e) => {
            let text = e.to_string();
            eprintln!("emulated board: {text}");
            ("500 Internal Server Error", text)
        }
    };
    // One write: pieces would each wait for the last one's ACK (Nagle).
    let mut stream = stream;
    stream.write_all(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        )
        .as_bytes(),
    )
}

impl Board {
    fn note(&mut self, what: &'static str) {
        self.events.push(Event {
            at_ms: self.started.elapsed().as_millis(),
            what,
        });
    }

    /// `{"powered": true, "dropped_bytes": 0, "events": [{"at_ms": 12, "what": "flash"}, ...]}`.
    fn status(&self) -> String {
        let events: Vec<serde_json::Value> = self
            .events
            .iter()
            .map(|e| serde_json::json!({"at_ms": e.at_ms as u64, "what": e.what}))
            .collect();
        serde_json::json!({
            "powered": self.powered.is_some(),
            "dropped_bytes": self.dropped.load(Ordering::Relaxed),
            "events": events,
        })
        .to_string()
    }

    /// The board is off: what reaches its ports from now on is dropped.
    fn drain(&mut self) -> Result<(), RigError> {
        let [agent, cloud] = &self.masters;
        self.drains = Some(Wiring::drain(&[agent, cloud], &self.dropped)?);
        Ok(())
    }

    /// Writes the factory image to the NVM; a powered board is stopped for
    /// it and started again.
    fn flash(&mut self) -> Result<(), RigError> {
        let powered = self.powered.is_some();
        self.power(false)?;
        NvmFile::new(&self.workdir.join("nvm.bin")).write_factory(&self.factory)?;
        self.note("flash");
        if powered {
            self.power(true)?;
        }
        Ok(())
    }

    /// Resets the powered board as its reset line would: QEMU's
    /// `system_reset`; the UART bridges run on. A board that is off, or
    /// whose QEMU has stopped (a kernel fault exits it), cannot be reset.
    fn reset(&mut self) -> Result<(), RigError> {
        let Some(powered) = self.powered.as_mut() else {
            return Err(RigError::Link(
                "the board is off: power it on (PUT /power/0 with 1) before resetting it".into(),
            ));
        };
        if let Some(status) = powered.machine.exited() {
            return Err(RigError::Link(format!(
                "the board's QEMU has stopped ({status}): power it off and on again"
            )));
        }
        powered
            .machine
            .qmp()
            .execute("system_reset", serde_json::json!({}))
            .map(drop)?;
        self.note("reset");
        Ok(())
    }

    fn power(&mut self, on: bool) -> Result<(), RigError> {
        match (on, self.powered.is_some()) {
            (true, false) => {
                self.note("on");
                if let Some(drains) = self.drains.take() {
                    drains.stop();
                }
                let powered = self.start();
                if powered.is_err() {
                    // It did not come on: its ports stay as they were.
                    self.drain()?;
                }
                self.powered = Some(powered?);
                Ok(())
            }
            (false, true) => {
                self.note("off");
                if let Some(mut powered) = self.powered.take() {
                    // The power goes at once, as a switch cuts it; then the
                    // bridges stop (within their read timeout).
                    powered.machine.kill();
                    powered.bridges.stop();
                }
                self.drain()
            }
            _ => Ok(()),
        }
    }

    /// Starts QEMU on the NVM and bridges its UARTs to the board's ports.
    fn start(&self) -> Result<Powered, RigError> {
        let mut machine = Launch::new(
            &self.config,
            &self.images.secure,
            &self.workdir.join("qmp.sock"),
        )
        .serial(Serial::File(self.workdir.join("uart0-secure.defmt")))
        .serial(Serial::PtyRaw)
        .serial(Serial::File(self.workdir.join("uart2-agent.defmt")))
        .serial(Serial::PtyRaw)
        .nvm(&self.workdir.join("nvm.bin"), NVM_MIB)
        .stderr(&self.workdir.join("qemu.stderr"))
        .start()?;
        let uart = |machine: &mut Machine, n| machine.take_raw(n).expect("a raw pty UART");
        let pairs = vec![
            (uart(&mut machine, 1), &self.masters[0]),
            (uart(&mut machine, 3), &self.masters[1]),
        ];
        let bridges = Wiring::bridge(pairs)?;
        Ok(Powered { bridges, machine })
    }
}

/// What `hil emulate-board power|flash|reset|status` asks the board's HTTP port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    Power(bool),
    Flash,
    Reset,
    Status,
}

/// Asks a running emulated board at `url` (`http://127.0.0.1:PORT`, with or
/// without a path) and returns its answer: the power state (`0`/`1`) or the
/// status JSON. A refusal or a board that is not there is an error naming
/// the URL and what the board said.
pub fn control(url: &str, what: Control) -> Result<String, RigError> {
    let address = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    let (method, path, body) = match what {
        Control::Power(on) => ("PUT", "/power/0", if on { "1" } else { "0" }),
        Control::Flash => ("POST", "/flash", ""),
        Control::Reset => ("POST", "/reset", ""),
        Control::Status => ("GET", "/status", ""),
    };
    let fail = |e: String| RigError::Link(format!("the emulated board at {url}: {e}"));
    let mut stream = TcpStream::connect(address).map_err(|e| {
        fail(format!(
            "cannot connect to {address}: {e}; is `hil emulate-board` running?"
        ))
    })?;
    // Flashing a powered board restarts QEMU: allow for a slow start.
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .and_then(|()| stream.set_nodelay(true))
        .map_err(|e| fail(e.to_string()))?;
    // One write: pieces would each wait for the last one's ACK (Nagle).
    stream
        .write_all(
            format!(
                "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .map_err(|e| fail(e.to_string()))?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| fail(e.to_string()))?;
    let (head, text) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    if head.starts_with("HTTP/1.1 200") {
        Ok(text.to_owned())
    } else {
        Err(fail(format!(
            "{method} {path}: {}: {text}",
            head.lines().next().unwrap_or_default()
        )))
    }
}
