//! The implemented system calls, one file per ABI area.

mod channels;
mod config;
mod device;
mod external_flash;
mod factory_test;
mod fast_irq;
mod http;
mod logging;
mod mqtt;
mod mqtt_read;
mod network;
mod notifications;
mod power;
mod system;
mod time;
mod wifi;
