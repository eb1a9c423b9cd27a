//! Loader and validator of the YAML conformance cases (`conformance/<area>/*.yaml`).
//!
//! A case file is parsed in stages, each with one job: YAML text to a value
//! (`parse`), `repeat` expansion (`expand`), serde into raw types that mirror the
//! file (`raw`, `serde_errors`), and validation into types that cannot be invalid
//! (`validate` → `model`). Every error names the file, line, column and field path
//! (`lines`), so `hil run` can stop before anything executes.
#![forbid(unsafe_code)]

mod actions;
mod attack;
mod broker;
mod error;
mod expand;
mod expect;
mod lines;
mod load;
mod memory;
mod model;
mod net;
mod parse;
mod raw;
mod schema;
mod scope;
mod serde_errors;
mod suggest;
mod validate;
mod values;

pub use error::{CaseError, SuiteError};
pub use lines::{LineIndex, Position};
pub use load::{load_case_file, load_suite};
pub use memory::{APP_MEMORY_BUDGET, NO_MEMORY_BUDGET, RAM_END_BUDGET, WINDOW_BUDGET};
pub use model::{
    Alloc, AppRead, AttackExpect, AttackStep, Call, Caller, Case, CloudAction, CmpOp, Compare,
    ConfigEntry, ConfigValue, Deploy, DeployExpect, Entry, ExpectBroker, ExpectIrq, ExpectMemory,
    ExpectNotifications, ExpectRelay, ExpectServerLog, ExpectServerRequest, Expected, FieldInit,
    FieldRef, Init, Interruption, IrqAction, IsrHandler, MemCheck, MemType, NetAction, Operand,
    Placement, RecordField, RecordPattern, RecordsCheck, Route, SpecRef, StatusExpect, Step,
    StepAt, Suite, TamperClass, Value, Write, WriteWhat, FLOOD_MAX_ENTRIES,
};
pub use parse::parse_case;
pub use schema::json_schema;
pub use validate::SKIP_IMAGES;
