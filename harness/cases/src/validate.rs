//! Raw → model for a whole case: the top-level fields and the dispatch of each step.
//!
//! Steps are validated in order with a [`Scope`] of the allocations made so far,
//! so a reference to a later or unknown allocation is caught here. Each step's
//! errors name its path in the file (the template, for repeated steps).

use std::collections::HashMap;
use std::path::Path;

use crate::error::{join, Issue};
use crate::expand::Origin;
use crate::lines::LineIndex;
use crate::model::{Case, NetAction, SpecRef, Step, StepAt};
use crate::raw;
use crate::scope::Scope;
use crate::{actions, attack, broker, expect, memory, net};

/// What a `skip:` key may name: the images a rig runs. `sim` is the sim's
/// model; `an505` the AN505 images, which both the `qemu-an505` rig and a
/// `board` rig running them execute; `stm32u585` the STM32U585 images a
/// board rig names (`board.images`; `hil_rig::RigKind::images`, whose
/// tests hold this list to `hil_rig::qemu::ImageBoard`).
pub const SKIP_IMAGES: &[&str] = &["sim", "an505", "stm32u585"];

/// Validates a deserialized case from the folder `area`.
pub(crate) fn case(
    raw: raw::Case,
    area: &str,
    file: &Path,
    origins: &[Origin],
    index: &LineIndex,
) -> Result<Case, Issue> {
    check_id(&raw.id, area)?;
    check_text(&raw.title, "title")?;
    if raw.title.contains('\n') {
        return Err(Issue::new("title", "the title is one line"));
    }
    check_text(&raw.spec.quote, "spec.quote")?;
    check_text(&raw.spec.source, "spec.source")?;
    for (n, tag) in raw.tags.iter().enumerate() {
        if tag.is_empty()
            || !tag
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(Issue::new(
                format!("tags[{n}]"),
                format!("tag `{tag}` must be made of a-z, 0-9 and `-`"),
            ));
        }
    }
    for (images, reason) in &raw.skip {
        if !SKIP_IMAGES.contains(&images.as_str()) {
            return Err(Issue::new(
                join("skip", images),
                format!(
                    "no rig runs `{images}`: a skip names the images a rig runs ({}), so every rig running them skips alike",
                    SKIP_IMAGES.join(", ")
                ),
            ));
        }
        if reason.trim().is_empty() {
            return Err(Issue::new(
                join("skip", images),
                format!("skipping `{images}` needs a reason a reviewer can judge"),
            ));
        }
    }
    if raw.timeout_ms == Some(0) {
        return Err(Issue::new("timeout_ms", "timeout_ms must be at least 1"));
    }
    if raw.steps.is_empty() {
        return Err(Issue::new("steps", "a case needs at least one step"));
    }
    let steps = steps(&raw.steps, origins, index)?;
    // The runner skips `broker` cases where mosquitto is missing; a broker
    // step in an untagged case would fail there instead.
    if !raw.tags.iter().any(|t| t == "broker") {
        let broker_step = steps.iter().find(|s| {
            matches!(
                s.step,
                Step::Net(NetAction::Broker(_)) | Step::ExpectBroker(_)
            )
        });
        if let Some(at) = broker_step {
            return Err(Issue::new(
                at.field.clone(),
                "this step acts on the lab's MQTT broker: tag the case `broker` (it is then skipped, with the reason, where mosquitto is not installed)",
            ));
        }
    }
    Ok(Case {
        id: raw.id,
        area: area.to_owned(),
        title: raw.title,
        spec: SpecRef {
            quote: raw.spec.quote,
            source: raw.spec.source,
        },
        tags: raw.tags,
        skip: raw.skip,
        timeout_ms: raw.timeout_ms,
        steps,
        path: file.to_owned(),
    })
}

fn check_id(id: &str, area: &str) -> Result<(), Issue> {
    let expected = format!("`{area}.<name>`, with the folder name `{area}` first");
    let Some((prefix, name)) = id.split_once('.') else {
        return Err(Issue::new("id", format!("id `{id}` must be {expected}")));
    };
    if prefix != area {
        return Err(Issue::new(
            "id",
            format!("id `{id}` starts with `{prefix}`, but the file is in folder `{area}`; the id must be {expected}"),
        ));
    }
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(Issue::new(
            "id",
            format!("the name `{name}` in id `{id}` must match [a-z0-9][a-z0-9-]*"),
        ));
    }
    Ok(())
}

