//! One method per step kind: the primitives each step sends and what it writes in the transcript.

use hil_cases::{
    Alloc, Call, Caller, CloudAction, Compare, ExpectIrq, ExpectMemory, ExpectServerLog, Expected,
    Init, IrqAction, MemCheck, MemType, Operand, RecordField, Write, WriteWhat, FLOOD_MAX_ENTRIES,
};
use mv_abi::MvStatus;
use mv_proto::{Primitive, Reply};

use super::memory::{apply_init, le_int, put_field, Allocation};
use super::pieces::write_pieces;
use super::render::{self, RECORD};
use super::{server_log_line, test_log_line, Executor, StepError, StepResult};
use hil_rig::{CloudOutcome, RigError};

pub(super) fn status_name(raw: u32) -> String {
    match MvStatus::try_from(raw) {
        Ok(s) => s.short_name().to_owned(),
        Err(_) => format!("{raw:#x} (not an MvStatus)"),
    }
}

pub(super) fn unexpected(what: &str, got: Reply) -> StepError {
    match got {
        Reply::Refused(why) => StepError::Rig(RigError::Refused {
            what: what.to_owned(),
            why,
        }),
        got => StepError::Rig(RigError::Protocol {
            what: what.to_owned(),
            got: Box::new(got),
        }),
    }
}

