//! The allocations a step can see: those made by earlier steps.

use std::collections::{BTreeMap, HashMap};

use crate::model::{MemType, Placement};
use crate::suggest;

/// What later steps need to know about an allocation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AllocInfo {
    pub ty: MemType,
    pub size: u32,
    pub placement: Placement,
    /// Bytes it takes from its placement's pool at most (size, misalignment
    /// and alignment padding).
    pub reserved: u64,
}

/// Allocations made so far, plus where each later one is made (for better errors).
#[derive(Debug, Default)]
pub(crate) struct Scope {
    defined: BTreeMap<String, AllocInfo>,
    /// Name → field of the step that allocates it, for every alloc in the case.
    anywhere: HashMap<String, String>,
    /// Field of the step being validated.
    current: String,
    /// Whether a `call` step has been validated (`is: unchanged` compares with
    /// memory as it was before the last call).
    seen_call: bool,
    /// Allocations the app lost when it restarted, and the step that restarted it.
    lost: BTreeMap<String, String>,
}

impl Scope {
    /// A scope before the first step; `anywhere` lists every alloc of the case.
    pub(crate) fn new(anywhere: HashMap<String, String>) -> Scope {
        Scope {
            defined: BTreeMap::new(),
            anywhere,
            current: String::new(),
            seen_call: false,
            lost: BTreeMap::new(),
        }
    }

    /// The app restarted at step `at`: every allocation so far is gone (the
    /// new app allocates afresh; its names may be reused).
    pub(crate) fn app_restarted(&mut self, at: &str) {
        for name in std::mem::take(&mut self.defined).into_keys() {
            self.lost.insert(name, at.to_owned());
        }
    }

    /// Names the step being validated, so a self-reference is reported as such.
    pub(crate) fn set_current(&mut self, field: &str) {
        field.clone_into(&mut self.current);
    }

    /// Records that a call step has been made.
    pub(crate) fn note_call(&mut self) {
        self.seen_call = true;
    }

    /// Whether an earlier step made a call.
    pub(crate) fn has_call(&self) -> bool {
        self.seen_call
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.defined.contains_key(name)
    }

    /// Whether `name` is allocated anywhere in the case (now or later).
    pub(crate) fn is_allocation_name(&self, name: &str) -> bool {
        self.defined.contains_key(name) || self.anywhere.contains_key(name)
    }

    /// The allocations the app holds now (a restart drops them all).
    pub(crate) fn live(&self) -> impl Iterator<Item = &AllocInfo> {
        self.defined.values()
    }

    pub(crate) fn define(&mut self, name: &str, info: AllocInfo) {
        self.defined.insert(name.to_owned(), info);
    }

    /// The allocation `name`, or why a step cannot use it.
    pub(crate) fn get(&self, name: &str) -> Result<AllocInfo, String> {
        if let Some(info) = self.defined.get(name) {
            return Ok(*info);
        }
        if let Some(step) = self.lost.get(name) {
            return Err(format!(
                "allocation `{name}` was lost when the app restarted at {step}; allocate it again after the restart"
            ));
        }
        if let Some(step) = self.anywhere.get(name) {
            if *step == self.current {
                return Err(format!(
                    "allocation `{name}` is made by this step; it cannot refer to itself"
                ));
            }
            return Err(format!(
                "allocation `{name}` is made later, by {step}; allocate it before it is used"
            ));
        }
        Err(format!(
            "no allocation named `{name}`{}",
            suggest::hint(name, self.defined.keys().map(String::as_str))
        ))
    }
}
