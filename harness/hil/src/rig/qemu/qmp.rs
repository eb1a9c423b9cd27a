//! A minimal QMP client: capabilities handshake, then one command at a time.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::UnixStream;

use crate::rig::RigError;

/// A connection to QEMU's monitor protocol on a unix socket.
pub struct Qmp {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

fn link(e: impl std::fmt::Display) -> RigError {
    RigError::Link(format!("QMP: {e}"))
}

impl Qmp {
    /// Connect (QEMU creates the socket shortly after start) and negotiate.
    pub async fn connect(socket: &Path, within: Duration) -> Result<Qmp, RigError> {
        let deadline = tokio::time::Instant::now() + within;
        let stream = loop {
            match UnixStream::connect(socket).await {
                Ok(s) => break s,
                Err(e) if tokio::time::Instant::now() >= deadline => return Err(link(e)),
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        };
        let (r, w) = stream.into_split();
        let mut qmp = Qmp {
            reader: BufReader::new(r),
            writer: w,
        };
        let greeting = qmp.read_message().await?;
        if greeting.get("QMP").is_none() {
            return Err(link(format!("unexpected greeting {greeting}")));
        }
        qmp.execute("qmp_capabilities", json!({})).await?;
        Ok(qmp)
    }

    async fn read_message(&mut self) -> Result<Value, RigError> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).await.map_err(link)? == 0 {
            return Err(link("QEMU closed the monitor"));
        }
        serde_json::from_str(&line).map_err(link)
    }

    /// Run one command and return its `return` value (events are skipped).
    pub async fn execute(&mut self, command: &str, arguments: Value) -> Result<Value, RigError> {
        let mut request = json!({ "execute": command });
        if arguments.as_object().is_some_and(|a| !a.is_empty()) {
            request["arguments"] = arguments;
        }
        let mut bytes = serde_json::to_vec(&request).map_err(link)?;
        bytes.push(b'\n');
        self.writer.write_all(&bytes).await.map_err(link)?;
        loop {
            let message = self.read_message().await?;
            if let Some(ret) = message.get("return") {
                return Ok(ret.clone());
            }
            if let Some(err) = message.get("error") {
                return Err(link(format!("{command} failed: {err}")));
            }
        }
    }

    /// The host path of the pty behind serial port `label` (e.g. `serial1`).
    pub async fn pty_of(&mut self, label: &str) -> Result<String, RigError> {
        let devices = self.execute("query-chardev", json!({})).await?;
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