fn check_text(text: &str, field: &str) -> Result<(), Issue> {
    if text.trim().is_empty() {
        return Err(Issue::new(field, format!("`{field}` must not be empty")));
    }
    Ok(())
}

fn steps(raw: &[raw::Step], origins: &[Origin], index: &LineIndex) -> Result<Vec<StepAt>, Issue> {
    let mut anywhere = HashMap::new();
    for (step, origin) in raw.iter().zip(origins) {
        if let Some(alloc) = &step.alloc {
            anywhere
                .entry(alloc.name.clone())
                .or_insert_with(|| origin.label.clone());
        }
    }
    let mut scope = Scope::new(anywhere);
    let mut out = Vec::with_capacity(raw.len());
    for (step, origin) in raw.iter().zip(origins) {
        scope.set_current(&origin.label);
        let model = self::step(step, &origin.path, &mut scope).map_err(|issue| Issue {
            path: issue.path,
            message: origin.annotate(issue.message),
        })?;
        if model.restarts_app() {
            scope.app_restarted(&origin.label);
        }
        out.push(StepAt {
            step: model,
            field: origin.label.clone(),
            line: index
                .locate(&origin.path)
                .map_or(0, |position| position.line),
        });
    }
    Ok(out)
}

/// Validates one step at `path` (e.g. `steps[2]`).
fn step(raw: &raw::Step, path: &str, scope: &mut Scope) -> Result<Step, Issue> {
    let present: Vec<&str> = [
        ("alloc", raw.alloc.is_some()),
        ("write", raw.write.is_some()),
        ("call", raw.call.is_some()),
        ("slot", raw.slot.is_some()),
        ("expect_memory", raw.expect_memory.is_some()),
        ("expect_notifications", raw.expect_notifications.is_some()),
        ("irq", raw.irq.is_some()),
        ("expect_irq", raw.expect_irq.is_some()),
        ("compare", raw.compare.is_some()),
        ("cloud", raw.cloud.is_some()),
        ("expect_server_log", raw.expect_server_log.is_some()),
        ("expect_test_log", raw.expect_test_log.is_some()),
        ("delay_us", raw.delay_us.is_some()),
        ("app_read", raw.app_read.is_some()),
        ("repeat", raw.repeat.is_some()),
        ("server", raw.server.is_some()),
        ("expect_server_request", raw.expect_server_request.is_some()),
        ("config", raw.config.is_some()),
        ("relay", raw.relay.is_some()),
        ("expect_relay", raw.expect_relay.is_some()),
        ("batch", raw.batch.is_some()),
        ("attack", raw.attack.is_some()),
        ("broker", raw.broker.is_some()),
        ("expect_broker", raw.expect_broker.is_some()),
    ]
    .into_iter()
    .filter_map(|(verb, is_set)| is_set.then_some(verb))
    .collect();
    if raw.call.is_none() && raw.slot.is_none() {
        let stray = [
            ("args", raw.args.is_some()),
            ("expect", raw.expect.is_some()),
            ("from_irq", raw.from_irq.is_some()),
            ("unprivileged", raw.unprivileged.is_some()),
            ("interrupted", raw.interrupted.is_some()),
            ("vtor", raw.vtor.is_some()),
        ]
        .into_iter()
        .find(|(_, is_set)| *is_set);
        if let Some((key, _)) = stray {
            return Err(Issue::new(
                join(path, key),
                format!("`{key}` belongs to a `call` (or `slot`) step, and this step has no call"),
            ));
        }
    }
    // `expand` reports two verbs in file order already; these arms are a backstop.
    match present.as_slice() {
        [] => Err(Issue::new(
            path,
            format!(
                "a step needs one verb: one of {}",
                raw::VERBS
                    .iter()
                    .map(|verb| format!("`{verb}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        ["call", "slot"] => Err(Issue::new(
            join(path, "slot"),
            "give `call` (a syscall name) or `slot` (a number), not both",
        )),
        [first, second, ..] => Err(Issue::new(
            join(path, second),
            format!("a step has exactly one verb, but this one has `{first}` and `{second}`; split it into two steps"),
        )),
        [_] => one_verb(raw, path, scope),
    }
}

fn one_verb(raw: &raw::Step, path: &str, scope: &mut Scope) -> Result<Step, Issue> {
    if let Some(alloc) = &raw.alloc {
        return memory::alloc(alloc, &join(path, "alloc"), scope).map(Step::Alloc);
    }
    if let Some(write) = &raw.write {
        return memory::write(write, &join(path, "write"), scope).map(Step::Write);
    }
    if raw.call.is_some() || raw.slot.is_some() {
        let call = actions::call(raw, path, scope)?;
        scope.note_call();
        return Ok(Step::Call(call));
    }
    if let Some(check) = &raw.expect_memory {
        return expect::memory(check, &join(path, "expect_memory"), scope).map(Step::ExpectMemory);
    }
    if let Some(check) = &raw.expect_notifications {
        return expect::notifications(check, &join(path, "expect_notifications"), scope)
            .map(Step::ExpectNotifications);
    }
    if let Some(irq) = &raw.irq {
        return actions::irq(irq, &join(path, "irq")).map(Step::Irq);
    }
    if let Some(check) = &raw.expect_irq {
        return expect::irq(check, &join(path, "expect_irq")).map(Step::ExpectIrq);
    }
    if let Some(compare) = &raw.compare {
        return expect::compare(compare, &join(path, "compare"), scope).map(Step::Compare);
    }
    if let Some(cloud) = &raw.cloud {
        return actions::cloud(cloud, &join(path, "cloud")).map(Step::Cloud);
    }
    if let Some(check) = &raw.expect_server_log {
        return expect::server_log(check, &join(path, "expect_server_log"))
            .map(Step::ExpectServerLog);
    }
    if let Some(check) = &raw.expect_test_log {
        return expect::server_log(check, &join(path, "expect_test_log")).map(Step::ExpectTestLog);
    }
    if let Some(delay) = &raw.delay_us {
        return actions::delay_us(delay, &join(path, "delay_us")).map(Step::DelayUs);
    }
    if let Some(attack) = &raw.attack {
        return attack::attack(attack, &join(path, "attack")).map(Step::Attack);
    }
    if let Some(read) = &raw.app_read {
        return actions::app_read(read, &join(path, "app_read"), scope).map(Step::AppRead);
    }
    if let Some(server) = &raw.server {
        return net::server(server, &join(path, "server")).map(Step::Net);
    }
    if let Some(check) = &raw.expect_server_request {
        return net::expect_server_request(check, &join(path, "expect_server_request"))
            .map(Step::ExpectServerRequest);
    }
    if let Some(config) = &raw.config {
        return net::config(config, &join(path, "config")).map(Step::Net);
    }
    if let Some(relay) = &raw.relay {
        return net::relay(relay, &join(path, "relay")).map(Step::Net);
    }
    if let Some(calls) = &raw.batch {
        return actions::batch(calls, &join(path, "batch"), scope).map(Step::Batch);
    }
    if let Some(broker) = &raw.broker {
        return broker::action(broker, &join(path, "broker")).map(Step::Net);
    }
    if let Some(check) = &raw.expect_broker {
        return broker::expect(check, &join(path, "expect_broker")).map(Step::ExpectBroker);
    }
    if let Some(check) = &raw.expect_relay {
        return Ok(Step::ExpectRelay(net::expect_relay(
            check,
            &join(path, "expect_relay"),
        )));
    }
    // `expand` has replaced every top-level repeat and rejected nested ones.
    Err(Issue::new(
        join(path, "repeat"),
        "a repeat cannot contain another repeat",
    ))
}

/// The single key of `options` that is set, or an error naming what is missing or doubled.
pub(crate) fn exactly_one<'a>(path: &str, options: &[(&'a str, bool)]) -> Result<&'a str, Issue> {
    let set: Vec<&str> = options
        .iter()
        .filter_map(|(key, is_set)| is_set.then_some(*key))
        .collect();
    let names = options
        .iter()
        .map(|(key, _)| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match set.as_slice() {
        [one] => Ok(one),
        [] => Err(Issue::new(path, format!("give one of {names}"))),
        [first, second, ..] => Err(Issue::new(
            join(path, second),
            format!("give only one of {names}; this has `{first}` and `{second}`"),
        )),
    }
}
