//! A labgrid place through `labgrid-client`: acquire and release it, switch its power, find its serial ports.
//!
//! labgrid is the lab engine: its coordinator knows the places and who holds
//! them, its exporters serve each board's UARTs through ser2net and its
//! power through a power resource. hil asks `labgrid-client` (so a lab's own
//! configuration, `LG_PROXY` included, applies) and connects to the serial
//! ports itself (RFC 2217, [`crate::qemu::FrameLink::rfc2217`]): a binary
//! frame link cannot go through an interactive console.
//!
//! The place is acquired as `LG_USERNAME` (default `hil-<pid>`), so a
//! second run that wants the place is told which run holds it.

use std::process::Command;

use crate::RigError;

/// Where a place is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Labgrid {
    /// `HOST:PORT` of the coordinator.
    pub coordinator: String,
    pub place: String,
}

impl Labgrid {
    /// Asks the coordinator about the place without acquiring it
    /// (`labgrid-client show`): a dry check that both exist.
    pub fn show(&self) -> Result<String, RigError> {
        client(self, None, &["show"])
    }
}

/// A place this process acquired; released when dropped.
#[derive(Debug)]
pub struct Place {
    labgrid: Labgrid,
    user: String,
}

impl Place {
    /// Acquires `labgrid.place`; fails naming the holder if another run has it.
    pub fn acquire(labgrid: &Labgrid) -> Result<Place, RigError> {
        let user = std::env::var("LG_USERNAME")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| format!("hil-{}", std::process::id()));
        let place = Place {
            labgrid: labgrid.clone(),
            user,
        };
        place.client(&["acquire"]).map_err(|e| match e {
            RigError::Link(m) if m.contains("already acquired") => RigError::Busy(format!(
                "labgrid place `{}` is held: {m}; wait for that run or release it",
                labgrid.place
            )),
            e => e,
        })?;
        Ok(place)
    }

    /// `labgrid-client power on|off`.
    pub fn power(&self, on: bool) -> Result<(), RigError> {
        self.client(&["power", if on { "on" } else { "off" }])
            .map(drop)
    }

    /// `(host, port)` of the place's `NetworkSerialPort` named `name`
    /// (from `labgrid-client env`).
    pub fn serial_port(&self, name: &str) -> Result<(String, u16), RigError> {
        let env = self.client(&["env"])?;
        let yaml: serde_yaml::Value = serde_yaml::from_str(&env)
            .map_err(|e| RigError::Link(format!("labgrid-client env gave no YAML ({e}): {env}")))?;
        let resources = yaml["targets"][self.labgrid.place.as_str()]["resources"]
            .as_sequence()
            .cloned()
            .unwrap_or_default();
        for resource in resources {
            let port = &resource["NetworkSerialPort"];
            if port["name"].as_str() == Some(name) {
                let host = port["host"].as_str().unwrap_or_default().to_owned();
                let number = port["port"].as_u64().unwrap_or_default();
                return u16::try_from(number)
                    .ok()
                    .filter(|p| *p != 0)
                    .map(|p| (host, p))
                    .ok_or_else(|| {
                        RigError::Link(format!(
                            "labgrid place `{}`: serial port `{name}` has no TCP port yet (is its exporter running?)",
                            self.labgrid.place
                        ))
                    });
            }
        }
        Err(RigError::Link(format!(
            "labgrid place `{}` has no NetworkSerialPort named `{name}`; labgrid-client env says:\n{env}",
            self.labgrid.place
        )))
    }

    fn client(&self, args: &[&str]) -> Result<String, RigError> {
        client(&self.labgrid, Some(&self.user), args)
    }
}

/// Runs `labgrid-client` on the place (as `user`, if given) and returns
/// what it printed.
fn client(labgrid: &Labgrid, user: Option<&str>, args: &[&str]) -> Result<String, RigError> {
    let mut command = Command::new("labgrid-client");
    command
        .args(["-x", &labgrid.coordinator, "-p", &labgrid.place])
        .args(args);
    if let Some(user) = user {
        command.env("LG_USERNAME", user);
    }
    let out = command.output().map_err(|e| {
        RigError::Link(format!(
            "cannot run labgrid-client ({e}); install labgrid (pip install labgrid)"
        ))
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        return Ok(stdout);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    // labgrid prints a traceback on some failures: its last line says it.
    let said = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    Err(RigError::Link(format!(
        "labgrid-client -p {} {} failed: {said}",
        labgrid.place,
        args.join(" ")
    )))
}

impl Drop for Place {
    fn drop(&mut self) {
        let _ = self.power(false);
        let _ = self.client(&["release"]);
    }
}
