//! Writes that answer only `Done` travel at the front of the case's next request, in order, and one refused there is reported at the step that wrote it.

use std::path::Path;
use std::time::{Duration, Instant};

use hil_cases::CloudAction;
use hil_report::{LogLine, Outcome};
use hil_rig::{CloudOutcome, RigError, RigSession, SimSession};
use hil_runner::{run_case_with, CaseRun, Writes};
use mv_proto::{Hello, Primitive, Refusal, Reply};

/// The sim, with every request it gets written down, and the reply to the
/// `refuse`-th `Fill` (counting from 0) turned into a refusal.
struct Recording {
    sim: SimSession,
    requests: Vec<Vec<Primitive>>,
    refuse: Option<usize>,
    fills: usize,
}

impl RigSession for Recording {
    fn name(&self) -> &str {
        self.sim.name()
    }
    fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.sim.set_deadline(deadline);
    }
    fn reset(&mut self) -> Result<Hello, RigError> {
        self.sim.reset()
    }
    fn exec(&mut self, primitives: Vec<Primitive>) -> Result<Vec<Reply>, RigError> {
        self.requests.push(primitives.clone());
        let mut replies = self.sim.exec(primitives.clone())?;
        for (p, reply) in primitives.iter().zip(&mut replies) {
            if let Primitive::Fill { .. } = p {
                if self.refuse == Some(self.fills) {
                    *reply = Reply::Refused(Refusal::NotAppMemory);
                }
                self.fills += 1;
            }
        }
        Ok(replies)
    }
    fn cloud(&mut self, action: &CloudAction) -> Result<CloudOutcome, RigError> {
        self.sim.cloud(action)
    }
    fn take_server_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
        self.sim.take_server_log()
    }
    fn take_test_log(&mut self) -> Result<Vec<Vec<u8>>, RigError> {
        self.sim.take_test_log()
    }
    fn take_device_log(&mut self) -> Vec<LogLine> {
        self.sim.take_device_log()
    }
}

const STEPS: &str = r#"
  - alloc: { name: id, type: bytes, size: 34, fill: 0x11 }
  - alloc: { name: other, type: bytes, size: 8 }
  - write: { name: other, offset: 0, value: "01 02" }
  - call: mvGetDeviceId
    args: ["@id", 34]
    expect: OKAY
  - expect_memory: { name: other, offset: 0, len: 3, equals: "01 02 00" }
"#;

fn run(refuse: Option<usize>, writes: Writes) -> (CaseRun, Vec<Vec<Primitive>>) {
    let text =
        format!("id: device.writes\ntitle: t\nspec: {{ quote: q, source: s }}\nsteps:\n{STEPS}");
    let case = hil_cases::parse_case(Path::new("x.yaml"), "device", &text)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut session = Recording {
        sim: SimSession::new("sim", hil_sim::SimConfig::default()),
        requests: Vec::new(),
        refuse,
        fills: 0,
    };
    let run = run_case_with(&mut session, &case, Duration::from_secs(10), writes);
    (run, session.requests)
}

/// The kinds of a request's primitives, e.g. `["Fill", "Alloc"]`.
fn kinds(request: &[Primitive]) -> Vec<String> {
    request
        .iter()
        .map(|p| {
            let text = format!("{p:?}");
            text.split(|c: char| !c.is_alphanumeric())
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn an_allocations_contents_and_a_write_go_with_the_next_request() {
    let (run, requests) = run(None, Writes::WithNextRequest);
    assert!(
        matches!(run.outcome, Outcome::Passed),
        "{:?}\n{}",
        run.outcome,
        run.transcript
    );
    let kinds: Vec<Vec<String>> = requests.iter().map(|r| kinds(r)).collect();
    // Three requests, not five: each allocation's fill and the write ride
    // on the next request, in the order the steps wrote them.
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert_eq!(kinds[0], ["Alloc"]);
    assert_eq!(kinds[1], ["Fill", "Alloc"]);
    assert_eq!(
        kinds[2][..4],
        ["Fill", "Write", "Call", "Read"],
        "{kinds:?}"
    );
}

#[test]
fn a_write_refused_in_a_later_request_is_reported_at_the_step_that_wrote_it() {
    // The second allocation's fill goes with the call (step 3): its refusal
    // is step 1's.
    let (run, _) = run(Some(1), Writes::WithNextRequest);
    match &run.outcome {
        Outcome::Error { message } => assert!(
            message.starts_with("steps[1] (line 7): ") && message.contains("initialising other"),
            "{message}"
        ),
        other => panic!(
            "expected an error at step 1, got {other:?}\n{}",
            run.transcript
        ),
    }
}

#[test]
fn the_previous_way_sends_each_steps_writes_on_their_own() {
    let (run, requests) = run(None, Writes::OnTheirOwn);
    assert!(matches!(run.outcome, Outcome::Passed), "{:?}", run.outcome);
    let kinds: Vec<Vec<String>> = requests.iter().map(|r| kinds(r)).collect();
    assert_eq!(kinds[..4], [["Alloc"], ["Fill"], ["Alloc"], ["Fill"]]);
    assert_eq!(kinds[4], ["Write"]);
    assert_eq!(kinds.len(), 6, "{kinds:?}");
}
