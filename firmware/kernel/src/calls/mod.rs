//! The implemented system calls, one file per ABI area.

mod device;
mod logging;
mod notifications;
mod system;
mod time;
