//! A minimal, blocking QMP client: capabilities handshake, then one command at a time.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::RigError;

/// A connection to QEMU's monitor protocol on a unix socket.
pub struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
    /// Commands sent with [`Qmp::send`] whose returns are still to be read.
    unanswered: Vec<String>,
}

fn link(e: impl std::fmt::Display) -> RigError {
    RigError::Link(format!("QMP: {e}"))
}

impl Qmp {
    /// Connects (QEMU creates the socket shortly after it starts) and
    /// negotiates. Retries until `within` has passed or `gone` says QEMU is
    /// no more (its reason becomes the error). Every later reply must come
    /// within `within` as well.
    pub fn connect(
        socket: &Path,
        within: Duration,
        gone: &mut dyn FnMut() -> Option<RigError>,
    ) -> Result<Qmp, RigError> {
        let deadline = Instant::now() + within;
        let stream = loop {
            match UnixStream::connect(socket) {
                Ok(s) => break s,
                Err(e) => {
                    if let Some(reason) = gone() {
                        return Err(reason);
                    }
                    if Instant::now() >= deadline {
                        return Err(link(e));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        };
        let timeout = Some(within.max(Duration::from_millis(100)));
        stream.set_read_timeout(timeout).map_err(link)?;
        stream.set_write_timeout(timeout).map_err(link)?;
        let writer = stream.try_clone().map_err(link)?;
        let mut qmp = Qmp {
            reader: BufReader::new(stream),
            writer,
            unanswered: Vec::new(),
        };
        let greeting = qmp.read_message()?;
        if greeting.get("QMP").is_none() {
            return Err(link(format!("unexpected greeting {greeting}")));
        }
        qmp.execute("qmp_capabilities", json!({}))?;
        Ok(qmp)
    }

    fn read_message(&mut self) -> Result<Value, RigError> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).map_err(link)? == 0 {
            return Err(link("QEMU closed the monitor"));
        }
        serde_json::from_str(&line).map_err(link)
    }

    /// Run one command and return its `return` value (events are skipped).
    pub fn execute(&mut self, command: &str, arguments: Value) -> Result<Value, RigError> {
        self.execute_until(command, arguments, None)
    }

    /// Run one command and wait, as well as for its return, for the event
    /// it causes: `system_reset` only asks for a reset, which QEMU carries
    /// out later in its main loop and announces with `RESET`.
    pub fn execute_until(
        &mut self,
        command: &str,
        arguments: Value,
        event: Option<&str>,
    ) -> Result<Value, RigError> {
        self.settle()?;
        self.write(command, arguments)?;
        self.read_return(command, event)
    }

    /// Sends one command without waiting for its return, which QEMU sends
    /// before it acts on the command: the caller waits for what the command
    /// causes instead (a reset's boot), and [`Self::settle`] or the next
    /// command reads the return (and fails if the command failed).
    pub fn send(&mut self, command: &str, arguments: Value) -> Result<(), RigError> {
        self.settle()?;
        self.write(command, arguments)?;
        self.unanswered.push(command.to_owned());
        Ok(())
    }

    /// Reads the returns of the commands [`Self::send`] sent.
    pub fn settle(&mut self) -> Result<(), RigError> {
        while !self.unanswered.is_empty() {
            let command = self.unanswered.remove(0);
            self.read_return(&command, None)?;
        }
        Ok(())
    }

    fn write(&mut self, command: &str, arguments: Value) -> Result<(), RigError> {
        let mut request = json!({ "execute": command });
        if arguments.as_object().is_some_and(|a| !a.is_empty()) {
            request["arguments"] = arguments;
        }
        let mut bytes = serde_json::to_vec(&request).map_err(link)?;
        bytes.push(b'\n');
        self.writer.write_all(&bytes).map_err(link)
    }

    /// The one wait: `command`'s return, and `event` if there is one, in
    /// either order (other events are skipped).
    fn read_return(&mut self, command: &str, event: Option<&str>) -> Result<Value, RigError> {
        let mut returned = None;
        let mut seen = event.is_none();
        loop {
            let message = self.read_message()?;
            if let Some(ret) = message.get("return") {
                returned = Some(ret.clone());
            } else if let Some(err) = message.get("error") {
                return Err(link(format!("{command} failed: {err}")));
            } else if event.is_some() && message.get("event").and_then(Value::as_str) == event {
                seen = true;
            }
            if seen {
                if let Some(ret) = returned.take() {
                    return Ok(ret);
                }
            }
        }
    }

    /// The host path of the pty behind serial port `label` (e.g. `serial1`).
    pub fn pty_of(&mut self, label: &str) -> Result<String, RigError> {
        let devices = self.execute("query-chardev", json!({}))?;
        devices
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["label"] == label)
            .and_then(|d| d["filename"].as_str())
            .and_then(|f| f.strip_prefix("pty:"))
            .map(str::to_owned)
            .ok_or_else(|| link(format!("no pty for {label} in {devices}")))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::os::unix::net::UnixListener;
    use std::path::PathBuf;
    use std::thread::JoinHandle;
    use std::time::Duration;

    use serde_json::json;

    use super::Qmp;

    /// A monitor on a socket of its own (`name`) that greets, then answers
    /// each line it reads with the next of `replies`, then waits for the
    /// client to hang up; it hands back the lines it read.
    fn monitor(name: &str, replies: &'static [&'static str]) -> (PathBuf, JoinHandle<Vec<String>>) {
        let socket =
            std::env::temp_dir().join(format!("hil-rig-qmp-{name}-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&socket);
        let listener = UnixListener::bind(&socket).unwrap();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut writer = stream.try_clone().unwrap();
            let mut reader = BufReader::new(stream);
            writer.write_all(b"{\"QMP\": {\"version\": {}}}\n").unwrap();
            let mut requests = Vec::new();
            for reply in replies {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                requests.push(line);
                writer.write_all(reply.as_bytes()).unwrap();
            }
            // Until the client hangs up.
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            requests
        });
        (socket, server)
    }

