//! The implemented system calls, one file per ABI area.

mod channels;
mod config;
mod device;
mod http;
mod logging;
mod mqtt;
mod mqtt_read;
mod network;
mod notifications;
mod system;
mod time;
