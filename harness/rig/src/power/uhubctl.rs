//! The `uhubctl` backend: a USB hub port with per-port power switching (`uhubctl -l LOCATION -p PORT -a on|off`).
//!
//! uhubctl exits 0 on some hubs that ignore the request, so the port's new
//! status it prints is read back: `off` after off, `power` after on.

use super::command;
use crate::RigError;

/// A hub port, as `uhubctl` (run without arguments) lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Uhubctl {
    /// The hub's location (`1-1.4`).
    pub location: String,
    /// The port on that hub (1-based).
    pub port: u32,
}

impl Uhubctl {
    /// The command that switches the port.
    pub fn argv(&self, on: bool) -> Vec<String> {
        [
            "uhubctl",
            "-l",
            &self.location,
            "-p",
            &self.port.to_string(),
            "-a",
            if on { "on" } else { "off" },
        ]
        .map(str::to_owned)
        .to_vec()
    }

    pub(super) fn switch(&self, on: bool) -> Result<(), RigError> {
        let argv = self.argv(on);
        let out = command::run(&argv, "uhubctl")?;
        let want = if on { "power" } else { "off" };
        // A USB 3 hub reports its USB 2 and USB 3 halves: every report of
        // the port after "New status" must agree.
        let after = out.split_once("New status").map_or("", |(_, after)| after);
        let prefix = format!("Port {}:", self.port);
        let reports: Vec<&str> = after
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with(&prefix))
            .collect();
        if reports.is_empty() {
            return Err(RigError::Link(format!(
                "`{}` reported no new status for port {} of hub {}; check the hub's location and port with `uhubctl`. It said:\n{}",
                argv.join(" "),
                self.port,
                self.location,
                out.trim_end()
            )));
        }
        match reports
            .iter()
            .find(|l| !l.split_whitespace().any(|w| w == want))
        {
            None => Ok(()),
            Some(report) => Err(RigError::Link(format!(
                "`{}` left the port {}: `{report}` (does this hub switch port power? `uhubctl` lists its ppps hubs)",
                argv.join(" "),
                if on { "unpowered" } else { "powered" }
            ))),
        }
    }
}
