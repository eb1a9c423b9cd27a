//! Steps that act: `call`, `irq`, `cloud`, `delay_us`.

use mv_abi::{MvStatus, Slot, NSC_TABLE_ENTRIES};
use serde_yaml::Value as Yaml;

use crate::error::{join, Issue};
use crate::model::{
    AppRead, Call, Caller, CloudAction, Deploy, DeployExpect, Entry, Interruption, IrqAction,
    IsrHandler, StatusExpect, TamperClass,
};
use crate::raw;
use crate::scope::Scope;
use crate::suggest;
use crate::validate::exactly_one;
use crate::values::{self, Target};

/// Arguments are passed in r0–r3.
pub(crate) const MAX_ARGS: usize = 4;

/// Highest interrupt number an ARMv8-M NVIC can have.
pub(crate) const MAX_IRQ: u32 = 479;

/// Validates a `call:` (or `slot:`) step at `path` (the step itself: `args`,
/// `expect`, `from_irq` and `unprivileged` are its siblings).
pub(crate) fn call(raw: &raw::Step, path: &str, scope: &Scope) -> Result<Call, Issue> {
    let slot = match (&raw.call, raw.slot) {
        (Some(name), _) => Slot::from_name(name).map(Entry::Slot).ok_or_else(|| {
            Issue::new(
                join(path, "call"),
                format!(
                    "unknown syscall `{name}`{}",
                    suggest::hint(name, Slot::ALL.iter().map(|slot| slot.name()))
                ),
            )
        })?,
        (None, Some(number)) => entry(number, &join(path, "slot"))?,
        (None, None) => return Err(Issue::new(path, "a call needs `call` or `slot`")),
    };
    let raw_args = raw.args.as_deref().unwrap_or_default();
    if raw_args.len() > MAX_ARGS {
        return Err(Issue::new(
            format!("{}[{MAX_ARGS}]", join(path, "args")),
            format!(
                "{} arguments given; a call takes at most {MAX_ARGS} (r0–r3)",
                raw_args.len()
            ),
        ));
    }
    let args = raw_args
        .iter()
        .enumerate()
        .map(|(n, arg)| {
            values::value(arg, Target::ARG, scope)
                .map_err(|message| Issue::new(format!("{}[{n}]", join(path, "args")), message))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let expect_path = join(path, "expect");
    let Some(expect) = &raw.expect else {
        return Err(Issue::new(
            expect_path,
            format!(
                "a call needs `expect:` with the status it must return (e.g. `expect: OKAY`) after `{}`",
                slot.name()
            ),
        ));
    };
    let expect = status_expect(&expect.0, &expect_path)?;
    let modifiers: Vec<&str> = [
        ("from_irq", raw.from_irq.is_some()),
        ("unprivileged", raw.unprivileged == Some(true)),
        ("interrupted", raw.interrupted.is_some()),
        ("vtor", raw.vtor.is_some()),
    ]
    .into_iter()
    .filter_map(|(key, set)| set.then_some(key))
    .collect();
    if let [first, second, ..] = modifiers.as_slice() {
        return Err(Issue::new(
            join(path, second),
            format!("a call is made one way: give `{first}` or `{second}`, not both (a call from an interrupt handler is privileged, as handler mode always is)"),
        ));
    }
    let caller = if let Some(irq) = &raw.from_irq {
        Caller::Interrupt(irq_number(irq, &join(path, "from_irq"))?)
    } else if raw.unprivileged == Some(true) {
        Caller::Unprivileged
    } else if let Some(interrupted) = &raw.interrupted {
        Caller::Interrupted(Box::new(interruption(
            interrupted,
            &join(path, "interrupted"),
            scope,
        )?))
    } else if let Some(vtor) = raw.vtor {
        Caller::WithVtor(crate::attack::target(vtor))
    } else {
        Caller::Thread
    };
    if crate::model::ends_app(slot)
        && expect != StatusExpect::Is(MvStatus::Okay)
        && expect.admits(MvStatus::Okay as u32)
    {
        return Err(Issue::new(
            expect_path,
            format!(
                "a successful {} restarts the app, so the case must know: expect OKAY alone, or statuses without OKAY (this is `{}`)",
                slot.name(),
                expect.describe()
            ),
        ));
    }
    Ok(Call {
        slot,
        args,
        expect,
        caller,
    })
}

/// `interrupted:` at `path`: the timer's delay, its handler's action, and
/// what it must pre-empt.
fn interruption(raw: &raw::Interrupted, path: &str, scope: &Scope) -> Result<Interruption, Issue> {
    let source = match (&raw.irq, &raw.after_ticks) {
        (Some(irq), None) => mv_proto::InterruptSource::KernelPends {
            irq: irq_number(irq, &join(path, "irq"))?,
        },
        (None, Some(ticks)) => {
            let ticks_path = join(path, "after_ticks");
            let after_ticks = values::number_u32(ticks)
                .map_err(|message| Issue::new(&ticks_path, message))?;
            if after_ticks == 0 {
                return Err(Issue::new(
                    ticks_path,
                    "the timer needs at least 1 tick to count down",
                ));
            }
            mv_proto::InterruptSource::Timer { after_ticks }
        }
        (Some(_), Some(_)) => {
            return Err(Issue::new(
                join(path, "after_ticks"),
                "one interrupt comes: give `irq` (the kernel pends it) or `after_ticks` (the app's timer), not both",
            ))
        }
        (None, None) => {
            return Err(Issue::new(
                path,
                "say what interrupts the call: `irq` (an app IRQ the kernel pends during it) or `after_ticks` (the app's timer)",
            ))
        }
    };
    let handler_path = join(path, "handler");
    let handler = match &raw.handler {
        None => IsrHandler::Nothing,
        Some(h) => match (&h.write, &h.call) {
            (Some(write), None) => {
                if let Some(key) = [("args", h.args.is_some()), ("expect", h.expect.is_some())]
                    .into_iter()
                    .find_map(|(key, set)| set.then_some(key))
                {
                    return Err(Issue::new(
                        join(&handler_path, key),
                        format!("`{key}` belongs to the handler's `call`, and this handler writes"),
                    ));
                }
                IsrHandler::Write(crate::memory::write(
                    write,
                    &join(&handler_path, "write"),
                    scope,
                )?)
            }
            (None, Some(name)) => {
                let step = raw::Step {
                    call: Some(name.clone()),
                    args: h.args.clone(),
                    expect: h.expect.clone(),
                    ..raw::Step::default()
                };
                IsrHandler::Call(call(&step, &handler_path, scope)?)
            }
            (Some(_), Some(_)) => {
                return Err(Issue::new(
                    join(&handler_path, "call"),
                    "a handler does one thing: give `write` or `call`, not both",
                ))
            }
            (None, None) => {
                return Err(Issue::new(
                    handler_path,
                    "a handler needs `write` or `call` (omit `handler` for one that only records)",
                ))
            }
        },
    };
    Ok(Interruption {
        source,
        handler,
        preempts_kernel: raw.preempts.map(|p| p == raw::Preempts::Kernel),
    })
}

/// A raw entry number: an SDK slot or a reserved entry of the veneer table.
fn entry(number: u32, path: &str) -> Result<Entry, Issue> {
    match Slot::from_number(number) {
        Some(slot) => Ok(Entry::Slot(slot)),
        None if number < NSC_TABLE_ENTRIES => Ok(Entry::Reserved(number)),
        None => Err(Issue::new(
            path,
            format!(
                "slot {number} has no entry in the veneer table (entries 0 to {}: the SDK's slots 0 to {}, then reserved ones); a branch there is not a system call",
                NSC_TABLE_ENTRIES - 1,
                Slot::ALL.len() - 1
            ),
        )),
    }
}

/// `expect:` — a status name, `{ one_of: [...] }` or `{ not: name | [...] }`.
fn status_expect(data: &Yaml, path: &str) -> Result<StatusExpect, Issue> {
    let shapes = "a status name (`OKAY`), `{ one_of: [OKAY, LATEFAULT] }` or `{ not: OKAY }`";
    match data {
        Yaml::String(name) => status(name)
            .map(StatusExpect::Is)
            .map_err(|message| Issue::new(path, message)),
        Yaml::Mapping(map) if map.len() == 1 => {
            let (key, value) = map.iter().next().expect("one entry");
            let key = key.as_str().unwrap_or_default();
            let at = join(path, key);
            let names: Vec<(String, &Yaml)> = match (key, value) {
                ("one_of" | "not", Yaml::Sequence(list)) if !list.is_empty() => list
                    .iter()
                    .enumerate()
                    .map(|(n, item)| (format!("{at}[{n}]"), item))
                    .collect(),
                ("not", Yaml::String(_)) => vec![(at.clone(), value)],
                ("one_of" | "not", _) => {
                    return Err(Issue::new(
                        at,
                        format!(
                            "`{key}` takes a non-empty list of status names{}",
                            if key == "not" { " (or one name)" } else { "" }
                        ),
                    ))
                }
                _ => {
                    return Err(Issue::new(
                        path,
                        format!(
                            "unknown key `{key}`{} in `expect`; give {shapes}",
                            suggest::hint(key, ["one_of", "not"])
                        ),
                    ))
                }
            };
            let statuses = names
                .into_iter()
                .map(|(at, item)| match item {
                    Yaml::String(name) => status(name).map_err(|message| Issue::new(at, message)),
                    other => Err(Issue::new(
                        at,
                        format!("a status name, found {}", values::describe(other)),
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if key == "one_of" {
                StatusExpect::OneOf(statuses)
            } else {
                StatusExpect::Not(statuses)
            })
        }
        other => Err(Issue::new(
            path,
            format!("`expect` is {shapes}; found {}", values::describe(other)),
        )),
    }
}

/// The most calls one `batch` may hold (the agent's frame bounds a request).
pub(crate) const MAX_BATCH: usize = 64;

/// Validates `batch:` at `path`: every element a call, none that restarts the app.
pub(crate) fn batch(
    raw: &[raw::BatchCall],
    path: &str,
    scope: &mut Scope,
) -> Result<Vec<Call>, Issue> {
    if raw.is_empty() || raw.len() > MAX_BATCH {
        return Err(Issue::new(
            path,
            format!(
                "a batch holds 1 to {MAX_BATCH} calls; this one has {}",
                raw.len()
            ),
        ));
    }
    let calls = raw
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let at = format!("{path}[{n}]");
            let step = raw::Step {
                call: c.call.clone(),
                slot: c.slot,
                args: c.args.clone(),
                expect: c.expect.clone(),
                ..raw::Step::default()
            };
            let call = self::call(&step, &at, scope)?;
            if call.restarts_app() {
                return Err(Issue::new(
                    join(&at, "call"),
                    "a successful call that ends the app (mvRestart, mvDeepSleep, mvTestingComplete) restarts it: make it a `call` step of its own",
                ));
            }
            Ok(call)
        })
        .collect::<Result<Vec<_>, _>>()?;
    scope.note_call();
    Ok(calls)
}

/// A status by its short (`OKAY`) or C (`MV_STATUS_OKAY`) name.
fn status(name: &str) -> Result<MvStatus, String> {
    MvStatus::ALL
        .iter()
        .copied()
        .find(|status| status.short_name() == name || status.c_name() == name)
        .ok_or_else(|| {
            let short = name.strip_prefix("MV_STATUS_").unwrap_or(name);
            format!(
                "unknown status `{name}`{}",
                suggest::hint(
                    short,
                    MvStatus::ALL.iter().map(|status| status.short_name())
                )
            )
        })
}

/// Validates `irq:` at `path`.
pub(crate) fn irq(raw: &raw::Irq, path: &str) -> Result<IrqAction, Issue> {
    let key = exactly_one(
        path,
        &[
            ("enable", raw.enable.is_some()),
            ("disable", raw.disable.is_some()),
            ("clear_pending", raw.clear_pending.is_some()),
            ("pend", raw.pend.is_some()),
            ("flood", raw.flood.is_some()),
        ],
    )?;
    let (number, make): (_, fn(u32) -> IrqAction) = match key {
        "enable" => (&raw.enable, IrqAction::Enable),
        "disable" => (&raw.disable, IrqAction::Disable),
        "pend" => (&raw.pend, IrqAction::Pend),
        "flood" => (&raw.flood, IrqAction::Flood),
        _ => (&raw.clear_pending, IrqAction::ClearPending),
    };
    let number = number
        .as_ref()
        .map_or(Ok(0), |raw| irq_number(raw, &join(path, key)))?;
    Ok(make(number))
}

/// An interrupt number, 0 to [`MAX_IRQ`].
pub(crate) fn irq_number(raw: &raw::RawValue, path: &str) -> Result<u32, Issue> {
    let n = values::number_u32(raw).map_err(|message| Issue::new(path, message))?;
    if n > MAX_IRQ {
        return Err(Issue::new(
            path,
            format!("IRQ {n} does not exist; an NVIC has interrupts 0 to {MAX_IRQ}"),
        ));
    }
    Ok(n)
}

/// Validates `cloud:` at `path`.
pub(crate) fn cloud(raw: &raw::Cloud, path: &str) -> Result<CloudAction, Issue> {
    let key = exactly_one(
        path,
        &[
            ("sync_time_us", raw.sync_time_us.is_some()),
            ("link", raw.link.is_some()),
            ("logging", raw.logging.is_some()),
            ("app_test_mode", raw.app_test_mode.is_some()),
            ("deploy", raw.deploy.is_some()),
        ],
    )?;
    Ok(match (key, &raw.sync_time_us, raw.link, &raw.deploy) {
        ("sync_time_us", Some(time), _, _) => CloudAction::SyncTimeUs(
            values::number(time, Target::U64)
                .map_err(|message| Issue::new(join(path, key), message))?,
        ),
        ("link", _, Some(link), _) => CloudAction::Link {
            online: link == raw::Link::Online,
        },
        ("deploy", _, _, Some(deploy)) => {
            CloudAction::Deploy(self::deploy(deploy, &join(path, "deploy"))?)
        }
        ("app_test_mode", ..) => CloudAction::AppTestMode {
            on: raw.app_test_mode == Some(true),
        },
        _ => CloudAction::Logging {
            enabled: raw.logging == Some(raw::Logging::Enabled),
        },
    })
}

/// Validates `cloud: { deploy: ... }` at `path`.
fn deploy(raw: &raw::Deploy, path: &str) -> Result<Deploy, Issue> {
    if raw.app_version == 0 {
        return Err(Issue::new(
            join(path, "app_version"),
            "app versions start at 1 (the factory image is version 1)",
        ));
    }
    let tamper = match &raw.tamper {
        None => None,
        Some(name) => Some(
            TamperClass::ALL
                .into_iter()
                .find(|c| c.name() == name)
                .ok_or_else(|| {
                    Issue::new(
                        join(path, "tamper"),
                        format!(
                            "unknown tamper class `{name}`{}",
                            suggest::hint(name, TamperClass::ALL.iter().map(|c| c.name()))
                        ),
                    )
                })?,
        ),
    };
    let expect = match raw.expect {
        raw::DeployExpect::Installed => DeployExpect::Installed,
        raw::DeployExpect::Staged => DeployExpect::Staged,
        raw::DeployExpect::UpToDate => DeployExpect::UpToDate,
        raw::DeployExpect::Rejected => DeployExpect::Rejected,
    };
    if tamper.is_some() && expect != DeployExpect::Rejected {
        return Err(Issue::new(
            join(path, "expect"),
            "a tampered bundle must be refused: `expect: rejected`",
        ));
    }
    Ok(Deploy {
        app_version: raw.app_version,
        politeness_s: raw.politeness_s.unwrap_or(0),
        tamper,
        expect,
    })
}

/// Validates `app_read:` at `path`.
pub(crate) fn app_read(raw: &raw::AppRead, path: &str, scope: &Scope) -> Result<AppRead, Issue> {
    let info = scope
        .get(&raw.name)
        .map_err(|m| Issue::new(join(path, "name"), m))?;
    let len = match &raw.len {
        Some(v) => delay_us(v, &join(path, "len"))?,
        None => 4.min(info.size),
    };
    if len == 0 || len > info.size {
        return Err(Issue::new(
            join(path, "len"),
            format!(
                "`len` must be 1 to {} (the size of `{}`)",
                info.size, raw.name
            ),
        ));
    }
    let expect_fault = crate::attack::fault_kind(raw.expect_fault);
    Ok(AppRead {
        name: raw.name.clone(),
        len,
        expect_fault,
    })
}

/// Validates `delay_us:` at `path`.
pub(crate) fn delay_us(raw: &raw::RawValue, path: &str) -> Result<u32, Issue> {
    values::number_u32(raw).map_err(|message| Issue::new(path, message))
}
