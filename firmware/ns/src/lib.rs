//! The Rust binding of the Microvisor system-call ABI for non-secure applications.
//!
//! A Microvisor call is a plain AAPCS call to entry `n` of the secure image's
//! non-secure-callable veneer table, at `table_base + 8*n` (see `mv_abi::Slot`).
//! This crate keeps that base ([`init`]), makes the calls ([`raw`], one raw
//! function per system call, and [`raw_call`] for any slot), and offers a few
//! safe wrappers ([`get_microseconds`], [`get_device_id`], ...) that own their
//! pointers and turn the status into a `Result`; and [`ring::RingReader`], the
//! notification-ring reader with overrun detection.
//!
//! On the host (`cargo build -p mv-ns`) the crate compiles but calls nothing:
//! every call returns `MV_STATUS_UNAVAILABLE`, so code above it can be
//! unit-tested without a secure world.
#![no_std]

pub mod raw;
pub mod ring;
mod safe;
mod table;

pub use safe::{
    close_notifications, get_device_id, get_microseconds, get_sys_clk, no_op, setup_notifications,
    status, DEVICE_ID_LEN,
};
pub use table::{entry_address, init, raw_call, table_base};
