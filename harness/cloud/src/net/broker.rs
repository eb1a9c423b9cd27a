//! The lab's MQTT broker: mosquitto as a child process on a loopback port, or rumqttd in-process where mosquitto is missing.
//!
//! mosquitto gets a free port on `127.0.0.1` and a generated config in a
//! scratch folder (a listener, anonymous clients allowed, no persistence);
//! it runs through `hil-proc`, so it dies with `hil`. The harness never
//! assumes a broker is running. A case may stop mosquitto and start it
//! again on the same port (`broker: { stop }`, `broker: { start }`), so a
//! device's channel sees it go and come back.
//!
//! Which broker a host uses is [`broker_kind`]: mosquitto where it is
//! installed (on `PATH` or in `/usr/sbin`, where Debian puts it), else the
//! embedded broker ([`super::embedded_broker`]: MQTT 3.1.1 only, never
//! stopped), so the README's first command runs every MQTT case that needs
//! no more. `HIL_REQUIRE_MOSQUITTO=1` (CI) makes a missing mosquitto an
//! error instead; `HIL_MQTT_BROKER=embedded` or `=mosquitto` picks one.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::embedded_broker::Embedded;
use super::NetError;

/// How long a broker may take to listen.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The variable that picks the broker (`mosquitto` or `embedded`).
pub const BROKER_VAR: &str = "HIL_MQTT_BROKER";

/// Where mosquitto is, if it is installed.
pub fn mosquitto_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join("mosquitto"))
        .find(|p| p.is_file())
}

/// Does the environment demand mosquitto (`HIL_REQUIRE_MOSQUITTO=1`)?
pub fn mosquitto_required() -> bool {
    std::env::var("HIL_REQUIRE_MOSQUITTO").is_ok_and(|v| v == "1")
}

/// The broker this host's runs use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BrokerKind {
    /// mosquitto at this path: MQTT 3.1.1 and 5; cases may stop and start it.
    Mosquitto(PathBuf),
    /// rumqttd in-process: MQTT 3.1.1 only; it runs until `hil` exits.
    /// `forced`: `HIL_MQTT_BROKER=embedded` chose it over an installed mosquitto.
    Embedded { forced: bool },
}

/// The broker this host's runs use, or why there is none
/// (`HIL_REQUIRE_MOSQUITTO=1` or `HIL_MQTT_BROKER=mosquitto` without
/// mosquitto; an unknown `HIL_MQTT_BROKER`).
pub fn broker_kind() -> Result<BrokerKind, String> {
    const MISSING: &str = "mosquitto is not installed (Debian package `mosquitto`)";
    match std::env::var(BROKER_VAR).ok().as_deref() {
        Some("embedded") => Ok(BrokerKind::Embedded { forced: true }),
        Some("mosquitto") => mosquitto_path()
            .map(BrokerKind::Mosquitto)
            .ok_or_else(|| format!("{MISSING}, and {BROKER_VAR}=mosquitto asks for it")),
        None | Some("") => match mosquitto_path() {
            Some(path) => Ok(BrokerKind::Mosquitto(path)),
            None if mosquitto_required() => Err(format!(
                "{MISSING}, and HIL_REQUIRE_MOSQUITTO=1 asks for it"
            )),
            None => Ok(BrokerKind::Embedded { forced: false }),
        },
        Some(other) => Err(format!(
            "{BROKER_VAR}={other:?} names no broker: `mosquitto` or `embedded`"
        )),
    }
}

/// The lab's broker, of either kind. Dropping it stops mosquitto.
pub(crate) enum Broker {
    Mosquitto(Mosquitto),
    Embedded(Embedded),
}

impl Broker {
    /// Starts this host's broker ([`broker_kind`]); waits until it listens.
    pub(crate) fn start() -> Result<Broker, NetError> {
        match broker_kind().map_err(|why| start_error(std::io::Error::other(why)))? {
            BrokerKind::Mosquitto(exe) => Mosquitto::start(exe).map(Broker::Mosquitto),
            BrokerKind::Embedded { .. } => Embedded::start().map(Broker::Embedded),
        }
    }

