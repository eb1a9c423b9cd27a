//! The SDK header's documented outcomes of every call (`@retval` lines, notifications posted), kept as data in `sdk-retvals.yaml`.
//!
//! The harness reads it for the ABI coverage matrix (`hil coverage`); the
//! firmware never does. It is data rather than code so that it reads like
//! the header it was taken from and a reviewer can diff it against one.

/// The text of `firmware/abi/sdk-retvals.yaml`.
pub const SDK_RETVALS_YAML: &str = include_str!("../sdk-retvals.yaml");
