//! Nothing outlives `hil`: the child processes it starts and the scratch folders it makes.
//!
//! Every process the harness starts (QEMU, the firmware build, a broker or
//! server a case needs) goes through [`spawn`] or [`output`], which start it
//!
//! - in a process group of its own, so a Ctrl-C typed in the terminal
//!   reaches `hil` alone: `hil` decides what the interrupt means (finish the
//!   case under way, write the report) instead of its children dying under
//!   it and turning the case in flight into a rig error;
//! - with a parent-death signal (Linux), so that when `hil` dies — even by
//!   SIGKILL, which no handler sees — the kernel kills the child too. The
//!   signal is tied to the *thread* that forked the child, so every child is
//!   forked by one thread that lives as long as the process ([`spawn`]).
//!
//! Scratch folders ([`scratch`]) are removed when dropped (normal exit,
//! Ctrl-C, SIGTERM); the ones a killed `hil` left behind are removed by the
//! next `hil` that makes one ([`sweep_stale`]).

mod child;
mod scratch;

pub use child::{output, spawn};
pub use scratch::{scratch, sweep_stale, SCRATCH_PREFIX};
