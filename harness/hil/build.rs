//! Rebuild the tests when a conformance file is added or removed.
//!
//! The rstest `#[files]` list of `tests/conformance.rs` is expanded at
//! compile time, and cargo rescans a watched directory recursively.
fn main() {
    println!("cargo:rerun-if-changed=../../conformance");
}
