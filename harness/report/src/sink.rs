//! The consumer side of the event stream: the [`Sink`] trait and [`FanOut`] to many sinks.

use crate::error::ReportError;
use crate::event::Event;

/// Something that consumes run events: a file writer, the terminal, a test recorder.
pub trait Sink {
    /// Handles one event. Events arrive in order: `RunStarted` first, `RunFinished` last.
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError>;
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        (**self).on_event(event)
    }
}

/// Sends every event to every sink it holds, in the order they were added.
///
/// A failing sink does not starve the others: they all still see the event, and
/// every error is returned (one full disk should not also lose the JUnit file,
/// and a person must see each file that was not written, not only the first).
#[derive(Default)]
pub struct FanOut {
    sinks: Vec<Box<dyn Sink + Send>>,
}

impl FanOut {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, sink: Box<dyn Sink + Send>) {
        self.sinks.push(sink);
    }

    pub fn len(&self) -> usize {
        self.sinks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }
}

impl Sink for FanOut {
    fn on_event(&mut self, event: &Event) -> Result<(), ReportError> {
        let mut errors = Vec::new();
        for sink in &mut self.sinks {
            if let Err(error) = sink.on_event(event) {
                errors.extend(error.into_list());
            }
        }
        ReportError::from_list(errors)
    }
}
