//! The one interrupt mechanism: Ctrl-C or SIGTERM sets a shared flag that the engine and every campaign poll.
//!
//! Whatever runs finishes the case or point under way, takes no new one,
//! writes its report marked `interrupted` and exits 130. Only the commands
//! that can stop cleanly install the handler; the others stop at once, as
//! any program does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Installs the process's handler (SIGINT, SIGTERM, SIGHUP) and returns the
/// flag it sets. `notice`, if any, is printed once when the first signal
/// arrives. Without a handler (one could not be installed) a signal stops
/// `hil` at once, and a warning says so.
pub fn flag(notice: Option<&'static str>) -> Arc<AtomicBool> {
    // One handler per process: a nightly runs several commands in a row,
    // and they all watch the same flag.
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    if let Some(stop) = FLAG.get() {
        return stop.clone();
    }
    let stop = FLAG
        .get_or_init(|| Arc::new(AtomicBool::new(false)))
        .clone();
    let set = stop.clone();
    let installed = ctrlc::set_handler(move || {
        if !set.swap(true, Ordering::SeqCst) {
            if let Some(notice) = notice {
                eprintln!("{notice}");
            }
        }
    });
    if let Err(e) = installed {
        eprintln!("warning: cannot handle Ctrl-C ({e}); it will stop hil without a report");
    }
    stop
}

/// What a campaign says when it is interrupted.
pub const CAMPAIGN_NOTICE: &str =
    "interrupted: finishing the points under way, then writing the report";