impl Executor<'_> {
    fn exec_one(&mut self, p: Primitive) -> Result<Reply, StepError> {
        let mut replies = self.exec_pieces(vec![p])?;
        replies
            .pop()
            .ok_or_else(|| StepError::Rig(RigError::Link("no reply".into())))
    }

    pub(super) fn alloc(&mut self, a: &Alloc) -> StepResult {
        let reply = self.exec_one(Primitive::Alloc {
            size: a.size,
            align: a.align,
            placement: a.placement,
            misalign: a.misalign,
        })?;
        let Reply::Allocated { addr } = reply else {
            return Err(unexpected(&format!("alloc {}", a.name), reply));
        };
        let mut header = format!(
            "alloc {}: {}, {} bytes, align {}{}, {}",
            a.name,
            a.ty.name(),
            a.size,
            a.align,
            if a.misalign > 0 {
                format!(" +{}", a.misalign)
            } else {
                String::new()
            },
            a.placement.name()
        );
        let mut allocation = Allocation::new(a, addr);
        if a.placement.is_writable() {
            let mut image = vec![a.fill; a.size as usize];
            if let Some(init) = &a.init {
                apply_init(&mut image, a.ty, init, &self.allocs);
                header.push_str(&format!(" = {}", init_text(init)));
            } else if a.fill != 0 {
                header.push_str(&format!(" filled {:#04x}", a.fill));
            }
            let blank = vec![a.fill; image.len()];
            let mut init = vec![Primitive::Fill {
                addr,
                len: a.size,
                byte: a.fill,
            }];
            init.extend(changed_span(addr, &blank, &image));
            self.send_writes(init, &format!("initialising {}", a.name))?;
            allocation.contents = Some(image);
        } else if allocation.readable() {
            let (_, mut contents) = self.read_back(None, &[(a.name.clone(), addr, a.size)])?;
            allocation.contents = contents.pop();
        }
        self.line(&header);
        self.allocs.push(allocation);
        Ok(())
    }

    /// What `w` makes of its allocation: `(transcript text, address, old
    /// contents, new contents)`.
    pub(super) fn planned_write(&self, w: &Write) -> (String, u32, Vec<u8>, Vec<u8>) {
        let a = self.allocs.get(&w.name);
        let old = a
            .contents
            .clone()
            .expect("writable allocations have known contents");
        let mut image = old.clone();
        let (addr, ty) = (a.addr, a.ty);
        let text = match &w.what {
            WriteWhat::Field(f) => {
                put_field(&mut image, &f.field, self.allocs.resolve(&f.value));
                format!(
                    "write {}.{} = {}",
                    w.name,
                    render::field_ref(&f.field),
                    render::value(&f.value, Some(f.field.kind))
                )
            }
            WriteWhat::Bytes { offset, bytes } => {
                let o = *offset as usize;
                image[o..o + bytes.len()].copy_from_slice(bytes);
                format!(
                    "write {}[{}..{}] = {}",
                    w.name,
                    o,
                    o + bytes.len(),
                    hex(bytes)
                )
            }
            WriteWhat::Whole(init) => {
                apply_init(&mut image, ty, init, &self.allocs);
                format!("write {} = {}", w.name, init_text(init))
            }
        };
        (text, addr, old, image)
    }

    pub(super) fn write(&mut self, w: &Write) -> StepResult {
        let (text, addr, old, image) = self.planned_write(w);
        self.send_writes(changed_span(addr, &old, &image), &text)?;
        self.allocs.get_mut(&w.name).contents = Some(image);
        if let Some(reader) = self.readers.get_mut(&w.name) {
            reader.ring_written();
        }
        self.line(&text);
        Ok(())
    }

    /// Run `first` and read back every readable allocation in one batch, then
    /// write the changes into the transcript. Returns `first`'s reply.
    pub(super) fn with_readback(&mut self, first: Primitive) -> Result<Reply, StepError> {
        let readable: Vec<(String, u32, u32)> = self
            .allocs
            .iter()
            .filter(|a| a.readable())
            .map(|a| (a.name.clone(), a.addr, a.size))
            .collect();
        let (first, contents) = self.read_back(Some(first), &readable)?;
        let first = first.ok_or_else(|| StepError::Rig(RigError::Link("no reply".into())))?;
        let mut lines = Vec::new();
        for ((name, _, _), after) in readable.iter().zip(contents) {
            let a = self.allocs.get(name);
            let before = a.contents.clone().unwrap_or_else(|| after.clone());
            lines.extend(render::changes(
                a,
                &before,
                &after,
                &self.allocs,
                &mut self.handles,
            ));
            let a = self.allocs.get_mut(name);
            a.before_call = Some(before);
            a.contents = Some(after);
        }
        if lines.is_empty() {
            self.line("  (no app memory changed)");
        }
        for l in lines {
            self.line(&format!("  {l}"));
        }
        Ok(first)
    }

    /// The primitive that makes call `c` (arguments resolved now) and how
    /// the transcript shows it.
    pub(super) fn call_primitive(&self, c: &Call) -> (Primitive, String) {
        let mut args = [0u32; 4];
        for (slot, v) in args.iter_mut().zip(&c.args) {
            *slot = self.allocs.resolve(v) as u32;
        }
        let shown: Vec<String> = c.args.iter().map(|v| render::value(v, None)).collect();
        let mut head = format!("call {}({})", c.slot.name(), shown.join(", "));
        let slot = c.slot.number();
        let primitive = match &c.caller {
            Caller::Thread => Primitive::Call { slot, args },
            Caller::Unprivileged => {
                head.push_str(" unprivileged");
                Primitive::CallUnprivileged { slot, args }
            }
            Caller::Interrupt(irq) => {
                head.push_str(&format!(" from the handler of IRQ {irq}"));
                Primitive::CallFromIrq {
                    irq: *irq,
                    slot,
                    args,
                }
            }
            Caller::WithVtor(target) => {
                head.push_str(&format!(" with VTOR_NS at {}", target.name()));
                Primitive::CallWithVtor {
                    vtor: *target,
                    slot,
                    args,
                }
            }
            Caller::Interrupted(i) => {
                let (text, interrupt) = self.timer_interrupt(i);
                head.push_str(&text);
                Primitive::CallInterrupted {
                    slot,
                    args,
                    interrupt,
                }
            }
        };
        (primitive, head)
    }

    pub(super) fn call(&mut self, c: &Call) -> StepResult {
        if c.restarts_app() {
            return self.restart_call(c);
        }
        if let Caller::Interrupted(i) = &c.caller {
            return self.interrupted_call(c, i);
        }
        let (primitive, head) = self.call_primitive(c);
        // The header line goes first; the readback lines follow it.
        let mark = self.transcript.len();
        let reply = self.with_readback(primitive)?;
        let raw = match (reply, &c.caller) {
            (Reply::Status(raw), _) => raw,
            (Reply::Refused(_), Caller::Interrupt(irq)) => {
                self.transcript
                    .insert_str(mark, &format!("{head} -> the handler did not run\n"));
                return Err(StepError::Failed(format!(
                    "the app's handler of IRQ {irq} did not run: the NVIC does not give IRQ {irq} to the app"
                )));
            }
            (reply, _) => return Err(unexpected(&head, reply)),
        };
        self.transcript
            .insert_str(mark, &format!("{head} -> {}\n", status_name(raw)));
        if !c.expect.admits(raw) {
            return Err(StepError::Failed(format!(
                "{} returned {}, expected {}",
                c.slot.name(),
                status_name(raw),
                c.expect.describe()
            )));
        }
        self.serve_network()
    }

    pub(super) fn cloud(&mut self, action: &CloudAction) -> StepResult {
        let text = match action {
            CloudAction::SyncTimeUs(_) => "cloud: sync wall time".to_owned(),
            CloudAction::Link { online } => {
                format!("cloud: link {}", if *online { "online" } else { "offline" })
            }
            CloudAction::Logging { enabled } => {
                format!(
                    "cloud: logging {}",
                    if *enabled { "enabled" } else { "disabled" }
                )
            }
            CloudAction::AppTestMode { on } => {
                self.app_test_mode |= *on;
                format!(
                    "cloud: application-test mode {}",
                    if *on { "on" } else { "off" }
                )
            }
            CloudAction::Deploy(d) => return self.deploy(d),
        };
        match self.session.cloud(action)? {
            CloudOutcome::Applied => {}
            other => {
                return Err(StepError::Rig(RigError::Link(format!(
                    "the rig answered {other:?} to a cloud message"
                ))))
            }
        }
        self.line(&text);
        // The kernel may act on the cloud's message; show what it changed.
        self.with_readback(Primitive::DelayUs(0))?;
        self.serve_network()
    }

    pub(super) fn delay(&mut self, us: u32) -> StepResult {
        self.line(&format!("delay {us} us"));
        self.with_readback(Primitive::DelayUs(us))?;
        self.serve_network()
    }

    pub(super) fn irq(&mut self, action: IrqAction) -> StepResult {
        let (text, p) = match action {
            IrqAction::Enable(n) => (format!("irq enable {n}"), Primitive::IrqEnable(n)),
            IrqAction::Disable(n) => (format!("irq disable {n}"), Primitive::IrqDisable(n)),
            IrqAction::ClearPending(n) => (
                format!("irq clear_pending {n}"),
                Primitive::IrqClearPending(n),
            ),
            IrqAction::Pend(n) => (format!("irq pend {n}"), Primitive::IrqPend(n)),
            IrqAction::Flood(n) => return self.flood(n),
        };
        let reply = self.exec_one(p)?;
        if reply != Reply::Done {
            return Err(unexpected(&text, reply));
        }
        self.line(&text);
        Ok(())
    }

    /// `irq: { flood }`: the transcript says how the flood ended, never how
    /// many entries it took (that depends on the host's speed).
    fn flood(&mut self, irq: u32) -> StepResult {
        let text = format!("irq flood {irq}");
        let reply = self.exec_one(Primitive::IrqFlood {
            irq,
            max_entries: FLOOD_MAX_ENTRIES,
        })?;
        let Reply::Flooded { entries } = reply else {
            return Err(unexpected(&text, reply));
        };
        if entries == 0 {
            self.line(&format!("{text} -> never taken"));
            return Err(StepError::Failed(format!(
                "IRQ {irq} was never taken: a flood needs an IRQ the app's NVIC has enabled (e.g. mvSetFastInterrupt, then mvEnableFastInterrupt)"
            )));
        }
        if entries < FLOOD_MAX_ENTRIES {
            self.line(&format!(
                "{text} -> the NVIC stopped taking it before {FLOOD_MAX_ENTRIES} entries"
            ));
        } else {
            self.line(&format!(
                "{text} -> its handler ran all {FLOOD_MAX_ENTRIES} entries; nothing stopped it"
            ));
        }
        self.serve_network()
    }

    pub(super) fn expect_irq(&mut self, e: &ExpectIrq) -> StepResult {
        let reply = self.exec_one(Primitive::IrqStatus(e.irq))?;
        let Reply::Irq {
            pending,
            enabled,
            handled,
        } = reply
        else {
            return Err(unexpected(&format!("irq status {}", e.irq), reply));
        };
        let mut wanted = Vec::new();
        let mut wrong = Vec::new();
        let mut check = |what: &str, want: Option<String>, got: String| {
            if let Some(want) = want {
                wanted.push(format!("{what}={want}"));
                if want != got {
                    wrong.push(format!("{what} is {got}, expected {want}"));
                }
            }
        };
        check(
            "pending",
            e.pending.map(|b| b.to_string()),
            pending.to_string(),
        );
        check(
            "enabled",
            e.enabled.map(|b| b.to_string()),
            enabled.to_string(),
        );
        check(
            "handled",
            e.handled.map(|n| n.to_string()),
            handled.to_string(),
        );
        self.line(&format!("expect irq {}: {}", e.irq, wanted.join(" ")));
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(StepError::Failed(format!(
                "irq {}: {}",
                e.irq,
                wrong.join(", ")
            )))
        }
    }

    pub(super) fn expect_memory(&mut self, e: &ExpectMemory) -> StepResult {
        let a = self.allocs.get(&e.name);
        let Some(contents) = a.contents.as_deref() else {
            return Err(StepError::Failed(format!(
                "{} is in {} and cannot be read by the app",
                e.name,
                a.placement.name()
            )));
        };
        let (what, range, kind) = match (e.range, &e.field) {
            (Some((o, l)), _) => (
                format!("{}[{}..{}]", e.name, o, o + l),
                o as usize..(o + l) as usize,
                None,
            ),
            (None, Some(f)) => (
                format!("{}.{}", e.name, render::field_ref(f)),
                f.offset..f.offset + f.kind.size(),
                Some(f.kind),
            ),
            (None, None) => (e.name.clone(), 0..contents.len(), None),
        };
        let bytes = &contents[range.clone()];
        let shown = |b: &[u8]| -> String {
            if b.len() <= 8 && (kind.is_some() || a.ty.scalar_size().is_some()) {
                render::number(le_int(b))
            } else {
                hex(b)
            }
        };
        let (text, ok, actual) = match &e.check {
            MemCheck::Zero => (
                "is zero".to_owned(),
                bytes.iter().all(|&b| b == 0),
                shown(bytes),
            ),
            MemCheck::NonZero => (
                "is nonzero".to_owned(),
                bytes.iter().any(|&b| b != 0),
                shown(bytes),
            ),
            MemCheck::Unchanged => {
                let before = a.before_call.as_deref().map(|b| &b[range.clone()]);
                (
                    "is unchanged by the last call".to_owned(),
                    before.is_none_or(|b| b == bytes),
                    before.map_or_else(String::new, |b| {
                        format!("{} before, {} now", shown(b), shown(bytes))
                    }),
                )
            }
            MemCheck::Equals(Expected::Value(v)) => {
                let want = self.allocs.resolve(v);
                let width = bytes.len().min(8);
                let mask = if width >= 8 {
                    u64::MAX
                } else {
                    (1u64 << (8 * width)) - 1
                };
                (
                    format!("== {}", render::value(v, kind)),
                    bytes.len() <= 8 && le_int(bytes) == want & mask,
                    shown(bytes),
                )
            }
            MemCheck::Equals(Expected::Bytes(want)) => (
                format!("== {}", hex(want)),
                bytes == want.as_slice(),
                hex(bytes),
            ),
            MemCheck::AsciiPrefix(p) => (
                format!("starts with {p:?}"),
                bytes.starts_with(p.as_bytes()),
                format!(
                    "{:?}",
                    String::from_utf8_lossy(&bytes[..p.len().min(bytes.len())])
                ),
            ),
        };
        let is_time = a.ty == MemType::TimeUs;
        self.line(&format!("expect {what} {text}"));
        if ok {
            Ok(())
        } else {
            let actual = if matches!(e.check, MemCheck::Unchanged) {
                actual
            } else if is_time {
                "a different time".to_owned()
            } else {
                format!("it is {actual}")
            };
            Err(StepError::Failed(format!(
                "{what} {text} does not hold: {actual}"
            )))
        }
    }

    fn operand(&self, o: &Operand) -> (String, u64) {
        match o {
            Operand::Number(n) => (render::number(*n), *n),
            Operand::Scalar(name) => {
                let a = self.allocs.get(name);
                let c = a.contents.as_deref().unwrap_or(&[]);
                let width = a.ty.scalar_size().unwrap_or(c.len()).min(c.len()).min(8);
                (name.clone(), le_int(&c[..width]))
            }
            Operand::Field { name, field } => {
                let c = self.allocs.get(name).contents.as_deref().unwrap_or(&[]);
                let v = le_int(&c[field.offset..field.offset + field.kind.size()]);
                (format!("{name}.{}", render::field_ref(field)), v)
            }
            Operand::Record { name, index, field } => {
                let c = self.allocs.get(name).contents.as_deref().unwrap_or(&[]);
                let at = *index as usize * RECORD;
                let range = match field {
                    RecordField::Microseconds => at..at + 8,
                    RecordField::EventType => at + 8..at + 12,
                    RecordField::Tag => at + 12..at + 16,
                };
                (
                    format!("{name}[{index}].{}", field.name()),
                    c.get(range).map_or(0, le_int),
                )
            }
        }
    }

    pub(super) fn compare(&mut self, c: &Compare) -> StepResult {
        let (l, lv) = self.operand(&c.left);
        let (r, rv) = self.operand(&c.right);
        let text = format!("{l} {} {r}", c.op.symbol());
        self.line(&format!("compare {text}"));
        if c.op.holds(lv, rv) {
            Ok(())
        } else {
            Err(StepError::Failed(format!(
                "{text} does not hold ({lv} vs {rv})"
            )))
        }
    }

    pub(super) fn expect_server_log(&mut self, e: &ExpectServerLog) -> StepResult {
        for m in self.session.take_server_log()? {
            self.logs.push(server_log_line(&m));
            self.server_log
                .push(String::from_utf8_lossy(&m).into_owned());
        }
        let got = std::mem::take(&mut self.server_log);
        self.check_log("server log", got, e)
    }

    /// `expect_test_log`: the provisioning console's messages (`mvTestLog`),
    /// which also go to the case's evidence.
    pub(super) fn expect_test_log(&mut self, e: &ExpectServerLog) -> StepResult {
        let mut got = Vec::new();
        for m in self.session.take_test_log()? {
            self.logs.push(test_log_line(&m));
            got.push(String::from_utf8_lossy(&m).into_owned());
        }
        self.check_log("test log", got, e)
    }

    fn check_log(&mut self, what: &str, got: Vec<String>, e: &ExpectServerLog) -> StepResult {
        let received = quoted_list(&got);
        self.line(&format!("{what} received: {received}"));
        let problem = match e {
            ExpectServerLog::Count(n) => (got.len() != *n as usize)
                .then(|| format!("received {} messages, expected {n}", got.len())),
            ExpectServerLog::Messages(want) => (&got != want)
                .then(|| format!("received {received}, expected {}", quoted_list(want))),
        };
        match problem {
            None => Ok(()),
            Some(p) => Err(StepError::Failed(p)),
        }
    }
}

/// `["a", "b"]`: each message quoted once.
fn quoted_list(messages: &[String]) -> String {
    let quoted: Vec<String> = messages.iter().map(|m| format!("{m:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The `Write`s of the smallest span where `new` differs from `old` (the
/// agent link is slow towards the device: send only what changes).
pub(super) fn changed_span(addr: u32, old: &[u8], new: &[u8]) -> Vec<Primitive> {
    let Some(first) = (0..new.len()).find(|&i| old.get(i) != Some(&new[i])) else {
        return Vec::new();
    };
    let last = (0..new.len())
        .rev()
        .find(|&i| old.get(i) != Some(&new[i]))
        .unwrap_or(first);
    write_pieces(addr + first as u32, &new[first..=last])
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An `init` as the case wrote it.
fn init_text(init: &Init) -> String {
    match init {
        Init::Scalar(v) => render::value(v, None),
        Init::Bytes(b) => hex(b),
        Init::Ascii(s) => format!("{s:?}"),
        Init::Struct(fields) => {
            let parts: Vec<String> = fields
                .iter()
                .map(|f| {
                    format!(
                        "{}: {}",
                        render::field_ref(&f.field),
                        render::value(&f.value, Some(f.field.kind))
                    )
                })
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
    }
}
