//! The lab's MQTT broker: mosquitto, started by the harness as a child process on a loopback port.
//!
//! The broker gets a free port on `127.0.0.1` and a generated config in a
//! scratch folder (a listener, anonymous clients allowed, no persistence);
//! it runs through `hil-proc`, so it dies with `hil`. The harness never
//! assumes a broker is running. Without mosquitto on `PATH` (or in
//! `/usr/sbin`, where Debian puts it) there is no broker: MQTT connects are
//! answered `SOCKETERROR`, and `HIL_REQUIRE_MOSQUITTO=1` (CI) turns that into
//! an error instead. A case may stop the broker and start it again on the
//! same port (`broker: { stop }`, `broker: { start }`), so a device's
//! channel sees it go and come back.

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

/// A mosquitto the harness started. Dropping it stops it.
pub(crate) struct Broker {
    /// `None` while a case has it stopped.
    child: Option<Child>,
    pub(crate) addr: SocketAddr,
    exe: PathBuf,
    conf: PathBuf,
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
        let mut broker = Broker {
            child: None,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            exe,
            conf,
            _dir: dir,
        };
        broker.launch()?;
        Ok(broker)
    }

    /// Is the process running (not stopped by a case)?
    pub(crate) fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Kills the broker (`SIGKILL`: no goodbye to its clients, whose
    /// connections simply close). Its port stays reserved for [`Broker::restart`].
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a stopped broker again on the same port; a running one stays as it is.
    pub(crate) fn restart(&mut self) -> Result<(), NetError> {
        if self.child.is_none() {
            self.launch()?;
        }
        Ok(())
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
        let addr = self.addr;
        let deadline = Instant::now() + START_TIMEOUT;
        while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(start_error(std::io::Error::other(format!(
                    "mosquitto exited at start ({status})"
                ))));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(start_error(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("mosquitto did not listen on {addr} within {START_TIMEOUT:?}"),
                )));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
    }
}