    /// A monitor that greets, accepts the handshake and answers one
    /// `query-chardev` after an event QEMU could have sent in between.
    #[test]
    fn the_handshake_then_a_command_skipping_events() {
        let (socket, server) = monitor(
            "test",
            &[
                "{\"return\": {}}\n",
                "{\"event\": \"RESUME\"}\n{\"return\": [{\"label\": \"serial0\", \"filename\": \"file:x\"}, {\"label\": \"serial1\", \"filename\": \"pty:/dev/pts/7\"}]}\n",
            ],
        );
        let mut qmp = Qmp::connect(&socket, Duration::from_secs(5), &mut || None).unwrap();
        assert_eq!(qmp.pty_of("serial1").unwrap(), "/dev/pts/7");
        drop(qmp);
        let requests = server.join().unwrap();
        assert!(requests[0].contains("qmp_capabilities"), "{requests:?}");
        assert!(requests[1].contains("query-chardev"), "{requests:?}");
        let _ = std::fs::remove_file(&socket);
    }

    /// `system_reset` returns before QEMU resets: the call waits for the
    /// `RESET` event too, whichever comes first, and still fails on an error.
    #[test]
    fn a_command_waits_for_the_event_it_causes() {
        let (socket, server) = monitor(
            "event",
            &[
                "{\"return\": {}}\n",
                "{\"return\": {}}\n{\"event\": \"STOP\"}\n{\"event\": \"RESET\"}\n",
                "{\"event\": \"RESET\"}\n{\"return\": {}}\n",
                "{\"error\": {\"class\": \"GenericError\"}}\n",
            ],
        );
        let mut qmp = Qmp::connect(&socket, Duration::from_secs(5), &mut || None).unwrap();
        let reset = |qmp: &mut Qmp| qmp.execute_until("system_reset", json!({}), Some("RESET"));
        assert!(reset(&mut qmp).is_ok());
        assert!(reset(&mut qmp).is_ok());
        let refused = reset(&mut qmp).unwrap_err().to_string();
        assert!(refused.contains("system_reset failed"), "{refused}");
        drop(qmp);
        server.join().unwrap();
        let _ = std::fs::remove_file(&socket);
    }

    /// A command sent without waiting has its return read before the next
    /// command's, whose return is not taken for it; a failure shows at `settle`.
    #[test]
    fn a_command_sent_without_waiting_is_settled_before_the_next() {
        let (socket, server) = monitor(
            "send",
            &[
                "{\"return\": {}}\n",
                "{\"return\": {}}\n{\"event\": \"RESET\"}\n",
                "{\"return\": [{\"label\": \"serial1\", \"filename\": \"pty:/dev/pts/9\"}]}\n",
                "{\"error\": {\"class\": \"GenericError\"}}\n",
            ],
        );
        let mut qmp = Qmp::connect(&socket, Duration::from_secs(5), &mut || None).unwrap();
        qmp.send("system_reset", json!({})).unwrap();
        assert_eq!(qmp.pty_of("serial1").unwrap(), "/dev/pts/9");
        qmp.send("system_reset", json!({})).unwrap();
        let refused = qmp.settle().unwrap_err().to_string();
        assert!(refused.contains("system_reset failed"), "{refused}");
        qmp.settle().unwrap();
        drop(qmp);
        server.join().unwrap();
        let _ = std::fs::remove_file(&socket);
    }
}
