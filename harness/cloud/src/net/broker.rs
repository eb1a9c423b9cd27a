//! The lab's MQTT broker: mosquitto, started by the harness as a child process on a loopback port.
//!
//! The broker gets a free port on `127.0.0.1` and a generated config in a
//! scratch folder (a listener, anonymous clients allowed, no persistence);
//! it runs through `hil-proc`, so it dies with `hil`. The harness never
//! assumes a broker is running. Without mosquitto on `PATH` (or in
//! `/usr/sbin`, where Debian puts it) there is no broker: MQTT connects are
//! answered `SOCKETERROR`, and `HIL_REQUIRE_MOSQUITTO=1` (CI) turns that into
//! an error instead.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::NetError;

/// How long mosquitto may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(10);

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

/// A running mosquitto. Dropping it stops it.
pub(crate) struct Broker {
    child: Child,
    pub(crate) addr: SocketAddr,
    _dir: TempDir,
}

fn start_error(source: std::io::Error) -> NetError {
    NetError::Start {
        what: "the MQTT broker (mosquitto)",
        source,
    }
}

impl Broker {
    /// Starts mosquitto on a free loopback port; waits until it listens.
    pub(crate) fn start() -> Result<Broker, NetError> {
        let exe = mosquitto_path().ok_or_else(|| {
            start_error(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "mosquitto is not installed (Debian package `mosquitto`)",
            ))
        })?;
        // The OS picks a free port; mosquitto binds it a moment later.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(start_error)?
            .port();
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
        let mut command = Command::new(exe);
        command
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = hil_proc::spawn(command).map_err(start_error)?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let mut broker = Broker {
            child,
            addr,
            _dir: dir,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            if let Ok(Some(status)) = broker.child.try_wait() {
                return Err(start_error(std::io::Error::other(format!(
                    "mosquitto exited at start ({status})"
                ))));
            }
            if Instant::now() > deadline {
                return Err(start_error(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("mosquitto did not listen on {addr} within {START_TIMEOUT:?}"),
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(broker)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