    /// Where clients reach it.
    pub(crate) fn addr(&self) -> SocketAddr {
        match self {
            Broker::Mosquitto(m) => m.addr,
            Broker::Embedded(e) => e.addr,
        }
    }

    /// Is it running (not stopped by a case)?
    pub(crate) fn is_running(&self) -> bool {
        match self {
            Broker::Mosquitto(m) => m.child.is_some(),
            Broker::Embedded(_) => true,
        }
    }

    /// Kills it (`broker: { stop }`); only mosquitto can be stopped.
    pub(crate) fn stop(&mut self) -> Result<(), NetError> {
        match self {
            Broker::Mosquitto(m) => {
                m.stop();
                Ok(())
            }
            Broker::Embedded(_) => Err(embedded_cannot("be stopped or started")),
        }
    }

    /// Starts a stopped broker again on the same port; a running one stays as it is.
    pub(crate) fn restart(&mut self) -> Result<(), NetError> {
        match self {
            Broker::Mosquitto(m) if m.child.is_none() => m.launch(),
            _ => Ok(()),
        }
    }
}

/// What a case asked of the embedded broker that only mosquitto does.
pub(crate) fn embedded_cannot(what: &str) -> NetError {
    NetError::Broker(format!(
        "the embedded broker (rumqttd, MQTT 3.1.1) cannot {what}: that needs mosquitto"
    ))
}

/// A mosquitto the harness started. Dropping it stops it.
pub(crate) struct Mosquitto {
    /// `None` while a case has it stopped.
    child: Option<Child>,
    pub(crate) addr: SocketAddr,
    exe: PathBuf,
    conf: PathBuf,
    _dir: TempDir,
}

pub(crate) fn start_error(source: std::io::Error) -> NetError {
    NetError::Start {
        what: "the lab's MQTT broker",
        source,
    }
}

/// A free loopback port (the OS picks it; the broker binds it a moment later).
pub(crate) fn free_port() -> Result<u16, NetError> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map_err(start_error)?
        .port())
}

/// Waits until something listens at `addr`, or `gone()` says it never will.
pub(crate) fn await_listening(
    addr: SocketAddr,
    what: &str,
    mut gone: impl FnMut() -> Option<String>,
) -> Result<(), NetError> {
    let deadline = Instant::now() + START_TIMEOUT;
    while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        if let Some(why) = gone() {
            return Err(start_error(std::io::Error::other(format!(
                "{what} exited at start ({why})"
            ))));
        }
        if Instant::now() > deadline {
            return Err(start_error(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("{what} did not listen on {addr} within {START_TIMEOUT:?}"),
            )));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

impl Mosquitto {
    /// Starts mosquitto on a free loopback port; waits until it listens.
    fn start(exe: PathBuf) -> Result<Mosquitto, NetError> {
        let port = free_port()?;
        let dir = hil_proc::scratch("mosquitto").map_err(start_error)?;
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                 log_dest none\nmax_keepalive 65535\n"
            ),
        )
        .map_err(start_error)?;
        let mut broker = Mosquitto {
            child: None,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            exe,
            conf,
            _dir: dir,
        };
        broker.launch()?;
        Ok(broker)
    }

    /// Kills the broker (`SIGKILL`: no goodbye to its clients, whose
    /// connections simply close). Its port stays reserved for [`Broker::restart`].
    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Spawns mosquitto with the config; waits until it listens.
    fn launch(&mut self) -> Result<(), NetError> {
        let mut command = Command::new(&self.exe);
        command
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = hil_proc::spawn(command).map_err(start_error)?;
        let listening = await_listening(self.addr, "mosquitto", || {
            child
                .try_wait()
                .ok()
                .flatten()
                .map(|status| status.to_string())
        });
        if let Err(e) = listening {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        self.stop();
    }
}
