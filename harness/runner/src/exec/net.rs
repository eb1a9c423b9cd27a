//! Steps and transcript lines of the cloud's network services: serving channel traffic, servers, config, relay.
//!
//! After every step that can make the device or the cloud act, the executor
//! lets the session serve the device's channel traffic
//! ([`hil_rig::RigSession::serve_network`]); what the cloud did is written
//! as `cloud:` lines, and if it did anything the app's memory is read back
//! under them, so a response landing in a receive buffer shows where it
//! happened rather than under the next call.

use hil_cases::{ExpectRelay, ExpectServerRequest, NetAction};
use hil_rig::{CloudEvent, HttpOutcome};
use mv_abi::{MvClosureReason, MvConfigKeyFetchResult, MvHttpResult};
use mv_proto::Primitive;

use super::{Executor, StepError, StepResult};

impl Executor<'_> {
    /// Lets the cloud serve the device's channels; writes what it did.
    pub(super) fn serve_network(&mut self) -> StepResult {
        let events = self.session.serve_network()?;
        if events.is_empty() {
            return Ok(());
        }
        for line in self.describe(&events) {
            self.line(&format!("cloud: {line}"));
        }
        self.with_readback(Primitive::DelayUs(0))?;
        Ok(())
    }

    fn describe(&mut self, events: &[CloudEvent]) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        // Consecutive data events of one channel and direction read as one.
        let mut run: Option<(u32, bool, usize)> = None;
        fn flush(
            run: &mut Option<(u32, bool, usize)>,
            lines: &mut Vec<String>,
            this: &mut Executor<'_>,
        ) {
            if let Some((channel, to_device, bytes)) = run.take() {
                let name = this.handles.name(u64::from(channel));
                lines.push(if to_device {
                    format!("{bytes} bytes to the device on {name}")
                } else {
                    format!("{bytes} bytes from the device on {name}")
                });
            }
        }
        for e in events {
            let data = match e {
                CloudEvent::FromDevice { channel, bytes } => Some((*channel, false, *bytes)),
                CloudEvent::ToDevice { channel, bytes } => Some((*channel, true, *bytes)),
                _ => None,
            };
            if let Some((channel, to_device, bytes)) = data {
                match &mut run {
                    Some((c, t, n)) if *c == channel && *t == to_device => *n += bytes,
                    _ => {
                        flush(&mut run, &mut lines, self);
                        run = Some((channel, to_device, bytes));
                    }
                }
                continue;
            }
            flush(&mut run, &mut lines, self);
            lines.push(self.event_text(e));
        }
        flush(&mut run, &mut lines, self);
        lines
    }

    fn event_text(&mut self, e: &CloudEvent) -> String {
        match e {
            CloudEvent::Opened {
                channel,
                endpoint,
                connected,
            } => {
                let name = self.handles.name(u64::from(*channel));
                if *connected {
                    format!("{name} connected to endpoint `{endpoint}`")
                } else {
                    format!("{name} could not reach the server of endpoint `{endpoint}`")
                }
            }
            CloudEvent::Closed { channel, reason } => format!(
                "closed its end of {} ({})",
                self.handles.name(u64::from(*channel)),
                MvClosureReason::DESC
                    .name_of(*reason)
                    .unwrap_or("an unknown reason")
            ),
            CloudEvent::Http {
                channel,
                method,
                url,
                outcome,
            } => {
                let name = self.handles.name(u64::from(*channel));
                let outcome = match outcome {
                    HttpOutcome::Refused(r) => format!("refused: {}", http_result(*r)),
                    HttpOutcome::Failed => {
                        format!("failed: {}", http_result(MvHttpResult::RequestFailed))
                    }
                    HttpOutcome::Answered {
                        status,
                        headers,
                        body,
                    } => format!("{status}, {headers} headers, {body} body bytes"),
                };
                format!("HTTP {method:?} {url:?} on {name} -> {outcome}")
            }
            CloudEvent::Config { channel, keys } => {
                let name = self.handles.name(u64::from(*channel));
                let keys: Vec<String> = keys
                    .iter()
                    .map(|(k, r)| {
                        format!(
                            "{k:?} {}",
                            MvConfigKeyFetchResult::DESC.name_of(*r).unwrap_or("?")
                        )
                    })
                    .collect();
                format!("config fetch on {name}: [{}]", keys.join(", "))
            }
            CloudEvent::LinkDropped { after_body_bytes } => {
                format!("the link dropped after {after_body_bytes} body bytes reached the device")
            }
            CloudEvent::Mqtt { channel, text } => {
                format!("MQTT on {}: {text}", self.handles.name(u64::from(*channel)))
            }
            CloudEvent::FromDevice { .. } | CloudEvent::ToDevice { .. } => String::new(),
        }
    }

    /// A `server`, `config`, `relay` or `broker` step.
    pub(super) fn net_action(&mut self, action: &NetAction) -> StepResult {
        self.session.network(action)?;
        let text = match action {
            NetAction::Routes(routes) => {
                let shown: Vec<String> = routes
                    .iter()
                    .map(|r| {
                        let delay = if r.delay_ms > 0 {
                            format!(" after {} ms", r.delay_ms)
                        } else {
                            String::new()
                        };
                        format!(
                            "{} {} -> {}{delay}, {} body bytes",
                            r.method.as_deref().unwrap_or("*"),
                            r.path,
                            r.status,
                            r.body.len()
                        )
                    })
                    .collect();
                format!("server routes: [{}]", shown.join("; "))
            }
            NetAction::ServerDown(true) => "server: down (connections refused)".to_owned(),
            NetAction::ServerDown(false) => "server: up".to_owned(),
            NetAction::Config(entries) => {
                let keys: Vec<String> = entries.iter().map(|e| format!("{:?}", e.key)).collect();
                format!("config: set [{}]", keys.join(", "))
            }
            NetAction::RelaySend(bytes) => format!("relay server: sends {} bytes", bytes.len()),
            NetAction::RelayClose => "relay server: closes the connection".to_owned(),
            NetAction::RelayDown(true) => "relay server: down (connections refused)".to_owned(),
            NetAction::RelayDown(false) => "relay server: up".to_owned(),
            NetAction::Broker(b) => super::broker::action_text(b),
        };
        self.line(&text);
        if matches!(
            action,
            NetAction::RelaySend(_) | NetAction::RelayClose | NetAction::Broker(_)
        ) {
            self.serve_network()?;
        }
        Ok(())
    }

    pub(super) fn expect_server_request(&mut self, e: &ExpectServerRequest) -> StepResult {
        let mut got = self.session.server_requests()?;
        self.pending_requests.append(&mut got);
        match e {
            ExpectServerRequest::None => {
                self.line("expect the server received no request");
                match self.pending_requests.first() {
                    None => Ok(()),
                    Some(r) => Err(StepError::Failed(format!(
                        "the server received {} {}",
                        r.method, r.path
                    ))),
                }
            }
            ExpectServerRequest::Request {
                method,
                path,
                headers,
                body,
            } => {
                let mut wanted = Vec::new();
                if let Some(m) = method {
                    wanted.push(format!("method {m}"));
                }
                if let Some(p) = path {
                    wanted.push(format!("path {p}"));
                }
                for (n, v) in headers {
                    wanted.push(format!("{n}: {v}"));
                }
                if let Some(b) = body {
                    wanted.push(format!("body {:?}", String::from_utf8_lossy(b)));
                }
                self.line(&format!(
                    "expect the server received: {}",
                    wanted.join(", ")
                ));
                if self.pending_requests.is_empty() {
                    return Err(StepError::Failed(
                        "the server received no (further) request".into(),
                    ));
                }
                let r = self.pending_requests.remove(0);
                let mut wrong = Vec::new();
                if method.as_ref().is_some_and(|m| *m != r.method) {
                    wrong.push(format!("method {}", r.method));
                }
                if path.as_ref().is_some_and(|p| *p != r.path) {
                    wrong.push(format!("path {}", r.path));
                }
                for (n, v) in headers {
                    let has = r
                        .headers
                        .iter()
                        .any(|(hn, hv)| hn.eq_ignore_ascii_case(n) && hv == v);
                    if !has {
                        let seen: Vec<String> = r
                            .headers
                            .iter()
                            .filter(|(hn, _)| hn.eq_ignore_ascii_case(n))
                            .map(|(_, hv)| hv.clone())
                            .collect();
                        wrong.push(format!("header {n}: {seen:?}"));
                    }
                }
                if body.as_ref().is_some_and(|b| *b != r.body) {
                    wrong.push(format!("body {:?}", String::from_utf8_lossy(&r.body)));
                }
                if wrong.is_empty() {
                    Ok(())
                } else {
                    Err(StepError::Failed(format!(
                        "the request differs: it had {}",
                        wrong.join(", ")
                    )))
                }
            }
        }
    }

    pub(super) fn expect_relay(&mut self, e: &ExpectRelay) -> StepResult {
        let (got, closed) = self
            .session
            .relay_received(e.received.len(), e.closed == Some(true))?;
        self.line(&format!(
            "expect the relay server received {:?}{}",
            String::from_utf8_lossy(&e.received),
            match e.closed {
                Some(true) => ", and the cloud closed the connection",
                Some(false) => ", and the connection is open",
                None => "",
            }
        ));
        if got != e.received {
            return Err(StepError::Failed(format!(
                "the relay server received {:?}",
                String::from_utf8_lossy(&got)
            )));
        }
        if e.closed.is_some_and(|c| c != closed) {
            return Err(StepError::Failed(format!(
                "the connection is {}",
                if closed { "closed" } else { "open" }
            )));
        }
        Ok(())
    }
}

fn http_result(r: MvHttpResult) -> &'static str {
    MvHttpResult::DESC.name_of(r as u32).unwrap_or("?")
}
