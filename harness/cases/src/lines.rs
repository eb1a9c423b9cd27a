//! Field path → (line, column) index of a YAML text, so errors can point into the file.
//!
//! serde_yaml forgets positions once a document is a `Value`, so the original text
//! is parsed a second time with yaml-rust2's event parser, which reports a marker
//! for every node. A mapping entry is located at its key, a sequence item at its
//! first character.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::error::join;

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    /// Byte offset, only used to keep the earliest marker of a node.
    index: usize,
}

/// Where each node of the first document of a text starts, by field path.
#[derive(Debug, Default)]
pub struct LineIndex {
    positions: HashMap<String, Position>,
}

impl LineIndex {
    /// Indexes `text`. A text that does not parse gives the part indexed so far.
    pub fn build(text: &str) -> LineIndex {
        let mut builder = Builder::default();
        // A syntax error has been reported by serde_yaml already; keep what we have.
        let _ = Parser::new_from_str(text).load(&mut builder, false);
        LineIndex {
            positions: builder.positions,
        }
    }

    /// The position of the deepest node on `path` that exists in the text:
    /// `steps[2].alloc.colour` falls back to `steps[2].alloc`, then `steps[2]`, ...
    pub fn locate(&self, path: &str) -> Option<Position> {
        let mut path = path;
        loop {
            if let Some(position) = self.positions.get(path) {
                return Some(*position);
            }
            if path.is_empty() {
                return None;
            }
            path = parent(path);
        }
    }
}

/// `steps[2].call` → `steps[2]` → `steps` → ``.
fn parent(path: &str) -> &str {
    match path.rfind(['.', '[']) {
        Some(at) => &path[..at],
        None => "",
    }
}

#[derive(Debug)]
enum Frame {
    Map {
        path: String,
        /// The key whose value comes next, or `None` while a key is expected.
        key: Option<String>,
    },
    Seq {
        path: String,
        next: usize,
    },
}

#[derive(Debug, Default)]
struct Builder {
    positions: HashMap<String, Position>,
    stack: Vec<Frame>,
    /// Nodes after the first document are not indexed.
    done: bool,
}

impl Builder {
    /// Records `mark` for `path` unless an earlier marker is known: for a block
    /// mapping yaml-rust2 reports the mapping start after its first key.
    fn record(&mut self, path: &str, mark: Marker) {
        let position = Position {
            line: mark.line(),
            column: mark.col() + 1,
            index: mark.index(),
        };
        self.positions
            .entry(path.to_owned())
            .and_modify(|known| {
                if position.index < known.index {
                    *known = position;
                }
            })
            .or_insert(position);
    }

    /// Handles the start of a node; returns its path when the node is a value
    /// (not a mapping key).
    fn start_node(&mut self, event: &Event, mark: Marker) -> Option<String> {
        let (path, is_key) = match self.stack.last_mut() {
            None => (String::new(), false),
            Some(Frame::Seq { path, next }) => {
                let item = format!("{path}[{next}]");
                *next += 1;
                (item, false)
            }
            Some(Frame::Map { path, key }) => match key {
                Some(key) => (join(path, key), false),
                None => {
                    // Keys that are not plain strings never appear in case paths.
                    let name = match event {
                        Event::Scalar(text, ..) => text.clone(),
                        _ => "\u{0}complex-key".to_owned(),
                    };
                    let entry = join(path, &name);
                    let map_path = path.clone();
                    *key = Some(name);
                    self.record(&map_path, mark);
                    (entry, true)
                }
            },
        };
        self.record(&path, mark);
        (!is_key).then_some(path)
    }

    /// A node has ended: the enclosing mapping now expects a key again.
    fn end_value(&mut self) {
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
            *key = None;
        }
    }

    /// After a key node, the mapping expects its value; a key that is a
    /// container is still pushed so its events nest correctly.
    fn push(&mut self, path: String, is_map: bool) {
        self.stack.push(if is_map {
            Frame::Map { path, key: None }
        } else {
            Frame::Seq { path, next: 0 }
        });
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.done {
            return;
        }
        match &event {
            Event::Scalar(..) | Event::Alias(..) => {
                let is_value = self.start_node(&event, mark).is_some();
                if is_value {
                    self.end_value();
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(event, Event::MappingStart(..));
                let path = self
                    .start_node(&event, mark)
                    .unwrap_or_else(|| "\u{0}complex-key".to_owned());
                self.push(path, is_map);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                self.end_value();
            }
            Event::DocumentEnd => self.done = true,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(index: &LineIndex, path: &str) -> (usize, usize) {
        let position = index.locate(path).expect("indexed");
        (position.line, position.column)
    }

    const TEXT: &str = "\
id: x.y
steps:
  - alloc: { name: a, size: 3 }
  - alloc:
      name: b
      init: { v1: { tag: 4 } }
  - call: mvNoOp
    args: [1, \"@a\"]
";

    #[test]
    fn keys_are_located_at_the_key() {
        let index = LineIndex::build(TEXT);
        assert_eq!(at(&index, "id"), (1, 1));
        assert_eq!(at(&index, "steps"), (2, 1));
        assert_eq!(at(&index, "steps[0].alloc"), (3, 5));
        assert_eq!(at(&index, "steps[0].alloc.size"), (3, 23));
        assert_eq!(at(&index, "steps[1].alloc.name"), (5, 7));
        assert_eq!(at(&index, "steps[1].alloc.init.v1.tag"), (6, 21));
        assert_eq!(at(&index, "steps[2].args[1]"), (8, 15));
    }

    #[test]
    fn items_are_located_at_their_first_character() {
        let index = LineIndex::build(TEXT);
        assert_eq!(at(&index, "steps[1]"), (4, 5));
        assert_eq!(at(&index, ""), (1, 1));
    }

    #[test]
    fn unknown_paths_fall_back_to_the_deepest_known_parent() {
        let index = LineIndex::build(TEXT);
        assert_eq!(at(&index, "steps[1].alloc.colour"), (4, 5));
        assert_eq!(at(&index, "steps[2].args[7]"), (8, 5));
        assert_eq!(at(&index, "title"), (1, 1));
    }

    #[test]
    fn a_broken_text_keeps_what_was_indexed() {
        let index = LineIndex::build("id: x\nsteps: [\n");
        assert_eq!(at(&index, "id"), (1, 1));
    }
}
